import Dispatch
import Foundation
import SealCore
import SealTLS
import SealWire

/// The key server's network side: accepts TLS connections on a listening socket, requires a
/// fleet device certificate, and serves bounded HTTP/1.1 requests through `KeyService`.
/// At most `maxConnections` are served at once; a connection carries at most
/// `maxRequestsPerConnection` requests and is dropped after `readTimeoutMilliseconds` idle.
public final class KeyServer: @unchecked Sendable {
    public struct Settings: Sendable {
        public var maxConnections = 16
        public var maxRequestsPerConnection = 32
        /// Requests per device per minute before `429`.
        public var requestsPerMinute = 120
        public init() {}
    }

    private let service: KeyService
    private let endpoint: EndpointBox
    private let listener: ListenerBox
    private let settings: Settings
    private let slots: DispatchSemaphore
    private let workers = DispatchQueue(label: "sealframe.keyserver.connections", attributes: .concurrent)
    private let limiter: RateLimiter
    private let stateLock = NSLock()
    private var stopping = false
    private let finished = DispatchGroup()
    /// Called with one line per connection-level event (never key material).
    public var log: @Sendable (String) -> Void = { _ in }

    public init(service: KeyService, caFile: String, certificateFile: String, keyFile: String,
                host: String, port: String, readTimeoutMilliseconds: UInt32 = 5000, settings: Settings = Settings()) throws {
        self.service = service
        self.settings = settings
        slots = DispatchSemaphore(value: settings.maxConnections)
        limiter = RateLimiter(perMinute: settings.requestsPerMinute)
        endpoint = EndpointBox(try TLSEndpoint(role: .server, caFile: caFile, certificateFile: certificateFile,
                                                   keyFile: keyFile, readTimeoutMilliseconds: readTimeoutMilliseconds))
        listener = ListenerBox(try TLSListener(host: host, port: port))
    }

    /// Serves until `stop()`; returns after every connection in progress has finished.
    public func run() {
        while true {
            slots.wait()
            let fd: Int32
            do { fd = try listener.value.acceptSocket() } catch {
                slots.signal()
                if isStopping { break }
                continue
            }
            if isStopping { close(fd); slots.signal(); break }
            finished.enter()
            workers.async { [self] in
                defer { slots.signal(); finished.leave() }
                serve(socket: fd)
            }
        }
        finished.wait()
    }

    /// Stops accepting; connections in progress finish their current request.
    public func stop() {
        stateLock.lock(); stopping = true; stateLock.unlock()
        shutdown(listener.value.fileDescriptor, Int32(SHUT_RDWR))
    }

    private var isStopping: Bool { stateLock.lock(); defer { stateLock.unlock() }; return stopping }

    private func serve(socket fd: Int32) {
        do {
            let connection = try TLSConnection.accept(endpoint: endpoint.value, socket: fd)
            serveRequests(on: connection)
        } catch {
            log("handshake refused: \(error)")
        }
    }

    private func serveRequests(on connection: borrowing TLSConnection) {
        var fingerprint = [UInt8](repeating: 0, count: 32)
        do { try fingerprint.withUnsafeMutableBytes { try connection.peerFingerprint(into: $0) } } catch { return }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: KeyProtocol.limits.maxHeadBytes + KeyProtocol.limits.maxBodyBytes, alignment: 16)
        defer { wipe(buffer); buffer.deallocate() }
        var filled = 0
        for _ in 0..<settings.maxRequestsPerConnection {
            if isStopping { return }
            // Read until one whole request is buffered.
            var request: HTTPMessage?
            while request == nil {
                do {
                    request = try HTTPMessage.parse(UnsafeRawBufferPointer(rebasing: buffer[0..<filled]), limits: KeyProtocol.limits)
                } catch {
                    let refusal: Refusal = error == .malformed || error == .unsupported ? .malformedRequest : .requestTooLarge
                    send(service.refuse(refusal, device: fingerprint, now: Int64(Date().timeIntervalSince1970)), on: connection, close: true)
                    return
                }
                if request != nil { break }
                guard filled < buffer.count else { return }
                let n: Int
                do { n = try connection.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...])) } catch { return }
                if n == 0 { return }
                filled += n
            }
            guard let message = request else { return }
            let now = Int64(Date().timeIntervalSince1970)
            var response = limiter.allow(fingerprint, now: now)
                ? service.handle(message, device: fingerprint, now: now)
                : service.refuse(.tooManyRequests, device: fingerprint, now: now)
            let closing = message.header("connection", equalsIgnoringCase: "close")
            send(response, on: connection, close: closing)
            response.body.withUnsafeMutableBytes { wipe($0) }
            if closing { return }
            // Keep what belongs to the next request.
            let used = message.length
            if used < filled {
                UnsafeMutableRawBufferPointer(rebasing: buffer[0..<(filled - used)])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[used..<filled]))
            }
            filled -= used
        }
    }

    private func send(_ response: KeyService.Response, on connection: borrowing TLSConnection, close: Bool) {
        var head = "HTTP/1.1 \(response.status) \(reason(response.status))\r\n"
        head += "Content-Type: application/json\r\nContent-Length: \(response.body.count)\r\n"
        for (name, value) in response.headers { head += "\(name): \(value)\r\n" }
        if close { head += "Connection: close\r\n" }
        head += "\r\n"
        var bytes: [UInt8] = []
        bytes.reserveCapacity(head.utf8.count + response.body.count)  // no reallocation: no stray copy of a key
        bytes += Array(head.utf8)
        bytes += response.body
        try? bytes.withUnsafeBytes { try connection.write($0) }
        bytes.withUnsafeMutableBytes { wipe($0) }
    }

    private func reason(_ status: Int) -> String {
        [200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
         404: "Not Found", 405: "Method Not Allowed", 409: "Conflict", 413: "Content Too Large",
         429: "Too Many Requests", 500: "Internal Server Error"][status] ?? "Status"
    }
}

/// Reference boxes so the non-copyable TLS owners can be shared by the worker closures.
final class EndpointBox: @unchecked Sendable {
    let value: TLSEndpoint
    init(_ value: consuming TLSEndpoint) { self.value = value }
}

final class ListenerBox: @unchecked Sendable {
    let value: TLSListener
    init(_ value: consuming TLSListener) { self.value = value }
}

/// A per-device fixed window: at most `perMinute` requests in each wall-clock minute.
final class RateLimiter: @unchecked Sendable {
    private let perMinute: Int
    private var counts: [[UInt8]: (minute: Int64, count: Int)] = [:]
    private let lock = NSLock()

    init(perMinute: Int) { self.perMinute = perMinute }

    func allow(_ device: [UInt8], now: Int64) -> Bool {
        lock.lock(); defer { lock.unlock() }
        let minute = now / 60
        var entry = counts[device] ?? (minute, 0)
        if entry.minute != minute { entry = (minute, 0) }
        entry.count += 1
        counts[device] = entry
        if counts.count > 10_000 { counts = counts.filter { $0.value.minute == minute } }  // bound the table
        return entry.count <= perMinute
    }
}
