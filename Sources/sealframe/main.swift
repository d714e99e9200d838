import Glibc

let usage = """
    usage: sealframe COMMAND ...
      keygen --out FILE [--size 16|32]
      seal --key FILE [--asset ID] [--segment-size N] [--type T] [--width W --height H] IN OUT
      open --key FILE IN OUT
      open --tink-keyset KEYSET.json [--aad-hex HEX] IN OUT
      inspect IN
      pki init|server|device --dir DIR [--name NAME]
      serve --db DB --master-key FILE --ca CA --cert CERT --key KEY [--listen ADDR] [--port N] [--session-seconds N]
      admin --db DB enroll --cert DEVICE.pem --name NAME --group GROUP | revoke --name NAME
            | add-asset --master-key FILE --key KEY --image SEALED | schedule --asset ID --group G --from T --until T
            | devices | sessions | audit        (admin master-key --out FILE makes a master key)
      play --server HOST:PORT --ca CA --cert CERT --key KEY --playlist FILE --out DIR [--cycles N]
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
    case "pki": try pki(words.dropFirst())
    case "serve": try serve(words.dropFirst())
    case "admin": try admin(words.dropFirst())
    case "play": try play(words.dropFirst())
    case "help", "--help", "-h": print(usage)
    default: throw CLIError.usage(command.isEmpty ? "no command given" : "unknown command '\(command)'")
    }
} catch {
    warn("sealframe\(command.isEmpty ? "" : " " + command): \(error)")
    if case .usage = error { warn(usage) }
    exit(error.exitStatus)
}
