/// HKDF (RFC 5869) over a caller-owned, already set-up HMAC context.
/// mbedtls_hkdf() sets up a fresh context (a heap allocation) on every call; running the
/// same extract/expand on a context kept for the decryptor's life keeps images allocation-free.
/// Tests check the output against RFC 5869 and against mbedtls_hkdf itself.
func hkdf(using mac: borrowing HMACContext, salt: UnsafeRawBufferPointer, ikm: UnsafeRawBufferPointer,
          info: UnsafeRawBufferPointer, into okm: UnsafeMutableRawBufferPointer) throws(SealError) {
    let hashLen = mac.hash.digestSize
    guard okm.count <= 255 * hashLen else { throw SealError.unsupportedParameters }
    // Two digest-sized scratch blocks: the PRK and the running T(i). Both are wiped.
    var scratch = (InlineBytes64(), InlineBytes64())
    defer { withUnsafeMutableBytes(of: &scratch) { wipe($0) } }
    try withUnsafeMutableBytes(of: &scratch) { (s: UnsafeMutableRawBufferPointer) throws(SealError) in
        let prk = UnsafeMutableRawBufferPointer(rebasing: s[0..<hashLen])
        let t = UnsafeMutableRawBufferPointer(rebasing: s[64..<64 + hashLen])
        // Extract: an empty salt means a string of hashLen zero bytes (RFC 5869 §2.2).
        if salt.isEmpty {
            try mac.setKey(UnsafeRawBufferPointer(t))  // t is still all zeros here
        } else {
            try mac.setKey(salt)
        }
        try mac.update(ikm)
        try mac.finish(into: prk)
        // Expand.
        try mac.setKey(UnsafeRawBufferPointer(prk))
        var written = 0
        var counter: UInt8 = 1
        while written < okm.count {
            if counter > 1 {
                try mac.reset()
                try mac.update(UnsafeRawBufferPointer(t))
            }
            try mac.update(info)
            try withUnsafeBytes(of: &counter) { (c: UnsafeRawBufferPointer) throws(SealError) in try mac.update(c) }
            try mac.finish(into: t)
            let n = min(hashLen, okm.count - written)
            UnsafeMutableRawBufferPointer(rebasing: okm[written..<written + n])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: t[0..<n]))
            written += n
            counter &+= 1
        }
    }
}

/// 64 bytes on the stack (the largest digest).
struct InlineBytes64 {
    var words: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
}
