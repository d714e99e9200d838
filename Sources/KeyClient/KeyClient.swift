import SealCore
import SealTLS
import SealWire

/// A NUL-terminated copy of a short string (host name, port, path) in fixed storage.
public struct CName {
    var bytes: InlineArray<256, CChar>
    public init(_ text: UnsafeRawBufferPointer) {
        bytes = InlineArray(repeating: 0)
        for i in 0..<min(text.count, 255) { bytes[i] = CChar(bitPattern: text[i]) }
    }
    public init(_ text: StaticString) { self.init(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)) }
    public init(copying text: String) {
        var t = text
        self = t.withUTF8 { CName(UnsafeRawBufferPointer($0)) }
    }
    func withPointer<R: ~Copyable, E: Error>(_ body: (UnsafePointer<CChar>) throws(E) -> R) throws(E) -> R {
        var copy = bytes
        return try withUnsafePointer(to: &copy) { (p) throws(E) -> R in
            try body(UnsafeRawPointer(p).assumingMemoryBound(to: CChar.self))
        }
    }
    var length: Int { var n = 0; while n < 256 && bytes[n] != 0 { n += 1 }; return n }
}

/// The device's side of the key protocol: its TLS identity (device certificate and key, the
/// pinned fleet CA) and where the key server is. Opens DisplayCycles.
public struct KeyClient: ~Copyable {
    let endpoint: TLSEndpoint
    let host: CName, port: CName, serverName: CName
    /// Attempts to open a session before giving up; waits double from `firstBackoff` with jitter.
    public var attempts = 4
    public var firstBackoffNanoseconds: UInt64 = 250_000_000
    /// How long one TCP connect may take before it counts as a failed attempt.
    public var connectTimeoutMilliseconds: Int32 = 3000
    let random: RandomGenerator

    public init(caFile: UnsafePointer<CChar>, certificateFile: UnsafePointer<CChar>, keyFile: UnsafePointer<CChar>,
                host: CName, port: CName, serverName: CName, readTimeoutMilliseconds: UInt32 = 5000) throws(KeyClientError) {
        let random: RandomGenerator
        do { random = try RandomGenerator(personalization: "sealframe backoff") } catch { throw KeyClientError.transport(.setup(code: -1)) }
        let endpoint: TLSEndpoint
        do throws(TLSError) {
            endpoint = try TLSEndpoint(role: .client, caFile: caFile, certificateFile: certificateFile, keyFile: keyFile,
                                       readTimeoutMilliseconds: readTimeoutMilliseconds)
        } catch { throw KeyClientError.transport(error) }
        self.endpoint = endpoint
        self.random = random
        self.host = host
        self.port = port
        self.serverName = serverName
    }

    /// A new TLS connection to the key server (one attempt).
    func connect() throws(TLSError) -> TLSConnection {
        try host.withPointer { (h) throws(TLSError) in
            try port.withPointer { (p) throws(TLSError) in
                try serverName.withPointer { (n) throws(TLSError) in
                    try TLSConnection.connect(endpoint: endpoint, host: h, port: p, serverName: n,
                                              connectTimeoutMilliseconds: connectTimeoutMilliseconds)
                }
            }
        }
    }

    func connectOrFail() throws(KeyClientError) -> TLSConnection {
        do throws(TLSError) { return try connect() } catch { throw KeyClientError.transport(error) }
    }

    /// Bounded exponential backoff with jitter: attempt k waits firstBackoff·2^k·(0.5…1.5).
    func backoff(attempt: Int) {
        var r: UInt32 = 0
        withUnsafeMutableBytes(of: &r) { try? random.fill($0) }
        let base = firstBackoffNanoseconds << UInt64(min(attempt, 10))
        MonotonicClock.sleep(nanoseconds: base / 2 + UInt64(r) % max(base, 1))
    }
}

extension KeyClient {
    /// Runs one display cycle: opens the session, lets `body` fetch keys and show images, then
    /// ends the session. On any error the cycle still wipes what it holds and tries to end the
    /// session. The cycle cannot outlive this client, whose TLS configuration its connection uses.
    public func withDisplayCycle<R>(_ body: (inout DisplayCycle) throws(KeyClientError) -> R) throws(KeyClientError) -> R {
        var cycle = try DisplayCycle.open(with: self)
        let result = try body(&cycle)
        try cycle.end()
        return result
    }
}
