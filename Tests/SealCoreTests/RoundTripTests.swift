@testable import SealCore
import Testing

/// Plaintext lengths around every segment boundary × caller chunk sizes, for both key sizes.
struct RoundTripTests {
    static let small = try! StreamParameters(keySize: 32, kdfHash: .sha256, macHash: .sha256,
                                             tagSize: 16, segmentSize: 4096)
    static var lengths: [Int] {
        let first = small.firstPlaintextSegmentSize, full = small.plaintextSegmentSize
        return [0, 1, first - 1, first, first + 1, first + full - 1, first + full, first + full + 1,
                first + 2 * full, 5 * full + 3]
    }

    @Test(arguments: lengths)
    func boundaryGrid(_ length: Int) throws {
        let key = try randomBytes(32)
        let plain = try randomBytes(length)
        let image = try seal(plain, key: key, parameters: Self.small)
        #expect(UInt64(image.count) == UInt64(49 + 10) + Self.small.ciphertextLength(plaintextLength: UInt64(length)))
        for chunk in [1, 2, 31, 4095, 4096, 4097, 1 << 20] where chunk > 1 || length < 9000 {
            let r = open(image, key: key, chunkSize: chunk)
            #expect(r.error == nil, "length \(length) chunk \(chunk)")
            #expect(r.released == plain, "length \(length) chunk \(chunk)")
        }
    }

    @Test func defaultParametersAndAES128() throws {
        for (keySize, params) in [(32, StreamParameters.sealframeDefault),
                                  (16, try StreamParameters(keySize: 16, kdfHash: .sha512, macHash: .sha512,
                                                            tagSize: 32, segmentSize: 1 << 20))] {
            let key = try randomBytes(keySize)
            let plain = try randomBytes(300_000)
            let r = open(try seal(plain, key: key, parameters: params), key: key, chunkSize: 65536)
            #expect(r.error == nil)
            #expect(r.released == plain)
        }
    }

    @Test func oneDecryptorServesManyImages() throws {
        let staging = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        let read = UnsafeMutableRawBufferPointer.allocate(byteCount: 8192, alignment: 16)
        defer { staging.deallocate(); output.deallocate(); read.deallocate() }
        var d = try ImageDecryptor(parameters: .sealframeDefault, staging: staging)
        for i in 0..<5 {
            let keyBytes = try randomBytes(32)
            let plain = try randomBytes(1000 * i + 70_000)
            let image = try seal(plain, key: keyBytes, asset: "asset-\(i)")
            let key = try makeKey(keyBytes)
            var got: [UInt8] = []
            try image.withUnsafeBytes { img in
                var source = MemorySource(img, chunkSize: 5000)
                let env = try d.openImage(from: &source, key: key, readBuffer: read, output: output) { got += $0 }
                #expect(env.plaintextLength == UInt64(plain.count))
            }
            #expect(got == plain)
        }
    }
}
