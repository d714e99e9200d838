// Playback.swift: display cycles from a playlist, shared by the device player (Embedded, the
// boards) and `sealframe play` (host). Each cycle opens a session with the key server over mutual
// TLS, fetches each asset's key, verifies and "shows" the image (writes it to the output folder),
// keeps it on screen for its time or until its key's time box ends, and wipes keys and buffers
// at the end of the cycle.
import CLibc
import DeviceIO
import KeyClient
import SealCore
import SealTLS
import SealWire

/// One playlist line: FILE ASSET-ID SECONDS (whole seconds), as ranges into the playlist bytes.
public struct Entry { var file: Range<Int>; var asset: Range<Int>; var seconds: Int }

/// A parsed playlist; `nil` if a line is not FILE ASSET-ID SECONDS or there is no entry.
public func parsePlaylist(_ text: UnsafeRawBufferPointer) -> [Entry]? {
    var entries: [Entry] = []
    var lineStart = 0
    for i in 0...text.count where i == text.count || text[i] == 0x0A {
        var fields: [Range<Int>] = []
        var j = lineStart
        while j < i {
            while j < i && (text[j] == 0x20 || text[j] == 0x09) { j += 1 }
            let start = j
            while j < i && text[j] != 0x20 && text[j] != 0x09 { j += 1 }
            if j > start { fields.append(start..<j) }
        }
        lineStart = i + 1
        if fields.isEmpty || text[fields[0].lowerBound] == 0x23 { continue }
        guard fields.count == 3 else { return nil }
        var seconds = 0
        for k in fields[2] {
            guard text[k] >= 0x30 && text[k] <= 0x39, seconds < 100_000 else { return nil }
            seconds = seconds * 10 + Int(text[k] - 0x30)
        }
        entries.append(Entry(file: fields[0], asset: fields[1], seconds: seconds))
    }
    return entries.isEmpty ? nil : entries
}

/// Runs `cycles` display cycles of `playlist` (files relative to `playlistDir`), writing shown
/// images to `out`. Returns 0, or 1 after printing why a cycle failed.
/// `maxSegmentSize` is the board's buffer budget: images with larger segments are refused.
public func play(client: borrowing KeyClient, playlist: UnsafeRawBufferPointer, entries: [Entry],
                 playlistDir: UnsafeRawBufferPointer, out: UnsafeRawBufferPointer, cycles: Int,
                 maxSegmentSize: Int = 1 << 20) -> Int32 {
    // Fixed buffers for the whole run: one ciphertext segment, one plaintext segment, reads.
    let staging = UnsafeMutableRawBufferPointer.allocate(byteCount: maxSegmentSize, alignment: 16)
    let output = UnsafeMutableRawBufferPointer.allocate(byteCount: maxSegmentSize, alignment: 16)
    let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 16384, alignment: 16)
    defer {
        for b in [staging, output, readBuffer] { wipe(b); b.deallocate() }
    }
    for cycle in 1...max(cycles, 1) {
        do throws(KeyClientError) {
            try client.withDisplayCycle { (display) throws(KeyClientError) in
                event(cycle, "session opened")
                for entry in entries {
                    let asset = UnsafeRawBufferPointer(rebasing: playlist[entry.asset])
                    let file = Path(playlistDir, UnsafeRawBufferPointer(rebasing: playlist[entry.file]))
                    let deadline = try display.withGrant(asset: asset) { (key, grant) throws(KeyClientError) -> UInt64 in
                        put("cycle "); putDecimal(cycle); put(": key granted for "); put(asset); put(" (key id ")
                        var id = grant.keyID
                        withUnsafeBytes(of: &id) { putHex($0) }
                        put(", expires in "); putDecimal(grant.expiresIn); put(" s)\n")
                        flushOutput()
                        try show(file: file, asset: asset, key: key, grant: grant, out: out,
                                 staging: staging, output: output, readBuffer: readBuffer, cycle: cycle)
                        return grant.deadline
                    }
                    // On screen for its time, never past the key's time box.
                    let now = MonotonicClock.now()
                    let until = min(now + UInt64(entry.seconds) * 1_000_000_000, deadline)
                    if until > now { MonotonicClock.sleep(nanoseconds: until - now) }
                }
                wipe(output)
                event(cycle, "keys wiped")
            }
            event(cycle, "session ended")
        } catch {
            wipe(output)
            put("player: cycle "); putDecimal(cycle); put(": ")
            describe(error)
            put("\n")
            return 1
        }
    }
    return 0
}

func show(file: borrowing Path, asset: UnsafeRawBufferPointer, key: borrowing ContentKey, grant: Grant,
          out: UnsafeRawBufferPointer, staging: UnsafeMutableRawBufferPointer, output: UnsafeMutableRawBufferPointer,
          readBuffer: UnsafeMutableRawBufferPointer, cycle: Int) throws(KeyClientError) {
    guard var source = CFileSource(path: file), var sink = CFileSink(directory: out, name: asset) else {
        throw KeyClientError.image(.io(errno: 2))
    }
    let digest = SHA256Digest()
    do throws(SealError) {
        var decryptor = try ImageDecryptor(parameters: .sealframeDefault, staging: staging)
        _ = try decryptor.openImage(from: &source, key: key, readBuffer: readBuffer, output: output) { (plaintext) throws(SealError) in
            if grant.isExpired { throw SealError.wrongKey }
            digest.update(plaintext)
            try sink.write(plaintext)
        }
        try sink.commit()
    } catch {
        throw grant.isExpired ? KeyClientError.grantExpired : KeyClientError.image(error)
    }
    var d = InlineArray<32, UInt8>(repeating: 0)
    withUnsafeMutableBytes(of: &d) { digest.finish(into: $0) }
    put("cycle "); putDecimal(cycle); put(": image verified "); put(asset); put(" sha256 ")
    withUnsafeBytes(of: &d) { putHex($0) }
    put("\n")
    flushOutput()
}

func event(_ cycle: Int, _ text: StaticString, _ detail: UnsafeRawBufferPointer? = nil) {
    put("cycle "); putDecimal(cycle); put(": "); put(text)
    if let detail { put(detail) }
    put("\n")
    flushOutput()
}

func describe(_ error: KeyClientError) {
    switch error {
    case .transport(let e): put("no TLS session with the key server: "); print(e.description, terminator: "")
    case .refused(let refusal, let status): put("key server refused ("); putDecimal(status); put(" "); put(refusal.code); put(")")
    case .protocolViolation: put("the key server's answer does not follow the protocol")
    case .grantExpired: put("a key's time box passed; it was wiped unused")
    case .image(let e): put("an image was refused and nothing of it was shown: "); print(e.description, terminator: "")
    case .cycleEnded: put("the cycle had already ended")
    }
}
