/**
 * Client side: did the server ask for a certificate, and which issuers does it accept?
 *
 * Node's engine answers a CertificateRequest by itself (anonymously when the credential has no
 * certificate) and exposes neither the request nor its CA list, so the engine reads it from the
 * tokens it carried: plaintext in TLS 1.2, and in TLS 1.3 by opening the server's encrypted
 * handshake records with `SERVER_HANDSHAKE_TRAFFIC_SECRET` from the key log.
 *
 * @module
 */
import { cipherSuiteById } from "../record/cipher-suites.js";
import { fromTls13TrafficSecret } from "../record/record-protection.js";
import { HANDSHAKE_CERTIFICATE_REQUEST, HANDSHAKE_FINISHED } from "../records/handshake-types.js";
import {
  CONTENT_TYPE_APPLICATION_DATA,
  CONTENT_TYPE_HANDSHAKE,
  splitRecords,
} from "../records/record-header.js";
import type { ServerHelloInfo } from "../records/server-hello.js";
import { findCertificateRequest12 } from "./handshake-messages.js";
import type { KeylogSecrets } from "./keylog.js";

const EXT_CERTIFICATE_AUTHORITIES = 47;

/** Result of {@link findCertificateRequest}. */
export interface CertificateRequestInfo {
  requested: boolean;
  /** DER distinguished names of acceptable issuers (empty when none were listed). */
  issuers: Uint8Array[];
}

/**
 * Looks for a CertificateRequest in what the client received during the handshake.
 *
 * @param received - every record the client engine consumed, concatenated.
 * @returns whether one was sent and the issuers it names.
 */
export function findCertificateRequest(
  received: Uint8Array,
  hello: ServerHelloInfo | undefined,
  secrets: KeylogSecrets,
): CertificateRequestInfo {
  if (hello === undefined) return { requested: false, issuers: [] };
  if (hello.version.id !== 0x0304) {
    const issuers = findCertificateRequest12(received);
    return issuers === null ? { requested: false, issuers: [] } : { requested: true, issuers };
  }
  const suite = cipherSuiteById(hello.cipherSuite.id);
  const secret = secrets.serverHandshakeTrafficSecret;
  if (suite === undefined || secret === undefined) return { requested: false, issuers: [] };
  const reader = fromTls13TrafficSecret(suite, secret, 0n);
  try {
    const handshake: Uint8Array[] = [];
    for (const r of splitRecords(received).records) {
      if (r.contentType !== CONTENT_TYPE_APPLICATION_DATA) continue;
      const opened = reader.open(received.subarray(r.offset, r.offset + r.length));
      if (!opened.ok || opened.contentType !== CONTENT_TYPE_HANDSHAKE) break;
      handshake.push(opened.plaintext);
    }
    return scanMessages13(Buffer.concat(handshake));
  } finally {
    reader.destroy();
  }
}

function scanMessages13(data: Buffer): CertificateRequestInfo {
  let o = 0;
  while (o + 4 <= data.length) {
    const type = data[o]!;
    const length = data.readUIntBE(o + 1, 3);
    if (o + 4 + length > data.length) break;
    if (type === HANDSHAKE_CERTIFICATE_REQUEST) {
      return { requested: true, issuers: authorities13(data.subarray(o + 4, o + 4 + length)) };
    }
    if (type === HANDSHAKE_FINISHED) break;
    o += 4 + length;
  }
  return { requested: false, issuers: [] };
}

function authorities13(body: Buffer): Uint8Array[] {
  const issuers: Uint8Array[] = [];
  try {
    let o = 1 + body[0]!;
    const end = o + 2 + body.readUInt16BE(o);
    o += 2;
    while (o + 4 <= end) {
      const type = body.readUInt16BE(o);
      const length = body.readUInt16BE(o + 2);
      if (type === EXT_CERTIFICATE_AUTHORITIES) {
        let p = o + 4 + 2;
        const listEnd = o + 4 + length;
        while (p + 2 <= listEnd) {
          const n = body.readUInt16BE(p);
          issuers.push(new Uint8Array(body.subarray(p + 2, p + 2 + n)));
          p += 2 + n;
        }
      }
      o += 4 + length;
    }
  } catch {
    // keep what parsed
  }
  return issuers;
}
