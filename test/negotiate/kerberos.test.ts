/**
 * Negotiate choosing Kerberos, ours against ours, with a real MIT KDC on 127.0.0.1: the 2-leg
 * flow with mutual authentication through each front door (and the 1-token flow without it),
 * the optimistic AP-REQ under both Kerberos OIDs, fallback to NTLM when the server has no
 * Kerberos credential (in-band, with request-mic and the MICs) or when Kerberos cannot start
 * (before anything is sent), a bare Kerberos client accepted, and an altered mechanism list
 * detected by the Kerberos mechListMIC.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  box,
  ISC_REQ_CONFIDENTIALITY,
  ISC_REQ_INTEGRITY,
  ISC_REQ_MUTUAL_AUTH,
  NEGOSSP_NAME,
  QueryContextAttributes,
  SEC_E_DOWNGRADE_DETECTED,
  SEC_E_OK,
  SEC_E_TARGET_UNKNOWN,
  SEC_I_CONTINUE_NEEDED,
  SECPKG_ATTR_NAMES,
  SECPKG_ATTR_NEGOTIATION_INFO,
  SECPKG_NEGOTIATION_COMPLETE,
  type SecPkgInfo,
} from "../../src/index.js";
import { KRB5_OID, MS_KRB5_OID, NTLMSSP_OID, rawMechanismOf } from "../../src/negotiate/mechanisms.js";
import { decodeNegotiationToken, encodeNegTokenInit, NEG_STATE } from "../../src/negotiate/spnego-token.js";
import { userStoreFromText } from "../../src/ntlm/user-store.js";
import { acceptorCredentials, FRONT_DOORS, type FrontDoor } from "../ntlm/support/sspi-ntlm.js";
import { KerberosEnd, type KerberosRealm, REALM, startKerberosRealm } from "../support/kerberos-sspi.js";
import { mitKrb5Installed, requireMitKrb5 } from "../support/mit-kdc.js";
import { tokenLoop } from "../support/token-loop.js";

const MUTUAL = ISC_REQ_MUTUAL_AUTH | ISC_REQ_INTEGRITY | ISC_REQ_CONFIDENTIALITY;
const text = (s: string) => new TextEncoder().encode(s);
const utf8 = (b: Uint8Array) => Buffer.from(b).toString();
/** NTLM users of the test realm's domain (the same password as Kerberos'). */
const ntlm = () => acceptorCredentials({ lookup: userStoreFromText(`${REALM}:alice:alicepw\n`).lookup });

