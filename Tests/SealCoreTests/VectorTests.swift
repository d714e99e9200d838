import Foundation
import SealCore
import SealVectors
import Testing

/// Every committed vector (Tink's own output and the independent envelope encoder's),
/// through the same runner the ARM self-test uses, at several chunk sizes.
struct VectorTests {
    static let names: [String] = {
        let index = try! String(contentsOf: vectorDirectory.appendingPathComponent("index.txt"), encoding: .utf8)
        return index.split(separator: "\n").map(String.init)
    }()

    @Test("committed vectors", arguments: names)
    func vector(_ name: String) throws {
        let data = try [UInt8](Data(contentsOf: vectorDirectory.appendingPathComponent(name)))
        let runner = VectorRunner()
        try data.withUnsafeBytes { raw in
            let vector = try VectorFile(raw)
            for chunk in [1 << 20, 65536, 4096, 1000, 33, 1] where chunk > 32 || vector.body.count < 20_000 {
                #expect(throws: Never.self, "chunk \(chunk)") { try runner.check(vector, chunkSize: chunk) }
            }
        }
    }

    @Test func indexListsEveryVectorFile() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: vectorDirectory.path)
            .filter { $0.hasSuffix(".vec") }
        #expect(Set(files) == Set(Self.names))
    }

    /// The runner must notice a vector whose outcome differs, or it proves nothing.
    @Test func runnerRejectsAWrongExpectation() throws {
        let path = vectorDirectory.appendingPathComponent("tamper-segment2-ciphertext.vec")
        var text = try [UInt8](Data(contentsOf: path))
        let needle = Array("failed-segment: 2".utf8)
        let at = (0...(text.count - needle.count)).first { Array(text[$0..<$0 + needle.count]) == needle }!
        text[at + needle.count - 1] = UInt8(ascii: "1")
        let runner = VectorRunner()
        try text.withUnsafeBytes { raw in
            let vector = try VectorFile(raw)
            #expect(throws: VectorError.self) { try runner.check(vector, chunkSize: 4096) }
        }
    }
}
