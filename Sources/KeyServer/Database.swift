import CSQLite
import Foundation

/// A thin owner of one SQLite connection (WAL mode, foreign keys on) with bound parameters only:
/// no value is ever spliced into SQL text.
public final class Database: @unchecked Sendable {
    public enum Value: Equatable { case int(Int64), text(String), blob([UInt8]), null }
    public struct Failure: Error, CustomStringConvertible {
        public let message: String
        public var description: String { "database: \(message)" }
    }

    private var handle: OpaquePointer?
    private let lock = NSLock()

    public init(path: String) throws {
        guard sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nil) == SQLITE_OK else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close(handle)
            throw Failure(message: "\(path): \(message)")
        }
        sqlite3_busy_timeout(handle, 5000)
        _ = try query("PRAGMA journal_mode=WAL")
        try execute("PRAGMA foreign_keys=ON")
        try execute("PRAGMA synchronous=NORMAL")
    }

    deinit { sqlite3_close(handle) }

    /// Runs `body` inside one transaction (BEGIN IMMEDIATE), rolling back if it throws.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        lock.lock(); defer { lock.unlock() }
        try run("BEGIN IMMEDIATE", [])
        do {
            let result = try body()
            try run("COMMIT", [])
            return result
        } catch {
            try? run("ROLLBACK", [])
            throw error
        }
    }

    public func execute(_ sql: String, _ params: [Value] = []) throws {
        lock.lock(); defer { lock.unlock() }
        try run(sql, params)
    }

    /// Rows as arrays of values.
    public func query(_ sql: String, _ params: [Value] = []) throws -> [[Value]] {
        lock.lock(); defer { lock.unlock() }
        return try rows(sql, params)
    }

    /// For use inside `transaction` (the lock is already held).
    func run(_ sql: String, _ params: [Value]) throws { _ = try rows(sql, params) }

    func rows(_ sql: String, _ params: [Value]) throws -> [[Value]] {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK else { throw failure() }
        defer { sqlite3_finalize(statement) }
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        for (i, p) in params.enumerated() {
            let index = Int32(i + 1)
            switch p {
            case .int(let v): sqlite3_bind_int64(statement, index, v)
            case .text(let v): sqlite3_bind_text(statement, index, v, -1, transient)
            case .blob(let v): v.withUnsafeBytes { _ = sqlite3_bind_blob(statement, index, $0.baseAddress, Int32($0.count), transient) }
            case .null: sqlite3_bind_null(statement, index)
            }
        }
        var out: [[Value]] = []
        while true {
            let rc = sqlite3_step(statement)
            if rc == SQLITE_DONE { return out }
            guard rc == SQLITE_ROW else { throw failure() }
            var row: [Value] = []
            for c in 0..<sqlite3_column_count(statement) {
                switch sqlite3_column_type(statement, c) {
                case SQLITE_INTEGER: row.append(.int(sqlite3_column_int64(statement, c)))
                case SQLITE_TEXT: row.append(.text(String(cString: sqlite3_column_text(statement, c))))
                case SQLITE_BLOB:
                    let n = Int(sqlite3_column_bytes(statement, c))
                    let p = sqlite3_column_blob(statement, c)
                    row.append(.blob(n == 0 ? [] : Array(UnsafeRawBufferPointer(start: p, count: n))))
                default: row.append(.null)
                }
            }
            out.append(row)
        }
    }

    /// Rows changed by the last statement.
    var changes: Int { Int(sqlite3_changes(handle)) }

    private func failure() -> Failure { Failure(message: String(cString: sqlite3_errmsg(handle))) }
}

extension Database.Value {
    public var int: Int64? { if case .int(let v) = self { v } else { nil } }
    public var text: String? { if case .text(let v) = self { v } else { nil } }
    public var blob: [UInt8]? { if case .blob(let v) = self { v } else { nil } }
}
