/**
 * TLS parameter tables shared by the SSPI-level matrix (test/schannel/sspi-matrix.test.ts) and the
 * interoperability matrix (test/interop/): the AEAD suites per version and key type with their
 * OpenSSL and IANA names, the certificate key types, `pDisabledCrypto` that keeps one bulk
 * cipher, payloads safe for openssl's interactive commands, and small bounded waits.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import type { CertificateKeyType } from "../../src/devcert/certificates.js";
import { type CRYPTO_SETTINGS, TlsParametersCngAlgUsageCipher } from "../../src/index.js";
import type { OpensslProcess } from "../support/peers.js";

export type Version = "TLSv1.2" | "TLSv1.3";

/** A suite as the IANA registry names and numbers it, and as OpenSSL names it. */
export interface Suite {
  openssl: string;
  iana: string;
  id: number;
  cipher: "AES-128" | "AES-256" | "CHACHA20";
}

export const TLS13: Suite[] = [
  { openssl: "TLS_AES_128_GCM_SHA256", iana: "TLS_AES_128_GCM_SHA256", id: 0x1301, cipher: "AES-128" },
  { openssl: "TLS_AES_256_GCM_SHA384", iana: "TLS_AES_256_GCM_SHA384", id: 0x1302, cipher: "AES-256" },
  {
    openssl: "TLS_CHACHA20_POLY1305_SHA256",
    iana: "TLS_CHACHA20_POLY1305_SHA256",
    id: 0x1303,
    cipher: "CHACHA20",
  },
];
export const ECDSA12: Suite[] = [
  {
    openssl: "ECDHE-ECDSA-AES128-GCM-SHA256",
    iana: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    id: 0xc02b,
    cipher: "AES-128",
  },
  {
    openssl: "ECDHE-ECDSA-AES256-GCM-SHA384",
    iana: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    id: 0xc02c,
    cipher: "AES-256",
  },
  {
    openssl: "ECDHE-ECDSA-CHACHA20-POLY1305",
    iana: "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    id: 0xcca9,
    cipher: "CHACHA20",
  },
];
export const RSA12: Suite[] = [
  {
    openssl: "ECDHE-RSA-AES128-GCM-SHA256",
    iana: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    id: 0xc02f,
    cipher: "AES-128",
  },
  {
    openssl: "ECDHE-RSA-AES256-GCM-SHA384",
    iana: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    id: 0xc030,
    cipher: "AES-256",
  },
  {
    openssl: "ECDHE-RSA-CHACHA20-POLY1305",
    iana: "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    id: 0xcca8,
    cipher: "CHACHA20",
  },
];
export const KEY_TYPES: CertificateKeyType[] = ["ecdsa-p256", "rsa-2048", "ed25519"];
export const VERSIONS: Version[] = ["TLSv1.3", "TLSv1.2"];

export function suitesFor(version: Version, keyType: CertificateKeyType): Suite[] {
  return version === "TLSv1.3" ? TLS13 : keyType === "rsa-2048" ? RSA12 : ECDSA12;
}

/** `pDisabledCrypto` that leaves exactly the suite's bulk cipher. */
export function disabledCryptoKeeping(cipher: Suite["cipher"]): CRYPTO_SETTINGS[] {
  const aes = (min: number, max: number): CRYPTO_SETTINGS => ({
    eAlgorithmUsage: TlsParametersCngAlgUsageCipher,
    strCngAlgId: "AES",
    dwMinBitLength: min,
    dwMaxBitLength: max,
  });
  const chacha: CRYPTO_SETTINGS = {
    eAlgorithmUsage: TlsParametersCngAlgUsageCipher,
    strCngAlgId: "CHACHA20_POLY1305",
  };
  if (cipher === "AES-128") return [aes(256, 256), chacha];
  if (cipher === "AES-256") return [aes(128, 128), chacha];
  return [aes(0, 0)];
}

/** Bytes without ASCII letters, so openssl's command letters never trigger on them. */
export function payload(size: number): Buffer {
  const bytes = randomBytes(size);
  for (let i = 0; i < size; i++) bytes[i] = bytes[i]! & 0x3f;
  return bytes;
}

/** Polls `done()` every 10 ms (bounded). */
export async function until(done: () => boolean, what: string, ms = 10_000): Promise<void> {
  const started = Date.now();
  while (!done()) {
    if (Date.now() - started > ms) throw new Error(`timed out: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Binary stdout of an openssl process (the text collector of peers.ts decodes it as UTF-8). */
export function binaryStdout(p: OpensslProcess): () => Buffer {
  const chunks: Buffer[] = [];
  p.child.stdout?.on("data", (d: Buffer) => chunks.push(d));
  return () => Buffer.concat(chunks);
}
