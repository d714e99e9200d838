/// Reads one flat JSON object (`{"name": "string" | integer | true | false | null, ...}`), the
/// only shape this protocol sends. Strictly: nested values, duplicate names, escapes other than
/// \" \\ \/ and trailing bytes are refused. Values are ranges into the caller's bytes.
public struct JSONObject {
    public static let capacity = 16
    public let bytes: UnsafeRawBufferPointer
    private var fields: InlineArray<16, (name: Range<Int>, value: Range<Int>, isString: Bool)>
    public private(set) var count = 0

    public init(_ bytes: UnsafeRawBufferPointer) throws(WireError) {
        self.bytes = bytes
        fields = InlineArray(repeating: (0..<0, 0..<0, false))
        var i = skipSpace(0)
        guard i < bytes.count, bytes[i] == 0x7B else { throw WireError.malformed }
        i = skipSpace(i + 1)
        if i < bytes.count && bytes[i] == 0x7D {
            i += 1
        } else {
            while true {
                let name = try string(at: i)
                i = skipSpace(name.upperBound + 1)
                guard i < bytes.count, bytes[i] == 0x3A else { throw WireError.malformed }
                i = skipSpace(i + 1)
                guard i < bytes.count else { throw WireError.malformed }
                let value: Range<Int>, isString: Bool
                if bytes[i] == 0x22 {
                    value = try string(at: i); isString = true
                    i = value.upperBound + 1
                } else {
                    var j = i
                    while j < bytes.count, isScalarByte(bytes[j]) { j += 1 }
                    guard j > i else { throw WireError.malformed }
                    value = i..<j; isString = false
                    guard decimal(bytes, value) != nil || equals(bytes, value, "true") || equals(bytes, value, "false")
                            || equals(bytes, value, "null") else { throw WireError.malformed }
                    i = j
                }
                guard count < JSONObject.capacity else { throw WireError.malformed }
                for k in 0..<count where bytes[fields[k].name].elementsEqual(bytes[name]) { throw WireError.malformed }
                fields[count] = (name, value, isString)
                count += 1
                i = skipSpace(i)
                guard i < bytes.count else { throw WireError.malformed }
                if bytes[i] == 0x2C { i = skipSpace(i + 1); continue }
                guard bytes[i] == 0x7D else { throw WireError.malformed }
                i += 1
                break
            }
        }
        guard skipSpace(i) == bytes.count else { throw WireError.malformed }
    }

    /// The raw bytes of string field `name` (between the quotes), or nil.
    public func string(_ name: StaticString) -> UnsafeRawBufferPointer? {
        for k in 0..<count where fields[k].isString && equals(bytes, fields[k].name, name) {
            return UnsafeRawBufferPointer(rebasing: bytes[fields[k].value])
        }
        return nil
    }

    /// Integer field `name` (non-negative, at most 18 digits), or nil.
    public func integer(_ name: StaticString) -> Int? {
        for k in 0..<count where !fields[k].isString && equals(bytes, fields[k].name, name) {
            return decimal(bytes, fields[k].value)
        }
        return nil
    }

    /// The range inside the quotes of the string starting at `start`. Only simple escapes.
    private func string(at start: Int) throws(WireError) -> Range<Int> {
        guard start < bytes.count, bytes[start] == 0x22 else { throw WireError.malformed }
        var i = start + 1
        while i < bytes.count {
            let c = bytes[i]
            if c == 0x22 { return (start + 1)..<i }
            if c < 0x20 { throw WireError.malformed }
            if c == 0x5C {
                guard i + 1 < bytes.count, bytes[i + 1] == 0x22 || bytes[i + 1] == 0x5C || bytes[i + 1] == 0x2F
                else { throw WireError.malformed }
                i += 2
                continue
            }
            i += 1
        }
        throw WireError.malformed
    }

    private func skipSpace(_ from: Int) -> Int {
        var i = from
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
        return i
    }
}

private func isScalarByte(_ c: UInt8) -> Bool { (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7A) || c == 0x2D }

/// Writes bytes into a fixed buffer; any overflow is remembered and reported by `finish`.
public struct ByteWriter {
    public let buffer: UnsafeMutableRawBufferPointer
    public private(set) var count = 0
    private var overflowed = false

    public init(_ buffer: UnsafeMutableRawBufferPointer) { self.buffer = buffer }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard count + bytes.count <= buffer.count else { overflowed = true; return }
        UnsafeMutableRawBufferPointer(rebasing: buffer[count..<count + bytes.count]).copyMemory(from: bytes)
        count += bytes.count
    }

    public mutating func append(_ text: StaticString) {
        append(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    public mutating func append(byte: UInt8) {
        guard count < buffer.count else { overflowed = true; return }
        buffer[count] = byte
        count += 1
    }

    public mutating func append(decimal value: Int) {
        var digits = (UInt64(0), UInt64(0), UInt64(0))  // 24 bytes, enough for Int.min
        var n = value.magnitude
        var used = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat { d[23 - used] = UInt8(n % 10) + 0x30; n /= 10; used += 1 } while n > 0
            if value < 0 { used += 1; d[24 - used] = 0x2D }
            append(UnsafeRawBufferPointer(rebasing: d[(24 - used)...]))
        }
    }

    /// A JSON string: quotes added, `"` and `\` escaped, control bytes refused (replaced by `?`).
    public mutating func appendJSONString(_ bytes: UnsafeRawBufferPointer) {
        append(byte: 0x22)
        for c in bytes {
            if c == 0x22 || c == 0x5C { append(byte: 0x5C); append(byte: c) } else { append(byte: c < 0x20 ? 0x3F : c) }
        }
        append(byte: 0x22)
    }

    public mutating func appendJSONString(_ text: StaticString) {
        appendJSONString(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// The bytes written, or `bufferTooSmall` if any append did not fit.
    public func finish() throws(WireError) -> UnsafeRawBufferPointer {
        if overflowed { throw WireError.bufferTooSmall }
        return UnsafeRawBufferPointer(rebasing: buffer[0..<count])
    }
}
