import CMbedTLS

/// A hash function as the format names it.
public enum HashFunction: UInt8, Sendable {
    case sha1 = 1
    case sha256 = 2
    case sha512 = 3

    public var digestSize: Int {
        switch self { case .sha1: 20; case .sha256: 32; case .sha512: 64 }
    }

    var mdInfo: OpaquePointer? {
        switch self {
        case .sha1: mbedtls_md_info_from_type(MBEDTLS_MD_SHA1)
        case .sha256: mbedtls_md_info_from_type(MBEDTLS_MD_SHA256)
        case .sha512: mbedtls_md_info_from_type(MBEDTLS_MD_SHA512)
        }
    }
}

/// The parameters of one segmented stream, validated once; afterwards the size arithmetic
/// below cannot fail, so callers size their fixed buffers before they start.
public struct StreamParameters: Equatable, Sendable {
    public let keySize: Int          // AES key size K, also the salt size
    public let kdfHash: HashFunction
    public let macHash: HashFunction
    public let tagSize: Int
    public let segmentSize: Int      // ciphertext bytes per segment, tag included

    /// Length of the AES-CTR nonce prefix carried in the stream header.
    public static let noncePrefixSize = 7
    /// The HMAC key is 32 bytes whatever the hash (as in Tink).
    public static let macKeySize = 32

    /// Accepts exactly what Tink's AesCtrHmacStreaming key manager accepts.
    public init(keySize: Int, kdfHash: HashFunction, macHash: HashFunction,
                tagSize: Int, segmentSize: Int) throws(SealError) {
        guard keySize == 16 || keySize == 32,
              tagSize >= 10, tagSize <= macHash.digestSize,
              segmentSize > 1 + keySize + StreamParameters.noncePrefixSize + tagSize,
              segmentSize <= Int(Int32.max)
        else { throw SealError.unsupportedParameters }
        self.keySize = keySize
        self.kdfHash = kdfHash
        self.macHash = macHash
        self.tagSize = tagSize
        self.segmentSize = segmentSize
    }

    /// The stricter limits of a Sealframe envelope (FORMAT.md, "Limits").
    public var isWithinSealframeLimits: Bool {
        kdfHash != .sha1 && macHash != .sha1 && tagSize >= 16 && tagSize <= 32
            && segmentSize >= 4096 && segmentSize <= 1 << 20
    }

    /// Stream header: length byte, salt, nonce prefix.
    public var headerSize: Int { 1 + keySize + StreamParameters.noncePrefixSize }
    /// Plaintext bytes in a full segment.
    public var plaintextSegmentSize: Int { segmentSize - tagSize }
    /// Plaintext bytes in the first segment, which shares its space with the header.
    public var firstPlaintextSegmentSize: Int { segmentSize - headerSize - tagSize }

    /// Number of segments for a plaintext of `length` bytes (a boundary ends in a full final segment).
    public func segmentCount(plaintextLength length: UInt64) -> UInt64 {
        let first = UInt64(firstPlaintextSegmentSize)
        if length <= first { return 1 }
        // (rest - 1) / full + 1 is ceil(rest / full) without overflowing near UInt64.max.
        return 2 + (length - first - 1) / UInt64(plaintextSegmentSize)
    }

    /// Total body length (header included) for a plaintext of `length` bytes.
    public func ciphertextLength(plaintextLength length: UInt64) -> UInt64 {
        UInt64(headerSize) + length + segmentCount(plaintextLength: length) * UInt64(tagSize)
    }
}

extension StreamParameters {
    /// What `sealframe seal` uses unless told otherwise: AES-256, HKDF/HMAC-SHA256, 32-byte
    /// tags, 64 KiB segments (as fast as 1 MiB segments, a sixteenth of the buffer).
    public static let sealframeDefault = try! StreamParameters(
        keySize: 32, kdfHash: .sha256, macHash: .sha256, tagSize: 32, segmentSize: 64 * 1024)
}
