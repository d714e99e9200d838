import CMbedTLS

/// The per-stream keys and the one pure operation on a segment: given its index, whether it
/// is the last, and its bytes, authenticate and decrypt (or encrypt and tag) it.
/// Everything about headers, buffering and counting lives in ImageDecryptor, not here.
public struct SegmentCipher: ~Copyable {
    private let aes: AESContext
    private var mac: HMACContext
    private var kdf: HMACContext
    public private(set) var parameters: StreamParameters
    private var noncePrefix = (UInt32(0), UInt32(0))  // 7 bytes used, stored as 8

    /// Sets up the mbedTLS contexts (allocating once) for streams with `parameters`.
    public init(parameters: StreamParameters) throws(SealError) {
        let mac = try HMACContext(parameters.macHash)
        let kdf = try HMACContext(parameters.kdfHash)
        self.parameters = parameters
        self.mac = mac
        self.kdf = kdf
        self.aes = AESContext()
    }

    /// Switches to other parameters; allocates only if a hash function changes.
    public mutating func use(_ newParameters: StreamParameters) throws(SealError) {
        try mac.use(newParameters.macHash)
        try kdf.use(newParameters.kdfHash)
        parameters = newParameters
    }

    /// Derives this stream's AES and HMAC keys from the content key and the stream header
    /// (length byte ‖ salt ‖ nonce prefix), with `associatedData` as the HKDF info.
    public mutating func start(key: borrowing ContentKey, header: UnsafeRawBufferPointer,
                               associatedData: UnsafeRawBufferPointer) throws(SealError) {
        let p = parameters
        guard header.count == p.headerSize else { throw SealError.malformedHeader }
        guard header[0] == UInt8(p.headerSize) else { throw SealError.malformedHeader }
        let salt = UnsafeRawBufferPointer(rebasing: header[1..<1 + p.keySize])
        withUnsafeMutableBytes(of: &noncePrefix) {
            $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: header[(1 + p.keySize)...]))
        }
        var okm = (InlineBytes64(), InlineBytes64())  // AES key (≤32) ‖ HMAC key (32)
        defer { withUnsafeMutableBytes(of: &okm) { wipe($0) } }
        try withUnsafeMutableBytes(of: &okm) { (o: UnsafeMutableRawBufferPointer) throws(SealError) in
            let derived = UnsafeMutableRawBufferPointer(rebasing: o[0..<p.keySize + StreamParameters.macKeySize])
            try key.withUnsafeBytes { (ikm: UnsafeRawBufferPointer) throws(SealError) in
                try hkdf(using: kdf, salt: salt, ikm: ikm, info: associatedData, into: derived)
            }
            try aes.setKey(UnsafeRawBufferPointer(rebasing: derived[0..<p.keySize]))
            try mac.setKey(UnsafeRawBufferPointer(rebasing: derived[p.keySize...]))
        }
    }

    /// Authenticates `segment` (ciphertext ‖ tag) as segment `index`, and only then decrypts it
    /// into `plaintext`. Returns the plaintext length. On failure `plaintext` is untouched.
    public func open(index: UInt32, isLast: Bool, segment: UnsafeRawBufferPointer,
                     into plaintext: UnsafeMutableRawBufferPointer) throws(SealError) -> Int {
        let tagSize = parameters.tagSize
        guard segment.count >= tagSize else { throw SealError.truncated }
        let length = segment.count - tagSize
        guard plaintext.count >= length else { throw SealError.bufferTooSmall(needed: length) }
        let ciphertext = UnsafeRawBufferPointer(rebasing: segment[0..<length])
        var iv = counterBlock(index: index, isLast: isLast)
        var digest = InlineBytes64()
        try withUnsafeBytes(of: &iv) { (ivBytes: UnsafeRawBufferPointer) throws(SealError) in
            try withUnsafeMutableBytes(of: &digest) { (d: UnsafeMutableRawBufferPointer) throws(SealError) in
                try tag(iv: ivBytes, ciphertext: ciphertext, into: d)
                let expected = segment.baseAddress! + length
                if mbedtls_ct_memcmp(d.baseAddress!, expected, tagSize) != 0 {
                    throw SealError.authenticationFailed(segment: index)
                }
            }
            try aes.ctr(counter: ivBytes, ciphertext, into: plaintext)
        }
        return length
    }

    /// Encrypts `plaintext` as segment `index` into `segment` (ciphertext ‖ tag); returns its length.
    public func seal(index: UInt32, isLast: Bool, plaintext: UnsafeRawBufferPointer,
                     into segment: UnsafeMutableRawBufferPointer) throws(SealError) -> Int {
        let tagSize = parameters.tagSize
        let total = plaintext.count + tagSize
        guard segment.count >= total else { throw SealError.bufferTooSmall(needed: total) }
        var iv = counterBlock(index: index, isLast: isLast)
        var digest = InlineBytes64()
        try withUnsafeBytes(of: &iv) { (ivBytes: UnsafeRawBufferPointer) throws(SealError) in
            let ciphertext = UnsafeMutableRawBufferPointer(rebasing: segment[0..<plaintext.count])
            try aes.ctr(counter: ivBytes, plaintext, into: ciphertext)
            try withUnsafeMutableBytes(of: &digest) { (d: UnsafeMutableRawBufferPointer) throws(SealError) in
                try tag(iv: ivBytes, ciphertext: UnsafeRawBufferPointer(ciphertext), into: d)
                UnsafeMutableRawBufferPointer(rebasing: segment[plaintext.count..<total])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: d[0..<tagSize]))
            }
        }
        return total
    }

    private func tag(iv: UnsafeRawBufferPointer, ciphertext: UnsafeRawBufferPointer,
                     into digest: UnsafeMutableRawBufferPointer) throws(SealError) {
        try mac.reset()
        try mac.update(iv)
        try mac.update(ciphertext)
        try mac.finish(into: digest)
    }

    /// nonce prefix (7) ‖ BE32(index) ‖ last flag (1) ‖ 0x00000000: the first CTR block.
    private func counterBlock(index: UInt32, isLast: Bool) -> (UInt64, UInt64) {
        var block = (UInt64(0), UInt64(0))
        var prefix = noncePrefix
        withUnsafeMutableBytes(of: &block) { b in
            withUnsafeBytes(of: &prefix) { b.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: 7) }
            b[7] = UInt8(truncatingIfNeeded: index >> 24)
            b[8] = UInt8(truncatingIfNeeded: index >> 16)
            b[9] = UInt8(truncatingIfNeeded: index >> 8)
            b[10] = UInt8(truncatingIfNeeded: index)
            b[11] = isLast ? 1 : 0
        }
        return block
    }
}
