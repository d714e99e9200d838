// The C entry point for Embedded builds, where the standard library has no CommandLine.
#if hasFeature(Embedded)
@_cdecl("main")
func cMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    runPlayer(argc: argc, argv: argv)
}
#endif
