import CLibc
import CMbedTLS

/// One TLS connection: its socket and `mbedtls_ssl_context`, at fixed addresses, bound to an
/// endpoint's configuration (which must outlive it). Ends with close_notify, then frees.
public struct TLSConnection: ~Copyable {
    private let ssl: UnsafeMutablePointer<mbedtls_ssl_context>
    private let net: UnsafeMutablePointer<mbedtls_net_context>

    private init(endpoint: borrowing TLSEndpoint, net: UnsafeMutablePointer<mbedtls_net_context>) throws(TLSError) {
        let ssl = UnsafeMutablePointer<mbedtls_ssl_context>.allocate(capacity: 1)
        mbedtls_ssl_init(ssl)
        let rc = mbedtls_ssl_setup(ssl, endpoint.config)
        if rc != 0 {
            mbedtls_ssl_free(ssl); ssl.deallocate()
            mbedtls_net_free(net); net.deallocate()
            throw TLSError.setup(code: rc)
        }
        // Each side writes whole messages, so Nagle's algorithm would only add delayed-ACK stalls
        // between handshake flights.
        var on: Int32 = 1
        _ = setsockopt(net.pointee.fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        mbedtls_ssl_set_bio(ssl, net, mbedtls_net_send, mbedtls_net_recv, mbedtls_net_recv_timeout)
        self.ssl = ssl
        self.net = net
    }

    /// Connects to `host`:`port` (NUL-terminated strings), verifies the server's certificate
    /// against the pinned CA for `serverName` (also sent as SNI), and completes the handshake.
    public static func connect(endpoint: borrowing TLSEndpoint, host: UnsafePointer<CChar>, port: UnsafePointer<CChar>,
                               serverName: UnsafePointer<CChar>) throws(TLSError) -> TLSConnection {
        let net = try socket { mbedtls_net_connect($0, host, port, MBEDTLS_NET_PROTO_TCP) }
        let connection = try TLSConnection(endpoint: endpoint, net: net)
        let named = mbedtls_ssl_set_hostname(connection.ssl, serverName)
        if named != 0 { throw TLSError.setup(code: named) }
        try connection.handshake()
        return connection
    }

    /// Takes an accepted socket (server side) and completes the handshake, which requires and
    /// verifies the client's certificate.
    public static func accept(endpoint: borrowing TLSEndpoint, socket fd: Int32) throws(TLSError) -> TLSConnection {
        let net = UnsafeMutablePointer<mbedtls_net_context>.allocate(capacity: 1)
        mbedtls_net_init(net)
        net.pointee.fd = fd
        let connection = try TLSConnection(endpoint: endpoint, net: net)
        try connection.handshake()
        return connection
    }

    private func handshake() throws(TLSError) {
        while true {
            let rc = mbedtls_ssl_handshake(ssl)
            if rc == 0 { return }
            if rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE { continue }
            if rc == MBEDTLS_ERR_SSL_TIMEOUT { throw TLSError.timedOut }
            throw TLSError.handshakeFailed(code: rc, verifyFlags: mbedtls_ssl_get_verify_result(ssl) == UInt32.max
                                          ? 0 : mbedtls_ssl_get_verify_result(ssl))
        }
    }

    /// Reads what is available, up to `buffer.count`; returns 0 when the peer closed cleanly.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(TLSError) -> Int {
        while true {
            let n = mbedtls_ssl_read(ssl, buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), buffer.count)
            if n >= 0 { return Int(n) }
            if n == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY { return 0 }
            if n == MBEDTLS_ERR_SSL_WANT_READ || n == MBEDTLS_ERR_SSL_WANT_WRITE { continue }
            if n == MBEDTLS_ERR_SSL_TIMEOUT { throw TLSError.timedOut }
            if n == MBEDTLS_ERR_NET_CONN_RESET { throw TLSError.closed }
            throw TLSError.io(code: n)
        }
    }

    /// Writes all of `bytes`.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(TLSError) {
        var offset = 0
        while offset < bytes.count {
            let n = mbedtls_ssl_write(ssl, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self) + offset, bytes.count - offset)
            if n > 0 { offset += Int(n); continue }
            if n == MBEDTLS_ERR_SSL_WANT_READ || n == MBEDTLS_ERR_SSL_WANT_WRITE { continue }
            if n == MBEDTLS_ERR_NET_CONN_RESET { throw TLSError.closed }
            throw TLSError.io(code: n)
        }
    }

    /// SHA-256 of the peer certificate's DER encoding: the identity of the device (or server).
    public func peerFingerprint(into out: UnsafeMutableRawBufferPointer) throws(TLSError) {
        guard out.count >= 32, let peer = mbedtls_ssl_get_peer_cert(ssl) else { throw TLSError.handshakeFailed(code: 0, verifyFlags: 0) }
        // 2.28 has no accessor for the DER bytes; `raw` is public in 2.28 (private in 3.x).
        let rc = mbedtls_sha256_ret(peer.pointee.raw.p, peer.pointee.raw.len,
                                    out.baseAddress!.assumingMemoryBound(to: UInt8.self), 0)
        if rc != 0 { throw TLSError.io(code: rc) }
    }

    deinit {
        _ = mbedtls_ssl_close_notify(ssl)
        mbedtls_ssl_free(ssl)  // wipes session keys
        mbedtls_net_free(net)
        ssl.deallocate()
        net.deallocate()
    }
}

/// A listening TCP socket (server side), bound to a loopback address by default.
public struct TLSListener: ~Copyable {
    private let net: UnsafeMutablePointer<mbedtls_net_context>

    public init(host: UnsafePointer<CChar>, port: UnsafePointer<CChar>) throws(TLSError) {
        net = try socket { mbedtls_net_bind($0, host, port, MBEDTLS_NET_PROTO_TCP) }
    }

    /// The listening socket, for poll(2) and for closing it from another thread on shutdown.
    public var fileDescriptor: Int32 { net.pointee.fd }

    /// Blocks until a client connects; returns its socket (owned by the caller).
    public func acceptSocket() throws(TLSError) -> Int32 {
        var client = mbedtls_net_context()
        mbedtls_net_init(&client)
        let rc = mbedtls_net_accept(net, &client, nil, 0, nil)
        if rc != 0 { throw TLSError.connectFailed(code: rc) }
        return client.fd
    }

    deinit {
        mbedtls_net_free(net)
        net.deallocate()
    }
}

/// A socket context at a fixed address, set up by `open` (connect or bind); freed if that fails.
func socket(_ open: (UnsafeMutablePointer<mbedtls_net_context>) -> Int32) throws(TLSError) -> UnsafeMutablePointer<mbedtls_net_context> {
    let net = UnsafeMutablePointer<mbedtls_net_context>.allocate(capacity: 1)
    mbedtls_net_init(net)
    let rc = open(net)
    if rc != 0 {
        mbedtls_net_free(net)
        net.deallocate()
        throw TLSError.connectFailed(code: rc)
    }
    return net
}
