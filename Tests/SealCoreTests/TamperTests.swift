@testable import SealCore
import Testing

/// The tamper matrix on a small two-segment image (4 KiB segments): every bit flip, every
/// truncation, segments dropped, duplicated, swapped, bytes appended, a wrong key. Each must be
/// refused with its typed error, released plaintext must be a verified prefix, and no
/// unauthenticated byte may reach the caller's buffer.
struct TamperTests {
    static let parameters = try! StreamParameters(keySize: 16, kdfHash: .sha256, macHash: .sha256,
                                                  tagSize: 32, segmentSize: 4096)
    static let key = try! randomBytes(16)
    static let plaintext = pattern(4096 + 300)
    static let image = try! seal(plaintext, key: key, parameters: parameters)
    static let envelopeSize = 49 + "test-asset".utf8.count
    /// Offsets (in `image`) where each segment starts.
    static var segmentStarts: [Int] {
        let first = envelopeSize + parameters.headerSize
        return [first, first + parameters.segmentSize - parameters.headerSize]
    }

    func expectRefused(_ tampered: [UInt8], _ what: String, chunk: Int = 1 << 20,
                       sourceLocation: SourceLocation = #_sourceLocation) -> OpenResult {
        let r = open(tampered, key: Self.key, chunkSize: chunk)
        #expect(r.error != nil, "\(what) was accepted", sourceLocation: sourceLocation)
        #expect(!r.outputDisturbed, "\(what): unreleased bytes reached the output buffer", sourceLocation: sourceLocation)
        #expect(Array(Self.plaintext.prefix(r.released.count)) == r.released,
                "\(what): released bytes are not a verified prefix", sourceLocation: sourceLocation)
        return r
    }

    @Test func untouchedImageOpens() {
        let r = open(Self.image, key: Self.key)
        #expect(r.error == nil)
        #expect(r.released == Self.plaintext)
        #expect(!r.outputDisturbed)
    }

    @Test func everyBitFlipIsRefused() {
        for offset in 0..<Self.image.count {
            for bit in 0..<8 {
                var t = Self.image
                t[offset] ^= UInt8(1 << bit)
                let r = expectRefused(t, "flip of bit \(bit) at \(offset)")
                if offset >= Self.segmentStarts[1] {  // segment 0 still verifies, segment 1 fails
                    #expect(r.error == .authenticationFailed(segment: 1), "offset \(offset)")
                    #expect(r.released.count == Self.parameters.firstPlaintextSegmentSize)
                } else if offset >= Self.envelopeSize + 1 {
                    #expect(r.error == .authenticationFailed(segment: 0), "offset \(offset)")
                }
            }
        }
    }

    @Test func everyTruncationIsRefused() {
        for length in 0..<Self.image.count {
            let r = expectRefused(Array(Self.image.prefix(length)), "truncation to \(length)", chunk: 1000)
            #expect(r.error == .truncated, "truncation to \(length): \(String(describing: r.error))")
        }
    }

    @Test func appendedBytesAreRefused() {
        let segment1 = Array(Self.image[Self.segmentStarts[1]...])
        for extra in [[UInt8(0)], Array(repeating: 7, count: 100), segment1, Array(Self.image.prefix(4096))] {
            for chunk in [1 << 20, 4096, 7] {
                let r = expectRefused(Self.image + extra, "\(extra.count) appended bytes", chunk: chunk)
                #expect(r.error == .trailingData)
            }
        }
    }

    @Test func segmentReorderingIsRefused() {
        let s = Self.segmentStarts
        let head = Array(Self.image[..<s[0]])
        let seg0 = Array(Self.image[s[0]..<s[1]]), seg1 = Array(Self.image[s[1]...])
        #expect(expectRefused(head + seg1, "segment 0 dropped").error != nil)
        #expect(expectRefused(head + seg0, "segment 1 dropped").error == .truncated)
        #expect(expectRefused(head + seg0 + seg0 + seg1, "segment 0 duplicated").error == .authenticationFailed(segment: 1))
        #expect(expectRefused(head + seg1 + seg0, "segments swapped").error != nil)
    }

    @Test func swappedFullSegmentsAreRefused() throws {
        // Three full segments so a swap keeps every length right and only the index differs.
        let p = Self.parameters
        let plain = pattern(p.firstPlaintextSegmentSize + 2 * p.plaintextSegmentSize)
        let image = try seal(plain, key: Self.key, parameters: p)
        let start1 = Self.segmentStarts[1], start2 = start1 + p.segmentSize
        let swapped = Array(image[..<start1]) + Array(image[start2...]) + Array(image[start1..<start2])
        let r = open(swapped, key: Self.key)
        #expect(r.error == .authenticationFailed(segment: 1))
        #expect(r.released == Array(plain.prefix(p.firstPlaintextSegmentSize)))
        #expect(!r.outputDisturbed)
    }

    @Test func wrongKeyIsRefusedBeforeAnySegment() throws {
        let r = open(Self.image, key: try randomBytes(16))
        #expect(r.error == .wrongKey)
        #expect(r.released.isEmpty)
        let r2 = open(Self.image, key: try randomBytes(32))
        #expect(r2.error == .wrongKey)
    }

    @Test func failureIsSticky() throws {
        var t = Self.image
        t[Self.segmentStarts[0] + 5] ^= 1
        let staging = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 16)
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 16)
        defer { staging.deallocate(); output.deallocate() }
        let key = try makeKey(Self.key)
        var d = try ImageDecryptor(parameters: Self.parameters, staging: staging)
        try t.withUnsafeBytes { img in
            let env = UnsafeRawBufferPointer(rebasing: img[0..<Self.envelopeSize])
            try d.start(envelope: try Envelope.parse(env), envelopeBytes: env, key: key,
                        streamHeader: UnsafeRawBufferPointer(rebasing: img[Self.envelopeSize..<Self.segmentStarts[0]]))
            let body = UnsafeRawBufferPointer(rebasing: img[Self.segmentStarts[0]...])
            #expect(throws: SealError.authenticationFailed(segment: 0)) { _ = try d.decrypt(body, into: output) }
            // The same error again, for more input and for finish; nothing is released.
            #expect(throws: SealError.authenticationFailed(segment: 0)) { _ = try d.decrypt(body, into: output) }
            #expect(throws: SealError.authenticationFailed(segment: 0)) { _ = try d.finish(into: output) }
        }
    }

    @Test func smallOutputBufferIsRefusedWithoutFailingTheStream() throws {
        let staging = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 16)
        let small = UnsafeMutableRawBufferPointer.allocate(byteCount: 100, alignment: 16)
        defer { staging.deallocate(); small.deallocate() }
        var d = try ImageDecryptor(parameters: Self.parameters, staging: staging)
        try Self.image.withUnsafeBytes { img in
            let env = UnsafeRawBufferPointer(rebasing: img[0..<Self.envelopeSize])
            try d.start(envelope: try Envelope.parse(env), envelopeBytes: env, key: try makeKey(Self.key),
                        streamHeader: UnsafeRawBufferPointer(rebasing: img[Self.envelopeSize..<Self.segmentStarts[0]]))
            #expect(throws: SealError.bufferTooSmall(needed: 4064)) {
                _ = try d.decrypt(UnsafeRawBufferPointer(rebasing: img[Self.segmentStarts[0]...]), into: small)
            }
        }
        #expect(throws: SealError.bufferTooSmall(needed: 4096)) {
            _ = try ImageDecryptor(parameters: Self.parameters, staging: small)
        }
    }
}
