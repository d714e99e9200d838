// Host entry point. Tools/cross-build leaves this file out: Embedded Swift has no CommandLine,
// so the boards enter through EmbeddedEntry.swift.
#if !hasFeature(Embedded)
import CLibc
exit(runPlayer(argc: CommandLine.argc, argv: CommandLine.unsafeArgv))
#endif
