@testable import SealCore
import Testing

struct EnvelopeTests {
    func envelope(asset: String = "poster-7") throws -> Envelope {
        let id = [UInt8](repeating: 0xAB, count: 16)
        return try id.withUnsafeBytes { i in
            try Array(asset.utf8).withUnsafeBytes { a in
                try Envelope(parameters: .sealframeDefault, contentType: .jpeg, width: 3840, height: 2160,
                             plaintextLength: 123_456, keyID: i, assetID: a)
            }
        }
    }

    func encode(_ e: Envelope) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Envelope.maxSize)
        let n = try out.withUnsafeMutableBytes { try e.serialize(into: $0) }
        return Array(out.prefix(n))
    }

    func parse(_ bytes: [UInt8]) throws -> Envelope { try bytes.withUnsafeBytes { try Envelope.parse($0) } }

    @Test func roundTrip() throws {
        let e = try envelope()
        let bytes = try encode(e)
        #expect(bytes.count == 49 + 8)
        #expect(Array(bytes.prefix(5)) == [0x53, 0x46, 0x49, 0x4D, 1])
        let back = try parse(bytes)
        #expect(back == e)
        #expect(back.width == 3840 && back.height == 2160 && back.contentType == .jpeg)
    }

    @Test func assetIDsAreChecked() {
        for bad in ["", "has space", "slash/inside", String(repeating: "a", count: 65), "ümlaut"] {
            #expect(throws: SealError.unsupportedParameters) { _ = try envelope(asset: bad) }
        }
        #expect(throws: Never.self) { _ = try envelope(asset: String(repeating: "a", count: 64)) }
    }

    @Test func malformedEnvelopesAreRefused() throws {
        let good = try encode(try envelope())
        var b = good; b[0] = 0x58
        #expect(throws: SealError.malformedHeader) { try parse(b) }
        b = good; b[4] = 2
        #expect(throws: SealError.unsupportedVersion(2)) { try parse(b) }
        b = good; b[7] = 24  // AES-192 is not a Tink key size
        #expect(throws: SealError.unsupportedParameters) { try parse(b) }
        b = good; b[10] = 12  // tags below 16 bytes are outside Sealframe's limits
        #expect(throws: SealError.unsupportedParameters) { try parse(b) }
        b = good; b[9] = 1  // SHA-1 is for Tink keysets only
        #expect(throws: SealError.unsupportedParameters) { try parse(b) }
        b = good; b[48] = 9  // asset length disagrees with the envelope length
        #expect(throws: SealError.malformedHeader) { try parse(b) }
        #expect(throws: SealError.truncated) { try parse(Array(good.prefix(30))) }
        #expect(throws: SealError.truncated) { try parse(Array(good.prefix(3))) }
    }

    @Test func segmentSizeLimits() throws {
        for (size, ok) in [(4095, false), (4096, true), (1 << 20, true), ((1 << 20) + 1, false)] {
            let p = try StreamParameters(keySize: 32, kdfHash: .sha256, macHash: .sha256, tagSize: 32, segmentSize: size)
            #expect(p.isWithinSealframeLimits == ok, "\(size)")
        }
        #expect(throws: SealError.unsupportedParameters) {
            _ = try StreamParameters(keySize: 16, kdfHash: .sha256, macHash: .sha256, tagSize: 33, segmentSize: 4096)
        }
    }
}

extension EnvelopeTests {
    /// Found by the envelope fuzzer: a plaintext length near 2^64 overflowed the segment count.
    @Test func hugePlaintextLengthIsRefused() throws {
        var b = try encode(try envelope())
        for i in 16..<24 { b[i] = 0xFF }
        #expect(throws: SealError.unsupportedParameters) { try parse(b) }
    }
}
