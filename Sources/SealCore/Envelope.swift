/// The authenticated description in front of a sealed image (FORMAT.md, "Envelope").
/// The envelope's bytes are the stream's associated data, so every field is authenticated
/// by the first segment's tag.
public struct Envelope: Equatable, Sendable {
    public static let magic: (UInt8, UInt8, UInt8, UInt8) = (0x53, 0x46, 0x49, 0x4D)  // "SFIM"
    public static let version: UInt8 = 1
    public static let fixedSize = 49
    public static let maxAssetIDLength = 64
    public static let maxSize = fixedSize + maxAssetIDLength

    public enum ContentType: UInt8, Sendable {
        case unspecified = 0, png = 1, jpeg = 2, webp = 3, rgba8888 = 4
    }

    public var parameters: StreamParameters
    public var contentType: ContentType
    public var width: UInt32
    public var height: UInt32
    public var plaintextLength: UInt64
    public var keyID: InlineArray<16, UInt8>
    public var assetID: InlineArray<64, UInt8>
    public var assetIDLength: Int

    public init(parameters: StreamParameters, contentType: ContentType, width: UInt32, height: UInt32,
                plaintextLength: UInt64, keyID: UnsafeRawBufferPointer,
                assetID: UnsafeRawBufferPointer) throws(SealError) {
        guard parameters.isWithinSealframeLimits, keyID.count == ContentKey.idLength,
              Envelope.isValidAssetID(assetID) else { throw SealError.unsupportedParameters }
        _ = try SegmentLayout(parameters: parameters, plaintextLength: plaintextLength)
        self.parameters = parameters
        self.contentType = contentType
        self.width = width
        self.height = height
        self.plaintextLength = plaintextLength
        self.keyID = InlineArray(repeating: 0)
        for i in 0..<16 { self.keyID[i] = keyID[i] }
        self.assetID = InlineArray(repeating: 0)
        for i in 0..<assetID.count { self.assetID[i] = assetID[i] }
        self.assetIDLength = assetID.count
    }

    /// 1 to 64 bytes of [A-Za-z0-9._-].
    public static func isValidAssetID(_ id: UnsafeRawBufferPointer) -> Bool {
        guard id.count >= 1, id.count <= maxAssetIDLength else { return false }
        for c in id {
            let ok = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
                || c == 0x2E || c == 0x5F || c == 0x2D
            if !ok { return false }
        }
        return true
    }

    /// Total encoded size.
    public var size: Int { Envelope.fixedSize + assetIDLength }

    public var layout: SegmentLayout {
        // Validated in init and parse, so this cannot fail.
        try! SegmentLayout(parameters: parameters, plaintextLength: plaintextLength)
    }

    /// Reads the envelope length from the first 7 bytes, so a reader knows how much to fetch.
    public static func declaredSize(prefix: UnsafeRawBufferPointer) throws(SealError) -> Int {
        guard prefix.count >= 7 else { throw SealError.truncated }
        guard prefix[0] == magic.0, prefix[1] == magic.1, prefix[2] == magic.2, prefix[3] == magic.3
        else { throw SealError.malformedHeader }
        guard prefix[4] == version else { throw SealError.unsupportedVersion(prefix[4]) }
        let size = Int(prefix[5]) << 8 | Int(prefix[6])
        guard size > fixedSize, size <= maxSize else { throw SealError.malformedHeader }
        return size
    }

