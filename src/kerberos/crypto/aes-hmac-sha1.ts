/**
 * RFC 3962: aes128-cts-hmac-sha1-96 (17) and aes256-cts-hmac-sha1-96 (18), RFC 3961's simplified
 * profile over AES-CTS with HMAC-SHA1-96: ciphertext = CTS(Ke, confounder ‖ plaintext) ‖
 * HMAC-SHA1(Ki, confounder ‖ plaintext)[0..12].
 *
 * @module
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";
import { KerberosError } from "../errors.js";
import { aesEncryptBlock, ctsDecrypt, ctsEncrypt } from "./aes-cts.js";
import { deriveKey, KEY_DERIVATION, usageConstant } from "./derive-key.js";
import { CKSUMTYPE, type EncryptionType, ETYPE } from "./encryption-type.js";
import { iterationParams, parseIterations, saltBytes } from "./string-to-key-params.js";

const CONFOUNDER = 16;
const DEFAULT_PARAMS = iterationParams(4096);
const TAG = 12;
const KERBEROS = new TextEncoder().encode("kerberos");
const PRF_LABEL = new TextEncoder().encode("prf");

function hmacSha1_96(key: Uint8Array, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac("sha1", key).update(data).digest().subarray(0, TAG));
}

function checkKey(key: Uint8Array, bytes: number): void {
  if (key.length !== bytes)
    throw new KerberosError("ERR_KRB_BAD_ARGUMENT", `key is ${key.length} bytes, the etype needs ${bytes}`);
}

function aesSha1(etype: number, name: string, keyBytes: number, checksumType: number): EncryptionType {
  return {
    etype,
    name,
    keyBytes,
    checksumType,
    checksumBytes: TAG,
    overhead: CONFOUNDER + TAG,
    defaultParams: DEFAULT_PARAMS,

    stringToKey(password, salt, params = DEFAULT_PARAMS) {
      const iterations = parseIterations(params);
      const tkey = pbkdf2Sync(password, saltBytes(salt), iterations, keyBytes, "sha1");
      return deriveKey(tkey, KERBEROS);
    },

    randomToKey(random) {
      checkKey(random, keyBytes);
      return new Uint8Array(random);
    },

    encrypt(key, usage, plaintext, confounder = randomBytes(CONFOUNDER)) {
      checkKey(key, keyBytes);
      const ke = deriveKey(key, usageConstant(usage, KEY_DERIVATION.ENCRYPTION));
      const ki = deriveKey(key, usageConstant(usage, KEY_DERIVATION.INTEGRITY));
      const data = Buffer.concat([confounder, plaintext]);
      return Buffer.concat([ctsEncrypt(ke, data), hmacSha1_96(ki, data)]);
    },

    decrypt(key, usage, ciphertext) {
      checkKey(key, keyBytes);
      if (ciphertext.length < CONFOUNDER + TAG)
        throw new KerberosError(
          "ERR_KRB_MALFORMED",
          `${name} ciphertext of ${ciphertext.length} bytes is too short`,
        );
      const ke = deriveKey(key, usageConstant(usage, KEY_DERIVATION.ENCRYPTION));
      const ki = deriveKey(key, usageConstant(usage, KEY_DERIVATION.INTEGRITY));
      const body = ciphertext.subarray(0, ciphertext.length - TAG);
      const data = ctsDecrypt(ke, body);
      if (!timingSafeEqual(hmacSha1_96(ki, data), ciphertext.subarray(ciphertext.length - TAG)))
        throw new KerberosError("ERR_KRB_INTEGRITY", `${name} integrity check failed (key usage ${usage})`);
      return data.subarray(CONFOUNDER);
    },

    checksum(key, usage, data) {
      checkKey(key, keyBytes);
      return hmacSha1_96(deriveKey(key, usageConstant(usage, KEY_DERIVATION.CHECKSUM)), data);
    },

    verifyChecksum(key, usage, data, checksum) {
      const expected = this.checksum(key, usage, data);
      return checksum.length === expected.length && timingSafeEqual(expected, checksum);
    },

    prf(key, input) {
      checkKey(key, keyBytes);
      const tmp = createHash("sha1").update(input).digest().subarray(0, 16);
      return new Uint8Array(aesEncryptBlock(deriveKey(key, PRF_LABEL), tmp));
    },
  };
}

/** aes128-cts-hmac-sha1-96, etype 17. */
export const aes128CtsHmacSha1: EncryptionType = aesSha1(
  ETYPE.AES128_CTS_HMAC_SHA1_96,
  "aes128-cts-hmac-sha1-96",
  16,
  CKSUMTYPE.HMAC_SHA1_96_AES128,
);

/** aes256-cts-hmac-sha1-96, etype 18. */
export const aes256CtsHmacSha1: EncryptionType = aesSha1(
  ETYPE.AES256_CTS_HMAC_SHA1_96,
  "aes256-cts-hmac-sha1-96",
  32,
  CKSUMTYPE.HMAC_SHA1_96_AES256,
);
