import Foundation

/// The key server's durable state in SQLite: devices, assets (keys wrapped under the master
/// key), schedules, sessions (only a hash of each id), single-use grants, and the audit log.
public final class Store: @unchecked Sendable {
    public let db: Database

    public struct Device { public var fingerprint: [UInt8]; public var name: String; public var group: String; public var revoked: Bool }
    public struct Asset { public var id: String; public var keyID: [UInt8]; public var wrappedKey: [UInt8] }
    public struct Session { public var device: [UInt8]; public var expires: Int64; public var ended: Bool }
    public struct Schedule {
        public var asset: String, group: String, notBefore: Int64, notAfter: Int64
        public init(asset: String, group: String, notBefore: Int64, notAfter: Int64) {
            self.asset = asset; self.group = group; self.notBefore = notBefore; self.notAfter = notAfter
        }
    }
    public struct AuditEntry { public var at: Int64; public var device: String; public var event: String; public var asset: String; public var status: Int }

    public init(path: String) throws {
        db = try Database(path: path)
        try db.execute("""
            CREATE TABLE IF NOT EXISTS devices (fingerprint BLOB PRIMARY KEY, name TEXT UNIQUE NOT NULL,
                grp TEXT NOT NULL, revoked INTEGER NOT NULL DEFAULT 0, enrolled_at INTEGER NOT NULL)
            """)
        try db.execute("""
            CREATE TABLE IF NOT EXISTS assets (id TEXT PRIMARY KEY, key_id BLOB NOT NULL, wrapped_key BLOB NOT NULL,
                added_at INTEGER NOT NULL)
            """)
        try db.execute("""
            CREATE TABLE IF NOT EXISTS schedules (id INTEGER PRIMARY KEY, asset TEXT NOT NULL REFERENCES assets(id),
                grp TEXT NOT NULL, not_before INTEGER NOT NULL, not_after INTEGER NOT NULL)
            """)
        try db.execute("""
            CREATE TABLE IF NOT EXISTS sessions (id_hash BLOB PRIMARY KEY, device BLOB NOT NULL REFERENCES devices(fingerprint),
                created INTEGER NOT NULL, expires INTEGER NOT NULL, ended INTEGER NOT NULL DEFAULT 0)
            """)
        try db.execute("""
            CREATE TABLE IF NOT EXISTS grants (session BLOB NOT NULL REFERENCES sessions(id_hash), asset TEXT NOT NULL,
                granted_at INTEGER NOT NULL, expires INTEGER NOT NULL, PRIMARY KEY (session, asset))
            """)
        try db.execute("""
            CREATE TABLE IF NOT EXISTS audit (seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, device TEXT NOT NULL,
                event TEXT NOT NULL, asset TEXT NOT NULL DEFAULT '', status INTEGER NOT NULL)
            """)
    }

    // MARK: devices

    public func enroll(fingerprint: [UInt8], name: String, group: String, now: Int64) throws {
        try db.execute("INSERT INTO devices (fingerprint, name, grp, enrolled_at) VALUES (?, ?, ?, ?)",
                       [.blob(fingerprint), .text(name), .text(group), .int(now)])
    }

    /// Revokes the device and ends its open sessions. Returns false if no such device.
    public func revoke(name: String) throws -> Bool {
        try db.transaction {
            try db.run("UPDATE devices SET revoked = 1 WHERE name = ?", [.text(name)])
            guard db.changes == 1 else { return false }
            try db.run("UPDATE sessions SET ended = 1 WHERE device = (SELECT fingerprint FROM devices WHERE name = ?)", [.text(name)])
            return true
        }
    }

    public func device(fingerprint: [UInt8]) throws -> Device? {
        try db.query("SELECT fingerprint, name, grp, revoked FROM devices WHERE fingerprint = ?", [.blob(fingerprint)]).first.map {
            Device(fingerprint: $0[0].blob ?? [], name: $0[1].text ?? "", group: $0[2].text ?? "", revoked: $0[3].int == 1)
        }
    }

