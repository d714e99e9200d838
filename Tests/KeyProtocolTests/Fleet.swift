import FleetPKI
import Foundation
import SealframeTestSupport
import KeyClient
import SealCore
import Testing

/// A throw-away fleet for one test: PKI, master key, two sealed assets, enrolled devices and a
/// real `sealframe serve` on a loopback port, stopped (SIGTERM) when the test ends.
final class Fleet {
    static let binary = sealframeBinary

    let dir: String
    var port = 0
    var server: Process?
    let sessionSeconds: Int
    let requestsPerMinute: Int
    let plaintext: [String: [UInt8]]

    init(sessionSeconds: Int = 300, requestsPerMinute: Int = 1000) throws {
        self.sessionSeconds = sessionSeconds
        self.requestsPerMinute = requestsPerMinute
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("sealframe-fleet-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir + "/pki", withIntermediateDirectories: true)
        try FleetPKI.createCA(directory: dir + "/pki")
        try FleetPKI.issue(directory: dir + "/pki", name: "localhost", kind: .server(dnsNames: ["localhost"], addresses: [[127, 0, 0, 1]]))
        for device in ["kiosk-1", "kiosk-2", "kiosk-3", "stranger"] {
            try FleetPKI.issue(directory: dir + "/pki", name: device, kind: .device)
        }
        // A second CA, for certificates the fleet must not accept.
        try FileManager.default.createDirectory(atPath: dir + "/rogue", withIntermediateDirectories: true)
        try FleetPKI.createCA(directory: dir + "/rogue")
        try FleetPKI.issue(directory: dir + "/rogue", name: "kiosk-1", kind: .device)
        try FleetPKI.issue(directory: dir + "/rogue", name: "localhost", kind: .server(dnsNames: ["localhost"], addresses: []))
        try Fleet.run(["admin", "master-key", "--out", dir + "/master.key"])
        let dbPath = dir + "/fleet.db"
        var plain: [String: [UInt8]] = [:]
        for (asset, group, from, until) in [("poster-1", "lobby", "now-60", "now+3600"), ("poster-2", "lobby", "now-60", "now+3600"),
                                            ("later", "lobby", "now+3600", "now+7200"), ("cafe-menu", "cafe", "now-60", "now+3600")] {
            let bytes = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ asset.count) }
            plain[asset] = bytes
            try Data(bytes).write(to: URL(fileURLWithPath: "\(dir)/\(asset).png"))
            try Fleet.run(["keygen", "--out", "\(dir)/\(asset).key"])
            try Fleet.run(["seal", "--key", "\(dir)/\(asset).key", "--asset", asset, "\(dir)/\(asset).png", "\(dir)/\(asset).sf"])
            try Fleet.run(["admin", "--db", dbPath, "add-asset", "--master-key", dir + "/master.key", "--key", "\(dir)/\(asset).key",
                           "--image", "\(dir)/\(asset).sf"])
            try Fleet.run(["admin", "--db", dbPath, "schedule", "--asset", asset, "--group", group, "--from", from, "--until", until])
        }
        plaintext = plain
        for (device, group) in [("kiosk-1", "lobby"), ("kiosk-2", "lobby"), ("kiosk-3", "lobby")] {
            try Fleet.run(["admin", "--db", dbPath, "enroll", "--cert", "\(dir)/pki/\(device).pem", "--name", device, "--group", group])
        }
        try start()
    }

    var dbPath: String { dir + "/fleet.db" }

    /// Starts the server on a free loopback port (tries a few).
    func start() throws {
        for _ in 0..<20 {
            let candidate = Int.random(in: 20_000..<60_000)
            let p = Process()
            p.executableURL = Fleet.binary
            p.arguments = ["serve", "--db", dbPath, "--master-key", dir + "/master.key", "--ca", dir + "/pki/ca.pem",
                           "--cert", dir + "/pki/localhost.pem", "--key", dir + "/pki/localhost.key", "--port", "\(candidate)",
                           "--session-seconds", "\(sessionSeconds)", "--requests-per-minute", "\(requestsPerMinute)"]
            let out = Pipe()
            p.standardOutput = out
            p.standardError = FileHandle.nullDevice
            try p.run()
            let line = out.fileHandleForReading.availableData  // the "listening" line, or EOF if bind failed
            if String(decoding: line, as: UTF8.self).contains("listening") {
                port = candidate
                server = p
                return
            }
            p.waitUntilExit()
        }
        throw Fleet.Failure(message: "no free port for the key server")
    }

    func stop() {
        guard let server else { return }
        server.terminate()
        server.waitUntilExit()
        self.server = nil
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: dir)
    }

    struct Failure: Error { let message: String }

    @discardableResult
    static func run(_ args: [String]) throws -> String {
        let p = Process()
        p.executableURL = binary
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard p.terminationStatus == 0 else { throw Failure(message: "sealframe \(args.joined(separator: " ")): \(text)") }
        return text
    }

    /// A key client for `device`, its certificate from `pki` (or `rogue`).
    func client(_ device: String, ca: String = "pki", certs: String = "pki", port: Int? = nil,
                attempts: Int = 1, readTimeoutMilliseconds: UInt32 = 5000) throws -> KeyClient {
        let (c, t, k) = (strdup("\(dir)/\(ca)/ca.pem")!, strdup("\(dir)/\(certs)/\(device).pem")!, strdup("\(dir)/\(certs)/\(device).key")!)
        defer { free(c); free(t); free(k) }
        var client = try KeyClient(caFile: c, certificateFile: t, keyFile: k, host: CName("127.0.0.1"),
                                   port: CName(copying: "\(port ?? self.port)"), serverName: CName("localhost"),
                                   readTimeoutMilliseconds: readTimeoutMilliseconds)
        client.attempts = attempts
        client.firstBackoffNanoseconds = 50_000_000
        return client
    }

    /// curl against the server as `device`; returns (status, headers and body text).
    func curl(_ device: String, _ method: String, _ path: String, cookie: String? = nil, body: String? = nil) throws -> (Int, String) {
        var args = ["-s", "-i", "--max-time", "10", "--cacert", "\(dir)/pki/ca.pem", "--cert", "\(dir)/pki/\(device).pem",
                    "--key", "\(dir)/pki/\(device).key", "-X", method, "https://localhost:\(port)\(path)"]
        if let cookie { args += ["-H", "Cookie: sf_session=\(cookie)"] }
        if let body { args += ["-H", "Content-Type: application/json", "--data-binary", body] }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        let status = text.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return (status, text)
    }

    /// The session cookie from a curl response.
    static func cookie(in response: String) -> String? {
        guard let r = response.range(of: "sf_session=") else { return nil }
        return String(response[r.upperBound...].prefix(22))
    }

    func audit() throws -> String { try Fleet.run(["admin", "--db", dbPath, "audit"]) }
}

