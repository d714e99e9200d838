import FleetPKI
import Foundation
import KeyServer
import SealCore

/// `sealframe admin --db DB COMMAND ...`: devices, assets, schedules, sessions and the audit log.
func admin(_ words: ArraySlice<String>) throws(CLIError) {
    let args = try Arguments(words, valued: ["db", "cert", "name", "group", "master-key", "key", "image", "asset",
                                             "from", "until", "out"])
    let verb = args.positionals.first ?? ""
    let now = Int64(Date().timeIntervalSince1970)
    do {
        if verb == "master-key" {
            try keygen(["--out", try args.required("out")])
            return
        }
        let store = try Store(path: try args.required("db"))
        switch verb {
        case "enroll":
            let fingerprint = try FleetPKI.fingerprint(certificateFile: try args.required("cert"))
            try store.enroll(fingerprint: fingerprint, name: try args.required("name"), group: try args.required("group"), now: now)
            print("enrolled \(try args.required("name")) (\(hexString(fingerprint).prefix(16))…) in group \(try args.required("group"))")
        case "revoke":
            guard try store.revoke(name: try args.required("name")) else { throw CLIError.usage("no device named \(try args.required("name"))") }
            print("revoked \(try args.required("name")); its open sessions are ended")
        case "add-asset":
            // The asset id and key id come from the sealed image, so the key cannot be filed under the wrong asset.
            let vault = try AssetVault(masterKeyFile: try args.required("master-key"))
            let key = try readKeyFile(try args.required("key"))
            var source = try FileSource(path: try args.required("image"))
            var buffer = [UInt8](repeating: 0, count: Envelope.maxSize)
            let envelope = try sealing { () throws(SealError) -> Envelope in
                try buffer.withMutableBytes { (b) throws(SealError) -> Envelope in try Envelope.read(from: &source, into: b) }
            }
            var keyID = [UInt8](repeating: 0, count: 16)
            try sealing { () throws(SealError) in try keyID.withMutableBytes { (b) throws(SealError) in try key.id(into: b) } }
            guard (0..<16).allSatisfy({ keyID[$0] == envelope.keyID[$0] }) else {
                throw CLIError.seal(.wrongKey)
            }
            let asset = String(decoding: (0..<envelope.assetIDLength).map { envelope.assetID[$0] }, as: UTF8.self)
            try store.addAsset(id: asset, keyID: keyID, wrappedKey: try vault.wrap(key, asset: asset), now: now)
            print("added asset \(asset) (key id \(hexString(keyID)))")
        case "schedule":
            let from = try time(try args.required("from"), now: now), until = try time(try args.required("until"), now: now)
            guard from < until else { throw CLIError.usage("--from must be before --until") }
            try store.addSchedule(.init(asset: try args.required("asset"), group: try args.required("group"), notBefore: from, notAfter: until))
            print("scheduled \(try args.required("asset")) for group \(try args.required("group")) from \(iso(from)) until \(iso(until))")
        case "devices":
            for d in try store.devices() { print("\(d.name)\t\(d.group)\t\(d.revoked ? "revoked" : "active")\t\(hexString(d.fingerprint).prefix(16))") }
        case "sessions":
            for s in try store.sessions() { print("\(s.device)\t\(iso(s.created))\t\(iso(s.expires))\t\(s.ended ? "ended" : (s.expires <= now ? "expired" : "open"))") }
        case "audit":
            for e in try store.auditLog() { print("\(iso(e.at))\t\(e.device)\t\(e.status)\t\(e.event)\t\(e.asset)") }
        default:
            throw CLIError.usage("admin takes master-key, enroll, revoke, add-asset, schedule, devices, sessions or audit")
        }
    } catch let e as CLIError { throw e } catch { throw CLIError.failure("\(error)") }
}

/// UNIX seconds, `now`, or `now+N` / `now-N` seconds.
func time(_ text: String, now: Int64) throws(CLIError) -> Int64 {
    if text == "now" { return now }
    if text.hasPrefix("now+"), let n = Int64(text.dropFirst(4)) { return now + n }
    if text.hasPrefix("now-"), let n = Int64(text.dropFirst(4)) { return now - n }
    if let n = Int64(text) { return n }
    throw CLIError.usage("a time is UNIX seconds, now, now+SECONDS or now-SECONDS")
}

func iso(_ t: Int64) -> String {
    let f = ISO8601DateFormatter()
    return f.string(from: Date(timeIntervalSince1970: TimeInterval(t)))
}
