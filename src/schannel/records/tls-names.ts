/**
 * Spec names for the numbers that appear in TLS records and handshake messages: content types,
 * handshake types, protocol versions, alert levels, cipher suites, named groups, signature schemes and
 * extension types. Names are the IANA registry names (RFC 8446, RFC 5246 and the "TLS Parameters"
 * registries); cipher suite names are the IANA `TLS_*` names, which are also OpenSSL's
 * `-stdname` names.
 *
 * Every lookup returns `undefined` for a number it does not know, except the GREASE values
 * (RFC 8701), which are named `"GREASE"`.
 *
 * Alert descriptions are named by `alertDescriptionName` in `sspi/schannel-constants.ts` (one
 * table for this module and the SSPI surface).
 *
 * @module
 */

/** A number with its spec name (`undefined` when the number is not in our tables). */
export interface Named {
  readonly id: number;
  readonly name: string | undefined;
}

/** `ContentType` (RFC 8446 §5.1, RFC 6520). */
export const CONTENT_TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [20, "change_cipher_spec"],
  [21, "alert"],
  [22, "handshake"],
  [23, "application_data"],
  [24, "heartbeat"],
]);

/** `HandshakeType` (RFC 8446 §4, RFC 5246 §7.4, RFC 8879, RFC 6066). */
export const HANDSHAKE_TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [0, "hello_request"],
  [1, "client_hello"],
  [2, "server_hello"],
  [3, "hello_verify_request"],
  [4, "new_session_ticket"],
  [5, "end_of_early_data"],
  [6, "hello_retry_request"],
  [8, "encrypted_extensions"],
  [11, "certificate"],
  [12, "server_key_exchange"],
  [13, "certificate_request"],
  [14, "server_hello_done"],
  [15, "certificate_verify"],
  [16, "client_key_exchange"],
  [20, "finished"],
  [21, "certificate_url"],
  [22, "certificate_status"],
  [23, "supplemental_data"],
  [24, "key_update"],
  [25, "compressed_certificate"],
  [254, "message_hash"],
]);

/** `HandshakeType` as the message names used in traces (`ClientHello`, `ServerHelloDone`, …). */
const HANDSHAKE_TRACE_LABELS: ReadonlyMap<number, string> = new Map([
  [0, "HelloRequest"],
  [1, "ClientHello"],
  [2, "ServerHello"],
  [3, "HelloVerifyRequest"],
  [4, "NewSessionTicket"],
  [5, "EndOfEarlyData"],
  [6, "HelloRetryRequest"],
  [8, "EncryptedExtensions"],
  [11, "Certificate"],
  [12, "ServerKeyExchange"],
  [13, "CertificateRequest"],
  [14, "ServerHelloDone"],
  [15, "CertificateVerify"],
  [16, "ClientKeyExchange"],
  [20, "Finished"],
  [21, "CertificateURL"],
  [22, "CertificateStatus"],
  [23, "SupplementalData"],
  [24, "KeyUpdate"],
  [25, "CompressedCertificate"],
  [254, "MessageHash"],
]);

/** `ProtocolVersion` values (record and `supported_versions`). */
export const PROTOCOL_VERSION_NAMES: ReadonlyMap<number, string> = new Map([
  [0x0002, "SSL 2.0"],
  [0x0300, "SSL 3.0"],
  [0x0301, "TLS 1.0"],
  [0x0302, "TLS 1.1"],
  [0x0303, "TLS 1.2"],
  [0x0304, "TLS 1.3"],
  [0xfeff, "DTLS 1.0"],
  [0xfefd, "DTLS 1.2"],
  [0xfefc, "DTLS 1.3"],
]);

/** `AlertLevel` (RFC 8446 §6). */
export const ALERT_LEVEL_NAMES: ReadonlyMap<number, string> = new Map([
  [1, "warning"],
  [2, "fatal"],
]);

/**
 * Cipher suites (IANA "TLS Cipher Suites"): every TLS 1.3 suite, the signalling values, and the
 * TLS 1.0–1.2 suites OpenSSL 3 can negotiate (AEAD, CBC, CCM, ARIA, Camellia, PSK, SRP, NULL),
 * plus the legacy 3DES/RC4 suites still seen in old ClientHellos.
 */
