import Glibc

let usage = """
    usage: sealframe COMMAND ...
      keygen --out FILE [--size 16|32]
      seal --key FILE [--asset ID] [--segment-size N] [--type T] [--width W --height H] IN OUT
      open --key FILE IN OUT
      open --tink-keyset KEYSET.json [--aad-hex HEX] IN OUT
      inspect IN
    IN and OUT may be - for standard input and output. Exit status: 0 done, 1 refused or failed, 2 usage.
    """

let words = CommandLine.arguments.dropFirst()
let command = words.first ?? ""
do throws(CLIError) {
    switch command {
    case "keygen": try keygen(words.dropFirst())
    case "seal": try seal(words.dropFirst())
    case "open": try openImage(words.dropFirst())
    case "inspect": try inspect(words.dropFirst())
    case "help", "--help", "-h": print(usage)
    default: throw CLIError.usage(command.isEmpty ? "no command given" : "unknown command '\(command)'")
    }
} catch {
    warn("sealframe\(command.isEmpty ? "" : " " + command): \(error)")
    if case .usage = error { warn(usage) }
    exit(error.exitStatus)
}
