import Foundation
import SealframeTestSupport
import Testing

/// The `sealframe` command as a user runs it: exit status, one clear line on stderr, and no
/// output file left behind after any failure.
struct CLITests {
    struct Run { var status: Int32; var stdout: Data; var stderr: String }

    static let binary = sealframeBinary

    let dir: URL

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("sealframe-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    @discardableResult
    func run(_ args: [String], stdin: Data? = nil) throws -> Run {
        let p = Process()
        p.executableURL = Self.binary
        p.arguments = args
        // Standard input and error come from and go to files, so no pipe can fill up and stall.
        let inputFile = dir.appendingPathComponent("stdin-\(UUID().uuidString)")
        let errorFile = dir.appendingPathComponent("stderr-\(UUID().uuidString)")
        try (stdin ?? Data()).write(to: inputFile)
        _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: inputFile); try? FileManager.default.removeItem(at: errorFile) }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = try FileHandle(forWritingTo: errorFile)
        p.standardInput = try FileHandle(forReadingFrom: inputFile)
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let e = try Data(contentsOf: errorFile)
        return Run(status: p.terminationStatus, stdout: o, stderr: String(decoding: e, as: UTF8.self))
    }

    func files() throws -> Set<String> {
        Set(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { !$0.hasPrefix("std") })
    }

    /// A key, a 300 KB "image" and its sealed form.
    func prepare() throws -> Data {
        try run(["keygen", "--out", path("k.key")])
        let plain = Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 9) })
        try plain.write(to: dir.appendingPathComponent("img.bin"))
        let r = try run(["seal", "--key", path("k.key"), "--asset", "foyer.2", "--segment-size", "4096",
                         path("img.bin"), path("img.sf")])
        #expect(r.status == 0, "\(r.stderr)")
        return plain
    }

    @Test func keygenWritesAPrivateKeyAndNeverOverwrites() throws {
        #expect(try run(["keygen", "--out", path("k.key")]).status == 0)
        let attrs = try FileManager.default.attributesOfItem(atPath: path("k.key"))
        #expect((attrs[.posixPermissions] as? Int) == 0o600)
        #expect((attrs[.size] as? Int) == 32)
        let again = try run(["keygen", "--out", path("k.key")])
        #expect(again.status == 2)
        #expect(again.stderr.contains("never overwrites"))
    }

    @Test func sealOpenRoundTripThroughFilesAndPipes() throws {
        let plain = try prepare()
        #expect(try run(["open", "--key", path("k.key"), path("img.sf"), path("out.bin")]).status == 0)
        #expect(try Data(contentsOf: dir.appendingPathComponent("out.bin")) == plain)
        let sealed = try Data(contentsOf: dir.appendingPathComponent("img.sf"))
        let piped = try run(["open", "--key", path("k.key"), "-", "-"], stdin: sealed)
        #expect(piped.status == 0)
        #expect(piped.stdout == plain)
        let sealedFromPipe = try run(["seal", "--key", path("k.key"), "-", "-"], stdin: plain)
        #expect(try run(["open", "--key", path("k.key"), "-", "-"], stdin: sealedFromPipe.stdout).stdout == plain)
    }

    @Test func failuresExitOneWithOneLineAndLeaveNoOutput() throws {
        _ = try prepare()
        let sealed = try Data(contentsOf: dir.appendingPathComponent("img.sf"))
        var tampered = sealed
        tampered[tampered.count / 2] ^= 0x10
        try tampered.write(to: dir.appendingPathComponent("tampered.sf"))
        try sealed.prefix(sealed.count - 100).write(to: dir.appendingPathComponent("truncated.sf"))
        try (sealed + Data([0])).write(to: dir.appendingPathComponent("appended.sf"))
        try run(["keygen", "--out", path("other.key")])
        let before = try files()
        let cases: [([String], String)] = [
            (["--key", path("k.key"), path("tampered.sf")], "failed authentication"),
            (["--key", path("k.key"), path("truncated.sf")], "truncated"),
            (["--key", path("k.key"), path("appended.sf")], "after the final segment"),
            (["--key", path("other.key"), path("img.sf")], "key does not belong"),
            (["--key", path("k.key"), path("img.bin")], "not a Sealframe image"),
            (["--key", path("k.key"), path("missing.sf")], "No such file"),
        ]
        for (args, message) in cases {
            let r = try run(["open"] + args + [path("out.bin")])
            #expect(r.status == 1, "\(args)")
            #expect(r.stderr.contains(message), "\(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
            let after = try files()
            #expect(after == before, "a failed open left a file behind: \(after.subtracting(before))")
        }
    }

    @Test func refusesKeysOthersCanRead() throws {
        _ = try prepare()
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path("k.key"))
        let r = try run(["open", "--key", path("k.key"), path("img.sf"), path("out.bin")])
        #expect(r.status == 1)
        #expect(r.stderr.contains("chmod 600"))
        #expect(!FileManager.default.fileExists(atPath: path("out.bin")))
    }

    @Test func inspectShowsTheEnvelopeAndNoKey() throws {
        _ = try prepare()
        let r = try run(["inspect", path("img.sf")])
        let text = String(decoding: r.stdout, as: UTF8.self)
        #expect(r.status == 0)
        #expect(text.contains("asset: foyer.2"))
        #expect(text.contains("plaintext-length: 300000"))
        #expect(text.contains("segment-size: 4096"))
        let key = try Data(contentsOf: dir.appendingPathComponent("k.key")).map { String(format: "%02x", $0) }.joined()
        #expect(!text.contains(key.prefix(16)))
    }

    @Test func pngSizeIsRecorded() throws {
        try run(["keygen", "--out", path("k.key")])
        // A minimal PNG header: signature, IHDR with 1920 x 1080.
        var png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13])
        png += Data("IHDR".utf8) + Data([0, 0, 0x07, 0x80, 0, 0, 0x04, 0x38, 8, 2, 0, 0, 0]) + Data(count: 100)
        try png.write(to: dir.appendingPathComponent("p.png"))
        #expect(try run(["seal", "--key", path("k.key"), path("p.png"), path("p.sf")]).status == 0)
        let text = String(decoding: try run(["inspect", path("p.sf")]).stdout, as: UTF8.self)
        #expect(text.contains("content-type: png"))
        #expect(text.contains("size: 1920x1080"))
        #expect(text.contains("asset: p.png"))
    }

    @Test func usageErrorsExitTwo() throws {
        #expect(try run([]).status == 2)
        #expect(try run(["frobnicate"]).status == 2)
        #expect(try run(["open", "--key"]).status == 2)
        #expect(try run(["seal", "--key", "x", "--segment-size", "12", "a", "b"]).status != 0)
    }
}

