/**
 * The AP exchange and RFC 4121 tokens against MIT krb5's GSS-API (through python3-gssapi), with
 * a real KDC on 127.0.0.1: our initiator → MIT acceptor, MIT initiator → our acceptor, sealed and
 * integrity-only Wrap tokens and MICs both ways (also with Windows' RRC), channel bindings,
 * replay detection.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { acceptApExchange } from "../../src/kerberos/ap/acceptor.js";
import { completeApExchange, initiateApExchange } from "../../src/kerberos/ap/initiator.js";
import { MemoryReplayCache } from "../../src/kerberos/ap/replay-cache.js";
import { requestTicketGrantingTicket } from "../../src/kerberos/client/as-exchange.js";
import type { KerberosCredential } from "../../src/kerberos/client/credential.js";
import { requestServiceTicket } from "../../src/kerberos/client/tgs-exchange.js";
import type { KerberosError } from "../../src/kerberos/errors.js";
import { readKeytabFile } from "../../src/kerberos/files/keytab.js";
import { GSS_FLAGS } from "../../src/kerberos/gss/authenticator-checksum.js";
import { applicationBindings } from "../../src/kerberos/gss/channel-bindings.js";
import { makeMic, verifyMic } from "../../src/kerberos/gss/mic-token.js";
import type { PerMessageContext } from "../../src/kerberos/gss/per-message-context.js";
import { makeRc4Mic, unwrapRc4, verifyRc4Mic, wrapRc4 } from "../../src/kerberos/gss/rc4-tokens.js";
import { sealForSspi, unsealFromSspi } from "../../src/kerberos/gss/sspi-wrap-layout.js";
import { unwrap, wrap } from "../../src/kerberos/gss/wrap-token.js";
import { parsePrincipal } from "../../src/kerberos/principal.js";
import { statusForKerberosError } from "../../src/kerberos/status-mapping.js";
import {
  SEC_E_BAD_BINDINGS,
  SEC_E_LOGON_DENIED,
  SEC_E_NO_CREDENTIALS,
  SEC_E_TIME_SKEW,
} from "../../src/sspi/status.js";
import {
  b64,
  GssapiPeer,
  pythonGssapiInstalled,
  requirePythonGssapi,
  unb64,
} from "../support/gssapi-peer.js";
import { type MitKdc, mitKrb5Installed, requireMitKrb5, startMitKdc } from "../support/mit-kdc.js";

const REALM = "EXAMPLE.TEST";
const FLAGS = GSS_FLAGS.MUTUAL | GSS_FLAGS.REPLAY | GSS_FLAGS.SEQUENCE | GSS_FLAGS.CONF | GSS_FLAGS.INTEG;
const CB = Buffer.concat([Buffer.from("tls-server-end-point:"), Buffer.alloc(32, 0x5a)]);
const text = (s: string) => new TextEncoder().encode(s);

function peersPresent(t: { skip(message?: string): void }): boolean {
  return requireMitKrb5(t) && requirePythonGssapi(t);
}

describe("GSS Kerberos against MIT krb5 (python3-gssapi)", () => {
  let kdc: MitKdc | undefined;
  let serviceTicket: KerberosCredential;
  let acceptorEnv: NodeJS.ProcessEnv;
  let rc4Ticket: KerberosCredential;
  let sha1Ticket: KerberosCredential;
  let rc4Env: NodeJS.ProcessEnv;
  const peers: GssapiPeer[] = [];
  const peer = (...args: ConstructorParameters<typeof GssapiPeer>) => {
    const p = new GssapiPeer(...args);
    peers.push(p);
    return p;
  };

  before(async () => {
    if (!mitKrb5Installed() || !pythonGssapiInstalled()) return;
    kdc = await startMitKdc(REALM);
    kdc.kadmin("addprinc -pw alicepw +requires_preauth alice");
    kdc.kadmin("addprinc -randkey host/localhost");
    kdc.kadmin(`ktadd -k ${join(kdc.dir, "service.keytab")} host/localhost`);
    acceptorEnv = { ...kdc.env, KRB5_KTNAME: `FILE:${join(kdc.dir, "service.keytab")}` };
    const address = { host: "127.0.0.1", port: kdc.port };
    const as = await requestTicketGrantingTicket({
      client: parsePrincipal("alice", REALM),
      secret: { kind: "password", password: "alicepw" },
      kdc: address,
    });
    const tgs = await requestServiceTicket({
      tgt: as.credential,
      server: parsePrincipal("host/localhost", REALM),
      kdc: address,
    });
    serviceTicket = tgs.credential;
    // An aes256-cts-hmac-sha1-96 session key, what Active Directory hands out.
    const sha1 = await requestServiceTicket({
      tgt: as.credential,
      server: parsePrincipal("host/localhost", REALM),
      kdc: address,
      etypes: [18],
    });
    sha1Ticket = sha1.credential;
    kdc.kadmin("addprinc -randkey -e arcfour-hmac:normal host/rc4.example.test");
    kdc.kadmin(`ktadd -k ${join(kdc.dir, "rc4.keytab")} -e arcfour-hmac:normal host/rc4.example.test`);
    // MIT assumes AES session keys for any service (as AD does); this forces RC4 ones.
    kdc.kadmin("setstr host/rc4.example.test session_enctypes arcfour-hmac");
    rc4Env = { ...kdc.env, KRB5_KTNAME: `FILE:${join(kdc.dir, "rc4.keytab")}` };
    const rc4Tgs = await requestServiceTicket({
      tgt: as.credential,
      server: parsePrincipal("host/rc4.example.test", REALM),
      kdc: address,
    });
    rc4Ticket = rc4Tgs.credential;
  });
  after(async () => {
    for (const p of peers) p.close();
    await kdc?.stop();
  });

  test("our initiator → MIT acceptor: AP-REQ accepted, AP-REP verified, tokens both ways", async (t) => {
    if (!peersPresent(t) || !kdc) return;
    const mit = peer("acceptor", "host@localhost", acceptorEnv, CB);
    const state = initiateApExchange({
      credential: serviceTicket,
      flags: FLAGS,
      channelBindings: applicationBindings(CB),
    });
    const accepted = await mit.call({ op: "step", token: b64(state.token) });
    assert.equal(accepted.error, undefined);
    assert.equal(accepted.complete, true);
    assert.equal(accepted.peer, "alice@EXAMPLE.TEST");
    const established = completeApExchange(state, unb64(accepted.token!));
    assert.equal(established.acceptorSubkey, true, "MIT answers with an acceptor subkey");
    const ours: PerMessageContext = {
      key: established.key,
      isAcceptor: false,
      acceptorSubkey: established.acceptorSubkey,
    };

    // MIT → us: sealed Wrap, integrity-only Wrap, MIC, in sequence from the AP-REP's seq-number.
    let seq = BigInt(established.receiveSeq);
    for (const conf of [true, false]) {
      const w = await mit.call({ op: "wrap", data: b64(text(`from MIT, conf=${conf}`)), conf });
      const u = unwrap(ours, unb64(w.token!));
      assert.equal(new TextDecoder().decode(u.data), `from MIT, conf=${conf}`);
      assert.equal(u.confidential, conf);
      assert.equal(u.seq, seq++);
    }
    const mic = await mit.call({ op: "mic", data: b64(text("signed by MIT")) });
    assert.equal(verifyMic(ours, unb64(mic.token!), text("signed by MIT")).seq, seq++);

    // us → MIT: sealed (RRC 0 and Windows' 28), integrity-only (RRC 12), MIC.
    let sendSeq = BigInt(established.sendSeq);
    for (const [conf, rrc] of [
      [true, 0],
      [true, 28],
      [false, 12],
    ] as const) {
      const token = wrap(ours, sendSeq++, text(`from us ${conf} ${rrc}`), { confidential: conf, rrc });
      const u = await mit.call({ op: "unwrap", token: b64(token) });
      assert.equal(u.error, undefined, `conf=${conf} rrc=${rrc}`);
      assert.equal(Buffer.from(unb64(u.data!)).toString(), `from us ${conf} ${rrc}`);
      assert.equal(u.conf, conf);
    }
    const ourMic = makeMic(ours, sendSeq++, text("signed by us"));
    assert.deepEqual(await mit.call({ op: "verify", data: b64(text("signed by us")), token: b64(ourMic) }), {
      ok: true,
    });

    const tampered = wrap(ours, sendSeq++, text("tampered"), { confidential: true });
    tampered[tampered.length - 1]! ^= 1;
    assert.match((await mit.call({ op: "unwrap", token: b64(tampered) })).error ?? "", /./);
  });

  test("aes256-sha1 context: Windows' EncryptMessage layout (60-byte token + data in place) read by MIT", async (t) => {
    if (!peersPresent(t) || !kdc) return;
    assert.equal(sha1Ticket.sessionKey.etype, 18);
    const mit = peer("acceptor", "host@localhost", acceptorEnv);
    const state = initiateApExchange({ credential: sha1Ticket, flags: FLAGS });
    const accepted = await mit.call({ op: "step", token: b64(state.token) });
    const established = completeApExchange(state, unb64(accepted.token!));
    assert.equal(established.key.etype, 18);
    const ours: PerMessageContext = {
      key: established.key,
      isAcceptor: false,
      acceptorSubkey: established.acceptorSubkey,
    };
    const message = text("SSPI-style sealed message");
    const sspi = sealForSspi(ours, BigInt(established.sendSeq), message);
    assert.equal(sspi.token.length, 60);
    assert.equal(sspi.data.length, message.length);
    const joined = await mit.call({ op: "unwrap", token: b64(Buffer.concat([sspi.token, sspi.data])) });
    assert.equal(joined.error, undefined);
    assert.equal(Buffer.from(unb64(joined.data!)).toString(), "SSPI-style sealed message");
    const back = await mit.call({ op: "wrap", data: b64(text("from MIT")), conf: true });
    const token = unb64(back.token!);
    const u = unsealFromSspi(ours, token.subarray(0, 60), token.subarray(60));
    assert.equal(new TextDecoder().decode(u.data), "from MIT");
  });

  test("our initiator with other channel bindings → MIT acceptor refuses", async (t) => {
    if (!peersPresent(t) || !kdc) return;
    const mit = peer("acceptor", "host@localhost", acceptorEnv, CB);
    const state = initiateApExchange({
      credential: serviceTicket,
      flags: FLAGS,
      channelBindings: applicationBindings(text("tls-server-end-point:other")),
    });
    const r = await mit.call({ op: "step", token: b64(state.token) });
    assert.match(r.error ?? "", /binding/i);
  });

  test("MIT initiator (kinit ccache) → our acceptor: bindings matched, AP-REP accepted, tokens both ways, replay refused", async (t) => {
    if (!peersPresent(t) || !kdc) return;
    kdc.run("kinit", ["alice"], "alicepw\n");
    const keytab = await readKeytabFile(join(kdc.dir, "service.keytab"));
    const mit = peer("initiator", "host@localhost", kdc.env, CB);
    const first = await mit.call({ op: "step", token: null });
    assert.equal(first.error, undefined);
    const token = unb64(first.token!);
    const replayCache = new MemoryReplayCache();
    const accepted = acceptApExchange(token, {
      keytab,
      channelBindings: applicationBindings(CB),
      replayCache,
    });
    assert.equal(accepted.bindings, "matched");
    assert.equal(accepted.client.name.components[0], "alice");
    assert.ok(accepted.mutualRequired && accepted.replyToken);
    assert.ok(accepted.gssChecksum.flags & GSS_FLAGS.MUTUAL && accepted.gssChecksum.flags & GSS_FLAGS.CONF);
    const done = await mit.call({ op: "step", token: b64(accepted.replyToken!) });
    assert.equal(done.error, undefined);
    assert.equal(done.complete, true);

    const ours: PerMessageContext = {
      key: accepted.key,
      isAcceptor: true,
      acceptorSubkey: accepted.acceptorSubkey,
    };
    const w = await mit.call({ op: "wrap", data: b64(text("hello acceptor")), conf: true });
    const u = unwrap(ours, unb64(w.token!));
    assert.equal(new TextDecoder().decode(u.data), "hello acceptor");
    assert.equal(u.seq, BigInt(accepted.receiveSeq));
    const back = wrap(ours, BigInt(accepted.sendSeq), text("hello initiator"), {
      confidential: true,
      rrc: 28,
    });
    const r = await mit.call({ op: "unwrap", token: b64(back) });
    assert.equal(Buffer.from(unb64(r.data!)).toString(), "hello initiator");
    const mic = makeMic(ours, BigInt(accepted.sendSeq) + 1n, text("acceptor MIC"));
    assert.deepEqual(await mit.call({ op: "verify", data: b64(text("acceptor MIC")), token: b64(mic) }), {
      ok: true,
    });

    // Refusals, each with its RFC 4120 code and the status the package will return.
    const refusal = (options: Parameters<typeof acceptApExchange>[1]) => {
      try {
        acceptApExchange(token, options);
      } catch (e) {
        const k = e as KerberosError;
        return { code: k.code, krbCode: k.krbCode, status: statusForKerberosError(e).status };
      }
      return assert.fail("accepted");
    };
    assert.deepEqual(refusal({ keytab, channelBindings: applicationBindings(CB), replayCache }), {
      code: "ERR_KRB_PROTOCOL",
      krbCode: 34,
      status: SEC_E_LOGON_DENIED,
    });
    assert.deepEqual(refusal({ keytab, channelBindings: applicationBindings(text("other")) }), {
      code: "ERR_KRB_BAD_BINDINGS",
      krbCode: undefined,
      status: SEC_E_BAD_BINDINGS,
    });
    assert.deepEqual(refusal({ keytab, now: () => new Date(Date.now() + 3600_000) }), {
      code: "ERR_KRB_PROTOCOL",
      krbCode: 37,
      status: SEC_E_TIME_SKEW,
    });
    assert.deepEqual(refusal({ keytab: [] }), {
      code: "ERR_KRB_BAD_ARGUMENT",
      krbCode: 45,
      status: SEC_E_NO_CREDENTIALS,
    });
  });

  test("rc4-hmac session key (RFC 4757 tokens): our initiator ↔ MIT acceptor, MIC and Wrap both ways", async (t) => {
    if (!peersPresent(t) || !kdc) return;
    assert.equal(rc4Ticket.sessionKey.etype, 23, "session_enctypes makes the KDC issue an RC4 session key");
    const mit = peer("acceptor", "host@rc4.example.test", rc4Env);
    const state = initiateApExchange({ credential: rc4Ticket, flags: FLAGS });
    const accepted = await mit.call({ op: "step", token: b64(state.token) });
    assert.equal(accepted.error, undefined);
    const established = completeApExchange(state, unb64(accepted.token!));
    assert.equal(established.key.etype, 23);
    const ours: PerMessageContext = {
      key: established.key,
      isAcceptor: false,
      acceptorSubkey: established.acceptorSubkey,
    };
    let seq = established.receiveSeq;
    for (const conf of [true, false]) {
      const w = await mit.call({ op: "wrap", data: b64(text(`rc4 from MIT ${conf}`)), conf });
      const u = unwrapRc4(ours, unb64(w.token!));
      assert.equal(new TextDecoder().decode(u.data), `rc4 from MIT ${conf}`);
      assert.equal(u.confidential, conf);
      assert.equal(u.seq, seq++);
    }
    const mic = await mit.call({ op: "mic", data: b64(text("rc4 MIC")) });
    assert.equal(verifyRc4Mic(ours, unb64(mic.token!), text("rc4 MIC")).seq, seq++);
    let sendSeq = established.sendSeq;
    for (const conf of [true, false]) {
      const token = wrapRc4(ours, sendSeq++, text(`rc4 from us ${conf}`), conf);
      const u = await mit.call({ op: "unwrap", token: b64(token) });
      assert.equal(u.error, undefined, `conf=${conf}`);
      assert.equal(Buffer.from(unb64(u.data!)).toString(), `rc4 from us ${conf}`);
      assert.equal(u.conf, conf);
    }
    const ourMic = makeRc4Mic(ours, sendSeq++, text("rc4 signed by us"));
    assert.deepEqual(
      await mit.call({ op: "verify", data: b64(text("rc4 signed by us")), token: b64(ourMic) }),
      { ok: true },
    );
    const tampered = wrapRc4(ours, sendSeq++, text("tampered"), true);
    tampered[tampered.length - 2]! ^= 1;
    assert.match((await mit.call({ op: "unwrap", token: b64(tampered) })).error ?? "", /./);
  });

  test("rc4-hmac: MIT initiator → our acceptor, tokens both ways", async (t) => {
    if (!peersPresent(t) || !kdc) return;
    kdc.run("kinit", ["alice"], "alicepw\n");
    const keytab = await readKeytabFile(join(kdc.dir, "rc4.keytab"));
    const mit = peer("initiator", "host@rc4.example.test", kdc.env);
    const first = await mit.call({ op: "step", token: null });
    assert.equal(first.error, undefined);
    const accepted = acceptApExchange(unb64(first.token!), { keytab });
    assert.equal(accepted.ticket.key.etype, 23);
    const done = await mit.call({ op: "step", token: b64(accepted.replyToken!) });
    assert.equal(done.error, undefined);
    const ours: PerMessageContext = {
      key: accepted.key,
      isAcceptor: true,
      acceptorSubkey: accepted.acceptorSubkey,
    };
    const w = await mit.call({ op: "wrap", data: b64(text("rc4 hello acceptor")), conf: true });
    const u = unwrapRc4(ours, unb64(w.token!));
    assert.equal(new TextDecoder().decode(u.data), "rc4 hello acceptor");
    assert.equal(u.seq, accepted.receiveSeq);
    const back = wrapRc4(ours, accepted.sendSeq, text("rc4 hello initiator"), true);
    const r = await mit.call({ op: "unwrap", token: b64(back) });
    assert.equal(r.error, undefined);
    assert.equal(Buffer.from(unb64(r.data!)).toString(), "rc4 hello initiator");
  });
});
