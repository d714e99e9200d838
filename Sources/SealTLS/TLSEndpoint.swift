import CMbedTLS
import SealCore

/// One side's TLS set-up for its whole life: DRBG, pinned CA chain, own certificate and key,
/// and the `mbedtls_ssl_config` that points at all of them. Everything sits at a fixed heap
/// address (the config keeps pointers into the others) and is freed in reverse order.
///
/// Policy, the same for both roles: TLS 1.2 only (2.28 has no 1.3), ECDHE with AEAD suites only,
/// the peer's certificate required and checked against the pinned CA, no renegotiation.
public struct TLSEndpoint: ~Copyable {
    public enum Role { case client, server }

    let config: UnsafeMutablePointer<mbedtls_ssl_config>
    private let random: RandomGenerator
    private let caChain: UnsafeMutablePointer<mbedtls_x509_crt>
    private let ownCertificate: UnsafeMutablePointer<mbedtls_x509_crt>
    private let ownKey: UnsafeMutablePointer<mbedtls_pk_context>
    private let suites: UnsafeMutablePointer<Int32>

    /// Loads PEM or DER files (paths, NUL-terminated) and builds the configuration.
    /// `readTimeoutMilliseconds` bounds every read, the handshake's included.
    public init(role: Role, caFile: UnsafePointer<CChar>, certificateFile: UnsafePointer<CChar>,
                keyFile: UnsafePointer<CChar>, readTimeoutMilliseconds: UInt32) throws(TLSError) {
        let random: RandomGenerator
        do { random = try RandomGenerator(personalization: "sealframe tls") } catch { throw TLSError.setup(code: -1) }
        let config = UnsafeMutablePointer<mbedtls_ssl_config>.allocate(capacity: 1)
        let caChain = UnsafeMutablePointer<mbedtls_x509_crt>.allocate(capacity: 1)
        let ownCertificate = UnsafeMutablePointer<mbedtls_x509_crt>.allocate(capacity: 1)
        let ownKey = UnsafeMutablePointer<mbedtls_pk_context>.allocate(capacity: 1)
        let suites = UnsafeMutablePointer<Int32>.allocate(capacity: TLSEndpoint.allowedSuites.count + 1)
        mbedtls_ssl_config_init(config)
        mbedtls_x509_crt_init(caChain)
        mbedtls_x509_crt_init(ownCertificate)
        mbedtls_pk_init(ownKey)
        for (i, s) in TLSEndpoint.allowedSuites.enumerated() { suites[i] = s }
        suites[TLSEndpoint.allowedSuites.count] = 0
        do throws(TLSError) {
            var rc = mbedtls_x509_crt_parse_file(caChain, caFile)
            if rc == 0 { rc = mbedtls_x509_crt_parse_file(ownCertificate, certificateFile) }
            if rc == 0 { rc = mbedtls_pk_parse_keyfile(ownKey, keyFile, nil) }
            if rc != 0 { throw TLSError.credentials(code: rc) }
            rc = mbedtls_ssl_config_defaults(config, role == .client ? MBEDTLS_SSL_IS_CLIENT : MBEDTLS_SSL_IS_SERVER,
                                             MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT)
            if rc != 0 { throw TLSError.setup(code: rc) }
            mbedtls_ssl_conf_min_version(config, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3)
            mbedtls_ssl_conf_max_version(config, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3)
            mbedtls_ssl_conf_ciphersuites(config, suites)
            mbedtls_ssl_conf_authmode(config, MBEDTLS_SSL_VERIFY_REQUIRED)
            mbedtls_ssl_conf_renegotiation(config, MBEDTLS_SSL_RENEGOTIATION_DISABLED)
            mbedtls_ssl_conf_ca_chain(config, caChain, nil)
            mbedtls_ssl_conf_rng(config, mbedtls_ctr_drbg_random, random.context)
            mbedtls_ssl_conf_read_timeout(config, readTimeoutMilliseconds)
            rc = mbedtls_ssl_conf_own_cert(config, ownCertificate, ownKey)
            if rc != 0 { throw TLSError.credentials(code: rc) }
        } catch {
            TLSEndpoint.release(config, ownKey, ownCertificate, caChain, suites)
            throw error
        }
        self.random = random
        self.config = config
        self.caChain = caChain
        self.ownCertificate = ownCertificate
        self.ownKey = ownKey
        self.suites = suites
    }

    private static func release(_ config: UnsafeMutablePointer<mbedtls_ssl_config>,
                                _ ownKey: UnsafeMutablePointer<mbedtls_pk_context>,
                                _ ownCertificate: UnsafeMutablePointer<mbedtls_x509_crt>,
                                _ caChain: UnsafeMutablePointer<mbedtls_x509_crt>,
                                _ suites: UnsafeMutablePointer<Int32>) {
        mbedtls_ssl_config_free(config)
        mbedtls_pk_free(ownKey)  // wipes the private key
        mbedtls_x509_crt_free(ownCertificate)
        mbedtls_x509_crt_free(caChain)
        config.deallocate(); ownKey.deallocate(); ownCertificate.deallocate(); caChain.deallocate()
        suites.deallocate()
    }

    /// ECDHE key exchange with AEAD record protection, nothing else.
    static let allowedSuites: [Int32] = [
        MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ]

    deinit { TLSEndpoint.release(config, ownKey, ownCertificate, caChain, suites) }
}
