/**
 * Loading and checking the certificates of a credential: PEM or DER chains with their private key,
 * or PKCS#12. Everything is checked when the credential is acquired, so a bad file never surfaces
 * as a handshake failure later.
 *
 * Status choices: an unreadable certificate or key, a wrong passphrase, a bad PFX and a key that
 * does not belong to its certificate all give `SEC_E_UNKNOWN_CREDENTIALS` (the credential exists
 * but cannot be used); `SEC_E_NO_CREDENTIALS` is kept for "no certificate at all" (a server
 * credential without certificates).
 *
 * @module
 */
import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import { createSecureContext as createTlsContext } from "node:tls";
import { SEC_E_OK, SEC_E_UNKNOWN_CREDENTIALS, type SECURITY_STATUS } from "../../sspi/status.js";
import type {
  EngineCertificateSource,
  EngineCredentialConfig,
  EngineCredentialSummary,
} from "./engine-types.js";

/** A checked certificate entry, ready for `tls.createSecureContext`. */
export interface CertificateMaterial {
  /** PEM chain (leaf first); `null` for PFX entries. */
  chainPem: string | null;
  /** The key as PKCS#8 PEM text in bytes this material owns (zeroed at release); `null` for PFX entries. */
  key: Buffer | null;
  passphrase?: string;
  pfx: Buffer | null;
  /** The leaf certificate, when it could be read (not for PFX). */
  leaf: X509Certificate | null;
  /** OpenSSL key slot: `rsa`, `ec`, `ed25519`, `ed448`, `rsa-pss`, or `unknown` (PFX). */
  keyType: string;
  /** DNS names (SAN, or the CN when there is no SAN). */
  names: string[];
  subject: string;
}

/** Result of {@link loadCertificate}. */
export type LoadResult =
  | { status: typeof SEC_E_OK; material: CertificateMaterial }
  | { status: SECURITY_STATUS; reason: string };

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** @returns PEM text of a trusted root or certificate given as PEM text or DER bytes. */
export function certificateToPem(value: string | Uint8Array): string {
  if (typeof value === "string") return value;
  return new X509Certificate(Buffer.from(value)).toString();
}

function chainToPem(value: string | Uint8Array): string[] {
  if (typeof value !== "string") return [new X509Certificate(Buffer.from(value)).toString()];
  const blocks = value.match(PEM_CERT) ?? [];
  if (blocks.length === 0) throw new Error("no PEM certificate found");
  return blocks.map((b) => new X509Certificate(b).toString());
}

function namesOf(leaf: X509Certificate): string[] {
  const san = leaf.subjectAltName;
  const dns = san
    ? san
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s.startsWith("DNS:"))
        .map((s) => s.slice(4))
    : [];
  if (dns.length > 0) return dns;
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(leaf.subject);
  return cn?.[1] ? [cn[1]] : [];
}

function keyTypeOf(key: KeyObject): string {
  return key.asymmetricKeyType ?? "unknown";
}

/**
 * Reads and checks one certificate entry.
 *
 * @returns `SEC_E_OK` with the material; `SEC_E_UNKNOWN_CREDENTIALS` with a reason when the
 *   certificate or key cannot be read, the passphrase is wrong, the PFX is invalid, or the key
 *   does not match the certificate.
 */
