import SealWire
import Testing

/// The bounded HTTP/1.1 and JSON readers both ends of the key protocol share.
struct SealWireTests {
    func parse(_ text: String, limits: HTTPLimits = KeyProtocol.limits) throws -> HTTPMessage? {
        let bytes = Array(text.utf8)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)  // outlives the view
        buffer.copyBytes(from: bytes)
        return try HTTPMessage.parse(UnsafeRawBufferPointer(buffer), limits: limits)
    }

    @Test func parsesARequestAndKeepsWhatFollows() throws {
        let m = try #require(try parse("POST /v1/grants HTTP/1.1\r\nHost: x\r\ncookie: sf_session=abc\r\nContent-Length: 4\r\n\r\n{}  NEXT"))
        #expect(m.partEquals(m.first, "POST") && m.partEquals(m.second, "/v1/grants") && m.partEquals(m.third, "HTTP/1.1"))
        #expect(Array(m.header("Cookie")!) == Array("sf_session=abc".utf8))
        #expect(Array(m.bodyBytes) == Array("{}  ".utf8))
        #expect(m.length == m.bytes.count - 4)
    }

    @Test func waitsForMoreBytes() throws {
        #expect(try parse("POST / HTTP/1.1\r\nContent-Length: 10\r\n") == nil)
        #expect(try parse("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n12345") == nil)
        #expect(try parse("HTTP/1.1 204 No Content\r\n\r\n")?.status == 204)
    }

    @Test func refusesWhatItDoesNotSpeak() {
        let tooMany = "GET / HTTP/1.1\r\n" + String(repeating: "a: b\r\n", count: 30) + "\r\n"
        #expect(throws: WireError.headTooLarge) { try parse(tooMany) }
        #expect(throws: WireError.headTooLarge) { try parse("GET /" + String(repeating: "a", count: 5000)) }
        #expect(throws: WireError.bodyTooLarge) { try parse("POST / HTTP/1.1\r\nContent-Length: 99999\r\n\r\n") }
        #expect(throws: WireError.unsupported) { try parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n") }
        #expect(throws: WireError.malformed) { try parse("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx") }
        #expect(throws: WireError.malformed) { try parse("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n") }
        #expect(throws: WireError.malformed) { try parse("POST / HTTP/1.1\r\nbad header\r\n\r\n") }
        #expect(throws: WireError.malformed) { try parse("NOSPACES\r\n\r\n") }
    }

    func json(_ text: String) throws -> JSONObject {
        let bytes = Array(text.utf8)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
        buffer.copyBytes(from: bytes)
        return try JSONObject(UnsafeRawBufferPointer(rebasing: buffer[0..<bytes.count]))
    }

    @Test func readsFlatJSON() throws {
        let o = try json(#" { "asset" : "poster-1", "expires_in": 120, "ok": true, "q": "a\"b" } "#)
        #expect(Array(o.string("asset")!) == Array("poster-1".utf8))
        #expect(o.integer("expires_in") == 120)
        #expect(o.string("expires_in") == nil && o.integer("asset") == nil)
        #expect(o.count == 4)
        #expect(try json("{}").count == 0)
    }

    @Test func refusesOtherJSON() {
        for bad in [#"{"a":{"b":1}}"#, #"{"a":[1]}"#, #"{"a":1,"a":2}"#, #"{"a":"\u0041"}"#, #"{"a":1} x"#, #"{"a":}"#,
                    #"{a:1}"#, "", "[]", #"{"a":1,}"#, "{\"a\":\"x\ny\"}"] {
            #expect(throws: WireError.malformed, "\(bad)") { try json(bad) }
        }
    }

    @Test func base64URLRoundTripsWithoutPadding() throws {
        for n in 0..<40 {
            let data = (0..<n).map { UInt8(($0 * 37 + n) & 0xFF) }
            var text = [UInt8](repeating: 0, count: 64), back = [UInt8](repeating: 0, count: 40), scratch = [UInt8](repeating: 0, count: 64)
            let t = try data.withUnsafeBytes { d in try text.withUnsafeMutableBytes { try Base64URL.encode(d, into: $0) } }
            #expect(!text[0..<t].contains(UInt8(ascii: "=")) && !text[0..<t].contains(UInt8(ascii: "+")) && !text[0..<t].contains(UInt8(ascii: "/")))
            let b = try text.withUnsafeBytes { tx in
                try back.withUnsafeMutableBytes { o in try scratch.withUnsafeMutableBytes { try Base64URL.decode(UnsafeRawBufferPointer(rebasing: tx[0..<t]), into: o, scratch: $0) } }
            }
            #expect(Array(back[0..<b]) == data)
        }
        // RFC 4648 §10 vector, in the url alphabet.
        var out = [UInt8](repeating: 0, count: 16)
        let n = try Array("foobar".utf8).withUnsafeBytes { d in try out.withUnsafeMutableBytes { try Base64URL.encode(d, into: $0) } }
        #expect(String(decoding: out[0..<n], as: UTF8.self) == "Zm9vYmFy")
    }

    @Test func everyRefusalRoundTripsByCode() {
        for r in Refusal.allCases {
            let code = r.code
            #expect(Refusal(code: UnsafeRawBufferPointer(start: code.utf8Start, count: code.utf8CodeUnitCount)) == r)
            #expect(r.status >= 400)
        }
    }
}

extension SealWireTests {
    @Test func headerValuesCompareWithoutCase() throws {
        let m = try #require(try parse("GET / HTTP/1.1\r\nConnection: Close\r\n\r\n"))
        #expect(m.header("connection", equalsIgnoringCase: "close"))
        #expect(!m.header("connection", equalsIgnoringCase: "keep-alive"))
        #expect(!m.header("upgrade", equalsIgnoringCase: "close"))
    }
}
