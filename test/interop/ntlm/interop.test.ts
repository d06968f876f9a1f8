/**
 * Interop with NTLM implementations we did not write, at the SSPI level: our NTLM package driven
 * through AcquireCredentialsHandle / InitializeSecurityContext / AcceptSecurityContext /
 * EncryptMessage / DecryptMessage / QueryContextAttributes, the peer through its own API:
 * - python3-ntlm-auth (pure Python) client → our ASC, with channel bindings and sealing both
 *   ways; a binding mismatch refused as SEC_E_BAD_BINDINGS; a wrong password as SEC_E_LOGON_DENIED;
 * - Samba's `ntlm_auth --helper-protocol=ntlmssp-client-1` → our ASC;
 * - gss-ntlmssp (MIT GSSAPI plug-in, through python3-gssapi) initiator → our ASC, and our ISC →
 *   gss-ntlmssp acceptor, with channel bindings and wrapped messages each way.
 * A missing peer skips locally and fails under CI=true.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import {
  channelBindingsBuffer,
  ISC_REQ_CONFIDENTIALITY,
  ISC_REQ_INTEGRITY,
  SEC_E_BAD_BINDINGS,
  SEC_E_LOGON_DENIED,
  SEC_E_OK,
  SEC_I_CONTINUE_NEEDED,
  SECPKG_ATTR_CLIENT_SPECIFIED_TARGET,
  SECPKG_ATTR_NAMES,
  SECPKG_ATTR_SESSION_KEY,
  type SECURITY_STATUS,
  type SecBuffer,
} from "../../../src/index.js";
import {
  type ChannelBindings,
  tlsServerEndPointBindings,
} from "../../../src/ntlm/crypto/channel-bindings.js";
import { computeMic } from "../../../src/ntlm/crypto/mic.js";
import { parseAuthenticate } from "../../../src/ntlm/messages/authenticate-message.js";
import { hex, unhex } from "../../ntlm/support/bytes.js";
import {
  b64,
  GSS_NTLMSSP,
  LinePeer,
  PYTHON_NTLM_AUTH,
  pythonPeer,
  requirePeer,
  SAMBA_NTLM_AUTH,
  UserFile,
  unb64,
} from "../../ntlm/support/line-peer.js";
import { acceptorCredentials, SspiNtlmEnd } from "../../ntlm/support/sspi-ntlm.js";

const cbA = tlsServerEndPointBindings(unhex("a1".repeat(32)));
const cbB = tlsServerEndPointBindings(unhex("b2".repeat(32)));
const appData = (cb: ChannelBindings) => hex(cb.applicationData);
/** The SECBUFFER_CHANNEL_BINDINGS buffer of `cb`. */
const buffer = (cb: ChannelBindings): SecBuffer =>
  channelBindingsBuffer({ applicationData: cb.applicationData });
const text = (s: string) => new TextEncoder().encode(s);
const utf8 = (b: Uint8Array) => Buffer.from(b).toString();
const users = new UserFile("TESTDOM:alice:alicepw\n");
after(() => users.remove());

/** Our acceptor through the SSPI surface, serving the test users. */
function acceptor(
  options: { policy?: "never" | "when-supported" | "required"; bindings?: ChannelBindings } = {},
) {
  return SspiNtlmEnd.acceptor(
    acceptorCredentials(options.policy ? { channelBindingPolicy: options.policy } : {}),
    options.bindings ? { bindings: buffer(options.bindings) } : {},
  );
}

/** Drives an initiator peer (NEGOTIATE out, CHALLENGE in, AUTHENTICATE out) into our ASC. */
async function fromInitiator(
  peer: LinePeer,
  end: SspiNtlmEnd,
): Promise<{ status: SECURITY_STATUS; authenticate: Uint8Array }> {
  const first = await end.step(unb64(await peer.next()));
  assert.equal(first.status, SEC_I_CONTINUE_NEEDED, end.reason);
  const authenticate = unb64(await peer.ask(b64(first.output)));
  const last = await end.step(authenticate);
  return { status: last.status, authenticate };
}

const userName = (end: SspiNtlmEnd) => end.query<{ sUserName: string }>(SECPKG_ATTR_NAMES).sUserName;

