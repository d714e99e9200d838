import Dispatch
import SealCore

/// Decrypts a whole Sealframe image held in memory (a mapped file, say) on several cores.
/// Segments are independent, so each worker owns one SegmentCipher (set up once, reused for
/// every image) and opens its share of the segments straight into the caller's output buffer.
/// Host and Linux boards with Dispatch; the embedded core keeps the streaming ImageDecryptor.
public final class ParallelImageDecryptor {
    private var ciphers: [SegmentCipherBox]
    public var workerCount: Int { ciphers.count }

    public init(workers: Int, parameters: StreamParameters = .sealframeDefault) throws(SealError) {
        var boxes: [SegmentCipherBox] = []
        for _ in 0..<max(1, workers) { boxes.append(SegmentCipherBox(try SegmentCipher(parameters: parameters))) }
        ciphers = boxes
    }

    /// Opens `image` (envelope ‖ body, complete) into `output`, which must hold the whole
    /// plaintext. Returns the envelope. On any failure `output` is wiped before the error is
    /// thrown, so no part of a refused image survives, verified or not.
    public func open(_ image: UnsafeRawBufferPointer, key: borrowing ContentKey,
                     into output: UnsafeMutableRawBufferPointer) throws(SealError) -> Envelope {
        let size = try Envelope.declaredSize(prefix: image)
        guard image.count >= size else { throw SealError.truncated }
        let envelopeBytes = UnsafeRawBufferPointer(rebasing: image[0..<size])
        let envelope = try Envelope.parse(envelopeBytes)
        let p = envelope.parameters
        let layout = envelope.layout
        guard UInt64(output.count) >= layout.plaintextLength else {
            throw SealError.bufferTooSmall(needed: Int(layout.plaintextLength))
        }
        let bodyStart = size + p.headerSize
        guard image.count >= bodyStart else { throw SealError.truncated }
        let bodyLength = UInt64(image.count - bodyStart)
        let expected = layout.ciphertextRange(of: layout.segmentCount - 1).upperBound
        guard bodyLength <= expected else { throw SealError.trailingData }
        guard bodyLength == expected else { throw SealError.truncated }

        let header = UnsafeRawBufferPointer(rebasing: image[size..<bodyStart])
        var keyID = (UInt64(0), UInt64(0))
        try withUnsafeMutableBytes(of: &keyID) { (id) throws(SealError) in
            try key.id(into: id)
            for i in 0..<ContentKey.idLength where id[i] != envelope.keyID[i] { throw SealError.wrongKey }
        }
        for box in ciphers {
            try box.cipher.use(p)
            try box.cipher.start(key: key, header: header, associatedData: envelopeBytes)
        }
        // Workers write disjoint ranges of `output` and only read `body`.
        nonisolated(unsafe) let body = UnsafeRawBufferPointer(rebasing: image[bodyStart...])
        nonisolated(unsafe) let output = output
        let ciphers = self.ciphers
        let failure = FirstFailure()
        let count = Int(layout.segmentCount)
        let workers = min(ciphers.count, count)
        // Contiguous runs of segments per worker keep each core's reads sequential.
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let cipher = ciphers[w]
            for i in (count * w / workers)..<(count * (w + 1) / workers) {
                if failure.hasFailed { return }
                let c = layout.ciphertextRange(of: UInt64(i)), pt = layout.plaintextRange(of: UInt64(i))
                do throws(SealError) {
                    _ = try cipher.cipher.open(index: UInt32(i), isLast: i == count - 1,
                                               segment: UnsafeRawBufferPointer(rebasing: body[Int(c.lowerBound)..<Int(c.upperBound)]),
                                               into: UnsafeMutableRawBufferPointer(rebasing: output[Int(pt.lowerBound)..<Int(pt.upperBound)]))
                } catch {
                    failure.record(error, segment: i)
                    return
                }
            }
        }
        if let error = failure.error {
            wipe(output)
            throw error
        }
        return envelope
    }
}

/// A reference holder so the workers can share ciphers created once.
final class SegmentCipherBox: @unchecked Sendable {
    var cipher: SegmentCipher
    init(_ cipher: consuming SegmentCipher) { self.cipher = cipher }
}

/// The lowest-indexed failure among the workers (the one a streaming reader would report).
final class FirstFailure: @unchecked Sendable {
    private let lock = DispatchSemaphore(value: 1)
    private var first: (segment: Int, error: SealError)?
    private var failed = false

    var hasFailed: Bool { lock.wait(); defer { lock.signal() }; return failed }
    var error: SealError? { lock.wait(); defer { lock.signal() }; return first?.error }

    func record(_ error: SealError, segment: Int) {
        lock.wait(); defer { lock.signal() }
        failed = true
        if first == nil || segment < first!.segment { first = (segment, error) }
    }
}
