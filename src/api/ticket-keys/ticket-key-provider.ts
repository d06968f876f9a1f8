/**
 * What `createTlsServer({ ticketKeyProvider })` needs from a source of session ticket keys:
 * `attach` applies the keys to a server credential now and again at every rotation, until the
 * returned function detaches it. {@link RedisTicketKeys} is one.
 *
 * @module
 */
import type { TlsCredentials } from "../credentials.js";

/** A source of session ticket keys that keeps server credentials up to date. */
export interface TicketKeyProvider {
  /**
   * Applies the current keys to `credentials` (`SetCredentialsAttributes` with
   * `SECPKG_ATTR_SESSION_TICKET_KEYS`) and again after every rotation.
   *
   * @returns a function that stops updating `credentials`.
   * @throws {SspiError} when the keys cannot be set (e.g. client credentials).
   */
  attach(credentials: TlsCredentials): () => void;
}
