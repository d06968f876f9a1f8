/**
 * RFC 4120 messages: encode → decode round trips, and strict decoding (every malformed input a
 * typed ERR_KRB_MALFORMED error).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  decodeApRep,
  decodeEncApRepPart,
  encodeApRep,
  encodeEncApRepPart,
} from "../../src/kerberos/asn1/ap-rep.js";
import { decodeApReq, encodeApReq } from "../../src/kerberos/asn1/ap-req.js";
import { decodeAuthenticator, encodeAuthenticator } from "../../src/kerberos/asn1/authenticator.js";
import { KDC_OPTIONS, MSG_TYPE, PA_TYPE } from "../../src/kerberos/asn1/constants.js";
import {
  decodeEncKdcRepPart,
  decodeKdcRep,
  encodeEncKdcRepPart,
  encodeKdcRep,
} from "../../src/kerberos/asn1/kdc-rep.js";
import { decodeKdcReq, encodeKdcReq, encodeKdcReqBody } from "../../src/kerberos/asn1/kdc-req.js";
import { decodeKrbError, encodeKrbError } from "../../src/kerberos/asn1/krb-error.js";
import {
  decodeEtypeInfo2,
  decodeMethodData,
  decodePaEncTsEnc,
  encodeEtypeInfo2,
  encodeMethodData,
  encodePaEncTsEnc,
} from "../../src/kerberos/asn1/preauth.js";
import {
  decodeEncTicketPart,
  decodeTicket,
  encodeEncTicketPart,
  encodeTicket,
} from "../../src/kerberos/asn1/ticket.js";
import { KerberosError } from "../../src/kerberos/errors.js";

const alice = { nameType: 1, components: ["alice"] };
const http = { nameType: 2, components: ["HTTP", "host.example.test"] };
const t0 = new Date("2026-12-04T17:00:00Z");
const t1 = new Date("2026-12-05T03:00:00Z");
const ticket = {
  realm: "EXAMPLE.TEST",
  sname: http,
  encPart: { etype: 18, kvno: 2, cipher: new Uint8Array(80).fill(7) },
};
const malformed = { code: "ERR_KRB_MALFORMED" };

describe("messages round-trip through DER", () => {
  test("Ticket and EncTicketPart", () => {
    const der = encodeTicket(ticket);
    assert.equal(der[0], 0x61);
    const back = decodeTicket(der);
    assert.deepEqual({ realm: back.realm, sname: back.sname, encPart: back.encPart }, ticket);
    assert.deepEqual(back.der, der);
    const part = {
      flags: 0x40e10000,
      key: { etype: 18, value: new Uint8Array(32).fill(1) },
      crealm: "EXAMPLE.TEST",
      cname: alice,
      transited: { type: 1, contents: new Uint8Array(0) },
      authTime: t0,
      startTime: t0,
      endTime: t1,
      renewTill: undefined,
      caddr: undefined,
      authorizationData: [{ type: 1, data: Uint8Array.of(0x30, 0) }],
    };
    assert.deepEqual(decodeEncTicketPart(encodeEncTicketPart(part)), part);
  });

  test("AS-REQ with PA-DATA; the body bytes are kept for the TGS checksum", () => {
    const body = {
      kdcOptions: KDC_OPTIONS.FORWARDABLE | KDC_OPTIONS.RENEWABLE_OK,
      cname: alice,
      realm: "EXAMPLE.TEST",
      sname: { nameType: 2, components: ["krbtgt", "EXAMPLE.TEST"] },
      from: undefined,
      till: t1,
      rtime: undefined,
      nonce: 0x7fffffff,
      etypes: [20, 19, 18, 17, 23],
      addresses: undefined,
      encAuthorizationData: undefined,
      additionalTickets: undefined,
    };
    const padata = [{ type: PA_TYPE.ENC_TIMESTAMP, value: Uint8Array.of(1, 2, 3) }];
    const der = encodeKdcReq({ msgType: MSG_TYPE.AS_REQ, padata, body });
    assert.equal(der[0], 0x6a);
    const back = decodeKdcReq(der, MSG_TYPE.AS_REQ);
    assert.deepEqual(back.body, body);
    assert.deepEqual(back.padata, padata);
    assert.deepEqual(back.bodyDer, encodeKdcReqBody(body));
    assert.throws(() => decodeKdcReq(der, MSG_TYPE.TGS_REQ), malformed);
  });

  test("TGS-REP and EncTGSRepPart (tag 26 accepted where 25 is expected, and the reverse)", () => {
    const rep = {
      msgType: MSG_TYPE.TGS_REP,
      padata: [],
      crealm: "EXAMPLE.TEST",
      cname: alice,
      ticket: { ...ticket, der: encodeTicket(ticket) },
      encPart: { etype: 18, kvno: undefined, cipher: Uint8Array.of(9, 9, 9) },
    } as const;
    const back = decodeKdcRep(encodeKdcRep(rep), MSG_TYPE.TGS_REP);
    assert.deepEqual(back, rep);
    const part = {
      key: { etype: 17, value: new Uint8Array(16).fill(3) },
      lastReq: [{ type: 0, value: t0 }],
      nonce: 12345,
      keyExpiration: undefined,
      flags: 0x00a00000,
      authTime: t0,
      startTime: undefined,
      endTime: t1,
      renewTill: undefined,
      srealm: "EXAMPLE.TEST",
      sname: http,
      caddr: undefined,
      encryptedPaData: undefined,
    };
    assert.deepEqual(decodeEncKdcRepPart(encodeEncKdcRepPart(part, 25)), part);
    assert.deepEqual(decodeEncKdcRepPart(encodeEncKdcRepPart(part, 26)), part);
  });

  test("AP-REQ, Authenticator, AP-REP, EncAPRepPart", () => {
    const apReq = {
      apOptions: 0x20000000,
      ticket: { ...ticket, der: encodeTicket(ticket) },
      authenticator: ticket.encPart,
    };
    assert.deepEqual(decodeApReq(encodeApReq(apReq)), apReq);
    const auth = {
      crealm: "EXAMPLE.TEST",
      cname: alice,
      cksum: { type: 0x8003, value: new Uint8Array(24) },
      cusec: 999999,
      ctime: t0,
      subkey: { etype: 18, value: new Uint8Array(32).fill(5) },
      seqNumber: 0xfffffffe,
      authorizationData: undefined,
    };
    assert.deepEqual(decodeAuthenticator(encodeAuthenticator(auth)), auth);
    const rep = { encPart: { etype: 18, kvno: undefined, cipher: Uint8Array.of(1) } };
    assert.deepEqual(decodeApRep(encodeApRep(rep)), rep);
    const encRep = { ctime: t0, cusec: 5, subkey: undefined, seqNumber: 7 };
    assert.deepEqual(decodeEncApRepPart(encodeEncApRepPart(encRep)), encRep);
  });

  test("KRB-ERROR with METHOD-DATA carrying ETYPE-INFO2; PA-ENC-TS-ENC", () => {
    const info = [
      { etype: 18, salt: "EXAMPLE.TESTalice", s2kparams: Uint8Array.of(0, 0, 0x10, 0) },
      { etype: 23, salt: undefined, s2kparams: undefined },
    ];
    const methods = [
      { type: PA_TYPE.ETYPE_INFO2, value: encodeEtypeInfo2(info) },
      { type: PA_TYPE.ENC_TIMESTAMP, value: new Uint8Array(0) },
    ];
    const err = {
      ctime: undefined,
      cusec: undefined,
      stime: t0,
      susec: 42,
      errorCode: 25,
      crealm: undefined,
      cname: alice,
      realm: "EXAMPLE.TEST",
      sname: { nameType: 2, components: ["krbtgt", "EXAMPLE.TEST"] },
      eText: "Additional pre-authentication required",
      eData: encodeMethodData(methods),
    };
    const back = decodeKrbError(encodeKrbError(err));
    assert.deepEqual(back, err);
    const m = decodeMethodData(back.eData!);
    assert.deepEqual(m, methods);
    assert.deepEqual(decodeEtypeInfo2(m[0]!.value), info);
    const ts = { timestamp: t0, usec: 123456 };
    assert.deepEqual(decodePaEncTsEnc(encodePaEncTsEnc(ts)), ts);
  });

  test("UTF-8 names and negative checksum types survive", () => {
    const auth = {
      crealm: "EXAMPLE.TEST",
      cname: { nameType: 1, components: ["jürgen"] },
      cksum: { type: -138, value: new Uint8Array(16) },
      cusec: 0,
      ctime: t0,
      subkey: undefined,
      seqNumber: undefined,
      authorizationData: undefined,
    };
    assert.deepEqual(decodeAuthenticator(encodeAuthenticator(auth)), auth);
  });
});

describe("strict decoding: malformed input is a typed error", () => {
  const good = encodeApRep({ encPart: { etype: 18, cipher: Uint8Array.of(1, 2, 3) } });
  const hex = (s: string) => Buffer.from(s.replace(/\s/g, ""), "hex");

  test("every truncation of a message", () => {
    for (let cut = 0; cut < good.length; cut++)
      assert.throws(() => decodeApRep(good.subarray(0, cut)), malformed);
  });

  test("trailing bytes, wrong application tag, wrong msg-type, wrong pvno", () => {
    assert.throws(() => decodeApRep(Buffer.concat([good, Uint8Array.of(0)])), malformed);
    assert.throws(() => decodeApReq(good), malformed);
    // AP-REP with msg-type 14 and with pvno 4
    assert.throws(
      () => decodeApRep(hex("6f1a3018a003020105a10302010ea20c300aa003020112a2030401ff")),
      malformed,
    );
    assert.throws(
      () => decodeApRep(hex("6f1a3018a003020104a10302010fa20c300aa003020112a2030401ff")),
      malformed,
    );
    assert.doesNotThrow(() => decodeApRep(hex("6f1a3018a003020105a10302010fa20c300aa003020112a2030401ff")));
  });

  test("missing required field, fields out of order, indefinite length, non-minimal INTEGER", () => {
    // EncryptedData without cipher [2]
    assert.throws(() => decodeApRep(hex("6f153013a003020105a10302010fa2073005a003020112")), /cipher/);
    // fields [1] before [0]
    assert.throws(
      () => decodeApRep(hex("6f1a3018a10302010fa003020105a20c300aa003020112a2030401ff")),
      /order/,
    );
    // indefinite-length outer tag (BER, not DER)
    assert.throws(
      () => decodeApRep(hex("6f803018a003020105a10302010fa20c300aa003020112a2030401ff0000")),
      malformed,
    );
    // pvno encoded as 02 02 00 05
    assert.throws(
      () => decodeApRep(hex("6f1b3019a00402020005a10302010fa20c300aa003020112a2030401ff")),
      /minimally/,
    );
  });

  test("bad KerberosTime and a non-GeneralString realm", () => {
    const err = encodeKrbError({
      stime: t0,
      susec: 0,
      errorCode: 6,
      realm: "R",
      sname: alice,
    });
    const withFraction = Buffer.from(err)
      .toString("hex")
      .replace(
        Buffer.from("20261204170000Z").toString("hex"),
        Buffer.from("20261204170000X").toString("hex"),
      );
    assert.throws(() => decodeKrbError(hex(withFraction)), {
      code: "ERR_KRB_MALFORMED",
      message: /KRB-ERROR/,
    });
    const utf8Realm = Buffer.from(err).toString("hex").replace("a9031b0152", "a9030c0152");
    assert.throws(() => decodeKrbError(hex(utf8Realm)), /expected \[UNIVERSAL 27\]/);
  });

  test("errors are KerberosError instances with the message named", () => {
    try {
      decodeTicket(Uint8Array.of(0x30, 0x00));
      assert.fail("decoded");
    } catch (e) {
      assert.ok(e instanceof KerberosError);
      assert.equal(e.code, "ERR_KRB_MALFORMED");
      assert.match(e.message, /Ticket/);
    }
  });
});