    /// Parses exactly one envelope; `bytes` must be exactly `declaredSize` long.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(SealError) -> Envelope {
        let size = try declaredSize(prefix: bytes)
        guard bytes.count == size else { throw bytes.count < size ? SealError.truncated : SealError.malformedHeader }
        var r = ByteReader(bytes, at: 7)
        let keySize = Int(r.u8())
        guard let kdf = HashFunction(rawValue: r.u8()), let mac = HashFunction(rawValue: r.u8())
        else { throw SealError.unsupportedParameters }
        let tagSize = Int(r.u8())
        guard let type = ContentType(rawValue: r.u8()) else { throw SealError.unsupportedParameters }
        let segmentSize = Int(r.u32())
        let length = r.u64()
        let width = r.u32(), height = r.u32()
        let keyID = UnsafeRawBufferPointer(rebasing: bytes[32..<48])
        let idLength = Int(bytes[48])
        guard Envelope.fixedSize + idLength == size else { throw SealError.malformedHeader }
        let parameters = try StreamParameters(keySize: keySize, kdfHash: kdf, macHash: mac,
                                              tagSize: tagSize, segmentSize: segmentSize)
        return try Envelope(parameters: parameters, contentType: type, width: width, height: height,
                            plaintextLength: length, keyID: keyID,
                            assetID: UnsafeRawBufferPointer(rebasing: bytes[49..<size]))
    }

    /// Writes the envelope into `out`; returns its size.
    public func serialize(into out: UnsafeMutableRawBufferPointer) throws(SealError) -> Int {
        guard out.count >= size else { throw SealError.bufferTooSmall(needed: size) }
        var w = ByteWriter(out)
        w.u8(Envelope.magic.0); w.u8(Envelope.magic.1); w.u8(Envelope.magic.2); w.u8(Envelope.magic.3)
        w.u8(Envelope.version)
        w.u16(UInt16(size))
        w.u8(UInt8(parameters.keySize)); w.u8(parameters.kdfHash.rawValue); w.u8(parameters.macHash.rawValue)
        w.u8(UInt8(parameters.tagSize)); w.u8(contentType.rawValue)
        w.u32(UInt32(parameters.segmentSize)); w.u64(plaintextLength)
        w.u32(width); w.u32(height)
        for i in 0..<16 { w.u8(keyID[i]) }
        w.u8(UInt8(assetIDLength))
        for i in 0..<assetIDLength { w.u8(assetID[i]) }
        return size
    }

    public static func == (a: Envelope, b: Envelope) -> Bool {
        guard a.parameters == b.parameters, a.contentType == b.contentType, a.width == b.width,
              a.height == b.height, a.plaintextLength == b.plaintextLength,
              a.assetIDLength == b.assetIDLength else { return false }
        for i in 0..<16 where a.keyID[i] != b.keyID[i] { return false }
        for i in 0..<a.assetIDLength where a.assetID[i] != b.assetID[i] { return false }
        return true
    }
}

/// Big-endian reads from a buffer whose length the caller already checked.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    var offset: Int
    init(_ bytes: UnsafeRawBufferPointer, at offset: Int) { self.bytes = bytes; self.offset = offset }
    mutating func u8() -> UInt8 { defer { offset += 1 }; return bytes[offset] }
    mutating func u32() -> UInt32 { var v: UInt32 = 0; for _ in 0..<4 { v = v << 8 | UInt32(u8()) }; return v }
    mutating func u64() -> UInt64 { var v: UInt64 = 0; for _ in 0..<8 { v = v << 8 | UInt64(u8()) }; return v }
}

/// Big-endian writes into a buffer whose length the caller already checked.
struct ByteWriter {
    let bytes: UnsafeMutableRawBufferPointer
    var offset = 0
    init(_ bytes: UnsafeMutableRawBufferPointer) { self.bytes = bytes }
    mutating func u8(_ v: UInt8) { bytes[offset] = v; offset += 1 }
    mutating func u16(_ v: UInt16) { u8(UInt8(v >> 8)); u8(UInt8(truncatingIfNeeded: v)) }
    mutating func u32(_ v: UInt32) { for s in stride(from: 24, through: 0, by: -8) { u8(UInt8(truncatingIfNeeded: v >> UInt32(s))) } }
    mutating func u64(_ v: UInt64) { for s in stride(from: 56, through: 0, by: -8) { u8(UInt8(truncatingIfNeeded: v >> UInt64(s))) } }
}
