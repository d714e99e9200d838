/// Decrypts one segmented stream at a time through caller-provided buffers, releasing a
/// segment's plaintext only after its tag verified.
///
/// Life cycle: `init` once (sets up mbedTLS, the only allocations), then per image
/// `start` → `decrypt`… → `finish`. Any failure is sticky until the next `start`.
/// With a known plaintext length (a Sealframe envelope) the last segment is known by count;
/// without it (a raw Tink stream) the last segment is the one that reaches `finish`.
public struct ImageDecryptor: ~Copyable {
    private enum Phase { case idle, segments, finished, failed(SealError) }

    private var cipher: SegmentCipher
    private let staging: UnsafeMutableRawBufferPointer
    private var staged = 0
    private var phase = Phase.idle
    private var index: UInt64 = 0
    private var layout: SegmentLayout?

    /// Bytes of staging memory a decryptor for `parameters` needs: one ciphertext segment.
    public static func stagingSize(for parameters: StreamParameters) -> Int { parameters.segmentSize }

    /// `staging` is borrowed for the decryptor's whole life and must hold `stagingSize(for:)`
    /// bytes for every parameter set used; it only ever holds ciphertext.
    public init(parameters: StreamParameters, staging: UnsafeMutableRawBufferPointer) throws(SealError) {
        guard staging.count >= parameters.segmentSize else {
            throw SealError.bufferTooSmall(needed: parameters.segmentSize)
        }
        cipher = try SegmentCipher(parameters: parameters)
        self.staging = staging
    }

    public var parameters: StreamParameters { cipher.parameters }

    /// Starts a Sealframe image: checks the key id, then derives the stream keys with the
    /// envelope bytes as associated data. `streamHeader` is the `headerSize` bytes after the envelope.
    public mutating func start(envelope: Envelope, envelopeBytes: UnsafeRawBufferPointer,
                               key: borrowing ContentKey, streamHeader: UnsafeRawBufferPointer) throws(SealError) {
        var id = (UInt64(0), UInt64(0))
        try withUnsafeMutableBytes(of: &id) { (b: UnsafeMutableRawBufferPointer) throws(SealError) in
            try key.id(into: b)
            for i in 0..<ContentKey.idLength where b[i] != envelope.keyID[i] { throw SealError.wrongKey }
        }
        try begin(parameters: envelope.parameters, layout: envelope.layout, key: key,
                  streamHeader: streamHeader, associatedData: envelopeBytes)
    }

    /// Starts a raw stream (Tink's format) whose end is found by `finish`.
    public mutating func start(parameters: StreamParameters, key: borrowing ContentKey,
                               streamHeader: UnsafeRawBufferPointer,
                               associatedData: UnsafeRawBufferPointer) throws(SealError) {
        try begin(parameters: parameters, layout: nil, key: key,
                  streamHeader: streamHeader, associatedData: associatedData)
    }

    private mutating func begin(parameters: StreamParameters, layout: SegmentLayout?, key: borrowing ContentKey,
                                streamHeader: UnsafeRawBufferPointer,
                                associatedData: UnsafeRawBufferPointer) throws(SealError) {
        phase = .idle
        staged = 0
        index = 0
        guard staging.count >= parameters.segmentSize else {
            throw SealError.bufferTooSmall(needed: parameters.segmentSize)
        }
        if key.count != parameters.keySize && layout != nil { throw SealError.wrongKey }
        try cipher.use(parameters)
        try cipher.start(key: key, header: streamHeader, associatedData: associatedData)
        self.layout = layout
        phase = .segments
    }

    /// Consumes ciphertext from `input` and releases at most one verified segment into
    /// `output`, which must hold `plaintextSegmentSize` bytes. Call until all input is consumed.
    public mutating func decrypt(_ input: UnsafeRawBufferPointer,
                                 into output: UnsafeMutableRawBufferPointer) throws(SealError) -> (consumed: Int, produced: Int) {
        let need = cipher.parameters.plaintextSegmentSize
        guard output.count >= need else { throw SealError.bufferTooSmall(needed: need) }
        switch phase {
        case .segments: break
        case .failed(let error): throw error
        case .finished:
            if input.isEmpty { return (0, 0) }
            phase = .failed(.trailingData)
            throw SealError.trailingData
        case .idle: throw SealError.misuse
        }
        do throws(SealError) {
            return try step(input, into: output)
        } catch {
            phase = .failed(error)
            throw error
        }
    }

    /// Ends the stream: proves the final segment was seen (raw streams: opens it). Returns the
    /// plaintext bytes released by this call.
    public mutating func finish(into output: UnsafeMutableRawBufferPointer) throws(SealError) -> Int {
        switch phase {
        case .segments: break
        case .finished: return 0
        case .failed(let error): throw error
        case .idle: throw SealError.misuse
        }
        do throws(SealError) {
            if layout != nil { throw SealError.truncated }  // .finished is reached by count
            guard staged >= cipher.parameters.tagSize else { throw SealError.truncated }
            let n = try openStaged(isLast: true, into: output)
            phase = .finished
            return n
        } catch {
            phase = .failed(error)
            throw error
        }
    }

    private mutating func step(_ input: UnsafeRawBufferPointer,
                               into output: UnsafeMutableRawBufferPointer) throws(SealError) -> (consumed: Int, produced: Int) {
        let p = cipher.parameters
        let expected: Int
        let isLast: Bool
        if let layout {
            let range = layout.ciphertextRange(of: index)
            expected = Int(range.upperBound - range.lowerBound)
            isLast = index == layout.segmentCount - 1
        } else {
            expected = index == 0 ? p.segmentSize - p.headerSize : p.segmentSize
            isLast = false  // decided by finish()
        }
        // A raw stream's segment is known not to be the last once a byte beyond it exists.
        let lookahead = layout == nil ? 1 : 0

        // Fast path: a whole segment in the caller's input, nothing staged.
        if staged == 0 && input.count >= expected + lookahead {
            let n = try open(UnsafeRawBufferPointer(rebasing: input[0..<expected]), isLast: isLast, into: output)
            return (expected, n)
        }
        let take = min(expected - staged, input.count)
        if take > 0 {
            UnsafeMutableRawBufferPointer(rebasing: staging[staged..<staged + take])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: input[0..<take]))
            staged += take
        }
        guard staged == expected, input.count - take >= lookahead else { return (take, 0) }
        return (take, try openStaged(isLast: isLast, into: output))
    }

    private mutating func openStaged(isLast: Bool, into output: UnsafeMutableRawBufferPointer) throws(SealError) -> Int {
        let n = try open(UnsafeRawBufferPointer(rebasing: staging[0..<staged]), isLast: isLast, into: output)
        staged = 0
        return n
    }

    private mutating func open(_ segment: UnsafeRawBufferPointer, isLast: Bool,
                               into output: UnsafeMutableRawBufferPointer) throws(SealError) -> Int {
        guard index <= UInt64(UInt32.max) else { throw SealError.unsupportedParameters }
        let n = try cipher.open(index: UInt32(index), isLast: isLast, segment: segment, into: output)
        index += 1
        if isLast { phase = .finished }
        return n
    }
}
