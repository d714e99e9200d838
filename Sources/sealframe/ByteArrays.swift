import SealCore

/// Typed-throws access to byte arrays: the standard library's `withUnsafeBytes` rethrows
/// untyped errors, which typed-throws closures cannot pass through.
extension Array where Element == UInt8 {
    func withBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try withUnsafeBytes { b in Result { () throws(E) in try body(b) } }.get()
    }

    mutating func withMutableBytes<R, E: Error>(_ body: (UnsafeMutableRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try withUnsafeMutableBytes { b in Result { () throws(E) in try body(b) } }.get()
    }

    /// A ContentKey holding a copy of these bytes.
    func contentKey() throws(SealError) -> ContentKey {
        try ContentKey(count: count) { (out) throws(SealError) in
            _ = try withBytes { (b) throws(SealError) in out.copyMemory(from: b) }
        }
    }
}
