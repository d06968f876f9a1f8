/**
 * Negotiate falling back to NTLM against MIT's SPNEGO with gss-ntlmssp (through python3-gssapi),
 * both directions, when no Kerberos credential exists (no ticket cache, no keytab): MIT then
 * offers and accepts only NTLM, and the exchange is the 4-leg NTLM flow with the mechListMIC
 * both ways. Sealed messages after it prove both sides reset their RC4 state the same way
 * (MS-SPNG §3.3.5.1). A tampered mechListMIC is refused on each side. A missing peer skips
 * locally and fails under CI=true.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import {
  ISC_REQ_CONFIDENTIALITY,
  ISC_REQ_INTEGRITY,
  ISC_REQ_MUTUAL_AUTH,
  NEGOSSP_NAME,
  SEC_E_DOWNGRADE_DETECTED,
  SEC_E_OK,
  SEC_I_CONTINUE_NEEDED,
  SECPKG_ATTR_NAMES,
  SECPKG_ATTR_NEGOTIATION_INFO,
  type SecPkgInfo,
} from "../../../src/index.js";
import { NTLMSSP_OID } from "../../../src/negotiate/mechanisms.js";
import { decodeNegotiationToken, encodeNegTokenResp } from "../../../src/negotiate/spnego-token.js";
import { GSS_NTLMSSP, requirePeer, UserFile } from "../../ntlm/support/line-peer.js";
import { acceptorCredentials, SspiNtlmEnd } from "../../ntlm/support/sspi-ntlm.js";
import { b64, GssapiPeer, type GssReply, unb64 } from "../../support/gssapi-peer.js";

const users = new UserFile("TESTDOM:alice:alicepw\n");
after(() => users.remove());
/** No Kerberos anywhere: SPNEGO is left with gss-ntlmssp. */
const env = {
  ...process.env,
  KRB5CCNAME: "FILE:/nonexistent/async-sspi-no-ccache",
  KRB5_KTNAME: "FILE:/nonexistent/async-sspi-no-keytab",
  NTLM_USER_FILE: users.path,
  GSSAPI_PEER_MECH: "spnego",
};
const text = (s: string) => new TextEncoder().encode(s);
const utf8 = (b: Uint8Array) => Buffer.from(b).toString();

const ourAcceptor = () =>
  SspiNtlmEnd.acceptor(
    { packages: { NTLM: acceptorCredentials() } },
    { package: NEGOSSP_NAME, cbMaxToken: 48256 },
  );
const ourInitiator = () =>
  SspiNtlmEnd.initiator(
    { User: "alice", Domain: "TESTDOM", Password: "alicepw", PackageList: "NTLM" },
    {
      package: NEGOSSP_NAME,
      cbMaxToken: 48256,
      target: "HTTP/localhost",
      fContextReq: ISC_REQ_MUTUAL_AUTH | ISC_REQ_INTEGRITY | ISC_REQ_CONFIDENTIALITY,
    },
  );

/** Whether a peer reply failed, with its text. */
function peerError(r: GssReply): string | undefined {
  return r.error;
}

/** Flips a bit of a NegTokenResp's mechListMIC. */
function flipMic(token: Uint8Array): Uint8Array {
  const resp = decodeNegotiationToken(token);
  assert.ok(resp.kind === "resp" && resp.mechListMIC, "the token carries a mechListMIC");
  const mic = resp.mechListMIC.slice();
  mic[6]! ^= 0x40;
  const { kind: _, ...fields } = resp;
  return encodeNegTokenResp({ ...fields, mechListMIC: mic });
}

