/**
 * Property: every decoder (DER messages, GSS framing and tokens, keytab, ccache) given hostile
 * bytes — random, or a valid encoding with bytes flipped, cut or inserted — either returns or
 * throws a KerberosError; never another exception, never a hang.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  decodeApRep,
  decodeEncApRepPart,
  encodeApRep,
  encodeEncApRepPart,
} from "../../src/kerberos/asn1/ap-rep.js";
import { decodeApReq, encodeApReq } from "../../src/kerberos/asn1/ap-req.js";
import { decodeAuthenticator, encodeAuthenticator } from "../../src/kerberos/asn1/authenticator.js";
import {
  decodeEncKdcRepPart,
  decodeKdcRep,
  encodeEncKdcRepPart,
  encodeKdcRep,
} from "../../src/kerberos/asn1/kdc-rep.js";
import { decodeKdcReq, encodeKdcReq } from "../../src/kerberos/asn1/kdc-req.js";
import { decodeKrbError, encodeKrbError } from "../../src/kerberos/asn1/krb-error.js";
import { decodeEtypeInfo2, encodeEtypeInfo2 } from "../../src/kerberos/asn1/preauth.js";
import {
  decodeEncTicketPart,
  decodeTicket,
  encodeEncTicketPart,
  encodeTicket,
} from "../../src/kerberos/asn1/ticket.js";
import { KerberosError } from "../../src/kerberos/errors.js";
import { parseCredentialCache } from "../../src/kerberos/files/ccache.js";
import { parseKeytab, writeKeytab } from "../../src/kerberos/files/keytab.js";
import { decodeGssChecksum, encodeGssChecksum } from "../../src/kerberos/gss/authenticator-checksum.js";
import { unwrapGssToken, wrapGssToken } from "../../src/kerberos/gss/initial-context-token.js";
import { makeMic, verifyMic } from "../../src/kerberos/gss/mic-token.js";
import { makeRc4Mic, unwrapRc4, verifyRc4Mic, wrapRc4 } from "../../src/kerberos/gss/rc4-tokens.js";
import { unwrap, wrap } from "../../src/kerberos/gss/wrap-token.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const t0 = new Date("2026-01-01T00:00:00Z");
const name = { nameType: 1, components: ["alice", "x"] };
const ticket = { realm: "R", sname: name, encPart: { etype: 18, kvno: 3, cipher: new Uint8Array(40) } };
const key = { etype: 18, value: new Uint8Array(32).fill(1) };
const ctx = { key, isAcceptor: false, acceptorSubkey: false };
const rc4Key = { etype: 23, value: new Uint8Array(16).fill(3) };
const peer = { key, isAcceptor: true, acceptorSubkey: false };

/** Valid encodings to mutate, each with its decoder. */
const samples: Array<[string, Uint8Array, (b: Uint8Array) => unknown]> = [
  ["Ticket", encodeTicket(ticket), decodeTicket],
  [
    "EncTicketPart",
    encodeEncTicketPart({
      flags: 1,
      key,
      crealm: "R",
      cname: name,
      transited: { type: 1, contents: new Uint8Array(2) },
      authTime: t0,
      endTime: t0,
      caddr: [{ type: 2, address: Uint8Array.of(127, 0, 0, 1) }],
      authorizationData: [{ type: 1, data: Uint8Array.of(1) }],
    }),
    decodeEncTicketPart,
  ],
  [
    "AS-REQ",
    encodeKdcReq({
      msgType: 10,
      padata: [{ type: 2, value: Uint8Array.of(1) }],
      body: { kdcOptions: 0, cname: name, realm: "R", sname: name, till: t0, nonce: 5, etypes: [18, 23] },
    }),
    (b) => decodeKdcReq(b, 10),
  ],
  [
    "TGS-REP",
    encodeKdcRep({
      msgType: 13,
      padata: [],
      crealm: "R",
      cname: name,
      ticket: { ...ticket, der: encodeTicket(ticket) },
      encPart: ticket.encPart,
    }),
    (b) => decodeKdcRep(b, 13),
  ],
  [
    "EncKDCRepPart",
    encodeEncKdcRepPart(
      {
        key,
        lastReq: [{ type: 0, value: t0 }],
        nonce: 1,
        flags: 0,
        authTime: t0,
        endTime: t0,
        srealm: "R",
        sname: name,
      },
      25,
    ),
    decodeEncKdcRepPart,
  ],
  [
    "AP-REQ",
    encodeApReq({
      apOptions: 0,
      ticket: { ...ticket, der: encodeTicket(ticket) },
      authenticator: ticket.encPart,
    }),
    decodeApReq,
  ],
  [
    "Authenticator",
    encodeAuthenticator({
      crealm: "R",
      cname: name,
      cksum: { type: 0x8003, value: encodeGssChecksum(2) },
      cusec: 1,
      ctime: t0,
      subkey: key,
      seqNumber: 9,
    }),
    decodeAuthenticator,
  ],
  ["AP-REP", encodeApRep({ encPart: ticket.encPart }), decodeApRep],
  [
    "EncAPRepPart",
    encodeEncApRepPart({ ctime: t0, cusec: 1, subkey: key, seqNumber: 2 }),
    decodeEncApRepPart,
  ],
  [
    "KRB-ERROR",
    encodeKrbError({
      stime: t0,
      susec: 0,
      errorCode: 25,
      realm: "R",
      sname: name,
      eText: "x",
      eData: Uint8Array.of(0x30, 0),
    }),
    decodeKrbError,
  ],
  [
    "ETYPE-INFO2",
    encodeEtypeInfo2([{ etype: 18, salt: "s", s2kparams: Uint8Array.of(0, 0, 16, 0) }]),
    decodeEtypeInfo2,
  ],
  ["GSS checksum", encodeGssChecksum(0x3e), decodeGssChecksum],
  ["GSS token", wrapGssToken(0x0100, Uint8Array.of(1, 2, 3)), unwrapGssToken],
  [
    "keytab",
    writeKeytab([{ principal: { realm: "R", name }, timestamp: 1, kvno: 2, etype: 18, key: key.value }]),
    parseKeytab,
  ],
  [
    "ccache",
    Uint8Array.of(5, 4, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0x52, 0, 0, 0, 1, 0x61),
    parseCredentialCache,
  ],
  [
    "Wrap token",
    wrap(peer, 1n, Uint8Array.of(1, 2, 3), { confidential: true, rrc: 5 }),
    (b) => unwrap(ctx, b),
  ],
  [
    "RC4 Wrap token",
    wrapRc4({ ...peer, key: rc4Key }, 3, Uint8Array.of(1, 2), true),
    (b) => unwrapRc4({ ...ctx, key: rc4Key }, b),
  ],
  [
    "RC4 MIC token",
    makeRc4Mic({ ...peer, key: rc4Key }, 3, Uint8Array.of(1)),
    (b) => verifyRc4Mic({ ...ctx, key: rc4Key }, b, Uint8Array.of(1)),
  ],
  ["MIC token", makeMic(peer, 7n, Uint8Array.of(1)), (b) => verifyMic(ctx, b, Uint8Array.of(1))],
];

