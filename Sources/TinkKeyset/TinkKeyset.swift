import Foundation
import SealCore

/// The AES-CTR-HMAC streaming keys of a Tink cleartext JSON keyset, so images sealed by a
/// CMS that uses Tink (Java, Go, Python, C++) can be opened. Host-only: a keyset is a file of
/// cleartext keys and belongs on the content side, never on a device.
public struct TinkKeyset {
    public struct Key {
        public let id: UInt32
        public let isPrimary: Bool
        public let parameters: StreamParameters
        /// The HKDF input key material; callers move it into a ContentKey and wipe this.
        public var keyValue: [UInt8]
    }

    public enum Failure: Error, CustomStringConvertible {
        case notJSON, noStreamingKeys, malformedKey(UInt32), unsupported(UInt32, String)
        public var description: String {
            switch self {
            case .notJSON: "not a Tink JSON keyset"
            case .noStreamingKeys: "the keyset holds no enabled AesCtrHmacStreamingKey"
            case .malformedKey(let id): "key \(id): its serialized key is malformed"
            case .unsupported(let id, let why): "key \(id): \(why)"
            }
        }
    }

    public static let typeURL = "type.googleapis.com/google.crypto.tink.AesCtrHmacStreamingKey"

    /// Enabled streaming keys, the primary first (the order Tink tries them in).
    public var keys: [Key] = []

    public init(json: Data) throws(Failure) {
        guard let root = try? JSONSerialization.jsonObject(with: json) as? [String: Any],
              let entries = root["key"] as? [[String: Any]] else { throw Failure.notJSON }
        let primary = (root["primaryKeyId"] as? NSNumber)?.uint32Value
        for entry in entries {
            guard let data = entry["keyData"] as? [String: Any],
                  data["typeUrl"] as? String == Self.typeURL,
                  entry["status"] as? String == "ENABLED",
                  let id = (entry["keyId"] as? NSNumber)?.uint32Value else { continue }
            guard entry["outputPrefixType"] as? String == "RAW" else {
                throw Failure.unsupported(id, "streaming keys use output prefix RAW")
            }
            guard let b64 = data["value"] as? String, var decoded = Data(base64Encoded: b64) else {
                throw Failure.malformedKey(id)
            }
            var value = [UInt8](decoded)
            decoded.resetBytes(in: 0..<decoded.count)
            defer { value.withUnsafeMutableBytes { wipe($0) } }
            var key = try Self.decodeKey(value, id: id)
            key = Key(id: id, isPrimary: id == primary, parameters: key.parameters, keyValue: key.keyValue)
            keys.append(key)
        }
        keys.sort { $0.isPrimary && !$1.isPrimary }
        guard !keys.isEmpty else { throw Failure.noStreamingKeys }
    }

    /// AesCtrHmacStreamingKey { 1 version, 2 params, 3 key_value }, params { 1 segment size,
    /// 2 derived key size, 3 HKDF hash, 4 HmacParams { 1 hash, 2 tag size } }.
    static func decodeKey(_ bytes: [UInt8], id: UInt32) throws(Failure) -> Key {
        var p = ProtoReader(bytes)
        var keyValue: [UInt8] = [], params: [UInt8] = []
        while let field = p.next() {
            switch field { case (2, .bytes(let b)): params = b; case (3, .bytes(let b)): keyValue = b; default: break }
        }
        guard p.ok else { throw Failure.malformedKey(id) }
        var segment = 0, derived = 0, hkdf = 0, macHash = 0, tag = 0
        var q = ProtoReader(params)
        while let field = q.next() {
            switch field {
            case (1, .varint(let v)): segment = Int(clamping: v)
            case (2, .varint(let v)): derived = Int(clamping: v)
            case (3, .varint(let v)): hkdf = Int(clamping: v)
            case (4, .bytes(let b)):
                var r = ProtoReader(b)
                while let f = r.next() {
                    switch f { case (1, .varint(let v)): macHash = Int(clamping: v); case (2, .varint(let v)): tag = Int(clamping: v); default: break }
                }
                guard r.ok else { throw Failure.malformedKey(id) }
            default: break
            }
        }
        guard q.ok else { throw Failure.malformedKey(id) }
        // Tink's HashType enum: SHA1 = 1, SHA256 = 3, SHA512 = 4 (others are refused by Tink too).
        func hash(_ v: Int) -> HashFunction? { [1: .sha1, 3: .sha256, 4: .sha512][v] }
        guard let kdf = hash(hkdf), let mac = hash(macHash) else { throw Failure.unsupported(id, "hash must be SHA1, SHA256 or SHA512") }
        guard keyValue.count >= derived, keyValue.count >= 16 else { throw Failure.unsupported(id, "key value shorter than the derived key") }
        do {
            let parameters = try StreamParameters(keySize: derived, kdfHash: kdf, macHash: mac, tagSize: tag, segmentSize: segment)
            return Key(id: id, isPrimary: false, parameters: parameters, keyValue: keyValue)
        } catch {
            throw Failure.unsupported(id, "parameters outside Tink's limits (key size \(derived), tag \(tag), segment \(segment))")
        }
    }
}

/// Just enough of the protobuf wire format for Tink's key messages.
struct ProtoReader {
    enum Value { case varint(UInt64), bytes([UInt8]) }
    private let bytes: [UInt8]
    private var i = 0
    private(set) var ok = true

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    private mutating func varint() -> UInt64? {
        var v: UInt64 = 0, shift: UInt64 = 0
        while i < bytes.count, shift < 64 {
            let b = bytes[i]; i += 1
            v |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return v }
            shift += 7
        }
        return nil
    }

    mutating func next() -> (Int, Value)? {
        guard ok, i < bytes.count else { return nil }
        guard let tag = varint() else { ok = false; return nil }
        switch tag & 7 {
        case 0:
            guard let v = varint() else { ok = false; return nil }
            return (Int(tag >> 3), .varint(v))
        case 2:
            guard let n = varint(), n <= UInt64(bytes.count - i) else { ok = false; return nil }
            defer { i += Int(n) }
            return (Int(tag >> 3), .bytes(Array(bytes[i..<i + Int(n)])))
        default:
            ok = false
            return nil
        }
    }
}
