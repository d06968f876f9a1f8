/**
 * Interop with NTLM implementations we did not write, run locally:
 * - python3-ntlm-auth (pure Python) client → our server, with channel bindings and sealing both
 *   ways; a binding mismatch refused as SEC_E_BAD_BINDINGS; a wrong password as SEC_E_LOGON_DENIED;
 * - Samba's `ntlm_auth --helper-protocol=ntlmssp-client-1` → our server;
 * - gss-ntlmssp (MIT GSSAPI plug-in, through python3-gssapi) initiator → our server, and our
 *   client → gss-ntlmssp acceptor, with channel bindings and wrapped messages each way.
 * A missing peer skips locally and fails under CI=true.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { NtlmClient } from "../../src/ntlm/client.js";
import { type ChannelBindings, tlsServerEndPointBindings } from "../../src/ntlm/crypto/channel-bindings.js";
import { computeMic } from "../../src/ntlm/crypto/mic.js";
import { parseAuthenticate } from "../../src/ntlm/messages/authenticate-message.js";
import { NtlmError } from "../../src/ntlm/ntlm-error.js";
import type { NtlmServerContext } from "../../src/ntlm/server.js";
import { SEC_E_BAD_BINDINGS, SEC_E_LOGON_DENIED } from "../../src/sspi/status.js";
import { hex, unhex } from "./support/bytes.js";
import { makeServer } from "./support/exchange.js";
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
} from "./support/line-peer.js";

const cbA = tlsServerEndPointBindings(unhex("a1".repeat(32)));
const cbB = tlsServerEndPointBindings(unhex("b2".repeat(32)));
const appData = (cb: ChannelBindings) => hex(cb.applicationData);
const text = (s: string) => new TextEncoder().encode(s);
const users = new UserFile("TESTDOM:alice:alicepw\n");
after(() => users.remove());

async function rejection(p: Promise<unknown>): Promise<NtlmError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof NtlmError, String(e));
    return e;
  }
  assert.fail("expected a rejection");
}

/** Drives an initiator peer (NEGOTIATE out, CHALLENGE in, AUTHENTICATE out) into `context`. */
async function fromInitiator(peer: LinePeer, context: NtlmServerContext) {
  const negotiate = unb64(await peer.next());
  const authenticate = unb64(await peer.ask(b64(context.challenge(negotiate))));
  return context.authenticate(authenticate);
}

describe("python3-ntlm-auth client → our server", () => {
  it("authenticates with channel bindings (policy required); sealed messages both ways", async (t) => {
    if (!requirePeer(t, PYTHON_NTLM_AUTH.what, PYTHON_NTLM_AUTH.probe)) return;
    const peer = pythonPeer("ntlm-auth-client", ["alice", "TESTDOM", "alicepw", appData(cbA)]);
    try {
      const context = makeServer({ channelBindingPolicy: "required" }).createContext({
        channelBindings: cbA,
      });
      const user = await fromInitiator(peer, context);
      assert.equal(`${user.domain}\\${user.user}`, "TESTDOM\\alice");
      assert.equal(user.channelBound, true);
      assert.equal(user.mic, true, "ntlm-auth sends a MIC for a CHALLENGE with MsvAvTimestamp");
      const fromPeer = unb64(await peer.ask(`WRAP ${b64(text("ping from python"))}`));
      assert.equal(Buffer.from(user.session!.unwrap(fromPeer)).toString(), "ping from python");
      const answer = await peer.ask(`UNWRAP ${b64(user.session!.wrap(text("pong from async-sspi")))}`);
      assert.equal(Buffer.from(unb64(answer)).toString(), "pong from async-sspi");
      // a second round, both sequence numbers at 1
      assert.equal(
        Buffer.from(user.session!.unwrap(unb64(await peer.ask(`WRAP ${b64(text("2"))}`)))).toString(),
        "2",
      );
    } finally {
      peer.kill();
    }
  });

  it("different channel bindings are refused with SEC_E_BAD_BINDINGS", async (t) => {
    if (!requirePeer(t, PYTHON_NTLM_AUTH.what, PYTHON_NTLM_AUTH.probe)) return;
    const peer = pythonPeer("ntlm-auth-client", ["alice", "TESTDOM", "alicepw", appData(cbB)]);
    try {
      const context = makeServer({ channelBindingPolicy: "when-supported" }).createContext({
        channelBindings: cbA,
      });
      const e = await rejection(fromInitiator(peer, context));
      assert.equal(e.status, SEC_E_BAD_BINDINGS);
    } finally {
      peer.kill();
    }
  });

  it("a wrong password is SEC_E_LOGON_DENIED", async (t) => {
    if (!requirePeer(t, PYTHON_NTLM_AUTH.what, PYTHON_NTLM_AUTH.probe)) return;
    const peer = pythonPeer("ntlm-auth-client", ["alice", "TESTDOM", "wrong"]);
    try {
      const e = await rejection(fromInitiator(peer, makeServer().createContext()));
      assert.equal(e.status, SEC_E_LOGON_DENIED);
    } finally {
      peer.kill();
    }
  });
});

