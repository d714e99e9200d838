import Glibc
import SealCore

/// A file descriptor read with read(2); `-` is standard input.
struct FileSource: ByteSource, ~Copyable {
    let fd: Int32
    let path: String
    private let owned: Bool

    init(path: String) throws(CLIError) {
        self.path = path
        if path == "-" { fd = 0; owned = false; return }
        fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CLIError.file(path, errno: errno) }
        owned = true
    }

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(SealError) -> Int {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            if errno != EINTR { throw SealError.io(errno: errno) }
        }
    }

    /// Size of a regular file, or nil for pipes and terminals.
    var regularFileSize: Int? {
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int(st.st_size)
    }

    func rewind() throws(CLIError) {
        guard lseek(fd, 0, SEEK_SET) == 0 else { throw CLIError.file(path, errno: errno) }
    }

    deinit { if owned { close(fd) } }
}

/// Where results go. A named file is written under a temporary name in the same directory
/// (mode 0600) and renamed into place by `commit`; if `commit` never happens, `deinit`
/// removes it, so a failed command leaves no output file behind. `-` is standard output.
struct OutputFile: ~Copyable {
    let fd: Int32
    let path: String
    private let temporaryPath: String?
    private var committed = false

    init(path: String) throws(CLIError) {
        self.path = path
        if path == "-" { fd = 1; temporaryPath = nil; return }
        let slash = path.lastIndex(of: "/")
        let dir = slash.map { String(path[...$0]) } ?? ""
        let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
        var template = Array("\(dir).\(base).sealframe-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw CLIError.file(path, errno: errno) }
        self.fd = fd
        temporaryPath = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(SealError) {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw SealError.io(errno: errno)
            }
            offset += n
        }
    }

    /// Makes the output visible under its real name (after fsync, so a crash leaves old or new).
    mutating func commit(mode: mode_t = 0o600) throws(CLIError) {
        guard let temporaryPath else { committed = true; return }
        guard fchmod(fd, mode) == 0, fsync(fd) == 0 else { throw CLIError.file(path, errno: errno) }
        guard rename(temporaryPath, path) == 0 else { throw CLIError.file(path, errno: errno) }
        committed = true
    }

    deinit {
        guard let temporaryPath else { return }
        close(fd)
        if !committed { unlink(temporaryPath) }
    }
}

/// Reads a raw key file (16 or 32 bytes) straight into a ContentKey. Refuses files that
/// group or others may read, as ssh does for private keys.
func readKeyFile(_ path: String) throws(CLIError) -> ContentKey {
    var source = try FileSource(path: path)
    var st = stat()
    guard fstat(source.fd, &st) == 0 else { throw CLIError.file(path, errno: errno) }
    guard (st.st_mode & S_IFMT) == S_IFREG, st.st_size == 16 || st.st_size == 32 else {
        throw CLIError.keyFile("\(path): a key file holds exactly 16 or 32 raw bytes (make one with `sealframe keygen`)")
    }
    guard st.st_mode & 0o077 == 0 else {
        throw CLIError.keyFile("\(path): key file is readable by others (mode \(String(st.st_mode & 0o777, radix: 8))); run chmod 600 \(path)")
    }
    return try sealing { () throws(SealError) in
        try ContentKey(count: Int(st.st_size)) { (buffer) throws(SealError) in try source.readExactly(into: buffer) }
    }
}

/// Writes standard error, one line.
func warn(_ line: String) {
    var text = line + "\n"
    text.withUTF8 { _ = Glibc.write(2, $0.baseAddress, $0.count) }
}
