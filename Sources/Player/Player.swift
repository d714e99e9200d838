// Player.swift: the device's signage player program (Playback does the work). Built for the
// host by SwiftPM and for the ARM boards (Embedded Swift) by Tools/cross-build; the same file in both.
import CLibc
import DeviceIO
import KeyClient
import SealCore
import Playback

/// The bytes of a C string argument.
func argument(_ p: UnsafeMutablePointer<CChar>) -> UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(start: p, count: strlen(p))
}

func runPlayer(argc: Int32, argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    guard argc == 10, let host = argv[1], let port = argv[2], let name = argv[3], let ca = argv[4], let cert = argv[5],
          let key = argv[6], let playlistPath = argv[7], let out = argv[8], let cyclesText = argv[9] else {
        put("usage: sealframe-player HOST PORT SERVER-NAME CA CERT KEY PLAYLIST OUT-DIR CYCLES\n")
        return 2
    }
    let cycles = Int(atoi(cyclesText))
    guard let playlist = readWholeFile(playlistPath) else { put("player: cannot read the playlist\n"); return 2 }
    defer { playlist.deallocate() }
    guard let entries = parsePlaylist(UnsafeRawBufferPointer(playlist)) else {
        put("player: a playlist line is FILE ASSET-ID SECONDS\n")
        return 2
    }
    // Playlist files are relative to the playlist's folder.
    let playlistBytes = argument(playlistPath)
    var slash = playlistBytes.count
    while slash > 0 && playlistBytes[slash - 1] != 0x2F { slash -= 1 }
    let playlistDir = UnsafeRawBufferPointer(rebasing: playlistBytes[0..<max(slash - 1, 0)])

    let client: KeyClient
    do throws(KeyClientError) {
        client = try KeyClient(caFile: ca, certificateFile: cert, keyFile: key, host: CName(argument(host)),
                               port: CName(argument(port)), serverName: CName(argument(name)))
    } catch {
        put("player: cannot set up TLS (certificate, key or CA file)\n")
        return 1
    }
    return play(client: client, playlist: UnsafeRawBufferPointer(playlist), entries: entries, playlistDir: playlistDir,
                out: argument(out), cycles: cycles)
}
