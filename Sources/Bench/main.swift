// sealframe-bench: the measurements behind Tools/bench. Not a test: it asserts nothing about
// speed, it prints figures (medians of several runs) for people to read side by side.
//   sealframe-bench throughput [MiB]   Swift single-thread vs all cores vs the C loop
//   sealframe-bench allocs N           seals one image, opens it N times with one decryptor
import CBenchLoop
import Foundation
import KeyClient
import SealCore
import SealParallel
import Sealing

func sealImage(_ plaintext: UnsafeRawBufferPointer, key: borrowing ContentKey, keyBytes: [UInt8],
               parameters: StreamParameters) throws -> [UInt8] {
    let rng = try RandomGenerator(personalization: "sealframe bench")
    var keyID = [UInt8](repeating: 0, count: 16)
    try keyID.withUnsafeMutableBytes { try key.id(into: $0) }
    let envelope = try keyID.withUnsafeBytes { id in
        try Array("bench-image".utf8).withUnsafeBytes { a in
            try Envelope(parameters: parameters, contentType: .rgba8888, width: 0, height: 0,
                         plaintextLength: UInt64(plaintext.count), keyID: id, assetID: a)
        }
    }
    let staging = UnsafeMutableRawBufferPointer.allocate(byteCount: parameters.plaintextSegmentSize, alignment: 16)
    let segment = UnsafeMutableRawBufferPointer.allocate(byteCount: parameters.segmentSize, alignment: 16)
    defer { staging.deallocate(); segment.deallocate() }
    var sealer = try ImageSealer(parameters: parameters, staging: staging)
    var out: [UInt8] = []
    out.reserveCapacity(Int(envelope.size) + Int(parameters.ciphertextLength(plaintextLength: UInt64(plaintext.count))))
    let n = try sealer.start(envelope: envelope, key: key, random: rng, into: segment)
    out += UnsafeRawBufferPointer(rebasing: segment[0..<n])
    var rest = plaintext
    repeat {
        let (consumed, produced) = try sealer.seal(rest, into: segment)
        out += UnsafeRawBufferPointer(rebasing: segment[0..<produced])
        rest = UnsafeRawBufferPointer(rebasing: rest[consumed...])
    } while !sealer.isComplete
    return out
}

func contentKey(_ bytes: [UInt8]) throws -> ContentKey {
    try ContentKey(count: bytes.count) { (b) throws(SealError) in for i in bytes.indices { b[i] = bytes[i] } }
}

