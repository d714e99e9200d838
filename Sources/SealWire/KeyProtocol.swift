/// The key protocol's fixed vocabulary (PROTOCOL.md): paths, the cookie, the JSON field names,
/// and every refusal with its status, code and advice. Shared by the key client and the server.
public enum KeyProtocol {
    public static let sessionsPath: StaticString = "/v1/sessions"
    public static let currentSessionPath: StaticString = "/v1/sessions/current"
    public static let grantsPath: StaticString = "/v1/grants"
    public static let cookieName: StaticString = "sf_session"
    /// Session ids are 16 random bytes, 22 characters of base64url.
    public static let sessionIDLength = 16
    public static let sessionIDTextLength = 22
    public static let limits = HTTPLimits(maxHeadBytes: 4096, maxHeaders: 24, maxBodyBytes: 2048)
}

/// Why the server said no. The client maps the `error` code back to the case.
public enum Refusal: UInt8, CaseIterable, Sendable {
    case malformedRequest, requestTooLarge, tooManyRequests, notFound, methodNotAllowed
    case noSession, sessionExpired, sessionEnded, sessionForAnotherDevice
    case unknownDevice, revokedDevice
    case unknownAsset, outsideSchedule, notForGroup, grantReplayed
    case serverError

    public var status: Int {
        switch self {
        case .malformedRequest: 400
        case .requestTooLarge: 413
        case .tooManyRequests: 429
        case .notFound: 404
        case .methodNotAllowed: 405
        case .noSession, .sessionExpired, .sessionEnded, .sessionForAnotherDevice: 401
        case .unknownDevice, .revokedDevice: 403
        case .unknownAsset: 404
        case .outsideSchedule, .notForGroup: 403
        case .grantReplayed: 409
        case .serverError: 500
        }
    }

    public var code: StaticString {
        switch self {
        case .malformedRequest: "malformed_request"
        case .requestTooLarge: "request_too_large"
        case .tooManyRequests: "too_many_requests"
        case .notFound: "not_found"
        case .methodNotAllowed: "method_not_allowed"
        case .noSession: "no_session"
        case .sessionExpired: "session_expired"
        case .sessionEnded: "session_ended"
        case .sessionForAnotherDevice: "session_other_device"
        case .unknownDevice: "unknown_device"
        case .revokedDevice: "revoked_device"
        case .unknownAsset: "unknown_asset"
        case .outsideSchedule: "outside_schedule"
        case .notForGroup: "not_for_group"
        case .grantReplayed: "grant_replayed"
        case .serverError: "server_error"
        }
    }

    public var message: StaticString {
        switch self {
        case .malformedRequest: "the request is not valid HTTP/1.1 with the JSON body this endpoint takes"
        case .requestTooLarge: "the request exceeds the server's size limits"
        case .tooManyRequests: "too many requests from this device; retry after a pause"
        case .notFound: "no such endpoint"
        case .methodNotAllowed: "this endpoint does not take that method"
        case .noSession: "open a session with POST /v1/sessions first"
        case .sessionExpired: "the session expired; open a new one"
        case .sessionEnded: "the session was ended; open a new one"
        case .sessionForAnotherDevice: "this session belongs to another device certificate"
        case .unknownDevice: "this device certificate is not enrolled"
        case .revokedDevice: "this device has been revoked"
        case .unknownAsset: "no such asset"
        case .outsideSchedule: "the asset is not scheduled for display now"
        case .notForGroup: "the asset is not scheduled for this device's group"
        case .grantReplayed: "this session already received the key for this asset; open a new session"
        case .serverError: "the key server failed; try again later"
        }
    }

    /// The refusal named by `code` in an error response.
    public init?(code: UnsafeRawBufferPointer) {
        for r in Refusal.allCases {
            let c = r.code
            if code.count == c.utf8CodeUnitCount && code.elementsEqual(UnsafeRawBufferPointer(start: c.utf8Start, count: c.utf8CodeUnitCount)) {
                self = r
                return
            }
        }
        return nil
    }
}
