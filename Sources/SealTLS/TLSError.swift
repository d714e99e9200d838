/// What can go wrong on a TLS connection, in terms a caller can act on.
public enum TLSError: Error, Equatable {
    /// A certificate, key or CA file could not be loaded (mbedTLS code).
    case credentials(code: Int32)
    /// No TCP connection: the server is down, or the address is wrong.
    case connectFailed(code: Int32)
    /// The peer did not answer within the read timeout.
    case timedOut
    /// The handshake failed: wrong CA, expired or unknown certificate, no common cipher suite.
    /// `verifyFlags` are mbedTLS's X.509 verification flags (0 if verification was not the cause).
    case handshakeFailed(code: Int32, verifyFlags: UInt32)
    /// The peer closed the connection.
    case closed
    /// Reading or writing failed after the handshake (mbedTLS code).
    case io(code: Int32)
    /// Setting up mbedTLS failed (mbedTLS code).
    case setup(code: Int32)
}

extension TLSError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .credentials(let c): return "cannot load a certificate or key (mbedTLS -0x\(hex(c)))"
        case .connectFailed(let c): return "cannot connect to the key server (mbedTLS -0x\(hex(c))); is it running and reachable?"
        case .timedOut: return "the key server did not answer in time"
        case .handshakeFailed(let c, let f):
            return f != 0 ? "the peer's certificate was refused (verify flags 0x\(String(f, radix: 16)))"
                          : "the TLS handshake failed (mbedTLS -0x\(hex(c)))"
        case .closed: return "the connection was closed"
        case .io(let c): return "TLS read or write failed (mbedTLS -0x\(hex(c)))"
        case .setup(let c): return "TLS setup failed (mbedTLS -0x\(hex(c)))"
        }
    }
}

func hex(_ code: Int32) -> String { String(UInt32(bitPattern: code < 0 ? -code : code), radix: 16) }