func median(_ xs: [Double]) -> Double { let s = xs.sorted(); return s[s.count / 2] }

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func throughput(mib: Int) throws {
    let length = mib << 20
    let plain = UnsafeMutableRawBufferPointer.allocate(byteCount: length, alignment: 16)
    defer { plain.deallocate() }
    for i in 0..<length { plain[i] = UInt8(truncatingIfNeeded: i &* 2654435761 >> 13) }
    let keyBytes = (0..<32).map { UInt8(truncatingIfNeeded: $0 &* 29 &+ 3) }
    let key = try contentKey(keyBytes)
    let cores = ProcessInfo.processInfo.activeProcessorCount
    let runs = 5
    print("decrypting \(mib) MiB, AES-256 + HMAC-SHA256; median of \(runs) runs; \(cores) cores")
    print("segment    swift-1-core   swift-\(cores)-cores   c-loop-1-core   swift/c   \(cores)-cores/1")
    var machine: [String] = []
    for segmentSize in [4096, 65536, 1 << 20] {
        let p = try StreamParameters(keySize: 32, kdfHash: .sha256, macHash: .sha256, tagSize: 32, segmentSize: segmentSize)
        let image = try sealImage(UnsafeRawBufferPointer(plain), key: key, keyBytes: keyBytes, parameters: p)
        let staging = UnsafeMutableRawBufferPointer.allocate(byteCount: segmentSize, alignment: 16)
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: segmentSize, alignment: 16)
        let whole = UnsafeMutableRawBufferPointer.allocate(byteCount: length, alignment: 16)
        defer { staging.deallocate(); output.deallocate(); whole.deallocate() }
        var decryptor = try ImageDecryptor(parameters: p, staging: staging)
        let parallel = try ParallelImageDecryptor(workers: cores, parameters: p)
        var single: [Double] = [], multi: [Double] = [], c: [Double] = []
        try image.withUnsafeBytes { img in
            let envSize = try Envelope.declaredSize(prefix: img)
            let env = UnsafeRawBufferPointer(rebasing: img[0..<envSize])
            let envelope = try Envelope.parse(env)
            let body = UnsafeRawBufferPointer(rebasing: img[envSize...])
            for _ in 0..<runs {
                single.append(try seconds {
                    try decryptor.start(envelope: envelope, envelopeBytes: env, key: key,
                                        streamHeader: UnsafeRawBufferPointer(rebasing: body[0..<p.headerSize]))
                    var rest = UnsafeRawBufferPointer(rebasing: body[p.headerSize...])
                    while !rest.isEmpty {
                        let (consumed, _) = try decryptor.decrypt(rest, into: output)
                        rest = UnsafeRawBufferPointer(rebasing: rest[consumed...])
                    }
                    _ = try decryptor.finish(into: output)
                })
                multi.append(try seconds { _ = try parallel.open(img, key: key, into: whole) })
                c.append(try seconds {
                    let rc = keyBytes.withUnsafeBytes { k in
                        sf_bench_c_loop(k.baseAddress!.assumingMemoryBound(to: UInt8.self), 32,
                                        env.baseAddress!.assumingMemoryBound(to: UInt8.self), env.count,
                                        body.baseAddress!.assumingMemoryBound(to: UInt8.self), body.count,
                                        32, segmentSize, 32, UInt64(length),
                                        output.baseAddress!.assumingMemoryBound(to: UInt8.self))
                    }
                    precondition(rc == 0, "the C loop refused the image")
                })
            }
        }
        precondition(whole.elementsEqual(plain), "parallel output differs from the plaintext")
        let mbs = { (t: [Double]) in Double(length) / median(t) / 1e6 }
        let (s, m, cl) = (mbs(single), mbs(multi), mbs(c))
        let label = segmentSize >= 1 << 20 ? "\(segmentSize >> 20) MiB" : "\(segmentSize >> 10) KiB"
        print(label.padding(toLength: 11, withPad: " ", startingAt: 0)
              + String(format: "%8.1f MB/s   %8.1f MB/s   %8.1f MB/s    %6.3f   %6.2f", s, m, cl, s / cl, m / s))
        let tag = segmentSize >= 1 << 20 ? "1m" : "\(segmentSize >> 10)k"
        machine += [String(format: "single_vs_c_loop_%@=%.3f", tag, s / cl),
                    String(format: "all_cores_vs_single_%@=%.2f", tag, m / s),
                    String(format: "single_mbps_%@=%.1f", tag, s)]
    }
    for line in machine { print(line) }
}

/// Opens one sealed image `count` times through one decryptor; run under valgrind to count
/// heap allocations (the count must not grow with `count`).
func allocs(count: Int) throws {
    let parameters = StreamParameters.sealframeDefault
    let plain = [UInt8](repeating: 0x5A, count: 300_000)
    let keyBytes = [UInt8](repeating: 7, count: 32)
    let key = try contentKey(keyBytes)
    let image = try plain.withUnsafeBytes { try sealImage($0, key: key, keyBytes: keyBytes, parameters: parameters) }
    let staging = UnsafeMutableRawBufferPointer.allocate(byteCount: parameters.segmentSize, alignment: 16)
    let output = UnsafeMutableRawBufferPointer.allocate(byteCount: parameters.segmentSize, alignment: 16)
    let read = UnsafeMutableRawBufferPointer.allocate(byteCount: 16384, alignment: 16)
    var decryptor = try ImageDecryptor(parameters: parameters, staging: staging)
    var total: UInt64 = 0
    try image.withUnsafeBytes { img in
        for _ in 0..<count {
            var source = MemorySource(img, chunkSize: 16384)
            _ = try decryptor.openImage(from: &source, key: key, readBuffer: read, output: output) { (p) throws(SealError) in
                total += UInt64(p.count)
            }
        }
    }
    precondition(total == UInt64(count * plain.count))
    print("opened the image the requested number of times")
}