describe("python3-ntlm-auth client → our AcceptSecurityContext", () => {
  it("authenticates with channel bindings (policy required); sealed messages both ways", async (t) => {
    if (!requirePeer(t, PYTHON_NTLM_AUTH.what, PYTHON_NTLM_AUTH.probe)) return;
    const peer = pythonPeer("ntlm-auth-client", ["alice", "TESTDOM", "alicepw", appData(cbA)]);
    const end = await acceptor({ policy: "required", bindings: cbA });
    try {
      const { status, authenticate } = await fromInitiator(peer, end);
      assert.equal(status, SEC_E_OK, end.reason);
      assert.equal(userName(end), "TESTDOM\\alice");
      assert.ok(
        parseAuthenticate(authenticate).mic,
        "ntlm-auth sends a MIC for a CHALLENGE with MsvAvTimestamp",
      );
      assert.equal(
        utf8(end.unwrap(unb64(await peer.ask(`WRAP ${b64(text("ping from python"))}`)))),
        "ping from python",
      );
      const answer = await peer.ask(`UNWRAP ${b64(end.wrap(text("pong from async-sspi")))}`);
      assert.equal(utf8(unb64(answer)), "pong from async-sspi");
      // a second round, both sequence numbers at 1
      assert.equal(utf8(end.unwrap(unb64(await peer.ask(`WRAP ${b64(text("2"))}`)))), "2");
    } finally {
      peer.kill();
      end.dispose();
    }
  });

  it("different channel bindings are refused with SEC_E_BAD_BINDINGS", async (t) => {
    if (!requirePeer(t, PYTHON_NTLM_AUTH.what, PYTHON_NTLM_AUTH.probe)) return;
    const peer = pythonPeer("ntlm-auth-client", ["alice", "TESTDOM", "alicepw", appData(cbB)]);
    const end = await acceptor({ policy: "when-supported", bindings: cbA });
    try {
      assert.equal((await fromInitiator(peer, end)).status, SEC_E_BAD_BINDINGS);
    } finally {
      peer.kill();
      end.dispose();
    }
  });

  it("a wrong password is SEC_E_LOGON_DENIED", async (t) => {
    if (!requirePeer(t, PYTHON_NTLM_AUTH.what, PYTHON_NTLM_AUTH.probe)) return;
    const peer = pythonPeer("ntlm-auth-client", ["alice", "TESTDOM", "wrong"]);
    const end = await acceptor();
    try {
      assert.equal((await fromInitiator(peer, end)).status, SEC_E_LOGON_DENIED);
      assert.ok(!end.reason.includes("wrong"), end.reason);
    } finally {
      peer.kill();
      end.dispose();
    }
  });
});

describe("Samba ntlm_auth (ntlmssp-client-1) → our AcceptSecurityContext", () => {
  const samba = (password: string) =>
    new LinePeer("ntlm_auth", [
      "--helper-protocol=ntlmssp-client-1",
      "--username=alice",
      "--domain=TESTDOM",
      `--password=${password}`,
      "--configfile=/dev/null",
    ]);

  async function run(peer: LinePeer, end: SspiNtlmEnd) {
    const yr = await peer.ask("YR");
    assert.match(yr, /^YR /);
    const negotiate = unb64(yr.slice(3));
    const first = await end.step(negotiate);
    assert.equal(first.status, SEC_I_CONTINUE_NEEDED);
    const kk = await peer.ask(`TT ${b64(first.output)}`);
    assert.match(kk, /^(KK|AF) /);
    const authenticate = unb64(kk.slice(3));
    const last = await end.step(authenticate);
    return { status: last.status, negotiate, challenge: first.output, authenticate };
  }

  it("authenticates; its MIC equals ours under the SECPKG_ATTR_SESSION_KEY", async (t) => {
    if (!requirePeer(t, SAMBA_NTLM_AUTH.what, SAMBA_NTLM_AUTH.probe)) return;
    const peer = samba("alicepw");
    const end = await acceptor();
    try {
      const { status, negotiate, challenge, authenticate } = await run(peer, end);
      assert.equal(status, SEC_E_OK, end.reason);
      assert.equal(userName(end), "TESTDOM\\alice");
      // Samba fills the MIC field without announcing it in MsvAvFlags (so it is not required);
      // it equals our MIC over the three messages under the exchanged session key.
      const key = end.query<{ SessionKey: Uint8Array }>(SECPKG_ATTR_SESSION_KEY).SessionKey;
      const mic = parseAuthenticate(authenticate).mic!;
      assert.equal(hex(computeMic(key, negotiate, challenge, authenticate)), hex(mic));
    } finally {
      peer.kill();
      end.dispose();
    }
  });

  it("a wrong password is SEC_E_LOGON_DENIED", async (t) => {
    if (!requirePeer(t, SAMBA_NTLM_AUTH.what, SAMBA_NTLM_AUTH.probe)) return;
    const peer = samba("wrong");
    const end = await acceptor();
    try {
      assert.equal((await run(peer, end)).status, SEC_E_LOGON_DENIED);
    } finally {
      peer.kill();
      end.dispose();
    }
  });
});

