/// Where each segment lies when the plaintext length is known in advance (it is, in a
/// Sealframe envelope): offsets are relative to the first byte after the stream header.
public struct SegmentLayout: Equatable, Sendable {
    public let parameters: StreamParameters
    public let plaintextLength: UInt64
    public let segmentCount: UInt64

    public init(parameters: StreamParameters, plaintextLength: UInt64) throws(SealError) {
        let count = parameters.segmentCount(plaintextLength: plaintextLength)
        guard count <= UInt64(UInt32.max) + 1 else { throw SealError.unsupportedParameters }
        self.parameters = parameters
        self.plaintextLength = plaintextLength
        self.segmentCount = count
    }

    /// Plaintext bytes carried by segment `index`.
    public func plaintextRange(of index: UInt64) -> Range<UInt64> {
        let first = UInt64(parameters.firstPlaintextSegmentSize)
        let full = UInt64(parameters.plaintextSegmentSize)
        let start = index == 0 ? 0 : first + (index - 1) * full
        let end = min(plaintextLength, index == 0 ? first : start + full)
        return start..<end
    }

    /// Ciphertext bytes (ciphertext ‖ tag) of segment `index`, after the stream header.
    public func ciphertextRange(of index: UInt64) -> Range<UInt64> {
        let p = plaintextRange(of: index)
        let start = p.lowerBound + index * UInt64(parameters.tagSize)
        return start..<(p.upperBound + (index + 1) * UInt64(parameters.tagSize))
    }
}
