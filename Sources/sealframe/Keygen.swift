import Glibc
import SealCore

/// `sealframe keygen --out FILE [--size 16|32]`: a fresh random content key, mode 0600.
func keygen(_ words: ArraySlice<String>) throws(CLIError) {
    let args = try Arguments(words, valued: ["out", "size"])
    let path = try args.required("out")
    let size = try args.integer("size") ?? 32
    guard size == 16 || size == 32 else { throw CLIError.usage("--size is 16 (AES-128) or 32 (AES-256)") }
    guard path != "-" else { throw CLIError.usage("keys are never written to standard output; give a file") }
    guard access(path, F_OK) != 0 else { throw CLIError.usage("\(path) exists; keygen never overwrites a key") }
    var out = try OutputFile(path: path)
    try sealing { () throws(SealError) in
        let random = try RandomGenerator(personalization: "sealframe keygen")
        let key = try ContentKey(count: size) { (b) throws(SealError) in try random.fill(b) }
        try key.withUnsafeBytes { (b) throws(SealError) in try out.write(b) }
    }
    try out.commit(mode: 0o600)
}
