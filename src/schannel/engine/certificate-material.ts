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
import type { EngineCertificateSource } from "./engine-types.js";

/** A checked certificate entry, ready for `tls.createSecureContext`. */
export interface CertificateMaterial {
  /** PEM chain (leaf first); `null` for PFX entries. */
  chainPem: string | null;
  /** PEM or DER key as Node accepts it; `null` for PFX entries. */
  key: string | Buffer | null;
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
    try {
      createTlsContext({ pfx: Buffer.from(source.pfx), passphrase: source.passphrase });
    } catch (error) {
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
        pfx: Buffer.from(source.pfx),
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
  const key = typeof source.privateKey === "string" ? source.privateKey : Buffer.from(source.privateKey);
  let keyObject: KeyObject;
  try {
    keyObject =
      typeof key === "string"
        ? createPrivateKey({ key, passphrase: source.passphrase })
        : createPrivateKey({ key, format: "der", type: "pkcs8", passphrase: source.passphrase });
  } catch (error) {
    return {
      status: SEC_E_UNKNOWN_CREDENTIALS,
      reason: `${where}: private key unreadable or wrong passphrase: ${messageOf(error)}`,
    };
  }
  const leaf = new X509Certificate(chain[0]!);
  if (!leaf.checkPrivateKey(keyObject)) {
    return {
      status: SEC_E_UNKNOWN_CREDENTIALS,
      reason: `${where}: private key does not match the certificate`,
    };
  }
  const pemKey = keyObject.export({ format: "pem", type: "pkcs8" }).toString();
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

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
