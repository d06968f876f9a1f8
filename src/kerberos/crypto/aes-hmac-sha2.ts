/**
 * RFC 8009: aes128-cts-hmac-sha256-128 (19) and aes256-cts-hmac-sha384-192 (20). Keys derived
 * with KDF-HMAC-SHA2; encrypt-then-MAC: ciphertext = CTS(Ke, confounder ‖ plaintext) ‖
 * HMAC(Ki, IV ‖ that ciphertext) truncated.
 *
 * @module
 */
import { createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";
import { KerberosError } from "../errors.js";
import { ctsDecrypt, ctsEncrypt } from "./aes-cts.js";
import { KEY_DERIVATION, usageConstant } from "./derive-key.js";
import { CKSUMTYPE, type EncryptionType, ETYPE } from "./encryption-type.js";
import { kdfHmacSha2 } from "./kdf-hmac-sha2.js";
import { iterationParams, parseIterations, saltBytes } from "./string-to-key-params.js";

const CONFOUNDER = 16;
const DEFAULT_PARAMS = iterationParams(32768);
const ZERO_IV = new Uint8Array(16);
const KERBEROS = new TextEncoder().encode("kerberos");
const PRF_LABEL = new TextEncoder().encode("prf");

interface Sha2Profile {
  etype: number;
  name: string;
  keyBytes: number;
  hash: "sha256" | "sha384";
  /** Bytes of the truncated HMAC (and of Kc and Ki). */
  macBytes: number;
  checksumType: number;
}

function aesSha2(p: Sha2Profile): EncryptionType {
  const kdf = (key: Uint8Array, label: Uint8Array, bytes: number, context?: Uint8Array) =>
    kdfHmacSha2(p.hash, key, label, bytes * 8, context);
  const checkKey = (key: Uint8Array) => {
    if (key.length !== p.keyBytes)
      throw new KerberosError(
        "ERR_KRB_BAD_ARGUMENT",
        `key is ${key.length} bytes, ${p.name} needs ${p.keyBytes}`,
      );
  };
  const keys = (key: Uint8Array, usage: number) => {
    checkKey(key);
    return {
      ke: kdf(key, usageConstant(usage, KEY_DERIVATION.ENCRYPTION), p.keyBytes),
      ki: kdf(key, usageConstant(usage, KEY_DERIVATION.INTEGRITY), p.macBytes),
    };
  };
  const mac = (ki: Uint8Array, ciphertext: Uint8Array) =>
    new Uint8Array(
      createHmac(p.hash, ki).update(ZERO_IV).update(ciphertext).digest().subarray(0, p.macBytes),
    );

  return {
    etype: p.etype,
    name: p.name,
    keyBytes: p.keyBytes,
    checksumType: p.checksumType,
    checksumBytes: p.macBytes,
    overhead: CONFOUNDER + p.macBytes,
    defaultParams: DEFAULT_PARAMS,

    stringToKey(password, salt, params = DEFAULT_PARAMS) {
      const iterations = parseIterations(params);
      const saltp = Buffer.concat([new TextEncoder().encode(p.name), Uint8Array.of(0), saltBytes(salt)]);
      const tkey = pbkdf2Sync(password, saltp, iterations, p.keyBytes, p.hash);
      return kdf(tkey, KERBEROS, p.keyBytes);
    },

    randomToKey(random) {
      checkKey(random);
      return new Uint8Array(random);
    },

    encrypt(key, usage, plaintext, confounder = randomBytes(CONFOUNDER)) {
      const { ke, ki } = keys(key, usage);
      const c = ctsEncrypt(ke, Buffer.concat([confounder, plaintext]));
      return Buffer.concat([c, mac(ki, c)]);
    },

    decrypt(key, usage, ciphertext) {
      const { ke, ki } = keys(key, usage);
      if (ciphertext.length < CONFOUNDER + p.macBytes)
        throw new KerberosError(
          "ERR_KRB_MALFORMED",
          `${p.name} ciphertext of ${ciphertext.length} bytes is too short`,
        );
      const c = ciphertext.subarray(0, ciphertext.length - p.macBytes);
      if (!timingSafeEqual(mac(ki, c), ciphertext.subarray(c.length)))
        throw new KerberosError("ERR_KRB_INTEGRITY", `${p.name} integrity check failed (key usage ${usage})`);
      return ctsDecrypt(ke, c).subarray(CONFOUNDER);
    },

    checksum(key, usage, data) {
      checkKey(key);
      const kc = kdf(key, usageConstant(usage, KEY_DERIVATION.CHECKSUM), p.macBytes);
      return new Uint8Array(createHmac(p.hash, kc).update(data).digest().subarray(0, p.macBytes));
    },

    verifyChecksum(key, usage, data, checksum) {
      const expected = this.checksum(key, usage, data);
      return checksum.length === expected.length && timingSafeEqual(expected, checksum);
    },

    prf(key, input) {
      checkKey(key);
      return kdf(key, PRF_LABEL, p.hash === "sha256" ? 32 : 48, input);
    },
  };
}

/** aes128-cts-hmac-sha256-128, etype 19. */
export const aes128CtsHmacSha256: EncryptionType = aesSha2({
  etype: ETYPE.AES128_CTS_HMAC_SHA256_128,
  name: "aes128-cts-hmac-sha256-128",
  keyBytes: 16,
  hash: "sha256",
  macBytes: 16,
  checksumType: CKSUMTYPE.HMAC_SHA256_128_AES128,
});

/** aes256-cts-hmac-sha384-192, etype 20. */
export const aes256CtsHmacSha384: EncryptionType = aesSha2({
  etype: ETYPE.AES256_CTS_HMAC_SHA384_192,
  name: "aes256-cts-hmac-sha384-192",
  keyBytes: 32,
  hash: "sha384",
  macBytes: 24,
  checksumType: CKSUMTYPE.HMAC_SHA384_192_AES256,
});
