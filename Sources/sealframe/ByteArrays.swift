import SealCore

/// Typed-throws access to byte arrays: the standard library's `withUnsafeBytes` rethrows
/// untyped errors, which typed-throws closures cannot pass through.
extension Array where Element == UInt8 {
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws(SealError) -> R) throws(SealError) -> R {
        try withUnsafeBytes { b in Result { () throws(SealError) in try body(b) } }.get()
    }

    mutating func withMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws(SealError) -> R) throws(SealError) -> R {
        try withUnsafeMutableBytes { b in Result { () throws(SealError) in try body(b) } }.get()
    }

    /// A ContentKey holding a copy of these bytes.
    func contentKey() throws(SealError) -> ContentKey {
        try ContentKey(count: count) { (out) throws(SealError) in
            _ = try withBytes { (b) throws(SealError) in out.copyMemory(from: b) }
        }
    }
}
