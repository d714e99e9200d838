// libFuzzer harness: any bytes as a sealed image under a fixed key (Tests/Fuzz/fuzz.key, a test
// key). The first byte picks the read size. Invariants: no crash, and a successful open
// released exactly the plaintext length its envelope announced.
import SealCore

let staging = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
let output = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 16)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDecryptor(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let chunk = Int(data[0]) % 64 * 61 + 1
    var source = MemorySource(UnsafeRawBufferPointer(start: data + 1, count: size - 1), chunkSize: chunk)
    do throws(SealError) {
        let key = try ContentKey(count: 32) { (b) throws(SealError) in for i in 0..<32 { b[i] = UInt8(i) } }
        var decryptor = try ImageDecryptor(parameters: .sealframeDefault, staging: staging)
        var released: UInt64 = 0
        let envelope = try decryptor.openImage(from: &source, key: key, readBuffer: readBuffer, output: output) {
            (plaintext) throws(SealError) in released += UInt64(plaintext.count)
        }
        precondition(released == envelope.plaintextLength, "released length differs from the envelope's")
    } catch {
        // Refusals are the expected outcome for almost every input.
    }
    return 0
}
