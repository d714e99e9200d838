/// Where ciphertext comes from: a file, a socket, memory. Generic, not an existential, so
/// Embedded builds specialise it away.
public protocol ByteSource: ~Copyable {
    /// Reads up to `buffer.count` bytes; returns 0 only at the end of the stream.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(SealError) -> Int
}

/// Bytes already in memory, handed out at most `chunkSize` at a time.
public struct MemorySource: ByteSource {
    public let bytes: UnsafeRawBufferPointer
    public let chunkSize: Int
    public private(set) var offset = 0

    public init(_ bytes: UnsafeRawBufferPointer, chunkSize: Int = Int.max) {
        self.bytes = bytes
        self.chunkSize = max(1, chunkSize)
    }

    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(SealError) -> Int {
        let n = min(buffer.count, chunkSize, bytes.count - offset)
        if n == 0 { return 0 }
        buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + n]))
        offset += n
        return n
    }
}

extension ByteSource where Self: ~Copyable {
    /// Fills `buffer` completely, or throws `truncated` if the stream ends first.
    public mutating func readExactly(into buffer: UnsafeMutableRawBufferPointer) throws(SealError) {
        var filled = 0
        while filled < buffer.count {
            let n = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            if n == 0 { throw SealError.truncated }
            filled += n
        }
    }
}
