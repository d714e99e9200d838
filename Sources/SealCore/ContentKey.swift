import CMbedTLS

/// The key that seals one asset (the HKDF input key material of the stream).
/// It never leaves this type except through a scoped borrow, and is wiped when it ends.
public struct ContentKey: ~Copyable {
    /// Length of a key id in bytes.
    public static let idLength = 16

    let secret: SecretBytes
    /// Computed once here: the one-shot HMAC allocates, and opening an image must not.
    private let keyID: (UInt64, UInt64)

    /// Takes a copy of `bytes` (16 or 32 bytes for Sealframe images; Tink keys may be longer).
    public init(copying bytes: UnsafeRawBufferPointer) throws(SealError) {
        guard bytes.count >= 16, bytes.count <= 64 else { throw SealError.wrongKey }
        let secret = SecretBytes(copying: bytes)
        keyID = try ContentKey.deriveID(secret)
        self.secret = secret
    }

    /// Builds the key in place, so a received or generated key never exists outside this type.
    public init(count: Int, fill: (UnsafeMutableRawBufferPointer) throws(SealError) -> Void) throws(SealError) {
        guard count >= 16, count <= 64 else { throw SealError.wrongKey }
        let secret = try SecretBytes(count: count, fill: fill)
        keyID = try ContentKey.deriveID(secret)
        self.secret = secret
    }

    public var count: Int { secret.count }

    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try secret.withUnsafeBytes(body)
    }

    /// The key id written in the envelope: HMAC-SHA256(key, "sealframe key id v1"), first 16 bytes.
    /// A one-way function of the key, so a player can say "wrong key" before touching a segment.
    public func id(into out: UnsafeMutableRawBufferPointer) throws(SealError) {
        guard out.count >= ContentKey.idLength else { throw SealError.bufferTooSmall(needed: ContentKey.idLength) }
        var id = keyID
        Swift.withUnsafeBytes(of: &id) { out.copyMemory(from: $0) }
    }

    private static func deriveID(_ secret: borrowing SecretBytes) throws(SealError) -> (UInt64, UInt64) {
        var mac = InlineBytes32()
        let label: StaticString = "sealframe key id v1"
        try secret.withUnsafeBytes { (key: UnsafeRawBufferPointer) throws(SealError) in
            try mac.withUnsafeMutableBytes { (m: UnsafeMutableRawBufferPointer) throws(SealError) in
                try check(mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256),
                                          key.baseAddress!.assumingMemoryBound(to: UInt8.self), key.count,
                                          label.utf8Start, label.utf8CodeUnitCount,
                                          m.baseAddress!.assumingMemoryBound(to: UInt8.self)))
            }
        }
        return (mac.bytes.0, mac.bytes.1)
    }
}

/// 32 bytes on the stack, for digests and ids (not secrets: those live in SecretBytes).
struct InlineBytes32 {
    var bytes: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    mutating func withUnsafeMutableBytes<R, E: Error>(_ body: (UnsafeMutableRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try Swift.withUnsafeMutableBytes(of: &bytes) { (b: UnsafeMutableRawBufferPointer) throws(E) -> R in try body(b) }
    }
}
