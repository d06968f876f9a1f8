/**
 * The Kerberos SSPI package against MIT krb5's own programs, with a real KDC started by the tests
 * on 127.0.0.1: `kinit` → our InitializeSecurityContext (credential cache) → `gss-server`;
 * `gss-client` → our AcceptSecurityContext (keytab); wrapped messages and MICs both ways;
 * channel bindings through python3-gssapi (matching accepted, different ones refused, both
 * directions); an initiator whose clock is 10 minutes ahead (Debian's `faketime`) refused with
 * SEC_E_TIME_SKEW.
 */
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import {
  ASC_REQ_EXTENDED_ERROR,
  ASC_RET_EXTENDED_ERROR,
  box,
  channelBindingsBuffer,
  ISC_REQ_CONFIDENTIALITY,
  ISC_REQ_INTEGRITY,
  ISC_REQ_MUTUAL_AUTH,
  ISC_REQ_SEQUENCE_DETECT,
  QueryContextAttributes,
  SEC_E_BAD_BINDINGS,
  SEC_E_OK,
  SEC_E_TIME_SKEW,
  SEC_I_CONTINUE_NEEDED,
  SECPKG_ATTR_NAMES,
  SECPKG_ATTR_SIZES,
} from "../../../src/index.js";
import {
  frame,
  readToken,
  TOKEN_CONTEXT,
  TOKEN_CONTEXT_NEXT,
  TOKEN_ENCRYPTED,
  TOKEN_MIC,
  TOKEN_NOOP,
  TOKEN_SEND_MIC,
  TOKEN_WRAPPED,
} from "../../ntlm/support/gss-sample.js";
import { requirePeer } from "../../ntlm/support/line-peer.js";
import { b64, GssapiPeer, requirePythonGssapi, unb64 } from "../../support/gssapi-peer.js";
import { KerberosEnd, type KerberosRealm, REALM, startKerberosRealm } from "../../support/kerberos-sspi.js";
import { mitKrb5Installed, requireMitKrb5 } from "../../support/mit-kdc.js";
import {
  closeServer,
  freePort,
  rawServer,
  SocketReader,
  spawnPeer,
  waitForOutput,
} from "../../support/peers.js";

const KRB5_MECH = "{ 1 2 840 113554 1 2 2 }";
const FLAGS = ISC_REQ_MUTUAL_AUTH | ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_SEQUENCE_DETECT;
const GSS_SAMPLES = {
  what: "MIT gss-sample programs (Debian package krb5-gss-samples)",
  probe: ["sh", "-c", "command -v gss-client && command -v gss-server"],
};
const FAKETIME = {
  what: "libfaketime (Debian package faketime)",
  probe: ["sh", "-c", "command -v faketime"],
};
const text = (s: string) => new TextEncoder().encode(s);
const CB = (fill: number) => Buffer.concat([Buffer.from("tls-server-end-point:"), Buffer.alloc(32, fill)]);

