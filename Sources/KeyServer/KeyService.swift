import CMbedTLS
import Foundation
import SealCore
import SealWire

/// The protocol's decisions (PROTOCOL.md), apart from sockets and TLS so they can be tested
/// directly: given the device's certificate fingerprint, a parsed request and the time, the answer.
/// Every grant and every refusal is written to the audit log; no key material is.
public final class KeyService: @unchecked Sendable {
    public struct Settings: Sendable {
        public var sessionSeconds: Int64 = 300
        public var maxGrantSeconds: Int64 = 120
        public init() {}
    }

    public struct Response {
        public var status: Int
        public var headers: [(String, String)] = []
        public var body: [UInt8] = []
        public var refusal: Refusal?
    }

    public let store: Store
    let vault: AssetVault
    let settings: Settings
    private let random: RandomGenerator

    public init(store: Store, vault: AssetVault, settings: Settings = Settings()) throws {
        self.store = store
        self.vault = vault
        self.settings = settings
        random = try RandomGenerator(personalization: "sealframe sessions")
    }

    public func handle(_ request: HTTPMessage, device fingerprint: [UInt8], now: Int64) -> Response {
        let deviceName = (try? store.device(fingerprint: fingerprint))??.name ?? shortHex(fingerprint)
        do {
            let response = try route(request, fingerprint: fingerprint, deviceName: deviceName, now: now)
            return response
        } catch let refusal as RefusalError {
            try? store.audit(at: now, device: deviceName, event: "refused:" + string(refusal.refusal.code),
                             asset: refusal.asset, status: refusal.refusal.status)
            return refuse(refusal.refusal)
        } catch {
            try? store.audit(at: now, device: deviceName, event: "refused:server_error", status: 500)
            return refuse(.serverError)
        }
    }

    struct RefusalError: Error { let refusal: Refusal; var asset = "" }

    private func route(_ r: HTTPMessage, fingerprint: [UInt8], deviceName: String, now: Int64) throws -> Response {
        let isPost = r.partEquals(r.first, "POST"), isDelete = r.partEquals(r.first, "DELETE")
        if r.partEquals(r.second, KeyProtocol.sessionsPath) {
            guard isPost else { throw RefusalError(refusal: .methodNotAllowed) }
            return try openSession(fingerprint: fingerprint, deviceName: deviceName, now: now)
        }
        if r.partEquals(r.second, KeyProtocol.grantsPath) {
            guard isPost else { throw RefusalError(refusal: .methodNotAllowed) }
            return try grant(r, fingerprint: fingerprint, deviceName: deviceName, now: now)
        }
        if r.partEquals(r.second, KeyProtocol.currentSessionPath) {
            guard isDelete else { throw RefusalError(refusal: .methodNotAllowed) }
            let (hash, _) = try liveSession(r, fingerprint: fingerprint, now: now, allowEnded: true)
            try store.endSession(idHash: hash)
            try store.audit(at: now, device: deviceName, event: "session_ended", status: 204)
            return Response(status: 204)
        }
        throw RefusalError(refusal: .notFound)
    }

    private func enrolledDevice(_ fingerprint: [UInt8]) throws -> Store.Device {
        guard let device = try store.device(fingerprint: fingerprint) else { throw RefusalError(refusal: .unknownDevice) }
        guard !device.revoked else { throw RefusalError(refusal: .revokedDevice) }
        return device
    }

    private func openSession(fingerprint: [UInt8], deviceName: String, now: Int64) throws -> Response {
        _ = try enrolledDevice(fingerprint)
        var id = [UInt8](repeating: 0, count: KeyProtocol.sessionIDLength)
        try id.withUnsafeMutableBytes { try random.fill($0) }
        let expires = now + settings.sessionSeconds
        try store.openSession(idHash: sha256(id), device: fingerprint, now: now, expires: expires)
        try store.audit(at: now, device: deviceName, event: "session_opened", status: 201)
        let cookie = "\(string(KeyProtocol.cookieName))=\(base64url(id)); Secure; HttpOnly; SameSite=Strict; Path=/v1; Max-Age=\(settings.sessionSeconds)"
        id.withUnsafeMutableBytes { wipe($0) }
        return Response(status: 201, headers: [("Set-Cookie", cookie), ("Cache-Control", "no-store")],
                        body: Array("{\"lifetime\":\(settings.sessionSeconds),\"server_time\":\(now)}".utf8))
    }

    /// The session named by the request's cookie, checked against this connection's device.
    private func liveSession(_ r: HTTPMessage, fingerprint: [UInt8], now: Int64, allowEnded: Bool = false) throws -> ([UInt8], Store.Session) {
        guard let id = cookie(r) else { throw RefusalError(refusal: .noSession) }
        let hash = sha256(id)
        guard let session = try store.session(idHash: hash) else { throw RefusalError(refusal: .noSession) }
        guard constantTimeEqual(session.device, fingerprint) else { throw RefusalError(refusal: .sessionForAnotherDevice) }
        if session.ended && !allowEnded { throw RefusalError(refusal: .sessionEnded) }
        if session.expires <= now && !allowEnded { throw RefusalError(refusal: .sessionExpired) }
        return (hash, session)
    }

