/// Secret bytes at one fixed heap address for their whole life, wiped when they end.
/// Not copyable, no description, no serialization: the only access is a scoped borrow.
public struct SecretBytes: ~Copyable {
    private let storage: UnsafeMutableRawBufferPointer

    /// Allocates `count` bytes and lets `fill` write them; on a throw the bytes are wiped.
    public init<E: Error>(count: Int, fill: (UnsafeMutableRawBufferPointer) throws(E) -> Void) throws(E) {
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 16)
        let used = UnsafeMutableRawBufferPointer(rebasing: storage[0..<count])
        used.initializeMemory(as: UInt8.self, repeating: 0)
        do { try fill(used) } catch {
            wipe(storage); storage.deallocate(); throw error
        }
        self.storage = used
    }

    public init(copying bytes: UnsafeRawBufferPointer) {
        self.init(count: bytes.count) { (dst: UnsafeMutableRawBufferPointer) throws(Never) in
            dst.copyMemory(from: bytes)
        }
    }

    public var count: Int { storage.count }

    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(storage))
    }

    deinit {
        wipe(storage)
        storage.deallocate()
    }
}
