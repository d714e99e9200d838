// SelfTest.swift: the device self-test: decrypts every committed vector (Tests/Vectors/index.txt) through the
// streaming decryptor at several chunk sizes and checks each outcome. Built for the host by
// SwiftPM and for the ARM boards by Tools/cross-build; the same file in both.
import CLibc
import DeviceIO
import SealCore
import SealVectors

/// The whole self-test; returns the process exit status.
func runSelfTest(argc: Int32, argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    guard argc == 2, let dir = argv[1] else {
        put("usage: sealframe-selftest VECTOR-DIR\n")
        return 2
    }
    var path = (InlineBytes512())
    let runner = VectorRunner()
    var passed = 0
    var failed = 0
    withUnsafeMutableBytes(of: &path) { pathBuffer in
        let dirLength = strlen(dir)
        func pathOf(_ name: UnsafeRawBufferPointer) -> UnsafePointer<CChar> {
            let p = pathBuffer.baseAddress!.assumingMemoryBound(to: CChar.self)
            memcpy(p, dir, dirLength)
            p[dirLength] = 0x2F
            memcpy(p + dirLength + 1, name.baseAddress!, name.count)
            p[dirLength + 1 + name.count] = 0
            return UnsafePointer(p)
        }
        let indexName: StaticString = "index.txt"
        guard
            let index = readWholeFile(
                pathOf(
                    UnsafeRawBufferPointer(start: indexName.utf8Start, count: indexName.utf8CodeUnitCount)))
        else {
            put("selftest: cannot read index.txt in the vector directory\n")
            exit(2)
        }
        var lineStart = 0
        for i in 0..<index.count where index[i] == 0x0A {
            let name = UnsafeRawBufferPointer(rebasing: index[lineStart..<i])
            lineStart = i + 1
            if name.isEmpty { continue }
            guard let file = readWholeFile(pathOf(name)) else {
                put("FAIL ")
                put(name)
                put(": cannot read\n")
                failed += 1
                continue
            }
            defer { file.deallocate() }
            var ok = true
            do throws(VectorError) {
                let vector = try VectorFile(UnsafeRawBufferPointer(file))
                for chunk in [1 << 20, 4096, 1000, 97] {
                    if chunk == 97 && vector.body.count > 100_000 { continue }  // slow under qemu
                    try runner.check(vector, chunkSize: chunk)
                }
            } catch {
                ok = false
            }
            if ok {
                passed += 1
            } else {
                failed += 1
                put("FAIL ")
                put(name)
                put("\n")
            }
        }
        index.deallocate()
    }
    print("selftest: \(passed) passed, \(failed) failed")
    return failed == 0 ? 0 : 1
}

struct InlineBytes512 {
    var a = (
        InlineBytes64x(), InlineBytes64x(), InlineBytes64x(), InlineBytes64x(),
        InlineBytes64x(), InlineBytes64x(), InlineBytes64x(), InlineBytes64x()
    )
}
struct InlineBytes64x {
    var w: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
}
