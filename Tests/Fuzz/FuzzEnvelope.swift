// libFuzzer harness: any bytes through Envelope.parse. A parsed envelope must serialize back to
// exactly the bytes it came from (no two encodings of one envelope, no field ignored).
import SealCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEnvelope(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    guard let envelope = try? Envelope.parse(input) else { return 0 }
    let out = UnsafeMutableRawBufferPointer.allocate(byteCount: Envelope.maxSize, alignment: 1)
    defer { out.deallocate() }
    let n = try! envelope.serialize(into: out)
    precondition(n == size && UnsafeRawBufferPointer(rebasing: out[0..<n]).elementsEqual(input),
                 "envelope round trip changed the bytes")
    return 0
}
