import Foundation
import KeyClient
import SealCore

/// `sealframe play --server HOST:PORT [--server-name NAME] --ca CA --cert CERT --key KEY
///  --playlist FILE --out DIR [--cycles N] [--time-scale X]`: runs display cycles. Each cycle
/// opens a session, fetches each asset's key, verifies and "shows" the image (writes it to the
/// output sink), waits its time on screen, wipes every key and buffer, and ends the session.
func play(_ words: ArraySlice<String>) throws(CLIError) {
    let args = try Arguments(words, valued: ["server", "server-name", "ca", "cert", "key", "playlist", "out",
                                             "cycles", "time-scale", "attempts"])
    let server = try args.required("server")
    guard let colon = server.lastIndex(of: ":") else { throw CLIError.usage("--server is HOST:PORT") }
    let host = String(server[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]")), port = String(server[server.index(after: colon)...])
    let playlist = try readPlaylist(try args.required("playlist"))
    let out = try args.required("out")
    let cycles = try args.integer("cycles") ?? 1
    let scale = Double(args["time-scale"] ?? "1") ?? 1
    var client = try makeClient(ca: try args.required("ca"), cert: try args.required("cert"), key: try args.required("key"),
                                host: host, port: port, serverName: args["server-name"] ?? "localhost")
    client.attempts = try args.integer("attempts") ?? 4
    let buffers = DecryptBuffers(segmentSize: 1 << 20)
    for cycle in 1...max(1, cycles) {
        do throws(KeyClientError) {
            try client.withDisplayCycle { (display) throws(KeyClientError) in
                event(cycle, "session opened (lifetime \(display.lifetime) s)")
                for entry in playlist {
                    try show(entry, cycle: cycle, display: &display, buffers: buffers, out: out, scale: scale)
                }
                wipe(buffers.output)
                event(cycle, "keys wiped")
            }
            event(cycle, "session ended")
        } catch {
            wipe(buffers.output)
            throw CLIError.keyset("cycle \(cycle): \(error)")
        }
    }
}

struct PlaylistEntry { var file: String; var asset: String; var seconds: Double }

func readPlaylist(_ path: String) throws(CLIError) -> [PlaylistEntry] {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw CLIError.file(path, errno: ENOENT) }
    var entries: [PlaylistEntry] = []
    for (n, line) in text.split(separator: "\n").enumerated() {
        let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        if fields.isEmpty || fields[0].hasPrefix("#") { continue }
        guard fields.count == 3, let seconds = Double(fields[2]), seconds >= 0 else {
            throw CLIError.usage("\(path):\(n + 1): a playlist line is FILE ASSET-ID SECONDS")
        }
        let dir = (path as NSString).deletingLastPathComponent
        let file = fields[0].hasPrefix("/") || dir.isEmpty ? String(fields[0]) : "\(dir)/\(fields[0])"
        entries.append(PlaylistEntry(file: file, asset: String(fields[1]), seconds: seconds))
    }
    guard !entries.isEmpty else { throw CLIError.usage("\(path): the playlist is empty") }
    return entries
}

func makeClient(ca: String, cert: String, key: String, host: String, port: String, serverName: String) throws(CLIError) -> KeyClient {
    let (c, t, k) = (strdup(ca)!, strdup(cert)!, strdup(key)!)
    defer { free(c); free(t); free(k) }
    do throws(KeyClientError) {
        return try KeyClient(caFile: c, certificateFile: t, keyFile: k, host: CName(copying: host), port: CName(copying: port),
                             serverName: CName(copying: serverName))
    } catch { throw CLIError.keyset("\(error)") }
}

private func show(_ entry: PlaylistEntry, cycle: Int, display: inout DisplayCycle, buffers: borrowing DecryptBuffers,
                  out: String, scale: Double) throws(KeyClientError) {
    let assetBytes = Array(entry.asset.utf8)
    let deadline: UInt64 = try assetBytes.withBytes { (a) throws(KeyClientError) -> UInt64 in
        try display.withGrant(asset: a) { (key, grant) throws(KeyClientError) -> UInt64 in
            var keyID = ""
            for i in 0..<16 { keyID += String(grant.keyID[i], radix: 16).count == 1 ? "0" + String(grant.keyID[i], radix: 16) : String(grant.keyID[i], radix: 16) }
            event(cycle, "key granted for \(entry.asset) (key id \(keyID), expires in \(grant.expiresIn) s)")
            let digest = try openToSink(entry, key: key, grant: grant, buffers: buffers, out: out)
            event(cycle, "image verified \(entry.asset) sha256 \(digest)")
            return grant.deadline
        }
    }
    // On screen for its time, but never past the grant's time box.
    let onScreen = UInt64(entry.seconds * scale * 1e9)
    let now = MonotonicClock.now()
    let until = min(now + onScreen, deadline)
    if until > now { MonotonicClock.sleep(nanoseconds: until - now) }
}

private func openToSink(_ entry: PlaylistEntry, key: borrowing ContentKey, grant: Grant, buffers: borrowing DecryptBuffers,
                        out: String) throws(KeyClientError) -> String {
    let name = entry.asset + ".shown"
    do {
        var source = try FileSource(path: entry.file)
        var sink = try OutputFile(path: "\(out)/\(name)")
        let digest = SHA256Digest()
        try sealing { () throws(SealError) in
            var decryptor = try ImageDecryptor(parameters: .sealframeDefault, staging: buffers.staging)
            let envelope = try decryptor.openImage(from: &source, key: key, readBuffer: buffers.read, output: buffers.output) {
                (plaintext) throws(SealError) in
                if grant.isExpired { throw SealError.wrongKey }  // the time box passed mid-image: stop using the key
                digest.update(plaintext)
                try sink.write(plaintext)
            }
            _ = envelope
        }
        try sink.commit(mode: 0o600)
        var d = [UInt8](repeating: 0, count: 32)
        d.withUnsafeMutableBytes { digest.finish(into: $0) }
        return d.map { String(format: "%02x", $0) }.joined()
    } catch .seal(let e) {
        throw grant.isExpired ? KeyClientError.grantExpired : KeyClientError.image(e)
    } catch {
        throw KeyClientError.image(.io(errno: EIO))
    }
}

func event(_ cycle: Int, _ text: String) {
    print("cycle \(cycle): \(text)")
    fflush(nil)
}
