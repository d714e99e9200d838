import CMbedTLS

/// Owns one `mbedtls_aes_context` at a fixed heap address: 2.28's context points into
/// itself after `setkey`, so it must never move. init → setkey → crypt → free (which wipes).
public struct AESContext: ~Copyable {
    private let ctx: UnsafeMutablePointer<mbedtls_aes_context>

    init() {
        ctx = .allocate(capacity: 1)
        mbedtls_aes_init(ctx)
    }

    /// Keys the context for CTR mode (which only ever uses the encryption schedule).
    func setKey(_ key: UnsafeRawBufferPointer) throws(SealError) {
        try check(mbedtls_aes_setkey_enc(ctx, key.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                         UInt32(key.count * 8)))
    }

    /// AES-CTR from the 16-byte initial counter block `counter` (a big-endian 128-bit counter).
    /// `output` may be the same memory as `input`.
    func ctr(counter: UnsafeRawBufferPointer, _ input: UnsafeRawBufferPointer,
             into output: UnsafeMutableRawBufferPointer) throws(SealError) {
        if input.isEmpty { return }
        var block = (UInt64(0), UInt64(0))
        var stream = (UInt64(0), UInt64(0))
        var offset = 0
        try withUnsafeMutableBytes(of: &block) { (b: UnsafeMutableRawBufferPointer) throws(SealError) in
            b.copyMemory(from: counter)
            try withUnsafeMutableBytes(of: &stream) { (s: UnsafeMutableRawBufferPointer) throws(SealError) in
                try check(mbedtls_aes_crypt_ctr(ctx, input.count, &offset,
                                                b.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                                s.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                                input.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                                output.baseAddress!.assumingMemoryBound(to: UInt8.self)))
                wipe(s)  // the last keystream block
            }
        }
    }

    deinit {
        mbedtls_aes_free(ctx)
        ctx.deallocate()
    }
}

/// Owns one `mbedtls_md_context_t` set up for HMAC. `setup` allocates the HMAC pads, so it
/// happens once per owner; keys change with `setKey` and segments restart with `reset`.
public struct HMACContext: ~Copyable {
    private let ctx: UnsafeMutablePointer<mbedtls_md_context_t>
    private(set) var hash: HashFunction

    init(_ hash: HashFunction) throws(SealError) {
        ctx = .allocate(capacity: 1)
        mbedtls_md_init(ctx)
        self.hash = hash
        let rc = mbedtls_md_setup(ctx, hash.mdInfo, 1)
        if rc != 0 {
            mbedtls_md_free(ctx); ctx.deallocate()
            throw SealError.crypto(code: rc)
        }
    }

    /// Re-points the context at another hash; allocates only when the hash really changes.
    mutating func use(_ newHash: HashFunction) throws(SealError) {
        if newHash == hash { return }
        mbedtls_md_free(ctx)
        mbedtls_md_init(ctx)
        hash = newHash
        try check(mbedtls_md_setup(ctx, newHash.mdInfo, 1))
    }

    func setKey(_ key: UnsafeRawBufferPointer) throws(SealError) {
        try check(mbedtls_md_hmac_starts(ctx, key.baseAddress!.assumingMemoryBound(to: UInt8.self), key.count))
    }

    /// Restarts the MAC under the current key.
    func reset() throws(SealError) { try check(mbedtls_md_hmac_reset(ctx)) }

    func update(_ bytes: UnsafeRawBufferPointer) throws(SealError) {
        if bytes.isEmpty { return }
        try check(mbedtls_md_hmac_update(ctx, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), bytes.count))
    }

    /// Writes the full digest (`hash.digestSize` bytes) to `out`.
    func finish(into out: UnsafeMutableRawBufferPointer) throws(SealError) {
        try check(mbedtls_md_hmac_finish(ctx, out.baseAddress!.assumingMemoryBound(to: UInt8.self)))
    }

    deinit {
        mbedtls_md_free(ctx)
        ctx.deallocate()
    }
}
