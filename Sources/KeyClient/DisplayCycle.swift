import SealCore
import SealTLS
import SealWire

/// What the server granted for one asset.
public struct Grant {
    public var keyID: InlineArray<16, UInt8>
    /// Seconds the server allowed (the time box).
    public var expiresIn: Int
    /// The same deadline on the monotonic clock, fixed when the grant arrived.
    public var deadline: UInt64
    public var isExpired: Bool { MonotonicClock.now() >= deadline }
}

/// One display cycle (see `KeyClient.withDisplayCycle`): a session with the key server over one
/// mutual-TLS connection. Keys are
/// lent to the caller for the duration of `withGrant` and wiped when it returns; `end` (or the
/// end of this value, on any path) wipes the I/O buffer and the session cookie and ends the
/// session on the server.
public struct DisplayCycle: ~Copyable {
    private let connection: TLSConnection
    private let buffer: UnsafeMutableRawBufferPointer
    private var cookie: InlineArray<24, UInt8>
    private let host: CName
    private var ended = false
    /// The session's lifetime in seconds, as the server set it.
    public let lifetime: Int

    /// Opens a session, retrying unreachable or silent servers with backoff; a refusal is final.
    /// Internal: the cycle borrows the client's TLS configuration, so only
    /// `KeyClient.withDisplayCycle` (which keeps the client alive around it) may open one.
    static func open(with client: borrowing KeyClient) throws(KeyClientError) -> DisplayCycle {
        var attempt = 0
        while true {
            do throws(KeyClientError) {
                return try DisplayCycle.start(connection: try client.connectOrFail(), host: client.host)
            } catch .transport(let error) {
                attempt += 1
                if attempt >= client.attempts { throw KeyClientError.transport(error) }
                client.backoff(attempt: attempt - 1)
            } catch {
                throw error
            }
        }
    }

