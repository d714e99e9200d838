import CMbedTLS
import Foundation
import SealCore

/// A test fleet PKI made with mbedTLS's own X.509 writer (no OpenSSL): a fleet CA, a key server
/// certificate, and device certificates, all ECDSA P-256, as PEM files in one folder.
/// Certificates made elsewhere work as well: the server and client only read PEM files.
public enum FleetPKI {
    public struct Failure: Error, CustomStringConvertible { public let description: String }

    public enum Kind {
        case server(dnsNames: [String], addresses: [[UInt8]])
        case device
    }

    /// Writes `ca.pem` and `ca.key` (0600) into `directory`.
    public static func createCA(directory: String, name: String = "Sealframe test fleet CA", days: Int = 3650) throws {
        let random = try RandomGenerator(personalization: "sealframe pki")
        let key = try Key(random: random)
        let subject = "CN=\(name),O=Sealframe"
        let pem = try certificate(subjectKey: key, subject: subject, issuerKey: key, issuer: subject,
                                  isCA: true, kind: .device, days: days, random: random)
        try write(pem, to: "\(directory)/ca.pem", mode: 0o644)
        try writePrivateKey(key, to: "\(directory)/ca.key")
    }

    /// Issues `<name>.pem` and `<name>.key` (0600) signed by the CA in `directory`.
    public static func issue(directory: String, name: String, kind: Kind, days: Int = 825) throws {
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." || $0 == "_" }) else {
            throw Failure(description: "a certificate name uses letters, digits, '-', '.', '_'")
        }
        let random = try RandomGenerator(personalization: "sealframe pki")
        let caKey = try Key(file: "\(directory)/ca.key")
        let issuer = try subjectOf(certificateFile: "\(directory)/ca.pem")
        let key = try Key(random: random)
        let pem = try certificate(subjectKey: key, subject: "CN=\(name),O=Sealframe", issuerKey: caKey, issuer: issuer,
                                  isCA: false, kind: kind, days: days, random: random)
        try write(pem, to: "\(directory)/\(name).pem", mode: 0o644)
        try writePrivateKey(key, to: "\(directory)/\(name).key")
    }

    /// SHA-256 of a PEM certificate's DER: how the key server names a device.
    public static func fingerprint(certificateFile: String) throws -> [UInt8] {
        var crt = mbedtls_x509_crt()
        mbedtls_x509_crt_init(&crt)
        defer { mbedtls_x509_crt_free(&crt) }
        let rc = mbedtls_x509_crt_parse_file(&crt, certificateFile)
        guard rc == 0 else { throw Failure(description: "\(certificateFile): not a certificate (\(rc))") }
        var out = [UInt8](repeating: 0, count: 32)
        _ = mbedtls_sha256_ret(crt.raw.p, crt.raw.len, &out, 0)
        return out
    }

    // MARK: mechanics

    /// An EC P-256 key pair owned at a fixed address.
    final class Key {
        let pk = UnsafeMutablePointer<mbedtls_pk_context>.allocate(capacity: 1)

        init(random: borrowing RandomGenerator) throws {
            mbedtls_pk_init(pk)
            var rc = mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY))
            if rc == 0 {
                rc = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(pk.pointee), mbedtls_ctr_drbg_random, random.context)
            }
            guard rc == 0 else { throw Failure(description: "key generation failed (\(rc))") }
        }

        init(file: String) throws {
            mbedtls_pk_init(pk)
            let rc = mbedtls_pk_parse_keyfile(pk, file, nil)
            guard rc == 0 else { throw Failure(description: "\(file): cannot read the key (\(rc))") }
        }

        func pem() throws -> [UInt8] {
            var buffer = [UInt8](repeating: 0, count: 1024)
            let rc = mbedtls_pk_write_key_pem(pk, &buffer, buffer.count)
            guard rc == 0 else { throw Failure(description: "cannot encode the key (\(rc))") }
            defer { buffer.withUnsafeMutableBytes { wipe($0) } }
            return Array(buffer.prefix { $0 != 0 })
        }

        deinit { mbedtls_pk_free(pk); pk.deallocate() }
    }

    static func subjectOf(certificateFile: String) throws -> String {
        var crt = mbedtls_x509_crt()
        mbedtls_x509_crt_init(&crt)
        defer { mbedtls_x509_crt_free(&crt) }
        guard mbedtls_x509_crt_parse_file(&crt, certificateFile) == 0 else { throw Failure(description: "\(certificateFile): not a certificate") }
        var buffer = [CChar](repeating: 0, count: 512)
        guard mbedtls_x509_dn_gets(&buffer, buffer.count, &crt.subject) > 0 else { throw Failure(description: "cannot read the CA's name") }
        // mbedTLS prints "CN=..., O=..."; its writer wants no space after the comma.
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            .replacingOccurrences(of: ", ", with: ",")
    }

    static func certificate(subjectKey: Key, subject: String, issuerKey: Key, issuer: String, isCA: Bool, kind: Kind,
                            days: Int, random: borrowing RandomGenerator) throws -> [UInt8] {
        var crt = mbedtls_x509write_cert()
        mbedtls_x509write_crt_init(&crt)
        defer { mbedtls_x509write_crt_free(&crt) }
        var serial = mbedtls_mpi()
        mbedtls_mpi_init(&serial)
        defer { mbedtls_mpi_free(&serial) }
        var serialBytes = [UInt8](repeating: 0, count: 16)
        try serialBytes.withUnsafeMutableBytes { try random.fill($0) }
        serialBytes[0] &= 0x7F
        func check(_ rc: Int32, _ what: String) throws { if rc != 0 { throw Failure(description: "\(what) failed (\(rc))") } }
        try check(mbedtls_mpi_read_binary(&serial, serialBytes, serialBytes.count), "serial")
        mbedtls_x509write_crt_set_version(&crt, MBEDTLS_X509_CRT_VERSION_3)
        mbedtls_x509write_crt_set_md_alg(&crt, MBEDTLS_MD_SHA256)
        mbedtls_x509write_crt_set_subject_key(&crt, subjectKey.pk)
        mbedtls_x509write_crt_set_issuer_key(&crt, issuerKey.pk)
        try check(mbedtls_x509write_crt_set_serial(&crt, &serial), "serial")
        try check(mbedtls_x509write_crt_set_subject_name(&crt, subject), "subject")
        try check(mbedtls_x509write_crt_set_issuer_name(&crt, issuer), "issuer")
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMddHHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        let start = Date().addingTimeInterval(-3600)
        try check(mbedtls_x509write_crt_set_validity(&crt, formatter.string(from: start),
                                                      formatter.string(from: start.addingTimeInterval(Double(days) * 86400))), "validity")
        try check(mbedtls_x509write_crt_set_basic_constraints(&crt, isCA ? 1 : 0, isCA ? 0 : -1), "basic constraints")
        try check(mbedtls_x509write_crt_set_subject_key_identifier(&crt), "subject key id")
        try check(mbedtls_x509write_crt_set_authority_key_identifier(&crt), "authority key id")
        let usage = isCA ? MBEDTLS_X509_KU_KEY_CERT_SIGN | MBEDTLS_X509_KU_CRL_SIGN : MBEDTLS_X509_KU_DIGITAL_SIGNATURE
        try check(mbedtls_x509write_crt_set_key_usage(&crt, UInt32(usage)), "key usage")
        if case .server(let names, let addresses) = kind {
            // subjectAltName (2.28 has no writer for it): SEQUENCE { [2] dNSName..., [7] iPAddress... }
            var names_ = [UInt8]()
            for n in names { names_ += [0x82, UInt8(n.utf8.count)] + Array(n.utf8) }
            for a in addresses { names_ += [0x87, UInt8(a.count)] + a }
            let value = [0x30, UInt8(names_.count)] + names_
            let oid: [UInt8] = [0x55, 0x1D, 0x11]
            try check(oid.withUnsafeBufferPointer { o in
                mbedtls_x509write_crt_set_extension(&crt, UnsafeRawPointer(o.baseAddress!).assumingMemoryBound(to: CChar.self),
                                                    o.count, 0, value, value.count)
            }, "subjectAltName")
        }
        var buffer = [UInt8](repeating: 0, count: 4096)
        try check(mbedtls_x509write_crt_pem(&crt, &buffer, buffer.count, mbedtls_ctr_drbg_random, random.context), "signing")
        return Array(buffer.prefix { $0 != 0 })
    }

    /// Writes the key's PEM (mode 0600) and wipes the in-memory copy.
    static func writePrivateKey(_ key: Key, to path: String) throws {
        var pem = try key.pem()
        defer { pem.withUnsafeMutableBytes { wipe($0) } }
        try write(pem, to: path, mode: 0o600)
    }

    static func write(_ bytes: [UInt8], to path: String, mode: mode_t) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw Failure(description: "\(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard bytes.withUnsafeBytes({ Foundation.write(fd, $0.baseAddress, $0.count) }) == bytes.count else {
            throw Failure(description: "\(path): write failed")
        }
    }
}
