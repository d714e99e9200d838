@testable import SealCore
import Testing

struct WipeTests {
    /// The wipe covers exactly the region: secrets become zero, the sentinels on both sides stay.
    @Test func wipeOnEndClearsExactlyItsRegion() {
        let block = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 16)
        defer { block.deallocate() }
        block.initializeMemory(as: UInt8.self, repeating: 0xA5)
        let secret = UnsafeMutableRawBufferPointer(rebasing: block[16..<48])
        for i in 0..<secret.count { secret[i] = UInt8(i + 1) }
        do { let scope = WipeOnEnd(secret); _ = scope.region.count }  // ends here
        #expect(block[0..<16].allSatisfy { $0 == 0xA5 })
        #expect(block[16..<48].allSatisfy { $0 == 0 })
        #expect(block[48..<64].allSatisfy { $0 == 0xA5 })
    }

    @Test func contentKeyRefusesOddLengths() {
        #expect(throws: SealError.wrongKey) { _ = try makeKey([UInt8](repeating: 1, count: 15)) }
        #expect(throws: SealError.wrongKey) { _ = try makeKey([UInt8](repeating: 1, count: 65)) }
        #expect(throws: Never.self) { _ = try makeKey([UInt8](repeating: 1, count: 16)) }
    }

    @Test func keyIDDependsOnTheKey() throws {
        var a = [UInt8](repeating: 0, count: 16), b = a
        try a.withUnsafeMutableBytes { try makeKey([UInt8](repeating: 1, count: 32)).id(into: $0) }
        try b.withUnsafeMutableBytes { try makeKey([UInt8](repeating: 2, count: 32)).id(into: $0) }
        #expect(a != b)
        #expect(a != [UInt8](repeating: 0, count: 16))
    }
}
