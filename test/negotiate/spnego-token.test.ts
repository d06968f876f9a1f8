/**
 * SPNEGO token encoding and decoding: captured tokens from MIT's SPNEGO (curl --negotiate, in
 * test/ntlm/fixtures), MS-SPNG's NegTokenInit2 layout, byte-exact NegTokenResp encodings, the
 * bare-token recognition the acceptor relies on, and malformed input refused as
 * SEC_E_INVALID_TOKEN.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as asn1js from "asn1js";
import {
  KRB5_OID,
  MS_KRB5_OID,
  NTLMSSP_OID,
  rawMechanismOf,
  SPNEGO_OID,
} from "../../src/negotiate/mechanisms.js";
import { NegotiateError } from "../../src/negotiate/negotiate-error.js";
import {
  decodeNegotiationToken,
  encodeMechTypes,
  encodeNegTokenInit,
  encodeNegTokenResp,
  NEG_STATE,
} from "../../src/negotiate/spnego-token.js";
import { SEC_E_INVALID_TOKEN } from "../../src/sspi/status.js";
import { fixture, hex, unhex } from "../ntlm/support/bytes.js";

describe("SPNEGO tokens", () => {
  it("reads MIT's NegTokenInit with a Kerberos AP-REQ (curl --negotiate with a ticket)", () => {
    const token = decodeNegotiationToken(fixture("curl-0-negotiate-782.bin"));
    assert.equal(token.kind, "init");
    if (token.kind !== "init") return;
    assert.deepEqual(token.mechTypes, [KRB5_OID]);
    assert.equal(hex(token.mechTypesDer), "300b06092a864886f712010202");
    assert.equal(rawMechanismOf(token.mechToken!), "Kerberos", "the mechToken is a Kerberos GSS token");
    assert.equal(token.mechListMIC, undefined);
  });

  it("reads MIT's NegTokenInit with a bare NTLM NEGOTIATE (gss-ntlmssp, no ticket)", () => {
    const token = decodeNegotiationToken(fixture("curl-3-negotiate-74.bin"));
    assert.equal(token.kind, "init");
    if (token.kind !== "init") return;
    assert.deepEqual(token.mechTypes, [NTLMSSP_OID]);
    assert.equal(Buffer.from(token.mechToken!.subarray(0, 8)).toString("latin1"), "NTLMSSP\0");
  });

  it("writes a NegTokenInit byte for byte like MIT's (the 74-byte NTLM one)", () => {
    const captured = fixture("curl-3-negotiate-74.bin");
    const token = decodeNegotiationToken(captured);
    assert.ok(token.kind === "init");
    assert.equal(
      hex(encodeNegTokenInit({ mechTypes: token.mechTypes, mechToken: token.mechToken! })),
      hex(captured),
    );
  });

  it("writes Windows' mechanism list: MS Kerberos, Kerberos, NTLM", () => {
    const der = encodeMechTypes([MS_KRB5_OID, KRB5_OID, NTLMSSP_OID]);
    assert.equal(
      hex(der),
      "3022" + "06092a864882f712010202" + "06092a864886f712010202" + "060a2b06010401823702020a",
    );
    const token = decodeNegotiationToken(
      encodeNegTokenInit({ mechTypes: [MS_KRB5_OID, KRB5_OID, NTLMSSP_OID] }),
    );
    assert.ok(token.kind === "init");
    assert.equal(hex(token.mechTypesDer), hex(der), "the MIC covers these exact bytes");
  });

  it("writes the final NTLM NegTokenResp as the 29 bytes MIT sends (accept-completed + mechListMIC)", () => {
    const mic = unhex("01000000" + "0102030405060708" + "00000000");
    const bytes = encodeNegTokenResp({ negState: NEG_STATE.ACCEPT_COMPLETED, mechListMIC: mic });
    assert.equal(bytes.length, 29);
    assert.equal(hex(bytes), `a11b3019a0030a0100a3120410${hex(mic)}`);
    assert.deepEqual(decodeNegotiationToken(bytes), {
      kind: "resp",
      negState: NEG_STATE.ACCEPT_COMPLETED,
      mechListMIC: mic,
    });
  });

  it("round-trips a NegTokenResp with every field", () => {
    const fields = {
      negState: NEG_STATE.ACCEPT_INCOMPLETE,
      supportedMech: NTLMSSP_OID,
      responseToken: unhex("4e544c4d5353500002000000"),
      mechListMIC: unhex("aa".repeat(16)),
    };
    const bytes = encodeNegTokenResp(fields);
    assert.equal(hex(bytes.subarray(0, 2)), `a1${(bytes.length - 2).toString(16)}`);
    assert.deepEqual(decodeNegotiationToken(bytes), { kind: "resp", ...fields });
    assert.deepEqual(decodeNegotiationToken(encodeNegTokenResp({ negState: NEG_STATE.REQUEST_MIC })), {
      kind: "resp",
      negState: NEG_STATE.REQUEST_MIC,
    });
  });

  it("reads Windows' NegTokenInit2 (negHints [3], mechListMIC [4]) and ignores the hints", () => {
    const hints = new asn1js.Sequence({
      value: [
        new asn1js.Constructed({
          idBlock: { tagClass: 3, tagNumber: 0 },
          value: [new asn1js.GeneralString({ value: "not_defined_in_RFC4178@please_ignore" })],
        }),
      ],
    });
    const tagged = (n: number, v: asn1js.AsnType) =>
      new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: n }, value: [v] });
    const init2 = new asn1js.Constructed({
      idBlock: { tagClass: 2, tagNumber: 0 },
      value: [
        new asn1js.ObjectIdentifier({ value: SPNEGO_OID }),
        tagged(
          0,
          new asn1js.Sequence({
            value: [
              tagged(
                0,
                new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: MS_KRB5_OID })] }),
              ),
              tagged(3, hints),
              tagged(4, new asn1js.OctetString({ valueHex: Uint8Array.of(1, 2, 3) })),
            ],
          }),
        ),
      ],
    });
    const token = decodeNegotiationToken(new Uint8Array(init2.toBER()));
    assert.ok(token.kind === "init");
    assert.deepEqual(token.mechTypes, [MS_KRB5_OID]);
    assert.deepEqual(token.mechListMIC, Uint8Array.of(1, 2, 3));
  });

  it("tells bare NTLMSSP and Kerberos tokens from SPNEGO ones", () => {
    assert.equal(rawMechanismOf(fixture("curl-1-ntlm-32.bin")), "NTLM");
    assert.equal(rawMechanismOf(decodeInitMechToken("curl-0-negotiate-782.bin")), "Kerberos");
    assert.equal(
      rawMechanismOf(fixture("curl-0-negotiate-782.bin")),
      undefined,
      "SPNEGO is not bare Kerberos",
    );
    assert.equal(rawMechanismOf(Uint8Array.of(0x60)), undefined);
  });

  it("refuses malformed tokens with SEC_E_INVALID_TOKEN", () => {
    const captured = fixture("curl-3-negotiate-74.bin");
    const cases: Array<[string, Uint8Array]> = [
      ["empty", new Uint8Array(0)],
      ["truncated", captured.subarray(0, 40)],
      ["trailing bytes", Buffer.concat([captured, Uint8Array.of(0)])],
      ["wrong mechanism OID", encodeWithOuterOid(KRB5_OID)],
      ["NegTokenInit without mechanisms", unhex("a0063004a0023000")],
      ["negState out of range", unhex("a1073005a0030a0109")],
      ["unknown choice", unhex("a2053003a00100".slice(0, 14))],
      ["not DER (indefinite length)", unhex("a180300aa0030a01000000")],
    ];
    for (const [what, bytes] of cases)
      assert.throws(
        () => decodeNegotiationToken(bytes),
        (e: unknown) => e instanceof NegotiateError && e.status === SEC_E_INVALID_TOKEN,
        what,
      );
  });
});

function decodeInitMechToken(name: string): Uint8Array {
  const token = decodeNegotiationToken(fixture(name));
  assert.ok(token.kind === "init" && token.mechToken);
  return token.mechToken;
}

/** An InitialContextToken framed with another mechanism's OID. */
function encodeWithOuterOid(oid: string): Uint8Array {
  const init = encodeNegTokenInit({ mechTypes: [NTLMSSP_OID] });
  const spnego = hex(new Uint8Array(new asn1js.ObjectIdentifier({ value: SPNEGO_OID }).toBER()));
  const other = hex(new Uint8Array(new asn1js.ObjectIdentifier({ value: oid }).toBER()));
  const body = hex(init).slice(4).replace(spnego, other);
  return unhex(`60${(body.length / 2).toString(16).padStart(2, "0")}${body}`);
}