async function connectWhenListening(port: number, what: () => string): Promise<Socket> {
  const started = Date.now();
  for (;;) {
    try {
      return await new Promise<Socket>((resolve, reject) => {
        const s = connect(port, "127.0.0.1", () => resolve(s));
        s.once("error", reject);
      });
    } catch (e) {
      if (Date.now() - started > 10_000) throw new Error(`peer did not listen: ${what()} ${String(e)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

describe("Kerberos package ↔ MIT krb5 peers", () => {
  let realm: KerberosRealm | undefined;
  let env: NodeJS.ProcessEnv;
  const ends: KerberosEnd[] = [];
  const peers: GssapiPeer[] = [];
  const track = (end: KerberosEnd): KerberosEnd => {
    ends.push(end);
    return end;
  };
  const peer = (...args: ConstructorParameters<typeof GssapiPeer>): GssapiPeer => {
    const p = new GssapiPeer(...args);
    peers.push(p);
    return p;
  };

  before(async () => {
    if (!mitKrb5Installed()) return;
    realm = await startKerberosRealm();
    env = { ...realm.kdc.env, KRB5_KTNAME: `FILE:${realm.serviceKeytab}` };
    realm.kdc.run("kinit", ["alice"], "alicepw\n");
  });
  after(async () => {
    for (const e of ends) e.dispose();
    for (const p of peers) p.close();
    await realm?.stop();
  });

  it("kinit → our client (credential cache) → gss-server: context, EncryptMessage out, gss-server's MIC verified", async (t) => {
    if (!requireMitKrb5(t) || !realm || !requirePeer(t, GSS_SAMPLES.what, GSS_SAMPLES.probe)) return;
    const port = await freePort();
    const server = spawnPeer(
      "env",
      [
        ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
        "gss-server",
        "-port",
        String(port),
        "-once",
        "host@localhost",
      ],
      30_000,
    );
    const saved = { KRB5CCNAME: process.env.KRB5CCNAME, KRB5_CONFIG: process.env.KRB5_CONFIG };
    Object.assign(process.env, { KRB5CCNAME: env.KRB5CCNAME, KRB5_CONFIG: env.KRB5_CONFIG });
    let socket: Socket | undefined;
    try {
      socket = await connectWhenListening(port, server.output);
      const reader = new SocketReader(socket);
      const client = track(
        await KerberosEnd.initiator(null, { target: "host/localhost", fContextReq: FLAGS }),
      );
      const apReq = await client.step(null);
      assert.equal(apReq.status, SEC_I_CONTINUE_NEEDED, client.reason);
      socket.write(frame(TOKEN_NOOP | TOKEN_CONTEXT_NEXT, new Uint8Array(0)));
      socket.write(frame(TOKEN_CONTEXT, apReq.output));
      const apRep = await readToken(reader);
      assert.equal(apRep.flags, TOKEN_CONTEXT);
      assert.equal((await client.step(apRep.token)).status, SEC_E_OK, client.reason);
      const message = text("hello from async-sspi");
      socket.write(frame(TOKEN_WRAPPED | TOKEN_ENCRYPTED | TOKEN_SEND_MIC, client.wrap(message)));
      const mic = await readToken(reader);
      assert.equal(mic.flags, TOKEN_MIC, server.output());
      assert.equal(client.verify(message, mic.token), SEC_E_OK, `VerifySignature: ${client.reason}`);
      socket.write(frame(TOKEN_NOOP, new Uint8Array(0)));
      await waitForOutput(server, /Accepted connection: "alice@EXAMPLE\.TEST"/);
      assert.match(server.output(), /Accepted connection: "alice@EXAMPLE\.TEST"/);
      assert.equal(await server.exited, 0, server.output());
    } finally {
      for (const [k, v] of Object.entries(saved))
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      socket?.destroy();
      server.kill();
    }
  });

  it("gss-client (kinit ccache) → our server (keytab): AP-REP back, its wrapped message in, our MIC out", async (t) => {
    if (!requireMitKrb5(t) || !realm || !requirePeer(t, GSS_SAMPLES.what, GSS_SAMPLES.probe)) return;
    const seen: string[] = [];
    let failure: unknown;
    const keytab = realm.serviceKeytab;
    const { server: tcp, port } = await rawServer((socket: Socket) => {
      const reader = new SocketReader(socket);
      (async () => {
        const first = await readToken(reader);
        assert.equal(first.flags, TOKEN_NOOP | TOKEN_CONTEXT_NEXT);
        const server = track(await KerberosEnd.acceptor({ keytab }));
        const accepted = await server.step((await readToken(reader)).token);
        assert.equal(accepted.status, SEC_E_OK, server.reason);
        socket.write(frame(TOKEN_CONTEXT, accepted.output));
        const names = box<{ sUserName: string } | null>(null);
        QueryContextAttributes(server.context, SECPKG_ATTR_NAMES, names);
        seen.push(names.value!.sUserName);
        for (;;) {
          const { flags, token } = await readToken(reader);
          if (flags & TOKEN_NOOP) break;
          const opened = server.unwrap(token);
          assert.equal(opened.status, SEC_E_OK, server.reason);
          seen.push(Buffer.from(opened.data).toString());
          if (flags & TOKEN_SEND_MIC) socket.write(frame(TOKEN_MIC, server.sign(opened.data)));
        }
        socket.end();
      })().catch((e) => {
        failure = e;
        socket.destroy();
      });
    });
    const client = spawnPeer(
      "env",
      [
        ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
        "gss-client",
        "-port",
        String(port),
        "-mech",
        KRB5_MECH,
        "127.0.0.1",
        "host@localhost",
        "hello from gss-client",
      ],
      30_000,
    );
    try {
      const code = await client.exited;
      assert.equal(failure, undefined, String(failure));
      assert.equal(code, 0, client.output());
      assert.deepEqual(seen, [`alice@${REALM}`, "hello from gss-client"]);
      assert.match(client.output(), /Signature verified/);
    } finally {
      client.kill();
      await closeServer(tcp);
    }
  });

  it("channel bindings through python3-gssapi: our client → MIT acceptor, matching accepted, different refused", async (t) => {
    if (!requireMitKrb5(t) || !realm || !requirePythonGssapi(t)) return;
    for (const [fill, accepted] of [
      [1, true],
      [2, false],
    ] as const) {
      const mit = peer("acceptor", "host@localhost", env, CB(1));
      const client = track(
        await KerberosEnd.initiator(realm.alice, {
          target: "host/localhost",
          fContextReq: FLAGS,
          bindings: channelBindingsBuffer({ applicationData: CB(fill) }),
        }),
      );
      const apReq = await client.step(null);
      assert.equal(apReq.status, SEC_I_CONTINUE_NEEDED, client.reason);
      const reply = await mit.call({ op: "step", token: b64(apReq.output) });
      if (!accepted) {
        assert.match(reply.error ?? "", /[Cc]hannel binding/);
        continue;
      }
      assert.equal(reply.error, undefined);
      assert.equal(reply.peer, `alice@${REALM}`);
      assert.equal((await client.step(unb64(reply.token!))).status, SEC_E_OK, client.reason);
      const wrapped = await mit.call({ op: "wrap", data: b64(text("bound")), conf: true });
      const opened = client.unwrap(unb64(wrapped.token!));
      assert.equal(opened.status, SEC_E_OK, client.reason);
      assert.equal(Buffer.from(opened.data).toString(), "bound");
    }
  });

  it("channel bindings through python3-gssapi: MIT initiator → our server, matching accepted, different SEC_E_BAD_BINDINGS", async (t) => {
    if (!requireMitKrb5(t) || !realm || !requirePythonGssapi(t)) return;
    for (const [fill, expected] of [
      [1, SEC_E_OK],
      [2, SEC_E_BAD_BINDINGS],
    ] as const) {
      const mit = peer("initiator", "host@localhost", env, CB(fill));
      const server = track(
        await KerberosEnd.acceptor(
          { keytab: realm.serviceKeytab },
          { bindings: channelBindingsBuffer({ applicationData: CB(1) }) },
        ),
      );
      const apReq = await mit.call({ op: "step", token: null });
      assert.equal(apReq.error, undefined);
      const accepted = await server.step(unb64(apReq.token!));
      assert.equal(accepted.status, expected, server.reason);
      if (expected !== SEC_E_OK) {
        assert.match(server.reason, /channel bindings do not match/);
        continue;
      }
      const done = await mit.call({ op: "step", token: b64(accepted.output) });
      assert.equal(done.complete, true, done.error);
      const sealed = server.wrap(text("to MIT"));
      const u = await mit.call({ op: "unwrap", token: b64(sealed) });
      assert.equal(Buffer.from(unb64(u.data!)).toString(), "to MIT");
      assert.equal(u.conf, true);
    }
  });

  it("AES-SHA2: a service with only aes256-sha384 and aes128-sha256 keys, our client ↔ MIT acceptor, messages both ways", async (t) => {
    if (!requireMitKrb5(t) || !realm || !requirePythonGssapi(t)) return;
    const keytab = `${realm.kdc.dir}/sha2-interop.keytab`;
    const enctypes = "aes256-cts-hmac-sha384-192:normal,aes128-cts-hmac-sha256-128:normal";
    realm.kdc.kadmin(`addprinc -randkey -e ${enctypes} host/sha2.example.test`);
    realm.kdc.kadmin(`ktadd -k ${keytab} -e ${enctypes} host/sha2.example.test`);
    realm.kdc.kadmin("setstr host/sha2.example.test session_enctypes aes256-cts-hmac-sha384-192");
    const mit = peer("acceptor", "host@sha2.example.test", { ...env, KRB5_KTNAME: `FILE:${keytab}` });
    const client = track(
      await KerberosEnd.initiator(realm.alice, { target: "host/sha2.example.test", fContextReq: FLAGS }),
    );
    const apReq = await client.step(null);
    assert.equal(apReq.status, SEC_I_CONTINUE_NEEDED, client.reason);
    const reply = await mit.call({ op: "step", token: b64(apReq.output) });
    assert.equal(reply.error, undefined);
    assert.equal((await client.step(unb64(reply.token!))).status, SEC_E_OK, client.reason);
    const sizes = box<{ cbMaxSignature: number } | null>(null);
    QueryContextAttributes(client.context, SECPKG_ATTR_SIZES, sizes);
    assert.equal(sizes.value!.cbMaxSignature, 40, "an aes256-cts-hmac-sha384-192 context key");
    const u = await mit.call({ op: "unwrap", token: b64(client.wrap(text("sha2 to MIT"))) });
    assert.equal(Buffer.from(unb64(u.data!)).toString(), "sha2 to MIT");
    const w = await mit.call({ op: "wrap", data: b64(text("sha2 from MIT")), conf: true });
    const opened = client.unwrap(unb64(w.token!));
    assert.equal(opened.status, SEC_E_OK, client.reason);
    assert.equal(Buffer.from(opened.data).toString(), "sha2 from MIT");
    const mic = await mit.call({ op: "mic", data: b64(text("sha2 signed")) });
    assert.equal(client.verify(text("sha2 signed"), unb64(mic.token!)), SEC_E_OK, client.reason);
  });

  it("rc4-hmac session key: our EncryptMessage (token ‖ data ‖ padding) read by MIT, MIT's Wrap and MIC read by us", async (t) => {
    if (!requireMitKrb5(t) || !realm || !requirePythonGssapi(t)) return;
    const keytab = `${realm.kdc.dir}/rc4-interop.keytab`;
    realm.kdc.kadmin("addprinc -randkey -e arcfour-hmac:normal host/rc4.example.test");
    realm.kdc.kadmin(`ktadd -k ${keytab} -e arcfour-hmac:normal host/rc4.example.test`);
    realm.kdc.kadmin("setstr host/rc4.example.test session_enctypes arcfour-hmac");
    const mit = peer("acceptor", "host@rc4.example.test", { ...env, KRB5_KTNAME: `FILE:${keytab}` });
    const client = track(
      await KerberosEnd.initiator(realm.alice, { target: "host/rc4.example.test", fContextReq: FLAGS }),
    );
    const apReq = await client.step(null);
    assert.equal(apReq.status, SEC_I_CONTINUE_NEEDED, client.reason);
    const reply = await mit.call({ op: "step", token: b64(apReq.output) });
    assert.equal(reply.error, undefined);
    assert.equal((await client.step(unb64(reply.token!))).status, SEC_E_OK, client.reason);
    const u = await mit.call({ op: "unwrap", token: b64(client.wrap(text("rc4 to MIT"))) });
    assert.equal(u.error, undefined);
    assert.equal(Buffer.from(unb64(u.data!)).toString(), "rc4 to MIT");
    assert.equal(u.conf, true);
    const w = await mit.call({ op: "wrap", data: b64(text("rc4 from MIT")), conf: true });
    const opened = client.unwrap(unb64(w.token!));
    assert.equal(opened.status, SEC_E_OK, client.reason);
    assert.equal(Buffer.from(opened.data).toString(), "rc4 from MIT");
    const mic = await mit.call({ op: "mic", data: b64(text("rc4 signed")) });
    assert.equal(client.verify(text("rc4 signed"), unb64(mic.token!)), SEC_E_OK, client.reason);
  });

  it("an initiator 10 minutes ahead (faketime) → our server: SEC_E_TIME_SKEW, and a KRB-ERROR MIT reads", async (t) => {
    if (
      !requireMitKrb5(t) ||
      !realm ||
      !requirePythonGssapi(t) ||
      !requirePeer(t, FAKETIME.what, FAKETIME.probe)
    )
      return;
    // The service ticket is fetched with the true clock (the KDC would refuse the skewed one).
    realm.kdc.run("kvno", ["host/localhost"]);
    const mit = peer("initiator", "host@localhost", env, undefined, ["faketime", "-f", "+10m"]);
    const server = track(
      await KerberosEnd.acceptor({ keytab: realm.serviceKeytab }, { fContextReq: ASC_REQ_EXTENDED_ERROR }),
    );
    const apReq = await mit.call({ op: "step", token: null });
    assert.equal(apReq.error, undefined, apReq.error);
    const refused = await server.step(unb64(apReq.token!));
    assert.equal(refused.status, SEC_E_TIME_SKEW);
    assert.match(server.reason, /authenticator time is (5\d\d|6\d\d) s from ours \(clock skew\)/);
    // ASC_REQ_EXTENDED_ERROR: a KRB-ERROR token goes back, and MIT names the error from it.
    assert.ok(server.attr.value & ASC_RET_EXTENDED_ERROR);
    const told = await mit.call({ op: "step", token: b64(refused.output) });
    assert.match(told.error ?? "", /[Cc]lock skew too great/);
  });
});