    private static func start(connection: consuming TLSConnection, host: CName) throws(KeyClientError) -> DisplayCycle {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 8192, alignment: 16)
        var cookie = InlineArray<24, UInt8>(repeating: 0)
        let lifetime: Int
        do throws(KeyClientError) {
            let response = try exchange(connection, buffer: buffer, method: "POST", path: KeyProtocol.sessionsPath,
                                        host: host, cookie: nil, body: nil)
            guard response.status == 201, let setCookie = response.header("set-cookie"),
                  let json = try? JSONObject(response.bodyBytes), let life = json.integer("lifetime")
            else { throw KeyClientError.protocolViolation }
            // "sf_session=<22 characters>; ..."
            let prefix = KeyProtocol.cookieName.utf8CodeUnitCount + 1
            guard setCookie.count >= prefix + KeyProtocol.sessionIDTextLength else { throw KeyClientError.protocolViolation }
            for i in 0..<KeyProtocol.sessionIDTextLength { cookie[i] = setCookie[prefix + i] }
            lifetime = life
        } catch {
            wipe(buffer); buffer.deallocate()
            throw error
        }
        wipe(buffer)
        return DisplayCycle(connection: connection, buffer: buffer, cookie: cookie, host: host, lifetime: lifetime)
    }

    private init(connection: consuming TLSConnection, buffer: UnsafeMutableRawBufferPointer,
                 cookie: InlineArray<24, UInt8>, host: CName, lifetime: Int) {
        self.connection = connection
        self.buffer = buffer
        self.cookie = cookie
        self.host = host
        self.lifetime = lifetime
    }

    /// Asks for `asset`'s key and lends it to `body` with its grant; the key is wiped when
    /// `body` returns or throws. Refuses to lend a key whose time box already passed.
    public mutating func withGrant<R>(asset: UnsafeRawBufferPointer,
                                      _ body: (borrowing ContentKey, Grant) throws(KeyClientError) -> R) throws(KeyClientError) -> R {
        guard !ended else { throw KeyClientError.cycleEnded }
        var request = InlineArray<96, UInt8>(repeating: 0)
        let requestLength: Int = withUnsafeMutableBytes(of: &request) { r in
            var w = SealWire.ByteWriter(r)
            w.append("{\"asset\":")
            w.appendJSONString(asset)
            w.append("}")
            return (try? w.finish().count) ?? -1
        }
        guard requestLength > 0 else { throw KeyClientError.protocolViolation }
        defer { wipe(buffer) }  // the response held the key in base64url
        let response = try withCookie { (c) throws(KeyClientError) -> HTTPMessage in
            try withUnsafeBytes(of: &request) { (r) throws(KeyClientError) -> HTTPMessage in
                try DisplayCycle.exchange(connection, buffer: buffer, method: "POST", path: KeyProtocol.grantsPath, host: host,
                                          cookie: c, body: UnsafeRawBufferPointer(rebasing: r[0..<requestLength]))
            }
        }
        let arrived = MonotonicClock.now()
        guard response.status == 200, let json = try? JSONObject(response.bodyBytes),
              let keyText = json.string("key"), let keyIDText = json.string("key_id"), keyIDText.count == 32,
              let expiresIn = json.integer("expires_in"), keyText.count == 22 || keyText.count == 43
        else { throw KeyClientError.protocolViolation }
        var grant = Grant(keyID: InlineArray(repeating: 0), expiresIn: expiresIn,
                          deadline: arrived + UInt64(expiresIn) * 1_000_000_000)
        for i in 0..<16 {
            guard let hi = hexValue(keyIDText[2 * i]), let lo = hexValue(keyIDText[2 * i + 1]) else { throw KeyClientError.protocolViolation }
            grant.keyID[i] = hi << 4 | lo
        }
        var scratch = InlineArray<48, UInt8>(repeating: 0)
        let key: ContentKey
        do {
            key = try ContentKey(count: keyText.count == 22 ? 16 : 32) { (out) throws(SealError) in
                try withUnsafeMutableBytes(of: &scratch) { (s) throws(SealError) in
                    do throws(WireError) { _ = try Base64URL.decode(keyText, into: out, scratch: s) } catch { throw SealError.wrongKey }
                }
            }
        } catch { throw KeyClientError.protocolViolation }
        wipe(buffer)
        if grant.isExpired { throw KeyClientError.grantExpired }
        return try body(key, grant)
    }

    /// Ends the session on the server now. Afterwards the cycle holds no secret.
    public mutating func end() throws(KeyClientError) {
        guard !ended else { return }
        ended = true
        defer { wipeCookie() }
        let response = try withCookie { (c) throws(KeyClientError) -> HTTPMessage in
            try DisplayCycle.exchange(connection, buffer: buffer, method: "DELETE", path: KeyProtocol.currentSessionPath,
                                      host: host, cookie: c, body: nil)
        }
        guard response.status == 204 else { throw KeyClientError.protocolViolation }
    }

    private mutating func wipeCookie() {
        withUnsafeMutableBytes(of: &cookie) { wipe($0) }
    }

    /// Lends a copy of the cookie, wiped afterwards.
    private func withCookie<R>(_ body: (UnsafeRawBufferPointer) throws(KeyClientError) -> R) throws(KeyClientError) -> R {
        var copy = cookie
        defer { withUnsafeMutableBytes(of: &copy) { wipe($0) } }
        return try withUnsafeBytes(of: &copy) { (c) throws(KeyClientError) -> R in
            try body(UnsafeRawBufferPointer(rebasing: c[0..<KeyProtocol.sessionIDTextLength]))
        }
    }

    deinit {
        if !ended {
            // Best effort on error paths: the server also expires the session by itself.
            _ = try? withCookie { (c) throws(KeyClientError) -> HTTPMessage in
                try DisplayCycle.exchange(connection, buffer: buffer, method: "DELETE", path: KeyProtocol.currentSessionPath,
                                          host: host, cookie: c, body: nil)
            }
        }
        wipe(buffer)
        buffer.deallocate()
    }

    /// One request, one response, on the cycle's connection. The response is parsed in
    /// `buffer` (bounded by KeyProtocol.limits); a refusal becomes `.refused`.
    static func exchange(_ connection: borrowing TLSConnection, buffer: UnsafeMutableRawBufferPointer,
                         method: StaticString, path: StaticString, host: CName,
                         cookie: UnsafeRawBufferPointer?, body: UnsafeRawBufferPointer?) throws(KeyClientError) -> HTTPMessage {
        var w = SealWire.ByteWriter(buffer)
        w.append(method); w.append(" "); w.append(path); w.append(" HTTP/1.1\r\nHost: ")
        var h = host
        withUnsafeBytes(of: &h.bytes) { w.append(UnsafeRawBufferPointer(rebasing: $0[0..<host.length])) }
        w.append("\r\n")
        if let cookie {
            w.append("Cookie: "); w.append(KeyProtocol.cookieName); w.append("="); w.append(cookie); w.append("\r\n")
        }
        if let body {
            w.append("Content-Type: application/json\r\nContent-Length: "); w.append(decimal: body.count); w.append("\r\n\r\n")
            w.append(body)
        } else {
            w.append("Content-Length: 0\r\n\r\n")
        }
        let request: UnsafeRawBufferPointer
        do throws(WireError) { request = try w.finish() } catch { throw KeyClientError.protocolViolation }
        do throws(TLSError) { try connection.write(request) } catch { throw KeyClientError.transport(error) }
        wipe(buffer)  // the request carried the cookie
        var filled = 0
        while true {
            let parsed: HTTPMessage?
            do {
                parsed = try HTTPMessage.parse(UnsafeRawBufferPointer(rebasing: buffer[0..<filled]), limits: KeyProtocol.limits)
            } catch { throw KeyClientError.protocolViolation }
            if let message = parsed {
                guard let status = message.status else { throw KeyClientError.protocolViolation }
                if status >= 400 {
                    guard let json = try? JSONObject(message.bodyBytes), let code = json.string("error"),
                          let refusal = Refusal(code: code) else { throw KeyClientError.protocolViolation }
                    throw KeyClientError.refused(refusal, status: status)
                }
                return message
            }
            guard filled < buffer.count else { throw KeyClientError.protocolViolation }
            let n: Int
            do { n = try connection.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...])) } catch {
                throw KeyClientError.transport(error)
            }
            if n == 0 { throw KeyClientError.transport(.closed) }
            filled += n
        }
    }
}

func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case 0x30...0x39: c - 0x30
    case 0x61...0x66: c - 0x61 + 10
    default: nil
    }
}
