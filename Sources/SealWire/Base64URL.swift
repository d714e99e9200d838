import CMbedTLS
import SealCore

/// base64url without padding (RFC 4648 §5), on mbedTLS's base64 with the two letters swapped.
public enum Base64URL {
    /// Encodes `bytes` into `out`; returns the length written.
    public static func encode(_ bytes: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) throws(WireError) -> Int {
        var written = 0
        let rc = mbedtls_base64_encode(out.baseAddress?.assumingMemoryBound(to: UInt8.self), out.count, &written,
                                       bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count)
        guard rc == 0 else { throw WireError.bufferTooSmall }
        var n = written
        while n > 0 && out[n - 1] == 0x3D { n -= 1 }
        for i in 0..<n {
            if out[i] == 0x2B { out[i] = 0x2D } else if out[i] == 0x2F { out[i] = 0x5F }
        }
        if n < out.count { out[n] = 0 }
        return n
    }

    /// Decodes base64url `text` into `out`, using `scratch` (at least `text.count + 3` bytes)
    /// for the standard-alphabet copy; `scratch` is wiped afterwards. Returns the length.
    public static func decode(_ text: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer,
                              scratch: UnsafeMutableRawBufferPointer) throws(WireError) -> Int {
        let padded = (text.count + 3) / 4 * 4
        guard scratch.count >= padded else { throw WireError.bufferTooSmall }
        defer { wipe(UnsafeMutableRawBufferPointer(rebasing: scratch[0..<padded])) }
        for i in 0..<text.count {
            let c = text[i]
            if c == 0x2B || c == 0x2F || c == 0x3D { throw WireError.malformed }  // not the url alphabet
            scratch[i] = c == 0x2D ? 0x2B : (c == 0x5F ? 0x2F : c)
        }
        for i in text.count..<padded { scratch[i] = 0x3D }
        var written = 0
        let rc = mbedtls_base64_decode(out.baseAddress?.assumingMemoryBound(to: UInt8.self), out.count, &written,
                                       scratch.baseAddress?.assumingMemoryBound(to: UInt8.self), padded)
        if rc == MBEDTLS_ERR_BASE64_BUFFER_TOO_SMALL { throw WireError.bufferTooSmall }
        guard rc == 0 else { throw WireError.malformed }
        return written
    }
}