export function loadCertificate(source: EngineCertificateSource, index: number): LoadResult {
  const where = `certificate #${index}`;
  if ("pfx" in source) {
    const pfx = Buffer.from(source.pfx);
    try {
      createTlsContext({ pfx, passphrase: source.passphrase });
    } catch (error) {
      pfx.fill(0);
      return {
        status: SEC_E_UNKNOWN_CREDENTIALS,
        reason: `${where}: PFX cannot be used: ${messageOf(error)}`,
      };
    }
    return {
      status: SEC_E_OK,
      material: {
        chainPem: null,
        key: null,
        pfx,
        passphrase: source.passphrase,
        leaf: null,
        keyType: "unknown",
        names: [],
        subject: "",
      },
    };
  }
  let chain: string[];
  try {
    chain = chainToPem(source.certificate);
  } catch (error) {
    return {
      status: SEC_E_UNKNOWN_CREDENTIALS,
      reason: `${where}: certificate unreadable: ${messageOf(error)}`,
    };
  }
  let keyObject: KeyObject;
  const bytes = typeof source.privateKey === "string" ? null : Buffer.from(source.privateKey);
  try {
    keyObject =
      bytes === null
        ? createPrivateKey({ key: source.privateKey as string, passphrase: source.passphrase })
        : isPemText(bytes)
          ? createPrivateKey({ key: bytes, format: "pem", passphrase: source.passphrase })
          : createPrivateKey({ key: bytes, format: "der", type: "pkcs8", passphrase: source.passphrase });
  } catch (error) {
    return {
      status: SEC_E_UNKNOWN_CREDENTIALS,
      reason: `${where}: private key unreadable or wrong passphrase: ${messageOf(error)}`,
    };
  } finally {
    bytes?.fill(0);
  }
  const leaf = new X509Certificate(chain[0]!);
  if (!leaf.checkPrivateKey(keyObject)) {
    return {
      status: SEC_E_UNKNOWN_CREDENTIALS,
      reason: `${where}: private key does not match the certificate`,
    };
  }
  // As PEM bytes (what createSecureContext takes), never as a string: a string cannot be zeroed.
  const der = keyObject.export({ format: "der", type: "pkcs8" });
  const pemKey = pemBytes(der, "PRIVATE KEY");
  der.fill(0);
  return {
    status: SEC_E_OK,
    material: {
      chainPem: chain.join(""),
      key: pemKey,
      pfx: null,
      leaf,
      keyType: keyTypeOf(keyObject),
      names: namesOf(leaf),
      subject: leaf.subject.replace(/\n/g, ", "),
    },
  };
}

/** True when `bytes` hold PEM text (an armor line anywhere, as OpenSSL skips text before it); else DER. */
function isPemText(bytes: Buffer): boolean {
  return bytes.includes("-----BEGIN ", 0, "latin1");
}

const BASE64 = Buffer.from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", "latin1");

/**
 * PEM text of `der` under `label`, encoded straight into one Buffer (64 columns), so no string
 * copy of the key is ever made.
 */
function pemBytes(der: Uint8Array, label: string): Buffer {
  const begin = `-----BEGIN ${label}-----\n`;
  const end = `-----END ${label}-----\n`;
  const base64Length = Math.ceil(der.length / 3) * 4;
  const out = Buffer.alloc(begin.length + base64Length + Math.ceil(base64Length / 64) + end.length);
  let offset = out.write(begin, 0, "latin1");
  let column = 0;
  const put = (byte: number) => {
    out[offset++] = byte;
    if (++column === 64) {
      out[offset++] = 0x0a;
      column = 0;
    }
  };
  for (let i = 0; i < der.length; i += 3) {
    const n = (der[i]! << 16) | ((der[i + 1] ?? 0) << 8) | (der[i + 2] ?? 0);
    put(BASE64[(n >> 18) & 63]!);
    put(BASE64[(n >> 12) & 63]!);
    put(i + 1 < der.length ? BASE64[(n >> 6) & 63]! : 0x3d);
    put(i + 2 < der.length ? BASE64[n & 63]! : 0x3d);
  }
  if (column > 0) out[offset++] = 0x0a;
  out.write(end, offset, "latin1");
  return out;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** @returns what an acquired credential holds, as both engines report it. */
export function credentialSummary(
  config: EngineCredentialConfig,
  materials: readonly CertificateMaterial[],
): EngineCredentialSummary {
  return {
    role: config.role,
    certificates: materials.map((m) => ({
      subject: m.subject,
      names: m.names,
      keyType: m.keyType,
      der: m.leaf === null ? null : new Uint8Array(m.leaf.raw),
    })),
    minVersion: config.minVersion,
    maxVersion: config.maxVersion,
  };
}
