import Foundation

/// The `sealframe` executable SwiftPM built next to the test bundle, for tests that run it as a
/// user does.
public let sealframeBinary: URL = {
    let here = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for dir in [here, here.deletingLastPathComponent()]
    where FileManager.default.fileExists(atPath: dir.appendingPathComponent("sealframe").path) {
        return dir.appendingPathComponent("sealframe")
    }
    return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".build/debug/sealframe")
}()
