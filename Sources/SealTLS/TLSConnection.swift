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
        mbedtls_ssl_set_bio(ssl, net, sendWithoutSignal, mbedtls_net_recv, mbedtls_net_recv_timeout)
        self.ssl = ssl
        self.net = net
    }

    /// Connects to `host`:`port` (NUL-terminated strings), verifies the server's certificate
    /// against the pinned CA for `serverName` (also sent as SNI), and completes the handshake.
    /// Connecting gives up after `connectTimeoutMilliseconds` (a down host may never answer).
    public static func connect(endpoint: borrowing TLSEndpoint, host: UnsafePointer<CChar>, port: UnsafePointer<CChar>,
                               serverName: UnsafePointer<CChar>, connectTimeoutMilliseconds: Int32 = 3000) throws(TLSError) -> TLSConnection {
        let net = try connectSocket(host: host, port: port, timeoutMilliseconds: connectTimeoutMilliseconds)
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
            let flags = mbedtls_ssl_get_verify_result(ssl)  // UInt32.max: verification never ran
            throw TLSError.handshakeFailed(code: rc, verifyFlags: flags == UInt32.max ? 0 : flags)
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
        net = try openSocket { mbedtls_net_bind($0, host, port, MBEDTLS_NET_PROTO_TCP) }
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
func openSocket(_ open: (UnsafeMutablePointer<mbedtls_net_context>) -> Int32) throws(TLSError) -> UnsafeMutablePointer<mbedtls_net_context> {
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

/// A connected TCP socket in a context at a fixed address. Unlike mbedtls_net_connect, which
/// blocks for the kernel's TCP timeout, each address gets at most `timeoutMilliseconds`.
func connectSocket(host: UnsafePointer<CChar>, port: UnsafePointer<CChar>,
                   timeoutMilliseconds: Int32) throws(TLSError) -> UnsafeMutablePointer<mbedtls_net_context> {
    var hints = addrinfo()
    hints.ai_family = AF_UNSPEC
    hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
    var list: UnsafeMutablePointer<addrinfo>?
    guard getaddrinfo(host, port, &hints, &list) == 0 else { throw TLSError.connectFailed(code: MBEDTLS_ERR_NET_UNKNOWN_HOST) }
    defer { freeaddrinfo(list) }
    var timedOut = false
    var entry = list
    while let address = entry {
        entry = address.pointee.ai_next
        let fd = CLibc.socket(address.pointee.ai_family, address.pointee.ai_socktype, address.pointee.ai_protocol)
        if fd < 0 { continue }
        let net = UnsafeMutablePointer<mbedtls_net_context>.allocate(capacity: 1)
        mbedtls_net_init(net)
        net.pointee.fd = fd
        _ = mbedtls_net_set_nonblock(net)
        var connected = CLibc.connect(fd, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0
        if !connected && __errno_location().pointee == EINPROGRESS {
            var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            if poll(&poller, 1, timeoutMilliseconds) == 1 {
                var failure: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                connected = getsockopt(fd, SOL_SOCKET, SO_ERROR, &failure, &length) == 0 && failure == 0
            } else {
                timedOut = true
            }
        }
        if connected && mbedtls_net_set_block(net) == 0 { return net }
        mbedtls_net_free(net)
        net.deallocate()
    }
    throw timedOut ? TLSError.timedOut : TLSError.connectFailed(code: MBEDTLS_ERR_NET_CONNECT_FAILED)
}

/// mbedtls_net_send uses write(2), which raises SIGPIPE (and kills the process) when the peer
/// has gone, as a server does after refusing a certificate. send(MSG_NOSIGNAL) reports it instead.
let sendWithoutSignal: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<UInt8>?, Int) -> Int32 = { context, buffer, length in
    let fd = context!.assumingMemoryBound(to: mbedtls_net_context.self).pointee.fd
    let n = send(fd, buffer, length, Int32(MSG_NOSIGNAL))
    if n >= 0 { return Int32(n) }
    switch __errno_location().pointee {
    case EAGAIN, EINTR: return MBEDTLS_ERR_SSL_WANT_WRITE
    case EPIPE, ECONNRESET: return MBEDTLS_ERR_NET_CONN_RESET
    default: return MBEDTLS_ERR_NET_SEND_FAILED
    }
}