    public func devices() throws -> [Device] {
        try db.query("SELECT fingerprint, name, grp, revoked FROM devices ORDER BY name").map {
            Device(fingerprint: $0[0].blob ?? [], name: $0[1].text ?? "", group: $0[2].text ?? "", revoked: $0[3].int == 1)
        }
    }

    // MARK: assets and schedules

    public func addAsset(id: String, keyID: [UInt8], wrappedKey: [UInt8], now: Int64) throws {
        try db.execute("INSERT INTO assets (id, key_id, wrapped_key, added_at) VALUES (?, ?, ?, ?)",
                       [.text(id), .blob(keyID), .blob(wrappedKey), .int(now)])
    }

    public func asset(id: String) throws -> Asset? {
        try db.query("SELECT id, key_id, wrapped_key FROM assets WHERE id = ?", [.text(id)]).first.map {
            Asset(id: $0[0].text ?? "", keyID: $0[1].blob ?? [], wrappedKey: $0[2].blob ?? [])
        }
    }

    public func addSchedule(_ s: Schedule) throws {
        try db.execute("INSERT INTO schedules (asset, grp, not_before, not_after) VALUES (?, ?, ?, ?)",
                       [.text(s.asset), .text(s.group), .int(s.notBefore), .int(s.notAfter)])
    }

    public func schedules(asset: String) throws -> [Schedule] {
        try db.query("SELECT asset, grp, not_before, not_after FROM schedules WHERE asset = ?", [.text(asset)]).map {
            Schedule(asset: $0[0].text ?? "", group: $0[1].text ?? "", notBefore: $0[2].int ?? 0, notAfter: $0[3].int ?? 0)
        }
    }

    // MARK: sessions and grants

    public func openSession(idHash: [UInt8], device: [UInt8], now: Int64, expires: Int64) throws {
        try db.execute("INSERT INTO sessions (id_hash, device, created, expires) VALUES (?, ?, ?, ?)",
                       [.blob(idHash), .blob(device), .int(now), .int(expires)])
    }

    public func session(idHash: [UInt8]) throws -> Session? {
        try db.query("SELECT device, expires, ended FROM sessions WHERE id_hash = ?", [.blob(idHash)]).first.map {
            Session(device: $0[0].blob ?? [], expires: $0[1].int ?? 0, ended: $0[2].int == 1)
        }
    }

    public func endSession(idHash: [UInt8]) throws {
        try db.execute("UPDATE sessions SET ended = 1 WHERE id_hash = ?", [.blob(idHash)])
    }

    /// Records a grant; false if this session already had one for the asset (a replay).
    public func recordGrant(session: [UInt8], asset: String, now: Int64, expires: Int64) throws -> Bool {
        try db.transaction {
            try db.run("INSERT OR IGNORE INTO grants (session, asset, granted_at, expires) VALUES (?, ?, ?, ?)",
                       [.blob(session), .text(asset), .int(now), .int(expires)])
            return db.changes == 1
        }
    }

    public func sessions() throws -> [(device: String, created: Int64, expires: Int64, ended: Bool)] {
        try db.query("""
            SELECT d.name, s.created, s.expires, s.ended FROM sessions s JOIN devices d ON d.fingerprint = s.device
            ORDER BY s.created
            """).map { ($0[0].text ?? "", $0[1].int ?? 0, $0[2].int ?? 0, $0[3].int == 1) }
    }

    // MARK: audit

    public func audit(at: Int64, device: String, event: String, asset: String = "", status: Int) throws {
        try db.execute("INSERT INTO audit (at, device, event, asset, status) VALUES (?, ?, ?, ?, ?)",
                       [.int(at), .text(device), .text(event), .text(asset), .int(Int64(status))])
    }

    public func auditLog() throws -> [AuditEntry] {
        try db.query("SELECT at, device, event, asset, status FROM audit ORDER BY seq").map {
            AuditEntry(at: $0[0].int ?? 0, device: $0[1].text ?? "", event: $0[2].text ?? "", asset: $0[3].text ?? "", status: Int($0[4].int ?? 0))
        }
    }
}
