/**
 * Handshake message framing numbers (RFC 8446 §4, RFC 5246 §7.4): the `HandshakeType` values the
 * parsers and the record layer act on, the handshake header length and the `KeyUpdateRequest`
 * values. Names for every `HandshakeType` (for traces) are in `tls-names.ts`.
 *
 * @module
 */

/** `HandshakeType.hello_request` (TLS 1.2 only; a server asking for renegotiation). */
export const HANDSHAKE_HELLO_REQUEST = 0;
/** `HandshakeType.client_hello`. */
export const HANDSHAKE_CLIENT_HELLO = 1;
/** `HandshakeType.server_hello` (also a HelloRetryRequest). */
export const HANDSHAKE_SERVER_HELLO = 2;
/** `HandshakeType.new_session_ticket`. */
export const HANDSHAKE_NEW_SESSION_TICKET = 4;
/** `HandshakeType.server_key_exchange` (TLS 1.2). */
export const HANDSHAKE_SERVER_KEY_EXCHANGE = 12;
/** `HandshakeType.certificate_request`. */
export const HANDSHAKE_CERTIFICATE_REQUEST = 13;
/** `HandshakeType.finished`. */
export const HANDSHAKE_FINISHED = 20;
/** `HandshakeType.key_update` (TLS 1.3). */
export const HANDSHAKE_KEY_UPDATE = 24;

/** Handshake message header: type(1) length(3). */
export const HANDSHAKE_HEADER_LENGTH = 4;

/** `KeyUpdateRequest.update_not_requested`. */
export const KEY_UPDATE_NOT_REQUESTED = 0;
/** `KeyUpdateRequest.update_requested`. */
export const KEY_UPDATE_REQUESTED = 1;
