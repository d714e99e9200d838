/// Everything the core can refuse. Each case names what was wrong so a caller can act:
/// fetch a fresh copy, ask for another key, grow a buffer, or report a bug.
public enum SealError: Error, Equatable {
    /// The envelope or stream header could not be read: not a Sealframe image, or damaged.
    case malformedHeader
    /// The envelope's version is one this build does not know; update the player.
    case unsupportedVersion(UInt8)
    /// A parameter (key size, hash, tag size, segment size, length) is outside the format's limits.
    case unsupportedParameters
    /// The key has the wrong length for this image, or its id does not match the envelope.
    case wrongKey
    /// Segment `index` failed authentication: tampered, reordered, duplicated, or the wrong key.
    case authenticationFailed(segment: UInt32)
    /// The stream ended before its final segment: the file is truncated; fetch it again.
    case truncated
    /// Bytes follow the final segment: the file was appended to or two files were joined.
    case trailingData
    /// A caller-provided buffer is smaller than `needed` bytes.
    case bufferTooSmall(needed: Int)
    /// A call came in the wrong order (for example `decrypt` after `finish`).
    case misuse
    /// mbedTLS returned the negative error code `code`.
    case crypto(code: Int32)
    /// Reading or writing the image's bytes failed (errno).
    case io(errno: Int32)
}

extension SealError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .malformedHeader: return "not a Sealframe image, or its header is damaged"
        case .unsupportedVersion(let v): return "image format version \(v) is not supported by this build; update the player"
        case .unsupportedParameters: return "image parameters are outside the format's limits"
        case .wrongKey: return "the key does not belong to this image"
        case .authenticationFailed(let i): return "segment \(i) failed authentication: the image was tampered with, reordered, or the key is wrong"
        case .truncated: return "the image ends before its final segment: it is truncated; fetch it again"
        case .trailingData: return "unexpected bytes after the final segment"
        case .bufferTooSmall(let n): return "a buffer is too small: \(n) bytes are needed"
        case .misuse: return "call out of order (the decryptor already finished or failed)"
        case .crypto(let c): return "mbedTLS error -0x\(String(UInt32(bitPattern: -c), radix: 16))"
        case .io(let e): return "read or write failed (errno \(e))"
        }
    }
}

/// One place that turns an mbedTLS return code into a thrown error.
@inline(__always)
func check(_ code: Int32) throws(SealError) {
    if code != 0 { throw SealError.crypto(code: code) }
}