export const CIPHER_SUITE_NAMES: ReadonlyMap<number, string> = new Map([
  [0x0000, "TLS_NULL_WITH_NULL_NULL"],
  [0x0004, "TLS_RSA_WITH_RC4_128_MD5"],
  [0x0005, "TLS_RSA_WITH_RC4_128_SHA"],
  [0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"],
  [0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA"],
  [0x00ff, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"],
  [0x1304, "TLS_AES_128_CCM_SHA256"],
  [0x1305, "TLS_AES_128_CCM_8_SHA256"],
  [0x5600, "TLS_FALLBACK_SCSV"],
  [0xc007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA"],
  [0xc008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA"],
  [0xc011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA"],
  [0xc012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"],
  [0xd001, "TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256"],
  [0xd002, "TLS_ECDHE_PSK_WITH_AES_256_GCM_SHA384"],
  [0xd003, "TLS_ECDHE_PSK_WITH_AES_128_CCM_8_SHA256"],
  [0xd005, "TLS_ECDHE_PSK_WITH_AES_128_CCM_SHA256"],
  [0x0001, "TLS_RSA_WITH_NULL_MD5"],
  [0x0002, "TLS_RSA_WITH_NULL_SHA"],
  [0x002c, "TLS_PSK_WITH_NULL_SHA"],
  [0x002d, "TLS_DHE_PSK_WITH_NULL_SHA"],
  [0x002e, "TLS_RSA_PSK_WITH_NULL_SHA"],
  [0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA"],
  [0x0032, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA"],
  [0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA"],
  [0x0034, "TLS_DH_anon_WITH_AES_128_CBC_SHA"],
  [0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA"],
  [0x0038, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA"],
  [0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"],
  [0x003a, "TLS_DH_anon_WITH_AES_256_CBC_SHA"],
  [0x003b, "TLS_RSA_WITH_NULL_SHA256"],
  [0x003c, "TLS_RSA_WITH_AES_128_CBC_SHA256"],
  [0x003d, "TLS_RSA_WITH_AES_256_CBC_SHA256"],
  [0x0040, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256"],
  [0x0041, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA"],
  [0x0044, "TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA"],
  [0x0045, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA"],
  [0x0046, "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA"],
  [0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256"],
  [0x006a, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256"],
  [0x006b, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256"],
  [0x006c, "TLS_DH_anon_WITH_AES_128_CBC_SHA256"],
  [0x006d, "TLS_DH_anon_WITH_AES_256_CBC_SHA256"],
  [0x0084, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA"],
  [0x0087, "TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA"],
  [0x0088, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA"],
  [0x0089, "TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA"],
  [0x008c, "TLS_PSK_WITH_AES_128_CBC_SHA"],
  [0x008d, "TLS_PSK_WITH_AES_256_CBC_SHA"],
  [0x0090, "TLS_DHE_PSK_WITH_AES_128_CBC_SHA"],
  [0x0091, "TLS_DHE_PSK_WITH_AES_256_CBC_SHA"],
  [0x0094, "TLS_RSA_PSK_WITH_AES_128_CBC_SHA"],
  [0x0095, "TLS_RSA_PSK_WITH_AES_256_CBC_SHA"],
  [0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256"],
  [0x009d, "TLS_RSA_WITH_AES_256_GCM_SHA384"],
  [0x009e, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"],
  [0x009f, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"],
  [0x00a2, "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256"],
  [0x00a3, "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384"],
  [0x00a6, "TLS_DH_anon_WITH_AES_128_GCM_SHA256"],
  [0x00a7, "TLS_DH_anon_WITH_AES_256_GCM_SHA384"],
  [0x00a8, "TLS_PSK_WITH_AES_128_GCM_SHA256"],
  [0x00a9, "TLS_PSK_WITH_AES_256_GCM_SHA384"],
  [0x00aa, "TLS_DHE_PSK_WITH_AES_128_GCM_SHA256"],
  [0x00ab, "TLS_DHE_PSK_WITH_AES_256_GCM_SHA384"],
  [0x00ac, "TLS_RSA_PSK_WITH_AES_128_GCM_SHA256"],
  [0x00ad, "TLS_RSA_PSK_WITH_AES_256_GCM_SHA384"],
  [0x00ae, "TLS_PSK_WITH_AES_128_CBC_SHA256"],
  [0x00af, "TLS_PSK_WITH_AES_256_CBC_SHA384"],
  [0x00b0, "TLS_PSK_WITH_NULL_SHA256"],
  [0x00b1, "TLS_PSK_WITH_NULL_SHA384"],
  [0x00b2, "TLS_DHE_PSK_WITH_AES_128_CBC_SHA256"],
  [0x00b3, "TLS_DHE_PSK_WITH_AES_256_CBC_SHA384"],
  [0x00b4, "TLS_DHE_PSK_WITH_NULL_SHA256"],
  [0x00b5, "TLS_DHE_PSK_WITH_NULL_SHA384"],
  [0x00b6, "TLS_RSA_PSK_WITH_AES_128_CBC_SHA256"],
  [0x00b7, "TLS_RSA_PSK_WITH_AES_256_CBC_SHA384"],
  [0x00b8, "TLS_RSA_PSK_WITH_NULL_SHA256"],
  [0x00b9, "TLS_RSA_PSK_WITH_NULL_SHA384"],
  [0x00ba, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA256"],
  [0x00bd, "TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA256"],
  [0x00be, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA256"],
  [0x00bf, "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA256"],
  [0x00c0, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA256"],
  [0x00c3, "TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA256"],
  [0x00c4, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA256"],
  [0x00c5, "TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA256"],
  [0x1301, "TLS_AES_128_GCM_SHA256"],
  [0x1302, "TLS_AES_256_GCM_SHA384"],
  [0x1303, "TLS_CHACHA20_POLY1305_SHA256"],
  [0xc006, "TLS_ECDHE_ECDSA_WITH_NULL_SHA"],
  [0xc009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"],
  [0xc00a, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"],
  [0xc010, "TLS_ECDHE_RSA_WITH_NULL_SHA"],
  [0xc013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"],
  [0xc014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"],
  [0xc015, "TLS_ECDH_anon_WITH_NULL_SHA"],
  [0xc018, "TLS_ECDH_anon_WITH_AES_128_CBC_SHA"],
  [0xc019, "TLS_ECDH_anon_WITH_AES_256_CBC_SHA"],
  [0xc01d, "TLS_SRP_SHA_WITH_AES_128_CBC_SHA"],
  [0xc01e, "TLS_SRP_SHA_RSA_WITH_AES_128_CBC_SHA"],
  [0xc01f, "TLS_SRP_SHA_DSS_WITH_AES_128_CBC_SHA"],
  [0xc020, "TLS_SRP_SHA_WITH_AES_256_CBC_SHA"],
  [0xc021, "TLS_SRP_SHA_RSA_WITH_AES_256_CBC_SHA"],
  [0xc022, "TLS_SRP_SHA_DSS_WITH_AES_256_CBC_SHA"],
  [0xc023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"],
  [0xc024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384"],
  [0xc027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"],
  [0xc028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"],
  [0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"],
  [0xc02c, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"],
  [0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"],
  [0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"],
  [0xc035, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA"],
  [0xc036, "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA"],
  [0xc037, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256"],
  [0xc038, "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA384"],
  [0xc039, "TLS_ECDHE_PSK_WITH_NULL_SHA"],
  [0xc03a, "TLS_ECDHE_PSK_WITH_NULL_SHA256"],
  [0xc03b, "TLS_ECDHE_PSK_WITH_NULL_SHA384"],
  [0xc050, "TLS_RSA_WITH_ARIA_128_GCM_SHA256"],
  [0xc051, "TLS_RSA_WITH_ARIA_256_GCM_SHA384"],
  [0xc052, "TLS_DHE_RSA_WITH_ARIA_128_GCM_SHA256"],
  [0xc053, "TLS_DHE_RSA_WITH_ARIA_256_GCM_SHA384"],
  [0xc056, "TLS_DHE_DSS_WITH_ARIA_128_GCM_SHA256"],
  [0xc057, "TLS_DHE_DSS_WITH_ARIA_256_GCM_SHA384"],
  [0xc05c, "TLS_ECDHE_ECDSA_WITH_ARIA_128_GCM_SHA256"],
  [0xc05d, "TLS_ECDHE_ECDSA_WITH_ARIA_256_GCM_SHA384"],
  [0xc060, "TLS_ECDHE_RSA_WITH_ARIA_128_GCM_SHA256"],
  [0xc061, "TLS_ECDHE_RSA_WITH_ARIA_256_GCM_SHA384"],
  [0xc06a, "TLS_PSK_WITH_ARIA_128_GCM_SHA256"],
  [0xc06b, "TLS_PSK_WITH_ARIA_256_GCM_SHA384"],
  [0xc06c, "TLS_DHE_PSK_WITH_ARIA_128_GCM_SHA256"],
  [0xc06d, "TLS_DHE_PSK_WITH_ARIA_256_GCM_SHA384"],
  [0xc06e, "TLS_RSA_PSK_WITH_ARIA_128_GCM_SHA256"],
  [0xc06f, "TLS_RSA_PSK_WITH_ARIA_256_GCM_SHA384"],
  [0xc072, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_CBC_SHA256"],
  [0xc073, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_CBC_SHA384"],
  [0xc076, "TLS_ECDHE_RSA_WITH_CAMELLIA_128_CBC_SHA256"],
  [0xc077, "TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384"],
  [0xc094, "TLS_PSK_WITH_CAMELLIA_128_CBC_SHA256"],
  [0xc095, "TLS_PSK_WITH_CAMELLIA_256_CBC_SHA384"],
  [0xc096, "TLS_DHE_PSK_WITH_CAMELLIA_128_CBC_SHA256"],
  [0xc097, "TLS_DHE_PSK_WITH_CAMELLIA_256_CBC_SHA384"],
  [0xc098, "TLS_RSA_PSK_WITH_CAMELLIA_128_CBC_SHA256"],
  [0xc099, "TLS_RSA_PSK_WITH_CAMELLIA_256_CBC_SHA384"],
  [0xc09a, "TLS_ECDHE_PSK_WITH_CAMELLIA_128_CBC_SHA256"],
  [0xc09b, "TLS_ECDHE_PSK_WITH_CAMELLIA_256_CBC_SHA384"],
  [0xc09c, "TLS_RSA_WITH_AES_128_CCM"],
  [0xc09d, "TLS_RSA_WITH_AES_256_CCM"],
  [0xc09e, "TLS_DHE_RSA_WITH_AES_128_CCM"],
  [0xc09f, "TLS_DHE_RSA_WITH_AES_256_CCM"],
  [0xc0a0, "TLS_RSA_WITH_AES_128_CCM_8"],
  [0xc0a1, "TLS_RSA_WITH_AES_256_CCM_8"],
  [0xc0a2, "TLS_DHE_RSA_WITH_AES_128_CCM_8"],
  [0xc0a3, "TLS_DHE_RSA_WITH_AES_256_CCM_8"],
  [0xc0a4, "TLS_PSK_WITH_AES_128_CCM"],
  [0xc0a5, "TLS_PSK_WITH_AES_256_CCM"],
  [0xc0a6, "TLS_DHE_PSK_WITH_AES_128_CCM"],
  [0xc0a7, "TLS_DHE_PSK_WITH_AES_256_CCM"],
  [0xc0a8, "TLS_PSK_WITH_AES_128_CCM_8"],
  [0xc0a9, "TLS_PSK_WITH_AES_256_CCM_8"],
  [0xc0aa, "TLS_PSK_DHE_WITH_AES_128_CCM_8"],
  [0xc0ab, "TLS_PSK_DHE_WITH_AES_256_CCM_8"],
  [0xc0ac, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM"],
  [0xc0ad, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM"],
  [0xc0ae, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8"],
  [0xc0af, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8"],
  [0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"],
  [0xcca9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"],
  [0xccaa, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256"],
  [0xccab, "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256"],
  [0xccac, "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256"],
  [0xccad, "TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256"],
  [0xccae, "TLS_RSA_PSK_WITH_CHACHA20_POLY1305_SHA256"],
]);

/**
 * Named groups (IANA "TLS Supported Groups"). The hybrid post-quantum groups are listed by their
 * codepoints: 0x11eb SecP256r1MLKEM768, 0x11ec X25519MLKEM768, 0x11ed SecP384r1MLKEM1024, the pure
 * ML-KEM groups 0x0200–0x0202, and the pre-standard Kyber drafts 0x6399 and 0x639a.
 */
export const NAMED_GROUP_NAMES: ReadonlyMap<number, string> = new Map([
  [1, "sect163k1"],
  [2, "sect163r1"],
  [3, "sect163r2"],
  [4, "sect193r1"],
  [5, "sect193r2"],
  [6, "sect233k1"],
  [7, "sect233r1"],
  [8, "sect239k1"],
  [9, "sect283k1"],
  [10, "sect283r1"],
  [11, "sect409k1"],
  [12, "sect409r1"],
  [13, "sect571k1"],
  [14, "sect571r1"],
  [15, "secp160k1"],
  [16, "secp160r1"],
  [17, "secp160r2"],
  [18, "secp192k1"],
  [19, "secp192r1"],
  [20, "secp224k1"],
  [21, "secp224r1"],
  [22, "secp256k1"],
  [23, "secp256r1"],
  [24, "secp384r1"],
  [25, "secp521r1"],
  [26, "brainpoolP256r1"],
  [27, "brainpoolP384r1"],
  [28, "brainpoolP512r1"],
  [29, "x25519"],
  [30, "x448"],
  [31, "brainpoolP256r1tls13"],
  [32, "brainpoolP384r1tls13"],
  [33, "brainpoolP512r1tls13"],
  [0x0100, "ffdhe2048"],
  [0x0101, "ffdhe3072"],
  [0x0102, "ffdhe4096"],
  [0x0103, "ffdhe6144"],
  [0x0104, "ffdhe8192"],
  [0x0200, "MLKEM512"],
  [0x0201, "MLKEM768"],
  [0x0202, "MLKEM1024"],
  [0x11eb, "SecP256r1MLKEM768"],
  [0x11ec, "X25519MLKEM768"],
  [0x11ed, "SecP384r1MLKEM1024"],
  [0x6399, "X25519Kyber768Draft00"],
  [0x639a, "SecP256r1Kyber768Draft00"],
  [0xff01, "arbitrary_explicit_prime_curves"],
  [0xff02, "arbitrary_explicit_char2_curves"],
]);

/**
 * Signature schemes (RFC 8446 §4.2.3, IANA "TLS SignatureScheme"), plus the TLS 1.2
 * `SignatureAndHashAlgorithm` pairs OpenSSL still offers (SHA-224, DSA), named as OpenSSL does.
 */
export const SIGNATURE_SCHEME_NAMES: ReadonlyMap<number, string> = new Map([
  [0x0201, "rsa_pkcs1_sha1"],
  [0x0202, "dsa_sha1"],
  [0x0203, "ecdsa_sha1"],
  [0x0301, "rsa_pkcs1_sha224"],
  [0x0302, "dsa_sha224"],
  [0x0303, "ecdsa_sha224"],
  [0x0401, "rsa_pkcs1_sha256"],
  [0x0402, "dsa_sha256"],
  [0x0403, "ecdsa_secp256r1_sha256"],
  [0x0501, "rsa_pkcs1_sha384"],
  [0x0502, "dsa_sha384"],
  [0x0503, "ecdsa_secp384r1_sha384"],
  [0x0601, "rsa_pkcs1_sha512"],
  [0x0602, "dsa_sha512"],
  [0x0603, "ecdsa_secp521r1_sha512"],
  [0x0804, "rsa_pss_rsae_sha256"],
  [0x0805, "rsa_pss_rsae_sha384"],
  [0x0806, "rsa_pss_rsae_sha512"],
  [0x0807, "ed25519"],
  [0x0808, "ed448"],
  [0x0809, "rsa_pss_pss_sha256"],
  [0x080a, "rsa_pss_pss_sha384"],
  [0x080b, "rsa_pss_pss_sha512"],
  [0x081a, "ecdsa_brainpoolP256r1tls13_sha256"],
  [0x081b, "ecdsa_brainpoolP384r1tls13_sha384"],
  [0x081c, "ecdsa_brainpoolP512r1tls13_sha512"],
  [0x0904, "mldsa44"],
  [0x0905, "mldsa65"],
  [0x0906, "mldsa87"],
]);

/** Extension types (IANA "TLS ExtensionType Values"). */
export const EXTENSION_TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [0, "server_name"],
  [1, "max_fragment_length"],
  [2, "client_certificate_url"],
  [3, "trusted_ca_keys"],
  [4, "truncated_hmac"],
  [5, "status_request"],
  [6, "user_mapping"],
  [7, "client_authz"],
  [8, "server_authz"],
  [9, "cert_type"],
  [10, "supported_groups"],
  [11, "ec_point_formats"],
  [12, "srp"],
  [13, "signature_algorithms"],
  [14, "use_srtp"],
  [15, "heartbeat"],
  [16, "application_layer_protocol_negotiation"],
  [17, "status_request_v2"],
  [18, "signed_certificate_timestamp"],
  [19, "client_certificate_type"],
  [20, "server_certificate_type"],
  [21, "padding"],
  [22, "encrypt_then_mac"],
  [23, "extended_master_secret"],
  [24, "token_binding"],
  [25, "cached_info"],
  [26, "tls_lts"],
  [27, "compress_certificate"],
  [28, "record_size_limit"],
  [29, "pwd_protect"],
  [30, "pwd_clear"],
  [31, "password_salt"],
  [32, "ticket_pinning"],
  [33, "tls_cert_with_extern_psk"],
  [34, "delegated_credential"],
  [35, "session_ticket"],
  [36, "TLMSP"],
  [37, "TLMSP_proxying"],
  [38, "TLMSP_delegate"],
  [39, "supported_ekt_ciphers"],
  [41, "pre_shared_key"],
  [42, "early_data"],
  [43, "supported_versions"],
  [44, "cookie"],
  [45, "psk_key_exchange_modes"],
  [47, "certificate_authorities"],
  [48, "oid_filters"],
  [49, "post_handshake_auth"],
  [50, "signature_algorithms_cert"],
  [51, "key_share"],
  [52, "transparency_info"],
  [53, "connection_id_deprecated"],
  [54, "connection_id"],
  [55, "external_id_hash"],
  [56, "external_session_id"],
  [57, "quic_transport_parameters"],
  [58, "ticket_request"],
  [59, "dnssec_chain"],
  [60, "sequence_number_encryption_algorithms"],
  [61, "rrc"],
  [0x4469, "application_settings"],
  [0xfd00, "ech_outer_extensions"],
  [0xfe0d, "encrypted_client_hello"],
  [0xff01, "renegotiation_info"],
]);

/**
 * True for the GREASE values of RFC 8701 (0x0a0a, 0x1a1a, …, 0xfafa) used as cipher suites,
 * extension types, named groups, signature schemes and versions.
 */
export function isGrease(id: number): boolean {
  return (id & 0x0f0f) === 0x0a0a && id >> 8 === (id & 0xff);
}

function lookup16(table: ReadonlyMap<number, string>, id: number): string | undefined {
  return table.get(id) ?? (isGrease(id) ? "GREASE" : undefined);
}

/** @returns the content type name (`"handshake"`), or `undefined` for an unknown type. */
export function contentTypeName(type: number): string | undefined {
  return CONTENT_TYPE_NAMES.get(type);
}

/** @returns the handshake type name (`"client_hello"`), or `undefined` for an unknown type. */
export function handshakeTypeName(type: number): string | undefined {
  return HANDSHAKE_TYPE_NAMES.get(type);
}

/**
 * @returns the handshake message name used in traces (`"ClientHello"`, `"ServerHelloDone"`), or
 *   `"Handshake(<type>)"` for an unknown type. Never `undefined`.
 */
export function handshakeTraceLabel(type: number): string {
  return HANDSHAKE_TRACE_LABELS.get(type) ?? `Handshake(${type})`;
}

/** @returns `"TLS 1.2"`, `"TLS 1.3"`, … or `"GREASE"`; `undefined` for an unknown version. */
export function protocolVersionName(version: number): string | undefined {
  return lookup16(PROTOCOL_VERSION_NAMES, version);
}

/** @returns `"warning"` or `"fatal"`; `undefined` for another level. */
export function alertLevelName(level: number): string | undefined {
  return ALERT_LEVEL_NAMES.get(level);
}

/** @returns the IANA cipher suite name, `"GREASE"`, or `undefined` for an unknown suite. */
export function cipherSuiteName(id: number): string | undefined {
  return lookup16(CIPHER_SUITE_NAMES, id);
}

/** @returns the named group name (`"x25519"`, `"X25519MLKEM768"`), `"GREASE"`, or `undefined`. */
export function namedGroupName(id: number): string | undefined {
  return lookup16(NAMED_GROUP_NAMES, id);
}

/** @returns the signature scheme name (`"rsa_pss_rsae_sha256"`), `"GREASE"`, or `undefined`. */
export function signatureSchemeName(id: number): string | undefined {
  return lookup16(SIGNATURE_SCHEME_NAMES, id);
}

/** @returns the extension type name (`"key_share"`), `"GREASE"`, or `undefined`. */
export function extensionTypeName(id: number): string | undefined {
  return lookup16(EXTENSION_TYPE_NAMES, id);
}

/**
 * Pairs a number with its name from one of the lookups above.
 *
 * @returns `{ id, name }`; `name` is `undefined` when `nameOf` does not know `id`.
 */
export function named(id: number, nameOf: (id: number) => string | undefined): Named {
  return { id, name: nameOf(id) };
}

/** @returns `0x` and four lowercase hex digits, for numbers that have no name. */
export function hex16(id: number): string {
  return `0x${id.toString(16).padStart(4, "0")}`;
}
