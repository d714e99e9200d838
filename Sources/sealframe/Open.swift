import Foundation
import SealCore
import TinkKeyset

/// `sealframe open --key FILE IN OUT` or `sealframe open --tink-keyset KEYSET.json [--aad-hex HEX] IN OUT`.
/// Plaintext reaches OUT one verified segment at a time; a named OUT appears only after the
/// final segment verified.
func openImage(_ words: ArraySlice<String>) throws(CLIError) {
    let args = try Arguments(words, valued: ["key", "tink-keyset", "aad-hex"])
    let paths = try args.positionals(2, "IN OUT (use - for standard input or output)")
    guard args.has("key") != args.has("tink-keyset") else {
        throw CLIError.usage("give either --key FILE or --tink-keyset KEYSET.json")
    }
    var source = try FileSource(path: paths[0])
    var out = try OutputFile(path: paths[1])
    let buffers = DecryptBuffers(segmentSize: 1 << 20)
    if let keyPath = args["key"] {
        let key = try readKeyFile(keyPath)
        try sealing { () throws(SealError) in
            var decryptor = try ImageDecryptor(parameters: .sealframeDefault, staging: buffers.staging)
            _ = try decryptor.openImage(from: &source, key: key, readBuffer: buffers.read, output: buffers.output) {
                (plaintext) throws(SealError) in try out.write(plaintext)
            }
        }
    } else {
        try openTink(keysetPath: try args.required("tink-keyset"), aadHex: args["aad-hex"] ?? "",
                     source: &source, out: out, buffers: buffers)
    }
    try out.commit(mode: 0o600)
}

private func openTink(keysetPath: String, aadHex: String, source: inout FileSource, out: borrowing OutputFile,
                      buffers: borrowing DecryptBuffers) throws(CLIError) {
    guard var json = FileManager.default.contents(atPath: keysetPath) else { throw CLIError.file(keysetPath, errno: ENOENT) }
    // The keyset text carries the keys (base64); JSONSerialization's own copies cannot be reached.
    defer { json.resetBytes(in: 0..<json.count) }
    var keyset: TinkKeyset
    do { keyset = try TinkKeyset(json: json) } catch { throw CLIError.failure("\(keysetPath): \(error)") }
    guard let aad = hexBytes(aadHex) else { throw CLIError.usage("--aad-hex takes an even number of hex digits") }
    guard keyset.keys.count == 1 || source.regularFileSize != nil else {
        throw CLIError.usage("a keyset with several keys needs a file, not a pipe, as input (each key is tried in turn)")
    }
    // Like Tink: try each key; a key that fails the first segment released nothing, so try the next.
    for index in keyset.keys.indices {
        let parameters = keyset.keys[index].parameters
        let key = try sealing { () throws(SealError) in
            try keyset.keys[index].keyValue.contentKey()
        }
        keyset.keys[index].keyValue.withUnsafeMutableBytes { wipe($0) }
        if index > 0 { try source.rewind() }
        do throws(SealError) {
            var decryptor = try ImageDecryptor(parameters: parameters, staging: buffers.staging)
            try aad.withBytes { (a) throws(SealError) in
                try decryptor.openRawStream(from: &source, parameters: parameters, key: key, associatedData: a,
                                            readBuffer: buffers.read, output: buffers.output) {
                    (plaintext) throws(SealError) in try out.write(plaintext)
                }
            }
            return
        } catch .authenticationFailed(segment: 0) where index + 1 < keyset.keys.count {
            continue
        } catch {
            throw CLIError.seal(error)
        }
    }
}

/// The three fixed buffers of a decryption, allocated once per command and wiped at the end.
struct DecryptBuffers: ~Copyable {
    let staging: UnsafeMutableRawBufferPointer
    let output: UnsafeMutableRawBufferPointer
    let read: UnsafeMutableRawBufferPointer

    init(segmentSize: Int) {
        staging = .allocate(byteCount: segmentSize, alignment: 16)
        output = .allocate(byteCount: segmentSize, alignment: 16)
        read = .allocate(byteCount: 64 * 1024, alignment: 16)
    }

    deinit {
        for b in [staging, output, read] { wipe(b); b.deallocate() }
    }
}

func hexBytes(_ hex: String) -> [UInt8]? {
    let digits = Array(hex.utf8)
    guard digits.count % 2 == 0 else { return nil }
    var out: [UInt8] = []
    for i in stride(from: 0, to: digits.count, by: 2) {
        guard let b = UInt8(String(decoding: digits[i..<i + 2], as: UTF8.self), radix: 16) else { return nil }
        out.append(b)
    }
    return out
}
