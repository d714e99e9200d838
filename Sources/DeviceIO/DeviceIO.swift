import CLibc
import SealCore

/// File and console helpers for the device programs (self-test, player) on the C library, so
/// Embedded builds need no Foundation.

/// Reads a whole file into a fresh buffer (the caller deallocates), or nil.
public func readWholeFile(_ path: UnsafePointer<CChar>) -> UnsafeMutableRawBufferPointer? {
    guard let f = fopen(path, "rb") else { return nil }
    defer { fclose(f) }
    guard fseek(f, 0, SEEK_END) == 0 else { return nil }
    let size = ftell(f)
    guard size >= 0, fseek(f, 0, SEEK_SET) == 0 else { return nil }
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(Int(size), 1), alignment: 16)
    guard fread(buffer.baseAddress, 1, Int(size), f) == Int(size) else {
        buffer.deallocate()
        return nil
    }
    return UnsafeMutableRawBufferPointer(rebasing: buffer[0..<Int(size)])
}

public func put(_ s: StaticString) { put(UnsafeRawBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount)) }
public func put(_ bytes: UnsafeRawBufferPointer) { for b in bytes { putchar(Int32(b)) } }
public func putDecimal(_ value: Int) {
    if value < 0 { putchar(0x2D); putDecimal(-value); return }
    if value >= 10 { putDecimal(value / 10) }
    putchar(Int32(0x30 + value % 10))
}
public func putHex(_ bytes: UnsafeRawBufferPointer) {
    let digits: StaticString = "0123456789abcdef"
    for b in bytes { putchar(Int32(digits.utf8Start[Int(b >> 4)])); putchar(Int32(digits.utf8Start[Int(b & 15)])) }
}
public func flushOutput() { fflush(nil) }

/// A path built in fixed storage: `directory/name`, NUL-terminated.
public struct Path {
    var bytes: InlineArray<512, CChar>
    public init(_ directory: UnsafeRawBufferPointer, _ name: UnsafeRawBufferPointer, suffix: StaticString = "") {
        bytes = InlineArray(repeating: 0)
        var n = 0
        func add(_ b: UInt8) { if n < 511 { bytes[n] = CChar(bitPattern: b); n += 1 } }
        for b in directory { add(b) }
        if !directory.isEmpty { add(0x2F) }
        for b in name { add(b) }
        for i in 0..<suffix.utf8CodeUnitCount { add(suffix.utf8Start[i]) }
    }
    public func withPointer<R: ~Copyable, E: Error>(_ body: (UnsafePointer<CChar>) throws(E) -> R) throws(E) -> R {
        var copy = bytes
        return try withUnsafePointer(to: &copy) { (p) throws(E) -> R in try body(UnsafeRawPointer(p).assumingMemoryBound(to: CChar.self)) }
    }
}

/// Ciphertext from a C stream.
public struct CFileSource: ByteSource, ~Copyable {
    private let file: UnsafeMutablePointer<FILE>

    public init?(path: borrowing Path) {
        guard let f = path.withPointer({ fopen($0, "rb") }) else { return nil }
        file = f
    }

    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(SealError) -> Int {
        let n = fread(buffer.baseAddress, 1, buffer.count, file)
        if n == 0 && ferror(file) != 0 { throw SealError.io(errno: 5) }
        return n
    }

    deinit { fclose(file) }
}

/// An output file written under `<path>.part` and renamed into place by `commit`; removed if
/// this value ends uncommitted, so a refused image leaves nothing behind.
public struct CFileSink: ~Copyable {
    private let file: UnsafeMutablePointer<FILE>
    private let final: Path
    private let partial: Path
    private var committed = false

    public init?(directory: UnsafeRawBufferPointer, name: UnsafeRawBufferPointer) {
        final = Path(directory, name, suffix: ".shown")
        partial = Path(directory, name, suffix: ".shown.part")
        guard let f = partial.withPointer({ fopen($0, "wb") }) else { return nil }
        file = f
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(SealError) {
        guard fwrite(bytes.baseAddress, 1, bytes.count, file) == bytes.count else { throw SealError.io(errno: 28) }
    }

    public mutating func commit() throws(SealError) {
        guard fflush(file) == 0 else { throw SealError.io(errno: 5) }
        let ok = partial.withPointer { p in final.withPointer { f in rename(p, f) == 0 } }
        guard ok else { throw SealError.io(errno: 5) }
        committed = true
    }

    deinit {
        fclose(file)
        if !committed { _ = partial.withPointer { remove($0) } }
    }
}
