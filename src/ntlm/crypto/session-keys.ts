/**
 * Session keys (MS-NLMP §3.4.5), NTLMv2 with extended session security:
 *
 * - KeyExchangeKey = SessionBaseKey (KXKEY for NTLMv2, §3.4.5.1).
 * - With NTLMSSP_NEGOTIATE_KEY_EXCH: ExportedSessionKey is a random 16 bytes, sent as
 *   EncryptedRandomSessionKey = RC4K(KeyExchangeKey, ExportedSessionKey); otherwise
 *   ExportedSessionKey = KeyExchangeKey.
 * - SignKey = MD5(ExportedSessionKey ‖ "session key to {client-to-server|server-to-client} signing key magic constant\0") (§3.4.5.2).
 * - SealKey = MD5(K ‖ "session key to … sealing key magic constant\0"), K = the whole key with
 *   NTLMSSP_NEGOTIATE_128, its first 7 bytes with NTLMSSP_NEGOTIATE_56, else its first 5 (§3.4.5.3).
 *
 * @module
 */

import { rc4 } from "../../crypto/rc4.js";
import { hasFlag, NTLMSSP_NEGOTIATE_56, NTLMSSP_NEGOTIATE_128 } from "../negotiate-flags.js";
import { md5 } from "./hashes.js";

/** Which way a key protects traffic. */
export type Direction = "client-to-server" | "server-to-client";

const magic = (text: string) => new TextEncoder().encode(`${text}\0`);

const SIGN_MAGIC: Record<Direction, Uint8Array> = {
  "client-to-server": magic("session key to client-to-server signing key magic constant"),
  "server-to-client": magic("session key to server-to-client signing key magic constant"),
};
const SEAL_MAGIC: Record<Direction, Uint8Array> = {
  "client-to-server": magic("session key to client-to-server sealing key magic constant"),
  "server-to-client": magic("session key to server-to-client sealing key magic constant"),
};

/** KXKEY for NTLMv2: the session base key itself. */
export function keyExchangeKey(sessionBaseKeyValue: Uint8Array): Uint8Array {
  return sessionBaseKeyValue;
}

/** RC4K(KeyExchangeKey, ExportedSessionKey): what the client sends with KEY_EXCH. */
export function encryptRandomSessionKey(kxkey: Uint8Array, exportedSessionKey: Uint8Array): Uint8Array {
  return rc4(kxkey, exportedSessionKey);
}

/** The server's inverse of {@link encryptRandomSessionKey}. */
export function decryptRandomSessionKey(kxkey: Uint8Array, encrypted: Uint8Array): Uint8Array {
  return rc4(kxkey, encrypted);
}

export function signKey(exportedSessionKey: Uint8Array, direction: Direction): Uint8Array {
  return md5(exportedSessionKey, SIGN_MAGIC[direction]);
}

export function sealKey(exportedSessionKey: Uint8Array, flags: number, direction: Direction): Uint8Array {
  const k = hasFlag(flags, NTLMSSP_NEGOTIATE_128)
    ? exportedSessionKey
    : exportedSessionKey.subarray(0, hasFlag(flags, NTLMSSP_NEGOTIATE_56) ? 7 : 5);
  return md5(k, SEAL_MAGIC[direction]);
}
