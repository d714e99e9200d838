// libFuzzer harness: any bytes as what a device sends the key server. The bounded HTTP parser
// and the JSON reader must never crash, and what they return must lie inside the input.
import SealWire

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequest(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    guard let message = try? HTTPMessage.parse(input, limits: KeyProtocol.limits) else { return 0 }
    precondition(message.length <= size && message.body.upperBound == message.length, "message outside the input")
    precondition(message.body.count <= KeyProtocol.limits.maxBodyBytes, "body over the limit")
    _ = message.header("cookie")
    if let json = try? JSONObject(message.bodyBytes), let asset = json.string("asset") {
        precondition(asset.count <= message.body.count, "JSON value outside the body")
    }
    return 0
}
