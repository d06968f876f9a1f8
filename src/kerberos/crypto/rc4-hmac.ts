/**
 * RFC 4757 rc4-hmac (etype 23, "arcfour-hmac"): still what Active Directory issues for accounts
 * without AES keys. Key = MD4(UTF-16LE(password)) (the NT hash); ciphertext = HMAC-MD5 checksum ‖
 * RC4(K3, confounder ‖ plaintext). Its checksum type is HMAC-MD5 (-138). Key usages are
 * translated to Microsoft's message types first (RFC 4757 §3: the AS-REP part uses 8).
 *
 * @module
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { md4 } from "../../crypto/md4.js";
import { rc4 } from "../../crypto/rc4.js";
import { KerberosError } from "../errors.js";
import { CKSUMTYPE, type EncryptionType, ETYPE } from "./encryption-type.js";

const CONFOUNDER = 8;
const CHECKSUM = 16;
const SIGNATURE_KEY = new TextEncoder().encode("signaturekey\0");

/** RFC 4757 §3: Kerberos key usage → Microsoft message type (3 → 8, 23 → 13, others unchanged). */
export function rc4MessageType(usage: number): number {
  if (usage === 3) return 8;
  if (usage === 23) return 13;
  return usage;
}

function le32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
}

const hmacMd5 = (key: Uint8Array, ...data: Uint8Array[]): Buffer => {
  const h = createHmac("md5", key);
  for (const d of data) h.update(d);
  return h.digest();
};

function checkKey(key: Uint8Array): void {
  if (key.length !== 16)
    throw new KerberosError("ERR_KRB_BAD_ARGUMENT", `rc4-hmac key must be 16 bytes, not ${key.length}`);
}

/** rc4-hmac, etype 23. */
export const rc4Hmac: EncryptionType = {
  etype: ETYPE.RC4_HMAC,
  name: "arcfour-hmac",
  keyBytes: 16,
  checksumType: CKSUMTYPE.HMAC_MD5,
  checksumBytes: 16,
  overhead: CHECKSUM + CONFOUNDER,
  defaultParams: new Uint8Array(0),

  stringToKey(password, _salt, params) {
    if (params && params.length > 0)
      throw new KerberosError("ERR_KRB_BAD_ARGUMENT", "rc4-hmac takes no string-to-key parameters");
    return md4(Buffer.from(password, "utf16le"));
  },

  randomToKey(random) {
    checkKey(random);
    return new Uint8Array(random);
  },

  encrypt(key, usage, plaintext, confounder = randomBytes(CONFOUNDER)) {
    checkKey(key);
    const k1 = hmacMd5(key, le32(rc4MessageType(usage)));
    const data = Buffer.concat([confounder, plaintext]);
    const checksum = hmacMd5(k1, data);
    const k3 = hmacMd5(k1, checksum);
    return Buffer.concat([checksum, rc4(k3, data)]);
  },

  decrypt(key, usage, ciphertext) {
    checkKey(key);
    if (ciphertext.length < CHECKSUM + CONFOUNDER)
      throw new KerberosError(
        "ERR_KRB_MALFORMED",
        `rc4-hmac ciphertext of ${ciphertext.length} bytes is too short`,
      );
    const k1 = hmacMd5(key, le32(rc4MessageType(usage)));
    const checksum = ciphertext.subarray(0, CHECKSUM);
    const k3 = hmacMd5(k1, checksum);
    const data = rc4(k3, ciphertext.subarray(CHECKSUM));
    if (!timingSafeEqual(hmacMd5(k1, data), checksum))
      throw new KerberosError("ERR_KRB_INTEGRITY", `rc4-hmac integrity check failed (key usage ${usage})`);
    return data.subarray(CONFOUNDER);
  },

  checksum(key, usage, data) {
    checkKey(key);
    const ksign = hmacMd5(key, SIGNATURE_KEY);
    const tmp = createHash("md5")
      .update(le32(rc4MessageType(usage)))
      .update(data)
      .digest();
    return new Uint8Array(hmacMd5(ksign, tmp));
  },

  verifyChecksum(key, usage, data, checksum) {
    const expected = this.checksum(key, usage, data);
    return checksum.length === expected.length && timingSafeEqual(expected, checksum);
  },

  prf(key, input) {
    checkKey(key);
    return new Uint8Array(createHmac("sha1", key).update(input).digest());
  },
};
