import SealCore
import SealTLS
import SealWire

/// Why a display cycle could not get or use a key.
public enum KeyClientError: Error {
    /// The key server could not be reached or the TLS session failed (after the allowed retries).
    case transport(TLSError)
    /// The server refused, with its reason.
    case refused(Refusal, status: Int)
    /// The server's answer was not the protocol (malformed HTTP or JSON, missing fields).
    case protocolViolation
    /// The grant's time box passed before the key was used.
    case grantExpired
    /// The granted key does not open the image (key id or tags).
    case image(SealError)
    /// The cycle was already ended.
    case cycleEnded
}

extension KeyClientError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .transport(let e): return e.description
        case .refused(let r, let status): return "key server refused (\(status) \(String(r.code))): \(String(r.message))"
        case .protocolViolation: return "the key server's answer does not follow the protocol"
        case .grantExpired: return "the key's time box passed; it was wiped unused"
        case .image(let e): return e.description
        case .cycleEnded: return "the display cycle already ended"
        }
    }
}

extension String {
    init(_ s: StaticString) { self = s.withUTF8Buffer { String(decoding: $0, as: UTF8.self) } }
}
