/**
 * MD4 (RFC 1320) from `js-md4`: Node 20's default OpenSSL provider refuses `createHash("md4")`
 * (ERR_OSSL_EVP_UNSUPPORTED) and the legacy provider is a process-wide switch a library must not
 * need. Used only for the rc4-hmac key (the NT hash).
 *
 * @module
 */
import { createRequire } from "node:module";

interface JsMd4 {
  arrayBuffer(message: Uint8Array): ArrayBuffer;
}

const jsMd4 = createRequire(import.meta.url)("js-md4") as JsMd4;

/** @returns MD4(`data`), 16 bytes. */
export function md4(data: Uint8Array): Uint8Array {
  return new Uint8Array(jsMd4.arrayBuffer(data));
}
