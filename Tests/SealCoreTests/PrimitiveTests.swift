import CMbedTLS
import Foundation
@testable import SealCore
import Testing

/// Known answers for AES-CTR, HMAC-SHA256 and HKDF as the core calls them
/// (Tests/Vectors/primitives.kat), and our allocation-free HKDF against mbedtls_hkdf.
struct PrimitiveTests {
    struct KAT: CustomTestStringConvertible {
        var fields: [String: String]
        var testDescription: String { "\(fields["test"]!) \(fields["output"]!.prefix(12))" }
        subscript(_ name: String) -> [UInt8] { bytes(hex: fields[name] ?? "") }
    }

    static let kats: [KAT] = {
        let text = try! String(contentsOf: vectorDirectory.appendingPathComponent("primitives.kat"), encoding: .utf8)
        return text.components(separatedBy: "\n\n").compactMap { block in
            var fields: [String: String] = [:]
            for line in block.split(separator: "\n") where !line.hasPrefix("#") {
                let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                fields[parts[0]] = parts.count > 1 ? parts[1] : ""
            }
            return fields["test"] == nil ? nil : KAT(fields: fields)
        }
    }()

    @Test func fileHasEveryKind() {
        let kinds = Set(Self.kats.map { $0.fields["test"]! })
        #expect(kinds == ["aes-ctr", "hmac-sha256", "hkdf-sha256"])
        #expect(Self.kats.contains { $0.fields["expect"] == "mismatch" })
    }

    @Test(arguments: kats)
    func knownAnswer(_ kat: KAT) throws {
        var out = [UInt8](repeating: 0, count: kat["output"].count)
        let key = kat["key"], input = kat["input"]
        switch kat.fields["test"] {
        case "aes-ctr":
            let aes = AESContext()
            try key.withUnsafeBytes { try aes.setKey($0) }
            try kat["counter"].withUnsafeBytes { c in
                try input.withUnsafeBytes { i in try out.withUnsafeMutableBytes { try aes.ctr(counter: c, i, into: $0) } }
            }
        case "hmac-sha256":
            let mac = try HMACContext(.sha256)
            var digest = [UInt8](repeating: 0, count: 32)
            try key.withUnsafeBytes { try mac.setKey($0) }
            try input.withUnsafeBytes { try mac.update($0) }
            try digest.withUnsafeMutableBytes { try mac.finish(into: $0) }
            out = digest
        case "hkdf-sha256":
            let mac = try HMACContext(.sha256)
            try kat["salt"].withUnsafeBytes { s in
                try key.withUnsafeBytes { k in
                    try kat["info"].withUnsafeBytes { i in try out.withUnsafeMutableBytes {
                        try hkdf(using: mac, salt: s, ikm: k, info: i, into: $0)
                    } }
                }
            }
        default:
            Issue.record("unknown test kind")
        }
        if kat.fields["expect"] == "mismatch" {
            #expect(out != kat["output"])
        } else {
            #expect(out == kat["output"])
        }
    }

    @Test(arguments: [HashFunction.sha1, .sha256, .sha512])
    func hkdfMatchesMbedTLS(_ hash: HashFunction) throws {
        let mac = try HMACContext(hash)
        for round in 0..<40 {
            let ikm = try randomBytes(1 + round % 64), salt = try randomBytes(round % 3 == 0 ? 0 : 1 + round)
            let info = try randomBytes(round * 3), length = 1 + (round * 13) % 96
            var ours = [UInt8](repeating: 0, count: length), theirs = ours
            try salt.withUnsafeBytes { s in try ikm.withUnsafeBytes { k in try info.withUnsafeBytes { i in
                try ours.withUnsafeMutableBytes { try hkdf(using: mac, salt: s, ikm: k, info: i, into: $0) }
                let rc = theirs.withUnsafeMutableBytes { o in
                    mbedtls_hkdf(hash.mdInfo, s.baseAddress?.assumingMemoryBound(to: UInt8.self), s.count,
                                 k.baseAddress!.assumingMemoryBound(to: UInt8.self), k.count,
                                 i.baseAddress?.assumingMemoryBound(to: UInt8.self), i.count,
                                 o.baseAddress!.assumingMemoryBound(to: UInt8.self), o.count)
                }
                #expect(rc == 0)
            } } }
            #expect(ours == theirs, "round \(round)")
        }
    }
}
