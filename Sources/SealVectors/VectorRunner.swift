import SealCore

/// What a decryption of a vector released and how it ended.
public struct VectorOutcome {
    public var error: SealError?
    public var releasedLength = 0
    public var releasedDigest = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
}

/// Decrypts vectors through the streaming decryptor, feeding `chunkSize` bytes at a time,
/// with buffers sized once for the largest segment the vectors use.
public struct VectorRunner: ~Copyable {
    public static let maxSegmentSize = 1 << 20
    private let staging: UnsafeMutableRawBufferPointer
    private let output: UnsafeMutableRawBufferPointer
    private let input: UnsafeMutableRawBufferPointer

    public init() {
        staging = .allocate(byteCount: VectorRunner.maxSegmentSize, alignment: 16)
        output = .allocate(byteCount: VectorRunner.maxSegmentSize, alignment: 16)
        input = .allocate(byteCount: VectorRunner.maxSegmentSize, alignment: 16)
    }

    deinit {
        staging.deallocate()
        input.deallocate()
        wipe(output)
        output.deallocate()
    }

    /// Runs `vector` and checks the outcome against its `expect`, `released-*` and `failed-segment`.
    public func check(_ vector: VectorFile, chunkSize: Int) throws(VectorError) {
        let outcome = try run(vector, chunkSize: chunkSize)
        guard outcome.releasedLength == Int(try vector.number("released-length")) else {
            throw VectorError.mismatch("released length")
        }
        var expected = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        var got = outcome.releasedDigest
        let same = try withUnsafeMutableBytes(of: &expected) { (e: UnsafeMutableRawBufferPointer) throws(VectorError) -> Bool in
            _ = try vector.hex("released-sha256", into: e)
            return withUnsafeBytes(of: &got) { g in e.elementsEqual(g) }
        }
        guard same else { throw VectorError.mismatch("released sha256") }
        switch outcome.error {
        case nil:
            guard vector.equals("expect", "ok") else { throw VectorError.mismatch("succeeded, expected a failure") }
        case .authenticationFailed(let segment)?:
            guard vector.equals("expect", "authentication-failure") else { throw VectorError.mismatch("authentication failure") }
            guard UInt64(segment) == (try vector.number("failed-segment")) else { throw VectorError.mismatch("failed segment") }
        case .truncated?:
            guard vector.equals("expect", "truncated") else { throw VectorError.mismatch("truncated") }
        case .trailingData?:
            guard vector.equals("expect", "trailing-data") else { throw VectorError.mismatch("trailing data") }
        case .wrongKey?:
            guard vector.equals("expect", "wrong-key") else { throw VectorError.mismatch("wrong key") }
        case .malformedHeader?:
            guard vector.equals("expect", "malformed-header") else { throw VectorError.mismatch("malformed header") }
        case .unsupportedVersion?:
            guard vector.equals("expect", "unsupported-version") else { throw VectorError.mismatch("unsupported version") }
        case .some:
            throw VectorError.mismatch("unexpected error")
        }
    }

    /// Decrypts `vector`'s body; a SealError is the outcome, a VectorError a broken vector.
    public func run(_ vector: VectorFile, chunkSize: Int) throws(VectorError) -> VectorOutcome {
        var secrets = (InlineKey(), InlineKey())  // key, associated data
        defer { withUnsafeMutableBytes(of: &secrets) { wipe($0) } }
        return try withUnsafeMutableBytes(of: &secrets) { (s: UnsafeMutableRawBufferPointer) throws(VectorError) -> VectorOutcome in
            let keyBuffer = UnsafeMutableRawBufferPointer(rebasing: s[0..<64])
            let aadBuffer = UnsafeMutableRawBufferPointer(rebasing: s[64..<128])
            let key = UnsafeRawBufferPointer(rebasing: keyBuffer[0..<(try vector.hex("key", into: keyBuffer))])
            var raw: StreamParameters? = nil
            var aad = UnsafeRawBufferPointer(rebasing: aadBuffer[0..<0])
            if vector.equals("kind", "tink") {
                guard let kdf = vector.hash("hkdf"), let mac = vector.hash("mac") else { throw VectorError.malformed }
                let keySize = Int(try vector.number("key-size")), tag = Int(try vector.number("tag"))
                let segment = Int(try vector.number("segment"))
                do throws(SealError) {
                    raw = try StreamParameters(keySize: keySize, kdfHash: kdf, macHash: mac, tagSize: tag, segmentSize: segment)
                } catch { throw VectorError.malformed }
                aad = UnsafeRawBufferPointer(rebasing: aadBuffer[0..<(try vector.hex("aad", into: aadBuffer))])
            }
            var outcome = VectorOutcome()
            let digest = SHA256Digest()
            do throws(SealError) {
                let contentKey = try ContentKey(copying: key)
                try decrypt(vector.body, raw: raw, aad: aad, key: contentKey, chunkSize: chunkSize,
                            digest: digest, outcome: &outcome)
            } catch {
                outcome.error = error
            }
            withUnsafeMutableBytes(of: &outcome.releasedDigest) { digest.finish(into: $0) }
            return outcome
        }
    }

    private func decrypt(_ body: UnsafeRawBufferPointer, raw: StreamParameters?, aad: UnsafeRawBufferPointer,
                         key: borrowing ContentKey, chunkSize: Int, digest: borrowing SHA256Digest,
                         outcome: inout VectorOutcome) throws(SealError) {
        var source = MemorySource(body, chunkSize: chunkSize)
        let readBuffer = UnsafeMutableRawBufferPointer(rebasing: input[0..<max(chunkSize, ImageDecryptor.minimumReadBufferSize)])
        var decryptor = try ImageDecryptor(parameters: raw ?? .sealframeDefault, staging: staging)
        var released = 0
        defer { outcome.releasedLength = released }
        if let raw {
            try decryptor.openRawStream(from: &source, parameters: raw, key: key, associatedData: aad,
                                        readBuffer: readBuffer, output: output) { (plaintext) throws(SealError) in
                digest.update(plaintext)
                released += plaintext.count
            }
        } else {
            _ = try decryptor.openImage(from: &source, key: key, readBuffer: readBuffer, output: output) {
                (plaintext) throws(SealError) in
                digest.update(plaintext)
                released += plaintext.count
            }
        }
    }
}

/// 64 bytes on the stack for a vector's key or associated data.
struct InlineKey {
    var words: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
}
