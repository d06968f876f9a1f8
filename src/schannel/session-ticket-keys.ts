/**
 * `SECPKG_ATTR_SESSION_TICKET_KEYS` for `SetCredentialsAttributes` on a server credential:
 * Windows' `SecPkgCred_SessionTicketKeys` with its C field names, checked and mapped onto the
 * native engine's ticket keys. The first key encrypts new tickets; every listed key decrypts, so
 * a rotation lists the new key first and keeps the old one until its tickets may be retired.
 *
 * @module
 */

/** `SESSION_TICKET_INFO_V0`, the only `TicketInfoVersion` Windows defines. */
export const SESSION_TICKET_INFO_V0 = 0;
/** `SESSION_TICKET_INFO_VERSION`. */
export const SESSION_TICKET_INFO_VERSION = SESSION_TICKET_INFO_V0;
/** Bytes of a key's `KeyId` (`KeyId[16]`). */
export const SESSION_TICKET_KEY_ID_LENGTH = 16;
/** Bytes of `KeyingMaterial` (`KeyingMaterial[64]`), all of which must be given. */
export const SESSION_TICKET_KEYING_MATERIAL_LENGTH = 64;
/** At most this many keys in one call. */
export const MAX_SESSION_TICKET_KEYS = 16;

/** One `SecPkgCred_SessionTicketKey`. */
export interface SecPkgCred_SessionTicketKey {
  /** {@link SESSION_TICKET_INFO_VERSION}. */
  TicketInfoVersion: number;
  /** 16 bytes naming the key inside every ticket it encrypts. */
  KeyId: Uint8Array;
  /** 64 bytes: the first 32 are the HMAC-SHA256 key, the last 32 the AES-256-CBC key. */
  KeyingMaterial: Uint8Array;
  /** 64. */
  KeyingMaterialSize: number;
}

/** `SecPkgCred_SessionTicketKeys`. */
export interface SecPkgCred_SessionTicketKeys {
  cSessionTicketKeys: number;
  pSessionTicketKeys: SecPkgCred_SessionTicketKey[];
}

/** A ticket key as the engine uses it. */
export interface TicketKeyMaterial {
  /** 16 bytes. */
  name: Uint8Array;
  /** HMAC-SHA256 key. */
  hmac: Uint8Array;
  /** AES-CBC key (16 or 32 bytes). */
  aes: Uint8Array;
}

/**
 * Checks a `SecPkgCred_SessionTicketKeys` and copies its keys.
 *
 * @returns the keys in order (the first encrypts), or the reason it is invalid.
 */
export function parseSessionTicketKeys(value: unknown): { keys: TicketKeyMaterial[] } | { error: string } {
  if (typeof value !== "object" || value === null)
    return { error: "SECPKG_ATTR_SESSION_TICKET_KEYS needs a SecPkgCred_SessionTicketKeys object" };
  const { cSessionTicketKeys: count, pSessionTicketKeys: list } =
    value as Partial<SecPkgCred_SessionTicketKeys>;
  if (!Array.isArray(list)) return { error: "pSessionTicketKeys must be an array" };
  if (!Number.isInteger(count) || count !== list.length)
    return { error: "cSessionTicketKeys must equal the length of pSessionTicketKeys" };
  if (list.length < 1 || list.length > MAX_SESSION_TICKET_KEYS)
    return { error: `between 1 and ${MAX_SESSION_TICKET_KEYS} session ticket keys` };
  const keys: TicketKeyMaterial[] = [];
  const ids = new Set<string>();
  for (const [i, key] of list.entries()) {
    const at = `pSessionTicketKeys[${i}]`;
    if (typeof key !== "object" || key === null) return { error: `${at} must be an object` };
    if (key.TicketInfoVersion !== SESSION_TICKET_INFO_VERSION)
      return {
        error: `${at}.TicketInfoVersion must be SESSION_TICKET_INFO_VERSION (${SESSION_TICKET_INFO_VERSION})`,
      };
    if (!(key.KeyId instanceof Uint8Array) || key.KeyId.byteLength !== SESSION_TICKET_KEY_ID_LENGTH)
      return { error: `${at}.KeyId must be ${SESSION_TICKET_KEY_ID_LENGTH} bytes` };
    if (
      key.KeyingMaterialSize !== SESSION_TICKET_KEYING_MATERIAL_LENGTH ||
      !(key.KeyingMaterial instanceof Uint8Array) ||
      key.KeyingMaterial.byteLength < SESSION_TICKET_KEYING_MATERIAL_LENGTH
    )
      return {
        error: `${at}.KeyingMaterial must be ${SESSION_TICKET_KEYING_MATERIAL_LENGTH} bytes (KeyingMaterialSize)`,
      };
    const id = Buffer.from(key.KeyId).toString("hex");
    if (ids.has(id)) return { error: `${at}.KeyId repeats an earlier key's` };
    ids.add(id);
    keys.push({
      name: key.KeyId.slice(),
      hmac: key.KeyingMaterial.slice(0, 32),
      aes: key.KeyingMaterial.slice(32, 64),
    });
  }
  return { keys };
}