extension CLITests {
    /// Raw Tink streams with Tink's own JSON keysets, every committed parameter set.
    @Test func opensTinkStreamsWithTinkKeysets() throws {
        let vectors = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Vectors")
        let names = try FileManager.default.contentsOfDirectory(atPath: vectors.path)
            .filter { $0.hasPrefix("t") && $0.contains("-len") && $0.hasSuffix(".vec") }
        #expect(names.count >= 30)
        for name in names {
            let data = try Data(contentsOf: vectors.appendingPathComponent(name))
            let split = data.range(of: Data("\n---\n".utf8))!
            var fields: [String: String] = [:]
            for line in String(decoding: data[..<split.lowerBound], as: UTF8.self).split(separator: "\n") {
                let kv = line.split(separator: ":", maxSplits: 1)
                fields[String(kv[0])] = kv.count > 1 ? kv[1].trimmingCharacters(in: .whitespaces) : ""
            }
            guard let keyset = fields["keyset"] else { continue }  // the 3 MiB vector has only a raw key
            try data[split.upperBound...].write(to: dir.appendingPathComponent("ct"))
            let r = try run(["open", "--tink-keyset", vectors.appendingPathComponent(keyset).path,
                             "--aad-hex", fields["aad"] ?? "", path("ct"), "-"])
            #expect(r.status == 0, "\(name): \(r.stderr)")
            #expect(r.stdout.count == Int(fields["plaintext-length"]!)!, "\(name)")
            #expect(r.stdout.enumerated().allSatisfy { $0.element == UInt8($0.offset % 251) }, "\(name)")
        }
    }
}