describe("Negotiate with Kerberos (MIT KDC)", () => {
  let realm: KerberosRealm | undefined;
  const open: KerberosEnd[] = [];
  before(async () => {
    if (mitKrb5Installed()) realm = await startKerberosRealm();
  });
  after(async () => {
    for (const end of open) end.dispose();
    await realm?.stop();
  });
  const track = (end: KerberosEnd) => {
    open.push(end);
    return end;
  };
  const server = (packages: Record<string, unknown>, door?: FrontDoor) =>
    KerberosEnd.acceptor({ packages }, { package: NEGOSSP_NAME, ...(door && { door }) }).then(track);
  const client = (
    options: { door?: FrontDoor; fContextReq?: number; target?: string; authData?: unknown } = {},
  ) =>
    KerberosEnd.initiator(options.authData ?? realm!.alice, {
      package: NEGOSSP_NAME,
      target: options.target ?? "HTTP/localhost",
      fContextReq: options.fContextReq ?? MUTUAL,
      ...(options.door && { door: options.door }),
    }).then(track);
  const both = () => ({ Kerberos: { keytab: realm!.serviceKeytab }, NTLM: ntlm() });
  const chosen = (end: KerberosEnd) => {
    const info = box<unknown>(null);
    assert.equal(QueryContextAttributes(end.context, SECPKG_ATTR_NEGOTIATION_INFO, info), SEC_E_OK);
    const v = info.value as { PackageInfo: SecPkgInfo; NegotiationState: number };
    return [v.PackageInfo.Name, v.NegotiationState];
  };
  const userName = (end: KerberosEnd) => {
    const names = box<unknown>(null);
    assert.equal(QueryContextAttributes(end.context, SECPKG_ATTR_NAMES, names), SEC_E_OK);
    return (names.value as { sUserName: string }).sUserName;
  };

  for (const door of FRONT_DOORS)
    it(`runs Kerberos in 2 legs with mutual authentication (${door})`, async (t) => {
      if (!requireMitKrb5(t)) return;
      const c = await client({ door });
      const s = await server(both(), door);
      const legs = await tokenLoop(c, s);
      assert.deepEqual(
        legs.map((l) => [l.side, l.status]),
        [
          ["client", SEC_I_CONTINUE_NEEDED],
          ["server", SEC_E_OK],
          ["client", SEC_E_OK],
        ],
        c.reason || s.reason,
      );
      const init = decodeNegotiationToken(legs[0]!.output);
      assert.ok(init.kind === "init");
      assert.deepEqual(init.mechTypes, [MS_KRB5_OID, KRB5_OID, NTLMSSP_OID], "Windows' order");
      assert.equal(rawMechanismOf(init.mechToken!), "Kerberos", "the optimistic AP-REQ");
      const reply = decodeNegotiationToken(legs[1]!.output);
      assert.ok(reply.kind === "resp");
      assert.equal(reply.negState, NEG_STATE.ACCEPT_COMPLETED);
      assert.equal(reply.supportedMech, MS_KRB5_OID);
      assert.equal(rawMechanismOf(reply.responseToken!), "Kerberos", "the AP-REP");
      assert.equal(reply.mechListMIC, undefined, "the optimistic mechanism was taken: no MIC needed");
      for (const end of [c, s]) assert.deepEqual(chosen(end), ["Kerberos", SECPKG_NEGOTIATION_COMPLETE]);
      assert.equal(userName(s), `alice@${REALM}`);
      assert.equal(utf8(s.unwrap(c.wrap(text("to the server"))).data), "to the server");
      assert.equal(utf8(c.unwrap(s.wrap(text("to the client"))).data), "to the client");
      assert.equal(s.verify(text("signed"), c.sign(text("signed"))), SEC_E_OK);
    });

  it("a client keytab (bob) through NegotiateAuthData: Kerberos alone, 2 legs", async (t) => {
    if (!requireMitKrb5(t)) return;
    const c = await client({
      authData: {
        packages: {
          Kerberos: { User: "bob", Domain: REALM, Keytab: realm!.clientKeytab, krb5Conf: realm!.krb5Conf },
        },
      },
    });
    const s = await server(both());
    const legs = await tokenLoop(c, s);
    assert.deepEqual(
      legs.map((l) => l.status),
      [SEC_I_CONTINUE_NEEDED, SEC_E_OK, SEC_E_OK],
      c.reason || s.reason,
    );
    const init = decodeNegotiationToken(legs[0]!.output);
    assert.ok(init.kind === "init");
    assert.deepEqual(init.mechTypes, [MS_KRB5_OID, KRB5_OID], "NTLM was not named");
    assert.equal(userName(s), `bob@${REALM}`);
  });

  it("without mutual authentication: the AP-REQ, then the server's accept-completed", async (t) => {
    if (!requireMitKrb5(t)) return;
    const c = await client({ fContextReq: ISC_REQ_INTEGRITY | ISC_REQ_CONFIDENTIALITY });
    const s = await server(both());
    const legs = await tokenLoop(c, s);
    assert.deepEqual(
      legs.map((l) => l.status),
      [SEC_I_CONTINUE_NEEDED, SEC_E_OK, SEC_E_OK],
      c.reason || s.reason,
    );
    const reply = decodeNegotiationToken(legs[1]!.output);
    assert.ok(reply.kind === "resp");
    assert.equal(reply.negState, NEG_STATE.ACCEPT_COMPLETED);
    assert.equal(reply.responseToken, undefined, "no AP-REP without mutual authentication");
    assert.equal(utf8(s.unwrap(c.wrap(text("one way"))).data), "one way");
  });

  it("a server with only NTLM: the client switches in-band (request-mic), MICs both ways", async (t) => {
    if (!requireMitKrb5(t)) return;
    const c = await client();
    const s = await server({ NTLM: ntlm() });
    const legs = await tokenLoop(c, s);
    assert.deepEqual(
      legs.map((l) => l.status),
      [
        SEC_I_CONTINUE_NEEDED, // NegTokenInit [MS-KRB5, KRB5, NTLM] + AP-REQ
        SEC_I_CONTINUE_NEEDED, // request-mic, NTLM, no token
        SEC_I_CONTINUE_NEEDED, // NEGOTIATE
        SEC_I_CONTINUE_NEEDED, // CHALLENGE
        SEC_I_CONTINUE_NEEDED, // AUTHENTICATE + MIC
        SEC_E_OK, // accept-completed + MIC
        SEC_E_OK,
      ],
      c.reason || s.reason,
    );
    const switched = decodeNegotiationToken(legs[1]!.output);
    assert.deepEqual(switched, { kind: "resp", negState: NEG_STATE.REQUEST_MIC, supportedMech: NTLMSSP_OID });
    for (const end of [c, s]) assert.deepEqual(chosen(end), ["NTLM", SECPKG_NEGOTIATION_COMPLETE]);
    assert.equal(userName(s), `${REALM}\\alice`);
    const sealed = c.encrypt(text("over NTLM"));
    assert.equal(sealed.token.length, 16, "an NTLM signature");
    assert.equal(utf8(s.decrypt(sealed.token, sealed.data).data), "over NTLM");
  });

  it("Kerberos cannot start (unknown service): NTLM is offered alone before anything is sent", async (t) => {
    if (!requireMitKrb5(t)) return;
    const c = await client({ target: "HTTP/nowhere.example.test" });
    const s = await server(both());
    const legs = await tokenLoop(c, s);
    assert.equal(legs.at(-1)!.status, SEC_E_OK, c.reason || s.reason);
    const init = decodeNegotiationToken(legs[0]!.output);
    assert.ok(init.kind === "init");
    assert.deepEqual(init.mechTypes, [NTLMSSP_OID]);
    assert.deepEqual(chosen(s), ["NTLM", SECPKG_NEGOTIATION_COMPLETE]);
  });

  it("Kerberos alone (PackageList) and it cannot start: the KDC's status, no fallback", async (t) => {
    if (!requireMitKrb5(t)) return;
    const c = await client({
      target: "HTTP/nowhere.example.test",
      authData: { ...realm!.alice, PackageList: "Kerberos" },
    });
    const first = await c.step(null);
    assert.equal(first.status, SEC_E_TARGET_UNKNOWN);
    assert.equal(first.output.length, 0, "nothing to send");
    assert.match(c.reason, /no package could start: Kerberos: /);
    assert.doesNotMatch(c.reason, /NTLM/, "PackageList left NTLM out: it was never tried");
  });

  it("accepts a bare Kerberos client (no SPNEGO), as Windows does, and answers a bare AP-REP", async (t) => {
    if (!requireMitKrb5(t)) return;
    const c = await KerberosEnd.initiator(realm!.alice, {
      target: "HTTP/localhost",
      fContextReq: MUTUAL,
    }).then(track);
    const s = await server(both());
    const legs = await tokenLoop(c, s);
    assert.deepEqual(
      legs.map((l) => l.status),
      [SEC_I_CONTINUE_NEEDED, SEC_E_OK, SEC_E_OK],
      c.reason || s.reason,
    );
    assert.equal(rawMechanismOf(legs[1]!.output), "Kerberos");
    assert.deepEqual(chosen(s), ["Kerberos", SECPKG_NEGOTIATION_COMPLETE]);
    assert.equal(utf8(s.unwrap(c.wrap(text("bare"))).data), "bare");
  });

  it("an altered mechanism list is caught by the Kerberos mechListMIC (SEC_E_DOWNGRADE_DETECTED)", async (t) => {
    if (!requireMitKrb5(t)) return;
    const c = await client();
    const s = await server(both());
    const legs = await tokenLoop(c, s, {
      alter: (leg, token) => {
        if (leg !== 0) return token;
        const init = decodeNegotiationToken(token);
        assert.ok(init.kind === "init");
        return encodeNegTokenInit({
          mechTypes: ["1.3.6.1.4.1.311.2.2.30", ...init.mechTypes],
          mechToken: init.mechToken!,
        });
      },
    });
    // the server took Kerberos as a later choice: it asked for the MIC, got a fresh AP-REQ, and
    // sent its MIC over the list it saw, which the client's Kerberos context does not verify
    const request = decodeNegotiationToken(legs[1]!.output);
    assert.ok(request.kind === "resp");
    assert.equal(request.negState, NEG_STATE.REQUEST_MIC);
    assert.equal(request.supportedMech, MS_KRB5_OID);
    assert.equal(legs.at(-1)!.side, "client");
    assert.equal(legs.at(-1)!.status, SEC_E_DOWNGRADE_DETECTED, c.reason);
  });
});
