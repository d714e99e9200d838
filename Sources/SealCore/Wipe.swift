import CMbedTLS

/// Zeroes `region` in a way the optimizer may not remove.
@inline(never)
public func wipe(_ region: UnsafeMutableRawBufferPointer) {
    guard let base = region.baseAddress, region.count > 0 else { return }
    mbedtls_platform_zeroize(base, region.count)
}

/// Caller-owned memory that holds secrets (decrypted pixels, a key being received) and is
/// wiped when this value ends. The caller keeps the allocation; this only guarantees the wipe.
public struct WipeOnEnd: ~Copyable {
    public let region: UnsafeMutableRawBufferPointer
    public init(_ region: UnsafeMutableRawBufferPointer) { self.region = region }
    deinit { wipe(region) }
}
