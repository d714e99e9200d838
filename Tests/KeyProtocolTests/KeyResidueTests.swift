import CMbedTLS
import Foundation
import KeyClient
import SealCore
import Testing

/// After a display cycle ends, no copy of the content key or of the AES and HMAC keys derived
/// from it may remain anywhere in the process's readable memory (/proc/self/maps + mem).
/// The needles are kept XOR-masked so the scan cannot find the test's own copy.
@Suite(.serialized)
struct KeyResidueTests {
    struct Needle { let name: String; let masked: [UInt8]; let mask: [UInt8] }

    /// The whole secret and each half: freed heap blocks get allocator pointers written over
    /// their first bytes, so a leaked key may survive only in part.
    static func needles(_ name: String, _ secret: UnsafeRawBufferPointer) -> [Needle] {
        let half = secret.count / 2
        return [needle(name, secret), needle(name + " (first half)", UnsafeRawBufferPointer(rebasing: secret[0..<half])),
                needle(name + " (second half)", UnsafeRawBufferPointer(rebasing: secret[half...]))]
    }

    static func needle(_ name: String, _ secret: UnsafeRawBufferPointer) -> Needle {
        var mask = [UInt8](repeating: 0, count: secret.count)
        for i in mask.indices { mask[i] = UInt8.random(in: 1...255) }
        return Needle(name: name, masked: (0..<secret.count).map { secret[$0] ^ mask[$0] }, mask: mask)
    }

    /// Content key (from its file), and AES key ‖ HMAC key derived with the image's salt and envelope.
    static func needles(fleet: Fleet, asset: String) throws -> [Needle] {
        let fd = open("\(fleet.dir)/\(asset).key", O_RDONLY)
        let key = UnsafeMutableRawBufferPointer.allocate(byteCount: 32, alignment: 16)
        let okm = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 16)
        defer { wipe(key); wipe(okm); key.deallocate(); okm.deallocate() }
        #expect(read(fd, key.baseAddress, 32) == 32)
        close(fd)
        let sealed = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(fleet.dir)/\(asset).sf")))
        let envelopeSize = Int(sealed[5]) << 8 | Int(sealed[6])
        let salt = Array(sealed[(envelopeSize + 1)..<(envelopeSize + 33)])
        let rc = mbedtls_hkdf(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), salt, 32,
                              key.baseAddress!.assumingMemoryBound(to: UInt8.self), 32,
                              sealed, envelopeSize, okm.baseAddress!.assumingMemoryBound(to: UInt8.self), 64)
        #expect(rc == 0)
        return needles("content key", UnsafeRawBufferPointer(key))
            + needles("derived AES key", UnsafeRawBufferPointer(rebasing: okm[0..<32]))
            + needles("derived HMAC key", UnsafeRawBufferPointer(rebasing: okm[32..<64]))
    }

    /// Addresses where `needle` occurs in this process's readable mappings.
    static func scan(for needle: Needle) throws -> [UInt] {
        let maps = try String(contentsOfFile: "/proc/self/maps", encoding: .utf8)
        let mem = open("/proc/self/mem", O_RDONLY)
        defer { close(mem) }
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { chunk.deallocate() }
        let first = Int32(needle.masked[0] ^ needle.mask[0])
        let n = needle.masked.count
        var hits: [UInt] = []
        for line in maps.split(separator: "\n") {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            guard f.count >= 2, f[1].hasPrefix("r"), !line.contains("[vvar]"), !line.contains("[vsyscall]") else { continue }
            let range = f[0].split(separator: "-").compactMap { UInt($0, radix: 16) }
            guard range.count == 2 else { continue }
            var address = range[0]
            while address < range[1] {
                let want = Int(min(UInt(chunk.count), range[1] - address))
                let got = pread(mem, chunk.baseAddress, want, off_t(Int(bitPattern: address)))
                if got < n { break }
                var offset = 0
                while offset <= got - n, let p = memchr(chunk.baseAddress! + offset, first, got - n + 1 - offset) {
                    let at = p - chunk.baseAddress!
                    if (1..<n).allSatisfy({ chunk[at + $0] ^ needle.mask[$0] == needle.masked[$0] }) { hits.append(address + UInt(at)) }
                    offset = at + 1
                }
                // Overlap chunks by n-1 bytes so a needle across a boundary is still seen.
                address += UInt(max(got - (n - 1), 1))
            }
        }
        return hits
    }

    @Test func scannerFindsAKeyThatIsStillThere() throws {
        let live = UnsafeMutableRawBufferPointer.allocate(byteCount: 32, alignment: 16)
        defer { wipe(live); live.deallocate() }
        for i in 0..<32 { live[i] = UInt8.random(in: 0...255) }
        let needle = Self.needle("control", UnsafeRawBufferPointer(live))
        #expect(try Self.scan(for: needle).contains(UInt(bitPattern: live.baseAddress!)))
        wipe(live)
        #expect(try Self.scan(for: needle).isEmpty)
    }

    @Test func noKeyRemainsAfterACycle() throws {
        let fleet = try Fleet()
        let needles = try Self.needles(fleet: fleet, asset: "poster-1")
        do {
            let client = try fleet.client("kiosk-1")
            try client.withDisplayCycle { (cycle) throws(KeyClientError) in
                let shown = try KeyProtocolTests.show(fleet, "poster-1", in: &cycle)
                #expect(shown == fleet.plaintext["poster-1"])
            }
        }
        for needle in needles {
            let hits = try Self.scan(for: needle)
            #expect(hits.isEmpty, "\(needle.name) found at \(hits.map { String($0, radix: 16) })")
        }
    }
}
