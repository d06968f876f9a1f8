/**
 * Wire constants of the protected TLS record layer: content types (RFC 8446 §5.1), post-handshake
 * handshake message types (RFC 8446 §4, RFC 5246 §7.4) and size limits (RFC 8446 §5.2).
 *
 * @module
 */

/** `ContentType.change_cipher_spec` (20). */
export const CONTENT_CHANGE_CIPHER_SPEC = 20;
/** `ContentType.alert` (21). */
export const CONTENT_ALERT = 21;
/** `ContentType.handshake` (22). */
export const CONTENT_HANDSHAKE = 22;
/** `ContentType.application_data` (23); also the outer type of every TLS 1.3 protected record. */
export const CONTENT_APPLICATION_DATA = 23;

/** `HandshakeType.hello_request` (TLS 1.2 only; a server asking for renegotiation). */
export const HANDSHAKE_HELLO_REQUEST = 0;
/** `HandshakeType.client_hello`. */
export const HANDSHAKE_CLIENT_HELLO = 1;
/** `HandshakeType.server_hello`. */
export const HANDSHAKE_SERVER_HELLO = 2;
/** `HandshakeType.new_session_ticket`. */
export const HANDSHAKE_NEW_SESSION_TICKET = 4;
/** `HandshakeType.certificate_request`. */
export const HANDSHAKE_CERTIFICATE_REQUEST = 13;
/** `HandshakeType.key_update` (TLS 1.3). */
export const HANDSHAKE_KEY_UPDATE = 24;

/** `KeyUpdateRequest.update_not_requested`. */
export const KEY_UPDATE_NOT_REQUESTED = 0;
/** `KeyUpdateRequest.update_requested`. */
export const KEY_UPDATE_REQUESTED = 1;

/** Record header length: type(1) legacy_version(2) length(2). */
export const RECORD_HEADER_LENGTH = 5;
/** Largest plaintext fragment, 2^14 (`SecPkgContext_StreamSizes.cbMaximumMessage`). */
export const MAX_PLAINTEXT = 16384;
/** Largest TLS 1.3 ciphertext fragment: 2^14 + 256. */
export const MAX_CIPHERTEXT_TLS13 = 16384 + 256;
/** Largest TLS 1.2 ciphertext fragment: 2^14 + 2048. */
export const MAX_CIPHERTEXT_TLS12 = 16384 + 2048;
/** Handshake message header: type(1) length(3). */
export const HANDSHAKE_HEADER_LENGTH = 4;
