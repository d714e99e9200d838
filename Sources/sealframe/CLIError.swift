import SealCore

/// Why a command failed; `main` prints one line and exits non-zero.
enum CLIError: Error, CustomStringConvertible {
    /// The command line itself is wrong (exit status 2).
    case usage(String)
    /// A file could not be read or written.
    case file(String, errno: Int32)
    /// The key file is unusable (size or permissions).
    case keyFile(String)
    /// The core refused the image or the key.
    case seal(SealError)
    /// Anything else that failed (a keyset, the PKI, the store, the key server), described.
    case failure(String)

    var description: String {
        switch self {
        case .usage(let m): return m
        case .file(let path, let e): return "\(path): \(String(cString: strerror(e)))"
        case .keyFile(let m): return m
        case .seal(let e): return e.description
        case .failure(let m): return m
        }
    }

    var exitStatus: Int32 { if case .usage = self { return 2 } else { return 1 } }
}

#if canImport(Glibc)
import Glibc
#endif

/// Runs `body`, turning a SealError into a CLIError.
func sealing<T: ~Copyable>(_ body: () throws(SealError) -> T) throws(CLIError) -> T {
    do { return try body() } catch { throw CLIError.seal(error) }
}
