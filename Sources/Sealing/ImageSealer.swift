import SealCore

/// Seals one image at a time into the Sealframe format through caller-provided buffers:
/// `start` writes envelope ‖ stream header, then `seal` turns plaintext into segments.
/// The plaintext length is fixed up front because the envelope authenticates it.
public struct ImageSealer: ~Copyable {
    private var cipher: SegmentCipher
    private let staging: UnsafeMutableRawBufferPointer  // plaintext of the segment being filled
    private var staged = 0
    private var index: UInt64 = 0
    private var layout: SegmentLayout

    /// `staging` must hold one plaintext segment (`parameters.plaintextSegmentSize`) and is wiped
    /// after each segment, since it holds plaintext.
    public init(parameters: StreamParameters, staging: UnsafeMutableRawBufferPointer) throws(SealError) {
        guard staging.count >= parameters.plaintextSegmentSize else {
            throw SealError.bufferTooSmall(needed: parameters.plaintextSegmentSize)
        }
        let layout = try SegmentLayout(parameters: parameters, plaintextLength: 0)
        cipher = try SegmentCipher(parameters: parameters)
        self.staging = staging
        self.layout = layout
    }

    /// Writes the envelope and a fresh stream header (random salt and nonce prefix) into `out`
    /// and keys the segment cipher. Returns the bytes written.
    public mutating func start(envelope: Envelope, key: borrowing ContentKey, random: borrowing RandomGenerator,
                               into out: UnsafeMutableRawBufferPointer) throws(SealError) -> Int {
        let p = envelope.parameters
        guard key.count == p.keySize else { throw SealError.wrongKey }
        let total = envelope.size + p.headerSize
        guard out.count >= total else { throw SealError.bufferTooSmall(needed: total) }
        let envelopeSize = try envelope.serialize(into: out)
        let header = UnsafeMutableRawBufferPointer(rebasing: out[envelopeSize..<total])
        header[0] = UInt8(p.headerSize)
        try random.fill(UnsafeMutableRawBufferPointer(rebasing: header[1...]))
        try cipher.use(p)
        try cipher.start(key: key, header: UnsafeRawBufferPointer(header),
                         associatedData: UnsafeRawBufferPointer(rebasing: out[0..<envelopeSize]))
        layout = envelope.layout
        staged = 0
        index = 0
        return total
    }

    /// Consumes plaintext and emits at most one sealed segment into `output`
    /// (which must hold `parameters.segmentSize` bytes). Call until all input is consumed,
    /// then once with empty input for an image whose last segment is still open.
    public mutating func seal(_ input: UnsafeRawBufferPointer,
                              into output: UnsafeMutableRawBufferPointer) throws(SealError) -> (consumed: Int, produced: Int) {
        guard index < layout.segmentCount else {
            if input.isEmpty { return (0, 0) }
            throw SealError.trailingData
        }
        let range = layout.plaintextRange(of: index)
        let expected = Int(range.upperBound - range.lowerBound)
        let take = min(expected - staged, input.count)
        UnsafeMutableRawBufferPointer(rebasing: staging[staged..<staged + take])
            .copyMemory(from: UnsafeRawBufferPointer(rebasing: input[0..<take]))
        staged += take
        guard staged == expected else { return (take, 0) }
        let isLast = index == layout.segmentCount - 1
        let n = try cipher.seal(index: UInt32(index), isLast: isLast,
                                plaintext: UnsafeRawBufferPointer(rebasing: staging[0..<staged]), into: output)
        wipe(UnsafeMutableRawBufferPointer(rebasing: staging[0..<staged]))
        staged = 0
        index += 1
        return (take, n)
    }

    /// True once every segment the envelope announced has been written.
    public var isComplete: Bool { index == layout.segmentCount }
}
