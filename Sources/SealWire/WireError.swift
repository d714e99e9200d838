/// What the wire layer refuses: bytes that are not the bounded HTTP/1.1 or JSON it speaks.
public enum WireError: Error, Equatable {
    /// Not HTTP/1.1 or not the JSON this protocol uses.
    case malformed
    /// The start line and headers exceed `HTTPLimits.maxHeadBytes`, or there are too many headers.
    case headTooLarge
    /// The body exceeds `HTTPLimits.maxBodyBytes`.
    case bodyTooLarge
    /// Chunked transfer encoding or another feature this protocol does not use.
    case unsupported
    /// A caller-provided buffer is too small.
    case bufferTooSmall
}
