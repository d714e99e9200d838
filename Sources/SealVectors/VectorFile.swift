import SealCore

/// One test vector file (Tests/Vectors/README.md): `name: value` lines, a `---` line, then
/// the ciphertext to the end of the file. Views into the caller's bytes; copies nothing.
public struct VectorFile {
    public let bytes: UnsafeRawBufferPointer
    public let body: UnsafeRawBufferPointer
    private let headerEnd: Int

    public init(_ bytes: UnsafeRawBufferPointer) throws(VectorError) {
        self.bytes = bytes
        var lineStart = 0
        var i = 0
        while i < bytes.count {
            if bytes[i] == 0x0A {
                if i - lineStart == 3 && bytes[lineStart] == 0x2D && bytes[lineStart + 1] == 0x2D
                    && bytes[lineStart + 2] == 0x2D {
                    headerEnd = lineStart
                    body = UnsafeRawBufferPointer(rebasing: bytes[(i + 1)...])
                    return
                }
                lineStart = i + 1
            }
            i += 1
        }
        throw VectorError.malformed
    }

    /// The value of field `name`, or nil.
    public func field(_ name: StaticString) -> UnsafeRawBufferPointer? {
        var lineStart = 0
        while lineStart < headerEnd {
            var lineEnd = lineStart
            while lineEnd < headerEnd && bytes[lineEnd] != 0x0A { lineEnd += 1 }
            let n = name.utf8CodeUnitCount
            if lineEnd - lineStart >= n + 2 && bytes[lineStart + n] == 0x3A && bytes[lineStart + n + 1] == 0x20 {
                var same = true
                for j in 0..<n where bytes[lineStart + j] != name.utf8Start[j] { same = false; break }
                if same { return UnsafeRawBufferPointer(rebasing: bytes[(lineStart + n + 2)..<lineEnd]) }
            }
            lineStart = lineEnd + 1
        }
        return nil
    }

    public func number(_ name: StaticString) throws(VectorError) -> UInt64 {
        guard let v = field(name), !v.isEmpty else { throw VectorError.missing }
        var n: UInt64 = 0
        for c in v {
            guard c >= 0x30 && c <= 0x39 else { throw VectorError.malformed }
            n = n * 10 + UInt64(c - 0x30)
        }
        return n
    }

    /// Decodes hex field `name` into `out`; returns the byte count.
    public func hex(_ name: StaticString, into out: UnsafeMutableRawBufferPointer) throws(VectorError) -> Int {
        guard let v = field(name) else { throw VectorError.missing }
        guard v.count % 2 == 0, v.count / 2 <= out.count else { throw VectorError.malformed }
        for i in 0..<(v.count / 2) {
            guard let hi = nibble(v[2 * i]), let lo = nibble(v[2 * i + 1]) else { throw VectorError.malformed }
            out[i] = hi << 4 | lo
        }
        return v.count / 2
    }

    public func equals(_ name: StaticString, _ value: StaticString) -> Bool {
        guard let v = field(name), v.count == value.utf8CodeUnitCount else { return false }
        for j in 0..<v.count where v[j] != value.utf8Start[j] { return false }
        return true
    }

    public func hash(_ name: StaticString) -> HashFunction? {
        if equals(name, "sha1") { return .sha1 }
        if equals(name, "sha256") { return .sha256 }
        if equals(name, "sha512") { return .sha512 }
        return nil
    }
}

private func nibble(_ c: UInt8) -> UInt8? {
    switch c {
    case 0x30...0x39: c - 0x30
    case 0x61...0x66: c - 0x61 + 10
    case 0x41...0x46: c - 0x41 + 10
    default: nil
    }
}

public enum VectorError: Error {
    case malformed, missing
    /// The decryptor's result differs from the vector's `expect`.
    case mismatch(StaticString)
}
