// libFuzzer harness: any bytes as what the key server answers a device: the bounded HTTP
// response parser, the JSON reader, the refusal codes and the base64url key decoder.
import SealWire

let keyBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 16)
let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 128, alignment: 16)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzResponse(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    guard let message = try? HTTPMessage.parse(input, limits: KeyProtocol.limits) else { return 0 }
    _ = message.status
    _ = message.header("set-cookie")
    guard let json = try? JSONObject(message.bodyBytes) else { return 0 }
    if let code = json.string("error") { _ = Refusal(code: code) }
    _ = json.integer("expires_in")
    if let key = json.string("key"), key.count <= 86 {
        if let n = try? Base64URL.decode(key, into: keyBuffer, scratch: scratch) { precondition(n <= 64) }
    }
    return 0
}