describe("gss-ntlmssp (python3-gssapi) and our SSPI package", () => {
  const env = { NTLM_USER_FILE: users.path };

  it("its initiator → our ASC, with channel bindings and wrapped messages each way", async (t) => {
    if (!requirePeer(t, GSS_NTLMSSP.what, GSS_NTLMSSP.probe)) return;
    const peer = pythonPeer("gssapi-initiator", ["alice", "TESTDOM", appData(cbA)], env);
    const end = await acceptor({ policy: "required", bindings: cbA });
    try {
      const { status } = await fromInitiator(peer, end);
      assert.equal(status, SEC_E_OK, end.reason);
      assert.equal(userName(end), "TESTDOM\\alice");
      assert.deepEqual(end.query(SECPKG_ATTR_CLIENT_SPECIFIED_TARGET), { sTargetName: "HTTP/localhost" });
      assert.equal(
        utf8(end.unwrap(unb64(await peer.ask(`WRAP ${b64(text("hi from gss-ntlmssp"))}`)))),
        "hi from gss-ntlmssp",
      );
      const back = await peer.ask(`UNWRAP ${b64(end.wrap(text("hi from async-sspi")))}`);
      assert.equal(utf8(unb64(back)), "hi from async-sspi");
    } finally {
      peer.kill();
      end.dispose();
    }
  });

  async function toAcceptor(
    acceptorCb: ChannelBindings | undefined,
    clientCb: ChannelBindings | undefined,
    password = "alicepw",
  ) {
    const peer = pythonPeer("gssapi-acceptor", acceptorCb ? [appData(acceptorCb)] : [], env);
    const end = await SspiNtlmEnd.initiator(
      { User: "alice", Domain: "TESTDOM", Password: password },
      {
        target: "HTTP/localhost",
        fContextReq: ISC_REQ_INTEGRITY | ISC_REQ_CONFIDENTIALITY,
        ...(clientCb ? { bindings: buffer(clientCb) } : {}),
      },
    );
    const first = await end.step(null);
    assert.equal(first.status, SEC_I_CONTINUE_NEEDED);
    peer.send(b64(first.output));
    const last = await end.step(unb64(await peer.next()));
    assert.equal(last.status, SEC_E_OK, end.reason);
    const verdict = await peer.ask(b64(last.output));
    return { peer, end, verdict, authenticate: last.output };
  }

  it("our ISC → its acceptor, with channel bindings, MIC and wrapped messages each way", async (t) => {
    if (!requirePeer(t, GSS_NTLMSSP.what, GSS_NTLMSSP.probe)) return;
    const { peer, end, verdict, authenticate } = await toAcceptor(cbA, cbA);
    try {
      assert.match(verdict, /^OK .*alice/i);
      assert.ok(parseAuthenticate(authenticate).mic, "our AUTHENTICATE carries a MIC");
      const answer = await peer.ask(`UNWRAP ${b64(end.wrap(text("sealed by async-sspi")))}`);
      assert.equal(utf8(unb64(answer)), "sealed by async-sspi");
      const wrapped = unb64(await peer.ask(`WRAP ${b64(text("sealed by gss-ntlmssp"))}`));
      assert.equal(utf8(end.unwrap(wrapped)), "sealed by gss-ntlmssp");
    } finally {
      peer.kill();
      end.dispose();
    }
  });

  it("its acceptor refuses our ISC's different bindings and a wrong password, accepts no bindings", async (t) => {
    if (!requirePeer(t, GSS_NTLMSSP.what, GSS_NTLMSSP.probe)) return;
    for (const [acceptorCb, clientCb, password, expected] of [
      // gss-ntlmssp reports a binding mismatch as a defective token ("Permission denied").
      [cbA, cbB, "alicepw", /^ERR .*Invalid token.*Permission denied/],
      [undefined, undefined, "wrong", /^ERR .*Invalid argument/],
      // permissive, like MIT: a client without bindings is accepted
      [cbA, undefined, "alicepw", /^OK /],
    ] as const) {
      const run = await toAcceptor(acceptorCb, clientCb, password);
      run.peer.kill();
      run.end.dispose();
      assert.match(run.verdict, expected);
    }
  });
});