describe("Negotiate → NTLM with MIT SPNEGO + gss-ntlmssp", () => {
  it("MIT's SPNEGO initiator → our Negotiate ASC: 4 legs, MICs both ways, sealed messages each way", async (t) => {
    if (!requirePeer(t, GSS_NTLMSSP.what, GSS_NTLMSSP.probe)) return;
    const peer = new GssapiPeer("initiator", "HTTP@localhost", env);
    const end = await ourAcceptor();
    try {
      const init = await peer.call({ op: "step", token: null });
      assert.equal(peerError(init), undefined);
      const offered = decodeNegotiationToken(unb64(init.token!));
      assert.ok(offered.kind === "init");
      assert.deepEqual(offered.mechTypes, [NTLMSSP_OID], "without a ticket MIT offers only NTLM");
      const challenge = await end.step(unb64(init.token!));
      assert.equal(challenge.status, SEC_I_CONTINUE_NEEDED, end.reason);
      const auth = await peer.call({ op: "step", token: b64(challenge.output) });
      assert.equal(peerError(auth), undefined);
      const authToken = decodeNegotiationToken(unb64(auth.token!));
      assert.ok(authToken.kind === "resp" && authToken.mechListMIC, "MIT sends its mechListMIC with NTLM");
      const final = await end.step(unb64(auth.token!));
      assert.equal(final.status, SEC_E_OK, end.reason);
      const done = await peer.call({ op: "step", token: b64(final.output) });
      assert.equal(peerError(done), undefined, "MIT verified our mechListMIC");
      assert.equal(done.complete, true);

      assert.equal(end.query<{ sUserName: string }>(SECPKG_ATTR_NAMES).sUserName, "TESTDOM\\alice");
      assert.equal(
        end.query<{ PackageInfo: SecPkgInfo }>(SECPKG_ATTR_NEGOTIATION_INFO).PackageInfo.Name,
        "NTLM",
      );
      const wrapped = await peer.call({ op: "wrap", data: b64(text("sealed by MIT")), conf: true });
      assert.equal(utf8(end.unwrap(unb64(wrapped.token!))), "sealed by MIT");
      const back = await peer.call({ op: "unwrap", token: b64(end.wrap(text("sealed by async-sspi"))) });
      assert.equal(peerError(back), undefined);
      assert.equal(utf8(unb64(back.data!)), "sealed by async-sspi");
    } finally {
      peer.close();
      end.dispose();
    }
  });

  it("our Negotiate ISC → MIT's SPNEGO acceptor: 4 legs, MIT's mechListMIC verified, sealed messages each way", async (t) => {
    if (!requirePeer(t, GSS_NTLMSSP.what, GSS_NTLMSSP.probe)) return;
    const peer = new GssapiPeer("acceptor", "HTTP@localhost", env);
    const end = await ourInitiator();
    try {
      const first = await end.step(null);
      assert.equal(first.status, SEC_I_CONTINUE_NEEDED, end.reason);
      const challenge = await peer.call({ op: "step", token: b64(first.output) });
      assert.equal(peerError(challenge), undefined);
      const auth = await end.step(unb64(challenge.token!));
      assert.equal(auth.status, SEC_I_CONTINUE_NEEDED, end.reason);
      const final = await peer.call({ op: "step", token: b64(auth.output) });
      assert.equal(peerError(final), undefined, "MIT verified our mechListMIC");
      assert.equal(final.complete, true);
      // gss-ntlmssp's displayed name keeps the C string's terminating NUL
      assert.equal(final.peer?.replace(/\0$/, ""), "TESTDOM\\alice");
      const finalToken = decodeNegotiationToken(unb64(final.token!));
      assert.ok(finalToken.kind === "resp" && finalToken.mechListMIC, "MIT answers with its mechListMIC");
      const last = await end.step(unb64(final.token!));
      assert.equal(last.status, SEC_E_OK, end.reason);
      assert.equal(last.output.length, 0);

      const back = await peer.call({ op: "unwrap", token: b64(end.wrap(text("to MIT"))) });
      assert.equal(peerError(back), undefined);
      assert.equal(utf8(unb64(back.data!)), "to MIT");
      const wrapped = await peer.call({ op: "wrap", data: b64(text("from MIT")), conf: true });
      assert.equal(utf8(end.unwrap(unb64(wrapped.token!))), "from MIT");
    } finally {
      peer.close();
      end.dispose();
    }
  });

  it("a tampered mechListMIC is refused: MIT's by our ASC (SEC_E_DOWNGRADE_DETECTED), ours by MIT", async (t) => {
    if (!requirePeer(t, GSS_NTLMSSP.what, GSS_NTLMSSP.probe)) return;
    // MIT initiator, its MIC altered on the way to us
    const initiator = new GssapiPeer("initiator", "HTTP@localhost", env);
    const acceptor = await ourAcceptor();
    try {
      const init = await initiator.call({ op: "step", token: null });
      const challenge = await acceptor.step(unb64(init.token!));
      const auth = await initiator.call({ op: "step", token: b64(challenge.output) });
      const refused = await acceptor.step(flipMic(unb64(auth.token!)));
      assert.equal(refused.status, SEC_E_DOWNGRADE_DETECTED);
      assert.match(acceptor.reason, /mechListMIC does not verify/);
    } finally {
      initiator.close();
      acceptor.dispose();
    }
    // our initiator, our MIC altered on the way to MIT
    const peer = new GssapiPeer("acceptor", "HTTP@localhost", env);
    const end = await ourInitiator();
    try {
      const first = await end.step(null);
      const challenge = await peer.call({ op: "step", token: b64(first.output) });
      const auth = await end.step(unb64(challenge.token!));
      const verdict = await peer.call({ op: "step", token: b64(flipMic(auth.output)) });
      assert.ok(verdict.error, `MIT must refuse the altered MIC, answered ${JSON.stringify(verdict)}`);
    } finally {
      peer.close();
      end.dispose();
    }
  });
});