const mutation = (len: number) =>
  fc.oneof(
    fc.record({
      kind: fc.constant("flip" as const),
      at: fc.nat(Math.max(0, len - 1)),
      xor: fc.integer({ min: 1, max: 255 }),
    }),
    fc.record({ kind: fc.constant("cut" as const), at: fc.nat(len) }),
    fc.record({
      kind: fc.constant("insert" as const),
      at: fc.nat(len),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
    }),
  );

function mutate(
  bytes: Uint8Array,
  m: { kind: string; at: number; xor?: number; bytes?: Uint8Array },
): Uint8Array {
  const b = new Uint8Array(bytes);
  if (m.kind === "flip") {
    b[m.at] = (b[m.at] ?? 0) ^ (m.xor ?? 1);
    return b;
  }
  if (m.kind === "cut") return b.subarray(0, m.at);
  return Buffer.concat([b.subarray(0, m.at), m.bytes ?? new Uint8Array(0), b.subarray(m.at)]);
}

function onlyKerberosErrors(decode: (b: Uint8Array) => unknown, input: Uint8Array): void {
  try {
    decode(input);
  } catch (e) {
    if (!(e instanceof KerberosError))
      throw new Error(`escaped ${String(e)} for ${Buffer.from(input).toString("hex")}`);
  }
}

describe("decoders only ever throw KerberosError", () => {
  for (const [what, valid, decode] of samples) {
    test(what, () => {
      assert.doesNotThrow(() => decode(valid), `${what}: the valid sample decodes`);
      fc.assert(
        fc.property(mutation(valid.length), (m) => onlyKerberosErrors(decode, mutate(valid, m))),
        { numRuns: RUNS },
      );
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => onlyKerberosErrors(decode, bytes)),
        { numRuns: Math.ceil(RUNS / 3) },
      );
    });
  }
});
