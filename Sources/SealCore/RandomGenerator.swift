import CMbedTLS

/// mbedTLS's CTR_DRBG seeded from mbedTLS's entropy sources (getrandom on Linux). Both
/// contexts live at fixed heap addresses because the DRBG keeps a pointer to the entropy context.
public struct RandomGenerator: ~Copyable {
    private let entropy: UnsafeMutablePointer<mbedtls_entropy_context>
    private let drbg: UnsafeMutablePointer<mbedtls_ctr_drbg_context>

    /// `personalization` separates this use of the DRBG from others in the same process.
    public init(personalization: StaticString) throws(SealError) {
        entropy = .allocate(capacity: 1)
        drbg = .allocate(capacity: 1)
        mbedtls_entropy_init(entropy)
        mbedtls_ctr_drbg_init(drbg)
        let rc = mbedtls_ctr_drbg_seed(drbg, mbedtls_entropy_func, entropy,
                                       personalization.utf8Start, personalization.utf8CodeUnitCount)
        if rc != 0 {
            RandomGenerator.release(entropy, drbg)
            throw SealError.crypto(code: rc)
        }
    }

    /// Fills `out` with random bytes (any length; the DRBG is asked in pieces it accepts).
    public func fill(_ out: UnsafeMutableRawBufferPointer) throws(SealError) {
        var offset = 0
        while offset < out.count {
            let n = min(out.count - offset, Int(MBEDTLS_CTR_DRBG_MAX_REQUEST))
            try check(mbedtls_ctr_drbg_random(drbg, (out.baseAddress! + offset).assumingMemoryBound(to: UInt8.self), n))
            offset += n
        }
    }

    /// The raw context, for mbedTLS calls that take an RNG callback (`mbedtls_ctr_drbg_random`).
    public var context: UnsafeMutableRawPointer { UnsafeMutableRawPointer(drbg) }

    private static func release(_ entropy: UnsafeMutablePointer<mbedtls_entropy_context>,
                                _ drbg: UnsafeMutablePointer<mbedtls_ctr_drbg_context>) {
        mbedtls_ctr_drbg_free(drbg)
        mbedtls_entropy_free(entropy)
        drbg.deallocate()
        entropy.deallocate()
    }

    deinit { RandomGenerator.release(entropy, drbg) }
}