describe("Samba ntlm_auth (ntlmssp-client-1) → our server", () => {
  const samba = (password: string) =>
    new LinePeer("ntlm_auth", [
      "--helper-protocol=ntlmssp-client-1",
      "--username=alice",
      "--domain=TESTDOM",
      `--password=${password}`,
      "--configfile=/dev/null",
    ]);

  async function run(peer: LinePeer, context: NtlmServerContext) {
    const yr = await peer.ask("YR");
    assert.match(yr, /^YR /);
    const negotiate = unb64(yr.slice(3));
    const challenge = context.challenge(negotiate);
    const kk = await peer.ask(`TT ${b64(challenge)}`);
    assert.match(kk, /^(KK|AF) /);
    const authenticate = unb64(kk.slice(3));
    return { user: await context.authenticate(authenticate), negotiate, challenge, authenticate };
  }

  it("authenticates", async (t) => {
    if (!requirePeer(t, SAMBA_NTLM_AUTH.what, SAMBA_NTLM_AUTH.probe)) return;
    const peer = samba("alicepw");
    try {
      const { user, negotiate, challenge, authenticate } = await run(peer, makeServer().createContext());
      assert.equal(`${user.domain}\\${user.user}`, "TESTDOM\\alice");
      assert.ok(user.session, "extended session security negotiated");
      // Samba fills the MIC field without announcing it in MsvAvFlags (so it is not required);
      // it equals our MIC over the three messages under the exchanged session key.
      const mic = parseAuthenticate(authenticate).mic!;
      assert.equal(hex(computeMic(user.exportedSessionKey, negotiate, challenge, authenticate)), hex(mic));
    } finally {
      peer.kill();
    }
  });

  it("a wrong password is SEC_E_LOGON_DENIED", async (t) => {
    if (!requirePeer(t, SAMBA_NTLM_AUTH.what, SAMBA_NTLM_AUTH.probe)) return;
    const peer = samba("wrong");
    try {
      assert.equal((await rejection(run(peer, makeServer().createContext()))).status, SEC_E_LOGON_DENIED);
    } finally {
      peer.kill();
    }
  });
});

describe("gss-ntlmssp (python3-gssapi)", () => {
  const env = { NTLM_USER_FILE: users.path };

  it("its initiator → our server, with channel bindings and wrapped messages each way", async (t) => {
    if (!requirePeer(t, GSS_NTLMSSP.what, GSS_NTLMSSP.probe)) return;
    const peer = pythonPeer("gssapi-initiator", ["alice", "TESTDOM", appData(cbA)], env);
    try {
      const context = makeServer({ channelBindingPolicy: "required" }).createContext({
        channelBindings: cbA,
      });
      const user = await fromInitiator(peer, context);
      assert.equal(`${user.domain}\\${user.user}`, "TESTDOM\\alice");
      assert.equal(user.channelBound, true);
      assert.equal(user.clientTargetName, "HTTP/localhost");
      const fromPeer = unb64(await peer.ask(`WRAP ${b64(text("hi from gss-ntlmssp"))}`));
      assert.equal(Buffer.from(user.session!.unwrap(fromPeer)).toString(), "hi from gss-ntlmssp");
      const back = await peer.ask(`UNWRAP ${b64(user.session!.wrap(text("hi from async-sspi")))}`);
      assert.equal(Buffer.from(unb64(back)).toString(), "hi from async-sspi");
    } finally {
      peer.kill();
    }
  });

  async function toAcceptor(
    acceptorCb: ChannelBindings | undefined,
    clientCb: ChannelBindings | undefined,
    password = "alicepw",
  ) {
    const peer = pythonPeer("gssapi-acceptor", acceptorCb ? [appData(acceptorCb)] : [], env);
    const client = new NtlmClient({
      credentials: { User: "alice", Domain: "TESTDOM", Password: password },
      targetName: "HTTP/localhost",
      workstation: "TSWS",
      integrity: true,
      confidentiality: true,
      ...(clientCb ? { channelBindings: clientCb } : {}),
    });
    peer.send(b64(client.negotiate()));
    const challenge = unb64(await peer.next());
    const verdict = await peer.ask(b64(client.authenticate(challenge)));
    return { peer, client, verdict };
  }

  it("our client → its acceptor, with channel bindings, MIC and wrapped messages each way", async (t) => {
    if (!requirePeer(t, GSS_NTLMSSP.what, GSS_NTLMSSP.probe)) return;
    const { peer, client, verdict } = await toAcceptor(cbA, cbA);
    try {
      assert.match(verdict, /^OK .*alice/i);
      assert.equal(client.result?.mic, true);
      const session = client.result!.session!;
      const answer = await peer.ask(`UNWRAP ${b64(session.wrap(text("sealed by async-sspi")))}`);
      assert.equal(Buffer.from(unb64(answer)).toString(), "sealed by async-sspi");
      const wrapped = unb64(await peer.ask(`WRAP ${b64(text("sealed by gss-ntlmssp"))}`));
      assert.equal(Buffer.from(session.unwrap(wrapped)).toString(), "sealed by gss-ntlmssp");
    } finally {
      peer.kill();
    }
  });

  it("its acceptor refuses our client's different bindings and a wrong password, accepts no bindings", async (t) => {
    if (!requirePeer(t, GSS_NTLMSSP.what, GSS_NTLMSSP.probe)) return;
    const mismatch = await toAcceptor(cbA, cbB);
    mismatch.peer.kill();
    // gss-ntlmssp reports a binding mismatch as a defective token ("Permission denied").
    assert.match(mismatch.verdict, /^ERR .*Invalid token.*Permission denied/);
    const wrong = await toAcceptor(undefined, undefined, "wrong");
    wrong.peer.kill();
    assert.match(wrong.verdict, /^ERR .*Invalid argument/);
    const unbound = await toAcceptor(cbA, undefined);
    unbound.peer.kill();
    assert.match(
      unbound.verdict,
      /^OK /,
      "gss-ntlmssp accepts a client without bindings (permissive, like MIT)",
    );
  });
});
