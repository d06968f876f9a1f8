/**
 * The session id inside an OpenSSL serialized session (`SSL_SESSION` ASN.1, as Node's
 * `getSession()` and `'session'` events return it): `SEQUENCE { version INTEGER, sslVersion
 * INTEGER, cipher OCTET STRING, sessionId OCTET STRING, masterKey OCTET STRING, … }`.
 *
 * @module
 */

/** Reads one DER TLV at `offset`. @returns tag, content start and end, or `undefined`. */
function readTlv(der: Uint8Array, offset: number): { tag: number; start: number; end: number } | undefined {
  if (offset + 2 > der.length) return undefined;
  const tag = der[offset]!;
  let length = der[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n === 0 || n > 3 || start + n > der.length) return undefined;
    length = 0;
    for (let i = 0; i < n; i++) length = (length << 8) | der[start + i]!;
    start += n;
  }
  const end = start + length;
  return end > der.length ? undefined : { tag, start, end };
}

/**
 * Extracts the session id from a serialized session.
 *
 * @returns the session id bytes (possibly empty), or an empty array when `session` does not parse.
 */
export function sessionIdFromSession(session: Uint8Array | undefined): Uint8Array {
  if (session === undefined) return new Uint8Array(0);
  const outer = readTlv(session, 0);
  if (outer === undefined || outer.tag !== 0x30) return new Uint8Array(0);
  let offset = outer.start;
  const expected = [0x02, 0x02, 0x04, 0x04];
  for (let i = 0; i < expected.length; i++) {
    const tlv = readTlv(session, offset);
    if (tlv === undefined || tlv.tag !== expected[i]) return new Uint8Array(0);
    if (i === 3) return session.slice(tlv.start, tlv.end);
    offset = tlv.end;
  }
  return new Uint8Array(0);
}
