import CMbedTLS

/// A running SHA-256 (for "image verified" lines and test vectors; not a MAC).
public struct SHA256Digest: ~Copyable {
    private let ctx: UnsafeMutablePointer<mbedtls_sha256_context>

    public init() {
        ctx = .allocate(capacity: 1)
        mbedtls_sha256_init(ctx)
        _ = mbedtls_sha256_starts_ret(ctx, 0)  // cannot fail for the software implementation
    }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        if bytes.isEmpty { return }
        _ = mbedtls_sha256_update_ret(ctx, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), bytes.count)
    }

    /// Writes the 32-byte digest and restarts.
    public func finish(into out: UnsafeMutableRawBufferPointer) {
        precondition(out.count >= 32)
        _ = mbedtls_sha256_finish_ret(ctx, out.baseAddress!.assumingMemoryBound(to: UInt8.self))
        _ = mbedtls_sha256_starts_ret(ctx, 0)
    }

    deinit {
        mbedtls_sha256_free(ctx)
        ctx.deallocate()
    }
}
