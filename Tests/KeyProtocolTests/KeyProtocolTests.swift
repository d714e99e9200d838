import Foundation
import KeyClient
import SealCore
import SealTLS
import SealWire
import Testing

/// The key protocol end to end: real TLS on loopback, a real `sealframe serve`, real SQLite.
@Suite(.serialized)
struct KeyProtocolTests {
    /// Opens `asset`'s sealed file with the granted key; returns the released plaintext.
    static func show(_ fleet: Fleet, _ asset: String, in cycle: inout DisplayCycle) throws(KeyClientError) -> [UInt8] {
        let data = FileManager.default.contents(atPath: "\(fleet.dir)/\(asset).sf") ?? Data()
        let sealed = UnsafeMutableRawBufferPointer.allocate(byteCount: data.count, alignment: 16)
        sealed.copyBytes(from: data)
        defer { sealed.deallocate() }
        let staging = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        let read = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 16)
        defer { for b in [staging, output, read] { wipe(b); b.deallocate() } }
        var shown: [UInt8] = []
        let name = UnsafeMutableRawBufferPointer.allocate(byteCount: asset.utf8.count, alignment: 1)
        name.copyBytes(from: Array(asset.utf8))
        defer { name.deallocate() }
        do {
            try cycle.withGrant(asset: UnsafeRawBufferPointer(name)) { (key, grant) throws(KeyClientError) -> Void in
                do throws(SealError) {
                    var decryptor = try ImageDecryptor(parameters: .sealframeDefault, staging: staging)
                    var source = MemorySource(UnsafeRawBufferPointer(sealed), chunkSize: 4096)
                    _ = try decryptor.openImage(from: &source, key: key, readBuffer: read, output: output) { shown += $0 }
                } catch { throw KeyClientError.image(error) }
                #expect(grant.expiresIn > 0 && grant.expiresIn <= 120)
            }
        }
        return shown
    }

    func expectRefusal(_ expected: Refusal, _ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            try body()
            Issue.record("expected \(expected.code) but it succeeded", sourceLocation: sourceLocation)
        } catch let KeyClientError.refused(refusal, status) {
            #expect(refusal == expected, sourceLocation: sourceLocation)
            #expect(status == expected.status, sourceLocation: sourceLocation)
        } catch {
            Issue.record("expected \(expected.code), got \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func fullCycleShowsImagesAndEndsTheSession() throws {
        let fleet = try Fleet()
        let client = try fleet.client("kiosk-1")
        try client.withDisplayCycle { (cycle) throws(KeyClientError) in
            #expect(cycle.lifetime == 300)
            let first = try Self.show(fleet, "poster-1", in: &cycle), second = try Self.show(fleet, "poster-2", in: &cycle)
            #expect(first == fleet.plaintext["poster-1"])
            #expect(second == fleet.plaintext["poster-2"])
        }
        let audit = try fleet.audit()
        #expect(audit.contains("session_opened") && audit.contains("granted\tposter-2") && audit.contains("session_ended"))
    }

    @Test func refusalsCarryTheirCodesAndAreAudited() throws {
        let fleet = try Fleet()
        let client = try fleet.client("kiosk-1")
        try client.withDisplayCycle { (cycle) throws(KeyClientError) in
            _ = try Self.show(fleet, "poster-1", in: &cycle)
            expectRefusal(.grantReplayed) { _ = try Self.show(fleet, "poster-1", in: &cycle) }
            expectRefusal(.outsideSchedule) { _ = try Self.show(fleet, "later", in: &cycle) }
            expectRefusal(.notForGroup) { _ = try Self.show(fleet, "cafe-menu", in: &cycle) }
            expectRefusal(.unknownAsset) { _ = try Self.show(fleet, "no-such-asset", in: &cycle) }
        }
        // A fleet certificate that was never enrolled.
        let stranger = try fleet.client("stranger")
        expectRefusal(.unknownDevice) { try stranger.withDisplayCycle { (_) throws(KeyClientError) in } }
        // Revocation: refused at once, and the revoked device's open session is ended.
        let kiosk2 = try fleet.client("kiosk-2")
        expectRefusal(.sessionEnded) {
            try kiosk2.withDisplayCycle { (other) throws(KeyClientError) in
                do { try Fleet.run(["admin", "--db", fleet.dbPath, "revoke", "--name", "kiosk-2"]) } catch { Issue.record("\(error)") }
                _ = try Self.show(fleet, "poster-1", in: &other)
            }
        }
        expectRefusal(.revokedDevice) { try kiosk2.withDisplayCycle { (_) throws(KeyClientError) in } }
        let audit = try fleet.audit()
        for code in ["grant_replayed", "outside_schedule", "not_for_group", "unknown_asset", "unknown_device", "revoked_device"] {
            #expect(audit.contains("refused:\(code)"), "audit lacks \(code)")
        }
    }

    @Test func sessionCookieIsBoundToItsDeviceAndEnds() throws {
        let fleet = try Fleet()
        let (status, response) = try fleet.curl("kiosk-1", "POST", "/v1/sessions")
        #expect(status == 201)
        let setCookie = response.split(separator: "\r\n").first { $0.lowercased().hasPrefix("set-cookie:") }.map(String.init) ?? ""
        for attribute in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/v1", "Max-Age=300"] {
            #expect(setCookie.contains("; \(attribute)"), "Set-Cookie lacks \(attribute): \(setCookie)")
        }
        let cookie = try #require(Fleet.cookie(in: response))
        // Another device presenting the stolen cookie.
        let (stolen, stolenBody) = try fleet.curl("kiosk-3", "POST", "/v1/grants", cookie: cookie, body: #"{"asset":"poster-1"}"#)
        #expect(stolen == 401 && stolenBody.contains("session_other_device"))
        // Key responses are never cached; the key itself is not checked here, only the header.
        let (granted, grantBody) = try fleet.curl("kiosk-1", "POST", "/v1/grants", cookie: cookie, body: #"{"asset":"poster-2"}"#)
        #expect(granted == 200 && grantBody.lowercased().contains("cache-control: no-store"))
        #expect(try fleet.curl("kiosk-1", "DELETE", "/v1/sessions/current", cookie: cookie).0 == 204)
        let (after, afterBody) = try fleet.curl("kiosk-1", "POST", "/v1/grants", cookie: cookie, body: #"{"asset":"poster-1"}"#)
        #expect(after == 401 && afterBody.contains("session_ended"))
        // Malformed and oversized requests.
        #expect(try fleet.curl("kiosk-1", "POST", "/v1/grants", cookie: cookie, body: "{not json").0 == 401)  // ended first
        let (_, fresh) = try fleet.curl("kiosk-1", "POST", "/v1/sessions")
        let c2 = try #require(Fleet.cookie(in: fresh))
        #expect(try fleet.curl("kiosk-1", "POST", "/v1/grants", cookie: c2, body: "{not json").0 == 400)
        #expect(try fleet.curl("kiosk-1", "POST", "/v1/grants", cookie: c2, body: String(repeating: "x", count: 5000)).0 == 413)
        #expect(try fleet.audit().contains("refused:request_too_large"))
        #expect(try fleet.curl("kiosk-1", "GET", "/v1/grants", cookie: c2).0 == 405)
        #expect(try fleet.curl("kiosk-1", "POST", "/v1/grants", body: #"{"asset":"poster-1"}"#).0 == 401)
    }

    @Test func expiredSessionsAreRefused() throws {
        let fleet = try Fleet(sessionSeconds: 1)
        let (_, response) = try fleet.curl("kiosk-1", "POST", "/v1/sessions")
        let cookie = try #require(Fleet.cookie(in: response))
        Thread.sleep(forTimeInterval: 2.2)  // waits past the one-second session; asserts nothing about time
        let (status, body) = try fleet.curl("kiosk-1", "POST", "/v1/grants", cookie: cookie, body: #"{"asset":"poster-1"}"#)
        #expect(status == 401 && body.contains("session_expired"))
        #expect(try fleet.audit().contains("refused:session_expired"))
    }

    @Test func tooManyRequestsAreRefused() throws {
        let fleet = try Fleet(requestsPerMinute: 3)
        // Eight requests with a budget of three a minute: even across a minute boundary some are refused.
        let statuses = try (0..<8).map { _ in try fleet.curl("kiosk-1", "POST", "/v1/sessions").0 }
        #expect(statuses.allSatisfy { $0 == 201 || $0 == 429 })
        #expect(statuses.filter { $0 == 429 }.count >= 2, "\(statuses)")
        #expect(try fleet.audit().contains("refused:too_many_requests"))
    }

    @Test func wrongCertificatesFailTheHandshake() throws {
        let fleet = try Fleet()
        // A device certificate from another CA: the server refuses it during the handshake.
        let rogue = try fleet.client("kiosk-1", certs: "rogue")
        #expect(throws: KeyClientError.self) { try rogue.withDisplayCycle { (_) throws(KeyClientError) in } }
        // A client pinned to another CA refuses the real server.
        let pinnedElsewhere = try fleet.client("kiosk-1", ca: "rogue")
        do {
            try pinnedElsewhere.withDisplayCycle { (_) throws(KeyClientError) in }
            Issue.record("a server outside the pinned CA was accepted")
        } catch KeyClientError.transport(.handshakeFailed(_, let flags)) {
            #expect(flags != 0, "the refusal should come from certificate verification")
        }
    }

    @Test func restartKeepsStateAndRefusesEndedSessions() throws {
        let fleet = try Fleet()
        let (_, response) = try fleet.curl("kiosk-1", "POST", "/v1/sessions")
        let cookie = try #require(Fleet.cookie(in: response))
        #expect(try fleet.curl("kiosk-1", "DELETE", "/v1/sessions/current", cookie: cookie).0 == 204)
        fleet.stop()
        try fleet.start()
        let (status, body) = try fleet.curl("kiosk-1", "POST", "/v1/grants", cookie: cookie, body: #"{"asset":"poster-1"}"#)
        #expect(status == 401 && body.contains("session_ended"))
        let client = try fleet.client("kiosk-1")
        try client.withDisplayCycle { (cycle) throws(KeyClientError) in
            let shown = try Self.show(fleet, "poster-1", in: &cycle)
            #expect(shown == fleet.plaintext["poster-1"])
        }
        #expect(try fleet.audit().contains("session_opened"))
    }

    @Test func downOrSilentServerGivesAClearErrorAndNoKey() throws {
        let fleet = try Fleet()
        fleet.stop()
        let down = try fleet.client("kiosk-1", attempts: 2)
        do {
            try down.withDisplayCycle { (_) throws(KeyClientError) in }
            Issue.record("opened a cycle with no server")
        } catch KeyClientError.transport(.connectFailed) {
        }
        // A host that never completes the TCP handshake: a listener whose accept queue is full
        // drops further SYNs, so only the client's connect timeout ends the attempt.
        let full = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(full) }
        var any = sockaddr_in(sin_family: sa_family_t(AF_INET), sin_port: 0, sin_addr: in_addr(s_addr: inet_addr("127.0.0.1")), sin_zero: (0, 0, 0, 0, 0, 0, 0, 0))
        var anyLength = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &any) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(full, $0, anyLength) } }
        #expect(listen(full, 0) == 0)
        _ = withUnsafeMutablePointer(to: &any) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(full, $0, &anyLength) } }
        var fillers: [Int32] = []
        defer { fillers.forEach { close($0) } }
        for _ in 0..<4 {  // fill the accept queue; these never get accepted
            let f = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            _ = withUnsafeMutablePointer(to: &any) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(f, $0, anyLength) } }
            fillers.append(f)
        }
        Thread.sleep(forTimeInterval: 0.2)
        var unanswered = try fleet.client("kiosk-1", port: Int(UInt16(bigEndian: any.sin_port)), attempts: 1)
        unanswered.connectTimeoutMilliseconds = 500
        do {
            try unanswered.withDisplayCycle { (_) throws(KeyClientError) in }
            Issue.record("opened a cycle with a host that never answers")
        } catch KeyClientError.transport(.timedOut) {
        }
        // A listener that accepts TCP but never speaks TLS: the client's read timeout ends it.
        let silent = try TLSListener(host: "127.0.0.1", port: "0")
        var address = sockaddr_in(), length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(silent.fileDescriptor, $0, &length) } }
        let port = Int(UInt16(bigEndian: address.sin_port))
        let stalled = try fleet.client("kiosk-1", port: port, attempts: 1, readTimeoutMilliseconds: 500)
        do {
            try stalled.withDisplayCycle { (_) throws(KeyClientError) in }
            Issue.record("opened a cycle with a silent server")
        } catch KeyClientError.transport(.timedOut) {
        }
    }
}
