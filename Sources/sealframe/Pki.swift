import FleetPKI
import Foundation

/// `sealframe pki init|server|device --dir DIR [--name NAME]`: a test fleet PKI (ECDSA P-256).
func pki(_ words: ArraySlice<String>) throws(CLIError) {
    guard let verb = words.first else { throw CLIError.usage("pki needs init, server or device") }
    let args = try Arguments(words.dropFirst(), valued: ["dir", "name", "days"])
    let dir = try args.required("dir")
    do {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        switch verb {
        case "init":
            try FleetPKI.createCA(directory: dir)
            print("fleet CA: \(dir)/ca.pem (key \(dir)/ca.key)")
        case "server":
            let name = args["name"] ?? "localhost"
            try FleetPKI.issue(directory: dir, name: name,
                               kind: .server(dnsNames: [name, "localhost"].uniqued(), addresses: [[127, 0, 0, 1], [UInt8](repeating: 0, count: 15) + [1]]))
            print("key server certificate: \(dir)/\(name).pem (key \(dir)/\(name).key)")
        case "device":
            let name = try args.required("name")
            try FleetPKI.issue(directory: dir, name: name, kind: .device)
            print("device certificate: \(dir)/\(name).pem (key \(dir)/\(name).key)")
        default:
            throw CLIError.usage("pki takes init, server or device")
        }
    } catch let e as CLIError { throw e } catch { throw CLIError.failure("\(error)") }
}

extension Array where Element: Hashable {
    func uniqued() -> [Element] { var seen = Set<Element>(); return filter { seen.insert($0).inserted } }
}
