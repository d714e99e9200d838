/// The fixed order of opening a stored image: envelope → key check → stream header → segments
/// → final segment. Nothing reaches `release` before its segment authenticated.
extension ImageDecryptor {
    /// Smallest read buffer these functions accept: a whole envelope plus a stream header.
    public static let minimumReadBufferSize = Envelope.maxSize + 1 + 32 + StreamParameters.noncePrefixSize

    /// Reads a Sealframe image from `source` and hands each verified segment's plaintext to
    /// `release` (a view into `output`, valid during the call). Returns the image's envelope.
    public mutating func openImage<Source: ByteSource & ~Copyable>(
        from source: inout Source, key: borrowing ContentKey,
        readBuffer: UnsafeMutableRawBufferPointer, output: UnsafeMutableRawBufferPointer,
        release: (UnsafeRawBufferPointer) throws(SealError) -> Void
    ) throws(SealError) -> Envelope {
        guard readBuffer.count >= ImageDecryptor.minimumReadBufferSize else {
            throw SealError.bufferTooSmall(needed: ImageDecryptor.minimumReadBufferSize)
        }
        let envelope = try Envelope.read(from: &source, into: readBuffer)
        let size = envelope.size
        let envelopeBytes = UnsafeRawBufferPointer(rebasing: readBuffer[0..<size])
        let headerEnd = size + envelope.parameters.headerSize
        let header = UnsafeMutableRawBufferPointer(rebasing: readBuffer[size..<headerEnd])
        try source.readExactly(into: header)
        try start(envelope: envelope, envelopeBytes: envelopeBytes, key: key,
                  streamHeader: UnsafeRawBufferPointer(header))
        try pump(from: &source, readBuffer: readBuffer, output: output, release: release)
        return envelope
    }

    /// Reads a raw Tink AES-CTR-HMAC stream (no envelope) whose end is the end of `source`.
    public mutating func openRawStream<Source: ByteSource & ~Copyable>(
        from source: inout Source, parameters: StreamParameters, key: borrowing ContentKey,
        associatedData: UnsafeRawBufferPointer,
        readBuffer: UnsafeMutableRawBufferPointer, output: UnsafeMutableRawBufferPointer,
        release: (UnsafeRawBufferPointer) throws(SealError) -> Void
    ) throws(SealError) {
        guard readBuffer.count >= parameters.headerSize else {
            throw SealError.bufferTooSmall(needed: parameters.headerSize)
        }
        let header = UnsafeMutableRawBufferPointer(rebasing: readBuffer[0..<parameters.headerSize])
        try source.readExactly(into: header)
        try start(parameters: parameters, key: key, streamHeader: UnsafeRawBufferPointer(header),
                  associatedData: associatedData)
        try pump(from: &source, readBuffer: readBuffer, output: output, release: release)
    }

    private mutating func pump<Source: ByteSource & ~Copyable>(
        from source: inout Source, readBuffer: UnsafeMutableRawBufferPointer,
        output: UnsafeMutableRawBufferPointer,
        release: (UnsafeRawBufferPointer) throws(SealError) -> Void
    ) throws(SealError) {
        while true {
            let n = try source.read(into: readBuffer)
            if n == 0 { break }
            var chunk = UnsafeRawBufferPointer(rebasing: readBuffer[0..<n])
            while !chunk.isEmpty {
                let (consumed, produced) = try decrypt(chunk, into: output)
                if produced > 0 { try release(UnsafeRawBufferPointer(rebasing: output[0..<produced])) }
                chunk = UnsafeRawBufferPointer(rebasing: chunk[consumed...])
            }
        }
        let produced = try finish(into: output)
        if produced > 0 { try release(UnsafeRawBufferPointer(rebasing: output[0..<produced])) }
    }
}

extension Envelope {
    /// Reads and parses the envelope at the start of `source`; its bytes stay in `buffer`
    /// (which must hold `Envelope.maxSize` bytes) for use as associated data.
    public static func read<Source: ByteSource & ~Copyable>(
        from source: inout Source, into buffer: UnsafeMutableRawBufferPointer
    ) throws(SealError) -> Envelope {
        guard buffer.count >= Envelope.maxSize else { throw SealError.bufferTooSmall(needed: Envelope.maxSize) }
        try source.readExactly(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<7]))
        let size = try Envelope.declaredSize(prefix: UnsafeRawBufferPointer(buffer))
        try source.readExactly(into: UnsafeMutableRawBufferPointer(rebasing: buffer[7..<size]))
        return try Envelope.parse(UnsafeRawBufferPointer(rebasing: buffer[0..<size]))
    }
}
