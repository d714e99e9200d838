/// Bounds on one HTTP/1.1 message, so a peer cannot make either side buffer without limit.
public struct HTTPLimits: Sendable {
    public var maxHeadBytes: Int
    public var maxHeaders: Int
    public var maxBodyBytes: Int
    public init(maxHeadBytes: Int = 4096, maxHeaders: Int = 24, maxBodyBytes: Int = 4096) {
        self.maxHeadBytes = maxHeadBytes
        self.maxHeaders = min(maxHeaders, HTTPMessage.headerCapacity)
        self.maxBodyBytes = maxBodyBytes
    }
}

/// One parsed HTTP/1.1 request or response: ranges into the caller's buffer, nothing copied.
/// For a request the start line is method, target, version; for a response version, status, reason.
public struct HTTPMessage {
    public static let headerCapacity = 32
    public let bytes: UnsafeRawBufferPointer
    public let first: Range<Int>, second: Range<Int>, third: Range<Int>
    private var headerRanges: InlineArray<32, (name: Range<Int>, value: Range<Int>)>
    public private(set) var headerCount: Int
    public let body: Range<Int>
    /// Bytes of the buffer this message used; what follows belongs to the next message.
    public let length: Int

    /// Parses one message at the start of `bytes`. Returns nil if more bytes are needed.
    public static func parse(_ bytes: UnsafeRawBufferPointer, limits: HTTPLimits) throws(WireError) -> HTTPMessage? {
        // Find the end of the head.
        var headEnd = -1
        let scan = min(bytes.count, limits.maxHeadBytes)
        var i = 3
        while i < scan {
            if bytes[i - 3] == 13 && bytes[i - 2] == 10 && bytes[i - 1] == 13 && bytes[i] == 10 { headEnd = i + 1; break }
            i += 1
        }
        if headEnd < 0 {
            if bytes.count >= limits.maxHeadBytes { throw WireError.headTooLarge }
            return nil
        }
        var lines = LineReader(bytes: bytes, end: headEnd - 2)
        guard let start = lines.next() else { throw WireError.malformed }
        // Start line: three parts separated by single spaces (the reason may contain spaces).
        guard let s1 = firstIndex(of: 0x20, in: bytes, start) else { throw WireError.malformed }
        guard let s2 = firstIndex(of: 0x20, in: bytes, (s1 + 1)..<start.upperBound) else { throw WireError.malformed }
        let first = start.lowerBound..<s1, second = (s1 + 1)..<s2, third = (s2 + 1)..<start.upperBound
        guard !first.isEmpty, !second.isEmpty else { throw WireError.malformed }
        var headers = InlineArray<32, (name: Range<Int>, value: Range<Int>)>(repeating: (0..<0, 0..<0))
        var count = 0
        var contentLength = 0
        var sawLength = false
        while let line = lines.next() {
            guard count < limits.maxHeaders else { throw WireError.headTooLarge }
            guard let colon = firstIndex(of: 0x3A, in: bytes, line), colon > line.lowerBound else { throw WireError.malformed }
            let name = line.lowerBound..<colon
            for j in name where !isTokenByte(bytes[j]) { throw WireError.malformed }
            var v0 = colon + 1, v1 = line.upperBound
            while v0 < v1 && (bytes[v0] == 0x20 || bytes[v0] == 0x09) { v0 += 1 }
            while v1 > v0 && (bytes[v1 - 1] == 0x20 || bytes[v1 - 1] == 0x09) { v1 -= 1 }
            for j in v0..<v1 where bytes[j] < 0x20 && bytes[j] != 0x09 { throw WireError.malformed }
            headers[count] = (name, v0..<v1)
            count += 1
            if equalsIgnoringCase(bytes, name, "transfer-encoding") { throw WireError.unsupported }
            if equalsIgnoringCase(bytes, name, "content-length") {
                guard !sawLength, let n = decimal(bytes, v0..<v1) else { throw WireError.malformed }
                sawLength = true
                contentLength = n
            }
        }
        guard contentLength <= limits.maxBodyBytes else { throw WireError.bodyTooLarge }
        if bytes.count < headEnd + contentLength { return nil }
        return HTTPMessage(bytes: bytes, first: first, second: second, third: third, headerRanges: headers,
                           headerCount: count, body: headEnd..<(headEnd + contentLength),
                           length: headEnd + contentLength)
    }

    /// The value of the first header called `name` (ASCII, case-insensitive).
    public func header(_ name: StaticString) -> UnsafeRawBufferPointer? {
        for i in 0..<headerCount where equalsIgnoringCase(bytes, headerRanges[i].name, name) {
            return UnsafeRawBufferPointer(rebasing: bytes[headerRanges[i].value])
        }
        return nil
    }

    /// True if header `name` exists and its value equals `value` (both ASCII, case-insensitive).
    public func header(_ name: StaticString, equalsIgnoringCase value: StaticString) -> Bool {
        guard let v = header(name), let start = v.baseAddress, let base = bytes.baseAddress else { return false }
        let offset = start - base
        return equalsIgnoringCase(bytes, offset..<(offset + v.count), value)
    }

    public func part(_ range: Range<Int>) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[range]) }
    public var bodyBytes: UnsafeRawBufferPointer { part(body) }

    /// The status code of a response.
    public var status: Int? { decimal(bytes, second) }

    /// True if the start line's part equals `text` exactly.
    public func partEquals(_ range: Range<Int>, _ text: StaticString) -> Bool { equals(bytes, range, text) }
}

struct LineReader {
    let bytes: UnsafeRawBufferPointer
    let end: Int
    var position = 0
    init(bytes: UnsafeRawBufferPointer, end: Int) { self.bytes = bytes; self.end = end }
    /// The next CRLF-terminated line (without CRLF); bare LF or CR are not line ends here.
    mutating func next() -> Range<Int>? {
        guard position < end else { return nil }
        var i = position
        while i + 1 < end + 2 && !(bytes[i] == 13 && bytes[i + 1] == 10) { i += 1 }
        defer { position = i + 2 }
        return position..<i
    }
}

func firstIndex(of byte: UInt8, in bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int? {
    for i in range where bytes[i] == byte { return i }
    return nil
}

func isTokenByte(_ c: UInt8) -> Bool {
    (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2D || c == 0x5F
}

func lower(_ c: UInt8) -> UInt8 { c >= 0x41 && c <= 0x5A ? c + 32 : c }

func equalsIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ text: StaticString) -> Bool {
    guard range.count == text.utf8CodeUnitCount else { return false }
    for (k, i) in range.enumerated() where lower(bytes[i]) != lower(text.utf8Start[k]) { return false }
    return true
}

func equals(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ text: StaticString) -> Bool {
    guard range.count == text.utf8CodeUnitCount else { return false }
    for (k, i) in range.enumerated() where bytes[i] != text.utf8Start[k] { return false }
    return true
}

/// A non-negative decimal of at most 18 digits (lengths, statuses, UNIX times; no overflow).
func decimal(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int? {
    guard !range.isEmpty, range.count <= 18 else { return nil }
    var n = 0
    for i in range {
        guard bytes[i] >= 0x30 && bytes[i] <= 0x39 else { return nil }
        n = n * 10 + Int(bytes[i] - 0x30)
    }
    return n
}