func client(dir: String, device: String, port: String) throws -> KeyClient {
    let (c, t, k) = (strdup("\(dir)/pki/ca.pem")!, strdup("\(dir)/pki/\(device).pem")!, strdup("\(dir)/pki/\(device).key")!)
    defer { free(c); free(t); free(k) }
    return try KeyClient(caFile: c, certificateFile: t, keyFile: k, host: CName("127.0.0.1"), port: CName(copying: port),
                         serverName: CName("localhost"))
}

/// One device, `count` cycles of: full handshake, open session, one grant, end. Median ms.
func cycleCost(dir: String, port: String, count: Int) throws {
    let c = try client(dir: dir, device: "bench-0", port: port)
    let asset = rawName("asset-0")
    var times: [Double] = []
    for _ in 0..<count {
        times.append(try seconds {
            try c.withDisplayCycle { (cycle) throws(KeyClientError) in
                try cycle.withGrant(asset: asset) { (_, _) throws(KeyClientError) in }
            }
        })
    }
    print(String(format: "display cycle on loopback (handshake + session + grant + end): median %.2f ms over %d cycles", median(times) * 1000, count))
    print(String(format: "cycle_ms=%.2f", median(times) * 1000))
}

/// `devices` concurrent devices, each running cycles that fetch every asset, for `duration` s.
func grantRate(dir: String, port: String, devices: Int, assets: Int, duration: Double) throws {
    let clients = try (0..<devices).map { try ClientBox(client(dir: dir, device: "bench-\($0)", port: port)) }
    nonisolated(unsafe) let names = (0..<assets).map { rawName("asset-\($0)") }
    let lock = NSLock()
    nonisolated(unsafe) var grants = 0, failures = 0
    let start = DispatchTime.now().uptimeNanoseconds
    let end = start + UInt64(duration * 1e9)
    DispatchQueue.concurrentPerform(iterations: devices) { d in
        var mine = 0, failed = 0
        while DispatchTime.now().uptimeNanoseconds < end {
            do {
                try clients[d].value.withDisplayCycle { (cycle) throws(KeyClientError) in
                    for name in names {
                        try cycle.withGrant(asset: name) { (_, _) throws(KeyClientError) in }
                        mine += 1
                    }
                }
            } catch { failed += 1 }
        }
        lock.lock(); grants += mine; failures += failed; lock.unlock()
    }
    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    print(String(format: "%d concurrent devices, %d grants per cycle: %.0f grants/s sustained over %.1f s (%d failed cycles)",
                 devices, assets, Double(grants) / elapsed, elapsed, failures))
    print(String(format: "grants_per_second_32_devices=%.0f", Double(grants) / elapsed))
}

/// An asset id in raw bytes that live for the whole run.
func rawName(_ s: String) -> UnsafeRawBufferPointer {
    let b = UnsafeMutableRawBufferPointer.allocate(byteCount: s.utf8.count, alignment: 1)
    b.copyBytes(from: Array(s.utf8))
    return UnsafeRawBufferPointer(b)
}

final class ClientBox: @unchecked Sendable {
    let value: KeyClient
    init(_ value: consuming KeyClient) { self.value = value }
}

let args = CommandLine.arguments
switch args.count > 1 ? args[1] : "" {
case "throughput": try throughput(mib: args.count > 2 ? Int(args[2])! : 64)
case "allocs": try allocs(count: args.count > 2 ? Int(args[2])! : 1)
case "cycle": try cycleCost(dir: args[2], port: args[3], count: Int(args[4])!)
case "grants": try grantRate(dir: args[2], port: args[3], devices: Int(args[4])!, assets: Int(args[5])!, duration: Double(args[6])!)
default:
    FileHandle.standardError.write(Data("usage: sealframe-bench throughput [MiB] | allocs N | cycle DIR PORT N | grants DIR PORT DEVICES ASSETS SECONDS\n".utf8))
    exit(2)
}
