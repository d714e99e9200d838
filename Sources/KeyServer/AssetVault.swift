import CMbedTLS
import Foundation
import SealCore

/// Content keys at rest: each is sealed with AES-256-GCM under the server's master key, which
/// lives in its own 0600 file and never in the database. Wrapped form: nonce(12) ‖ ciphertext ‖ tag(16),
/// with the asset id as associated data so a wrapped key cannot be moved to another asset.
public final class AssetVault: @unchecked Sendable {
    public struct Failure: Error, CustomStringConvertible { public let description: String }
    private let gcm: UnsafeMutablePointer<mbedtls_gcm_context>
    private let random: RandomGenerator
    private let lock = NSLock()

    /// Loads the master key file (32 raw bytes, mode 0600).
    public init(masterKeyFile path: String) throws {
        var st = stat()
        guard stat(path, &st) == 0 else { throw Failure(description: "\(path): cannot read the master key") }
        guard st.st_mode & 0o077 == 0 else { throw Failure(description: "\(path): master key is readable by others; chmod 600 it") }
        guard var file = FileManager.default.contents(atPath: path) else { throw Failure(description: "\(path): cannot read the master key") }
        var key = [UInt8](file)
        file.resetBytes(in: 0..<file.count)
        guard key.count == 32 else {
            key.withUnsafeMutableBytes { wipe($0) }
            throw Failure(description: "\(path): a master key file holds exactly 32 bytes")
        }
        defer { key.withUnsafeMutableBytes { wipe($0) } }
        gcm = .allocate(capacity: 1)
        mbedtls_gcm_init(gcm)
        let rc = mbedtls_gcm_setkey(gcm, MBEDTLS_CIPHER_ID_AES, key, 256)
        guard rc == 0 else { mbedtls_gcm_free(gcm); gcm.deallocate(); throw Failure(description: "master key rejected (\(rc))") }
        random = try RandomGenerator(personalization: "sealframe vault")
    }

    deinit {
        mbedtls_gcm_free(gcm)
        gcm.deallocate()
    }

    public func wrap(_ key: borrowing ContentKey, asset: String) throws -> [UInt8] {
        lock.lock(); defer { lock.unlock() }
        var out = [UInt8](repeating: 0, count: 12 + key.count + 16)
        let aad = Array(asset.utf8)
        try out.withUnsafeMutableBytes { o in
            try random.fill(UnsafeMutableRawBufferPointer(rebasing: o[0..<12]))
            let rc = key.withUnsafeBytes { (k: UnsafeRawBufferPointer) -> Int32 in
                mbedtls_gcm_crypt_and_tag(gcm, MBEDTLS_GCM_ENCRYPT, k.count, o.baseAddress!.assumingMemoryBound(to: UInt8.self), 12,
                                          aad, aad.count, k.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                          (o.baseAddress! + 12).assumingMemoryBound(to: UInt8.self), 16,
                                          (o.baseAddress! + 12 + k.count).assumingMemoryBound(to: UInt8.self))
            }
            guard rc == 0 else { throw Failure(description: "wrapping failed (\(rc))") }
        }
        return out
    }

    /// Unwraps straight into a ContentKey; a wrong master key or a moved row fails the GCM tag.
    public func unwrap(_ wrapped: [UInt8], asset: String) throws -> ContentKey {
        lock.lock(); defer { lock.unlock() }
        guard wrapped.count >= 12 + 16 + 16 else { throw Failure(description: "wrapped key too short") }
        let aad = Array(asset.utf8)
        let n = wrapped.count
        return try ContentKey(count: n - 28) { (out) throws(SealError) in
            let rc = mbedtls_gcm_auth_decrypt(gcm, out.count, wrapped, 12, aad, aad.count,
                                              Array(wrapped[(n - 16)...]), 16, Array(wrapped[12..<(n - 16)]),
                                              out.baseAddress!.assumingMemoryBound(to: UInt8.self))
            if rc != 0 { throw SealError.wrongKey }
        }
    }
}
