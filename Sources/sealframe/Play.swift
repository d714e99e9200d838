import Foundation
import KeyClient
import Playback

/// `sealframe play --server HOST:PORT [--server-name NAME] --ca CA --cert CERT --key KEY
///  --playlist FILE --out DIR [--cycles N] [--attempts N]`: display cycles, exactly as the device
/// player (`sealframe-player`, the same Playback code) runs them.
func play(_ words: ArraySlice<String>) throws(CLIError) {
    let args = try Arguments(words, valued: ["server", "server-name", "ca", "cert", "key", "playlist", "out", "cycles", "attempts"])
    let server = try args.required("server")
    guard let colon = server.lastIndex(of: ":") else { throw CLIError.usage("--server is HOST:PORT") }
    let host = String(server[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
    let port = String(server[server.index(after: colon)...])
    let playlistPath = try args.required("playlist")
    guard let playlist = FileManager.default.contents(atPath: playlistPath).map([UInt8].init) else {
        throw CLIError.file(playlistPath, errno: ENOENT)
    }
    let dir = Array((playlistPath as NSString).deletingLastPathComponent.utf8), out = Array(try args.required("out").utf8)
    let cycles = try args.integer("cycles") ?? 1
    var client = try makeClient(ca: try args.required("ca"), cert: try args.required("cert"), key: try args.required("key"),
                                host: host, port: port, serverName: args["server-name"] ?? "localhost")
    client.attempts = try args.integer("attempts") ?? 4
    let status = playlist.withUnsafeBytes { text -> Int32 in
        guard let entries = parsePlaylist(text) else { return 2 }
        return dir.withUnsafeBytes { d in out.withUnsafeBytes { o in
            Playback.play(client: client, playlist: text, entries: entries, playlistDir: d, out: o, cycles: cycles)
        } }
    }
    if status == 2 { throw CLIError.usage("\(playlistPath): a playlist line is FILE ASSET-ID SECONDS") }
    if status != 0 { exit(status) }  // Playback printed why
}

func makeClient(ca: String, cert: String, key: String, host: String, port: String, serverName: String) throws(CLIError) -> KeyClient {
    let (c, t, k) = (strdup(ca)!, strdup(cert)!, strdup(key)!)
    defer { free(c); free(t); free(k) }
    do throws(KeyClientError) {
        return try KeyClient(caFile: c, certificateFile: t, keyFile: k, host: CName(copying: host), port: CName(copying: port),
                             serverName: CName(copying: serverName))
    } catch { throw CLIError.failure("\(error)") }
}
