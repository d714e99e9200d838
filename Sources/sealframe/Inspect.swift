import SealCore

/// `sealframe inspect IN`: the envelope's fields. Reads nothing past the envelope and stream
/// header, and shows no key material (the key id is a one-way function of the key).
func inspect(_ words: ArraySlice<String>) throws(CLIError) {
    let args = try Arguments(words, valued: [])
    let path = try args.positionals(1, "IN")[0]
    var source = try FileSource(path: path)
    var buffer = [UInt8](repeating: 0, count: Envelope.maxSize)
    let envelope = try sealing { () throws(SealError) -> Envelope in
        try buffer.withMutableBytes { (b) throws(SealError) -> Envelope in try Envelope.read(from: &source, into: b) }
    }
    let p = envelope.parameters
    let layout = envelope.layout
    var keyID = ""
    for i in 0..<16 { keyID += String(envelope.keyID[i] >> 4, radix: 16) + String(envelope.keyID[i] & 15, radix: 16) }
    var asset = ""
    for i in 0..<envelope.assetIDLength { asset.append(Character(Unicode.Scalar(envelope.assetID[i]))) }
    let lines = [
        ("format", "Sealframe image v\(Envelope.version)"),
        ("asset", asset),
        ("key-id", keyID),
        ("content-type", envelope.contentType.name),
        ("size", "\(envelope.width)x\(envelope.height)"),
        ("plaintext-length", "\(envelope.plaintextLength)"),
        ("cipher", "AES-\(p.keySize * 8)-CTR, HMAC-\(p.macHash.name) (\(p.tagSize)-byte tags), HKDF-\(p.kdfHash.name)"),
        ("segment-size", "\(p.segmentSize)"),
        ("segments", "\(layout.segmentCount)"),
        ("file-length", "\(UInt64(envelope.size) + p.ciphertextLength(plaintextLength: envelope.plaintextLength))"),
    ]
    for (k, v) in lines { print("\(k): \(v)") }
}

extension HashFunction {
    var name: String {
        switch self { case .sha1: "SHA1"; case .sha256: "SHA256"; case .sha512: "SHA512" }
    }
}
