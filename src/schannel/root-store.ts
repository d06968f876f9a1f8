/**
 * `hRootStore` as a certificate store: its entries are trusted CA certificates and CRLs (PEM
 * blocks of either kind, or DER), as a Windows store holds both. This sorts them.
 *
 * @module
 */
import { X509Certificate } from "node:crypto";
import "reflect-metadata";
import { X509Crl } from "@peculiar/x509";

/** The certificates and CRLs of a root store, each entry as given (PEM text or DER bytes). */
export interface RootStoreContents {
  certificates: Array<string | Uint8Array>;
  crls: Uint8Array[];
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

function pemText(entry: string | Uint8Array): string | null {
  const text = typeof entry === "string" ? entry : Buffer.from(entry).toString("latin1");
  return text.includes("-----BEGIN ") ? text : null;
}

/**
 * Sorts root store entries into certificates and CRLs.
 *
 * @returns the contents, or `{ error }` naming the first entry that is neither.
 */
export function readRootStore(
  entries: ReadonlyArray<string | Uint8Array>,
): RootStoreContents | { error: string } {
  const out: RootStoreContents = { certificates: [], crls: [] };
  for (const [i, entry] of entries.entries()) {
    const pem = pemText(entry);
    if (pem !== null) {
      const blocks = [...pem.matchAll(PEM_BLOCK)];
      const crls = blocks.filter((b) => b[1] === "X509 CRL").map((b) => Buffer.from(b[0]));
      if (crls.length === 0) {
        out.certificates.push(entry); // certificates only: kept as given
        continue;
      }
      out.crls.push(...crls);
      const others = blocks.filter((b) => b[1] !== "X509 CRL").map((b) => b[0]);
      if (others.length > 0) out.certificates.push(others.join("\n"));
      continue;
    }
    const der = typeof entry === "string" ? Buffer.from(entry, "latin1") : entry;
    if (isCertificate(der)) out.certificates.push(entry);
    else if (isCrl(der)) out.crls.push(Uint8Array.from(der));
    else return { error: `hRootStore[${i}] is neither a certificate nor a CRL` };
  }
  return out;
}

function isCertificate(der: Uint8Array): boolean {
  try {
    new X509Certificate(der);
    return true;
  } catch {
    return false;
  }
}

function isCrl(der: Uint8Array): boolean {
  try {
    new X509Crl(Uint8Array.from(der));
    return true;
  } catch {
    return false;
  }
}
