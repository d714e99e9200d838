import CMbedTLS
import Foundation
@testable import SealCore
import Sealing
import Testing

/// Tests/Vectors, found from this file's path so tests run from any directory.
let vectorDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Vectors")

func bytes(hex: String) -> [UInt8] {
    var out: [UInt8] = []
    var it = hex.makeIterator()
    while let a = it.next(), let b = it.next() { out.append(UInt8(String([a, b]), radix: 16)!) }
    return out
}

/// The vector plaintext pattern: byte i = i mod 251.
func pattern(_ count: Int) -> [UInt8] { (0..<count).map { UInt8($0 % 251) } }

func makeKey(_ bytes: [UInt8]) throws -> ContentKey {
    let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
    defer { wipe(copy); copy.deallocate() }
    copy.copyBytes(from: bytes)
    return try ContentKey(copying: UnsafeRawBufferPointer(copy))
}

func randomBytes(_ count: Int) throws -> [UInt8] {
    let rng = try RandomGenerator(personalization: "sealframe tests")
    var out = [UInt8](repeating: 0, count: count)
    try out.withUnsafeMutableBytes { (b) in try rng.fill(b) }
    return out
}

/// Seals `plaintext` with the real sealer; returns envelope ‖ header ‖ segments.
func seal(_ plaintext: [UInt8], key keyBytes: [UInt8], parameters: StreamParameters = .sealframeDefault,
          asset: String = "test-asset") throws -> [UInt8] {
    let key = try makeKey(keyBytes)
    let rng = try RandomGenerator(personalization: "sealframe tests")
    var keyID = [UInt8](repeating: 0, count: 16)
    try keyID.withUnsafeMutableBytes { (b) in try key.id(into: b) }
    let envelope = try keyID.withUnsafeBytes { (id) -> Envelope in
        try Array(asset.utf8).withUnsafeBytes { (a) -> Envelope in
            try Envelope(parameters: parameters, contentType: .png, width: 1920, height: 1080,
                         plaintextLength: UInt64(plaintext.count), keyID: id, assetID: a)
        }
    }
    var staging = [UInt8](repeating: 0, count: parameters.plaintextSegmentSize)
    var segment = [UInt8](repeating: 0, count: parameters.segmentSize)
    var out = [UInt8](repeating: 0, count: Envelope.maxSize + 64)
    try staging.withUnsafeMutableBytes { (st) in
        var sealer = try ImageSealer(parameters: parameters, staging: st)
        let n = try out.withUnsafeMutableBytes { (o) -> Int in
            try sealer.start(envelope: envelope, key: key, random: rng, into: o)
        }
        out.removeLast(out.count - n)
        try plaintext.withUnsafeBytes { (p) in
            var rest = p
            repeat {
                let (consumed, produced) = try segment.withUnsafeMutableBytes { (s) in
                    try sealer.seal(rest, into: s)
                }
                out += segment[0..<produced]
                rest = UnsafeRawBufferPointer(rebasing: rest[consumed...])
            } while !sealer.isComplete
        }
    }
    return out
}

/// What opening an image released, and how it ended.
struct OpenResult {
    var released: [UInt8] = []
    var error: SealError?
    /// True if the output buffer held anything but what was released (for example
    /// unauthenticated bytes left behind by a failed segment).
    var outputDisturbed = false
}

let sentinel: UInt8 = 0xEE

/// Opens `image` through the streaming decryptor, `chunkSize` bytes at a time. Before each
/// decrypt call the output buffer is filled with sentinels; after it, every byte not released
/// must still be a sentinel.
func open(_ image: [UInt8], key keyBytes: [UInt8], chunkSize: Int = 1 << 20) -> OpenResult {
    var result = OpenResult()
    // Buffers of exactly the image's segment size, so the sentinel checks stay cheap.
    var segmentSize = 4096
    if image.count >= 16 { segmentSize = image[12..<16].reduce(0) { $0 << 8 | Int($1) } }
    segmentSize = min(max(segmentSize, 4096), 1 << 20)
    let staging = UnsafeMutableRawBufferPointer.allocate(byteCount: segmentSize, alignment: 16)
    let output = UnsafeMutableRawBufferPointer.allocate(byteCount: segmentSize, alignment: 16)
    defer { staging.deallocate(); output.deallocate() }
    do {
        let key = try makeKey(keyBytes)
        try image.withUnsafeBytes { (img) in
            var offset = 0
            // Envelope and header, exactly as ImageReading does it, then chunked segments.
            let size = try Envelope.declaredSize(prefix: img)
            guard img.count >= size else { throw SealError.truncated }
            let envelopeBytes = UnsafeRawBufferPointer(rebasing: img[0..<size])
            let envelope = try Envelope.parse(envelopeBytes)
            var decryptor = try ImageDecryptor(parameters: envelope.parameters, staging: staging)
            let headerEnd = size + envelope.parameters.headerSize
            guard img.count >= headerEnd else { throw SealError.truncated }
            try decryptor.start(envelope: envelope, envelopeBytes: envelopeBytes, key: key,
                                streamHeader: UnsafeRawBufferPointer(rebasing: img[size..<headerEnd]))
            offset = headerEnd
            func emit(_ produced: Int) {
                result.released += UnsafeRawBufferPointer(rebasing: output[0..<produced])
                if output[produced...].contains(where: { $0 != sentinel }) { result.outputDisturbed = true }
            }
            while offset < img.count {
                var chunk = UnsafeRawBufferPointer(rebasing: img[offset..<min(img.count, offset + chunkSize)])
                offset += chunk.count
                while !chunk.isEmpty {
                    output.initializeMemory(as: UInt8.self, repeating: sentinel)
                    let r: (consumed: Int, produced: Int)
                    do throws(SealError) { r = try decryptor.decrypt(chunk, into: output) } catch {
                        if output.contains(where: { $0 != sentinel }) { result.outputDisturbed = true }
                        throw error
                    }
                    emit(r.produced)
                    chunk = UnsafeRawBufferPointer(rebasing: chunk[r.consumed...])
                }
            }
            output.initializeMemory(as: UInt8.self, repeating: sentinel)
            let n: Int
            do throws(SealError) { n = try decryptor.finish(into: output) } catch {
                if output.contains(where: { $0 != sentinel }) { result.outputDisturbed = true }
                throw error
            }
            emit(n)
        }
    } catch {
        result.error = (error as! SealError)
    }
    return result
}

/// Failure messages print counts, not megabytes of plaintext.
extension OpenResult: CustomStringConvertible, CustomTestStringConvertible {
    var description: String {
        "OpenResult(released: \(released.count) bytes, error: \(error.map { "\($0)" } ?? "none"), outputDisturbed: \(outputDisturbed))"
    }
    var testDescription: String { description }
}