    private func grant(_ r: HTTPMessage, fingerprint: [UInt8], deviceName: String, now: Int64) throws -> Response {
        let (hash, session) = try liveSession(r, fingerprint: fingerprint, now: now)
        let device = try enrolledDevice(fingerprint)
        guard let json = try? JSONObject(r.bodyBytes), let raw = json.string("asset"),
              Envelope.isValidAssetID(raw) else { throw RefusalError(refusal: .malformedRequest) }
        let assetID = String(decoding: raw, as: UTF8.self)
        guard let asset = try store.asset(id: assetID) else { throw RefusalError(refusal: .unknownAsset, asset: assetID) }
        let schedules = try store.schedules(asset: assetID)
        let forGroup = schedules.filter { $0.group == device.group }
        if forGroup.isEmpty && !schedules.isEmpty { throw RefusalError(refusal: .notForGroup, asset: assetID) }
        guard let window = forGroup.filter({ $0.notBefore <= now && now < $0.notAfter }).max(by: { $0.notAfter < $1.notAfter })
        else { throw RefusalError(refusal: .outsideSchedule, asset: assetID) }
        // The time box: the least of the session's life, the window's, and the server's cap.
        let expiresIn = min(session.expires - now, window.notAfter - now, settings.maxGrantSeconds)
        guard try store.recordGrant(session: hash, asset: assetID, now: now, expires: now + expiresIn) else {
            throw RefusalError(refusal: .grantReplayed, asset: assetID)
        }
        let key = try vault.unwrap(asset.wrappedKey, asset: assetID)
        // Reserved up front so appending the key never reallocates and leaves a copy behind.
        var body: [UInt8] = []
        body.reserveCapacity(512)
        body += Array("{\"asset\":\"\(assetID)\",\"key_id\":\"\(hexString(asset.keyID))\",\"expires_in\":\(expiresIn),\"key\":\"".utf8)
        try key.withUnsafeBytes { k in
            var text = [UInt8](repeating: 0, count: 96)
            let n = try text.withUnsafeMutableBytes { try Base64URL.encode(k, into: $0) }
            body += text[0..<n]
            text.withUnsafeMutableBytes { wipe($0) }
        }
        body += Array("\"}".utf8)
        try store.audit(at: now, device: deviceName, event: "granted", asset: assetID, status: 200)
        return Response(status: 200, headers: [("Cache-Control", "no-store")], body: body)
    }

    /// A refusal decided before routing (rate limit, unreadable request), audited like the rest.
    public func refuse(_ refusal: Refusal, device fingerprint: [UInt8], now: Int64) -> Response {
        let deviceName = (try? store.device(fingerprint: fingerprint))??.name ?? shortHex(fingerprint)
        try? store.audit(at: now, device: deviceName, event: "refused:" + string(refusal.code), status: refusal.status)
        return refuse(refusal)
    }

    func refuse(_ refusal: Refusal) -> Response {
        var body = Array("{\"error\":\"".utf8) + Array(string(refusal.code).utf8)
        body += Array("\",\"message\":\"".utf8) + Array(string(refusal.message).utf8) + Array("\"}".utf8)
        return Response(status: refusal.status, headers: [("Cache-Control", "no-store")], body: body, refusal: refusal)
    }

    /// The sf_session cookie's 16 bytes, or nil.
    private func cookie(_ r: HTTPMessage) -> [UInt8]? {
        guard let header = r.header("cookie") else { return nil }
        let text = String(decoding: header, as: UTF8.self)
        for part in text.split(separator: ";") {
            let kv = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            guard kv.count == 2, kv[0] == string(KeyProtocol.cookieName),
                  kv[1].utf8.count == KeyProtocol.sessionIDTextLength else { continue }
            var out = [UInt8](repeating: 0, count: 24), scratch = [UInt8](repeating: 0, count: 32)
            let bytes = Array(kv[1].utf8)
            guard let n = try? bytes.withUnsafeBytes({ b in
                try out.withUnsafeMutableBytes { o in try scratch.withUnsafeMutableBytes { s in try Base64URL.decode(b, into: o, scratch: s) } }
            }), n == KeyProtocol.sessionIDLength else { return nil }
            return Array(out.prefix(n))
        }
        return nil
    }
}

func string(_ s: StaticString) -> String { s.withUTF8Buffer { String(decoding: $0, as: UTF8.self) } }

func sha256(_ bytes: [UInt8]) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: 32)
    _ = mbedtls_sha256_ret(bytes, bytes.count, &out, 0)
    return out
}

func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    a.count == b.count && mbedtls_ct_memcmp(a, b, a.count) == 0
}

func base64url(_ bytes: [UInt8]) -> String {
    var out = [UInt8](repeating: 0, count: bytes.count * 2 + 4)
    let n = (try? bytes.withUnsafeBytes { b in try out.withUnsafeMutableBytes { try Base64URL.encode(b, into: $0) } }) ?? 0
    return String(decoding: out[0..<n], as: UTF8.self)
}

public func hexString(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
func shortHex(_ bytes: [UInt8]) -> String { String(hexString(bytes).prefix(16)) }
