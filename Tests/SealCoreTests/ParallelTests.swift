import SealCore
import SealParallel
import Testing

/// The all-cores path must agree with the streaming decryptor, and must leave nothing behind
/// when it refuses an image (it may have verified later segments before an earlier one failed).
struct ParallelTests {
    @Test func matchesThePlaintextAndRefusesTampering() throws {
        let p = try StreamParameters(keySize: 32, kdfHash: .sha256, macHash: .sha256, tagSize: 32, segmentSize: 4096)
        let keyBytes = try randomBytes(32)
        let key = try makeKey(keyBytes)
        let parallel = try ParallelImageDecryptor(workers: 3, parameters: p)
        for length in [0, 1, 4040, 4041, 50_000, 123_457] {
            let plain = try randomBytes(length)
            var image = try seal(plain, key: keyBytes, parameters: p)
            var out = [UInt8](repeating: 0, count: max(length, 1))
            try image.withUnsafeBytes { img in
                try out.withUnsafeMutableBytes { _ = try parallel.open(img, key: key, into: $0) }
            }
            #expect(Array(out.prefix(length)) == plain, "length \(length)")
            guard length > 10_000 else { continue }
            image[image.count / 3] ^= 4
            out = [UInt8](repeating: 0xEE, count: length)
            #expect(throws: SealError.self) {
                try image.withUnsafeBytes { img in try out.withUnsafeMutableBytes { _ = try parallel.open(img, key: key, into: $0) } }
            }
            #expect(out.allSatisfy { $0 == 0 }, "a refused image left bytes in the output")
            #expect(throws: SealError.truncated) {
                try Array(image.dropLast()).withUnsafeBytes { img in try out.withUnsafeMutableBytes { _ = try parallel.open(img, key: key, into: $0) } }
            }
        }
    }
}
