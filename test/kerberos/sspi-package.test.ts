/**
 * The Kerberos package through the SSPI surface against a real MIT KDC on 127.0.0.1: registration,
 * credentials (password, keytab, credential cache, service keytab), the exchange through each
 * front door (the blocking one waits on a worker for the KDC), mutual authentication, names and
 * keys, the per-message functions in Windows' layout, and every failure as a status with the
 * KDC's error named.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { setImmediate as setImmediatePromise, setTimeout } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import {
  ASC_RET_CONFIDENTIALITY,
  ASC_RET_MUTUAL_AUTH,
  box,
  channelBindingsBuffer,
  EnumerateSecurityPackages,
  FreeContextBuffer,
  ISC_REQ_CONFIDENTIALITY,
  ISC_REQ_INTEGRITY,
  ISC_REQ_MUTUAL_AUTH,
  ISC_REQ_REPLAY_DETECT,
  ISC_REQ_SEQUENCE_DETECT,
  ISC_RET_MUTUAL_AUTH,
  KERB_ATTR_AUTHORIZATION_DATA,
  KERB_WRAP_NO_ENCRYPT,
  QueryContextAttributes,
  QueryCredentialsAttributes,
  QuerySecurityPackageInfo,
  SEC_E_BAD_BINDINGS,
  SEC_E_CONTEXT_EXPIRED,
  SEC_E_INVALID_PARAMETER,
  SEC_E_LOGON_DENIED,
  SEC_E_MESSAGE_ALTERED,
  SEC_E_MUTUAL_AUTH_FAILED,
  SEC_E_NO_AUTHENTICATING_AUTHORITY,
  SEC_E_NO_CREDENTIALS,
  SEC_E_OK,
  SEC_E_OUT_OF_SEQUENCE,
  SEC_E_TARGET_UNKNOWN,
  SEC_E_TIME_SKEW,
  SEC_I_CONTINUE_NEEDED,
  SECPKG_ATTR_LIFESPAN,
  SECPKG_ATTR_NAMES,
  SECPKG_ATTR_NATIVE_NAMES,
  SECPKG_ATTR_PACKAGE_INFO,
  SECPKG_ATTR_SESSION_KEY,
  SECPKG_ATTR_SIZES,
  SECPKG_CRED_ATTR_NAMES,
  type SecPkgInfo,
} from "../../src/index.js";
import { initiateApExchange } from "../../src/kerberos/ap/initiator.js";
import { fromCachedCredential } from "../../src/kerberos/client/credential.js";
import { readCredentialCache } from "../../src/kerberos/files/ccache.js";
import { GSS_FLAGS } from "../../src/kerberos/gss/authenticator-checksum.js";
import { FRONT_DOORS } from "../ntlm/support/sspi-ntlm.js";
import {
  KerberosEnd,
  type KerberosRealm,
  kerberosExchange,
  REALM,
  startKerberosRealm,
} from "../support/kerberos-sspi.js";
import { mitKrb5Installed, requireMitKrb5 } from "../support/mit-kdc.js";
import { closeServer, freePort, rawServer } from "../support/peers.js";

const MUTUAL =
  ISC_REQ_MUTUAL_AUTH |
  ISC_REQ_CONFIDENTIALITY |
  ISC_REQ_INTEGRITY |
  ISC_REQ_REPLAY_DETECT |
  ISC_REQ_SEQUENCE_DETECT;
const text = (s: string) => new TextEncoder().encode(s);
const utf8 = (b: Uint8Array) => Buffer.from(b).toString();

describe("Kerberos package registration", () => {
  it("QuerySecurityPackageInfo and EnumerateSecurityPackages report Windows' SecPkgInfo", () => {
    const info = box<SecPkgInfo | null>(null);
    assert.equal(QuerySecurityPackageInfo("kerberos", info), SEC_E_OK);
    assert.deepEqual(
      { ...info.value },
      {
        fCapabilities: 0x000f3bbf,
        wVersion: 1,
        wRPCID: 16,
        cbMaxToken: 48000,
        Name: "Kerberos",
        Comment: "Microsoft Kerberos V1.0",
      },
    );
    FreeContextBuffer(info.value);
    const count = box(0);
    const list = box<SecPkgInfo[] | null>(null);
    assert.equal(EnumerateSecurityPackages(count, list), SEC_E_OK);
    assert.ok(list.value!.some((p) => p.Name === "Kerberos"));
    FreeContextBuffer(list.value);
  });
});

describe("Kerberos package against MIT krb5", () => {
  let realm: KerberosRealm | undefined;
  const ends: KerberosEnd[] = [];
  const track = (end: KerberosEnd) => {
    ends.push(end);
    return end;
  };
  const server = (authData: unknown = {}, door?: (typeof FRONT_DOORS)[number]) =>
    KerberosEnd.acceptor(
      { keytab: realm!.serviceKeytab, krb5Conf: realm!.krb5Conf, ...(authData as object) },
      { ...(door && { door }) },
    ).then(track);
  const client = (authData: unknown, options: Parameters<typeof KerberosEnd.initiator>[1] = {}) =>
    KerberosEnd.initiator(authData, { target: "HTTP/localhost", fContextReq: MUTUAL, ...options }).then(
      track,
    );

  before(async () => {
    if (mitKrb5Installed()) realm = await startKerberosRealm();
  });
  after(async () => {
    for (const e of ends) e.dispose();
    await realm?.stop();
  });

  for (const door of FRONT_DOORS) {
    it(`password → AS and TGS exchanges, AP-REQ, AP-REP (${door})`, async (t) => {
      if (!requireMitKrb5(t) || !realm) return;
      const c = await client(realm.alice, { door });
      const s = await server({}, door);
      const x = await kerberosExchange(c, s);
      assert.deepEqual(x.statuses, [SEC_I_CONTINUE_NEEDED, SEC_E_OK, SEC_E_OK], c.reason || s.reason);
      assert.ok(x.tokens[1]!.length > 0, "ASC answers with the AP-REP");
      assert.equal(x.tokens[2]!.length, 0);
      assert.ok(c.attr.value & ISC_RET_MUTUAL_AUTH);
      assert.ok(s.attr.value & ASC_RET_MUTUAL_AUTH);
      assert.ok(s.attr.value & ASC_RET_CONFIDENTIALITY);

      const names = box<{ sUserName: string } | null>(null);
      assert.equal(QueryContextAttributes(s.context, SECPKG_ATTR_NAMES, names), SEC_E_OK);
      assert.equal(names.value!.sUserName, `alice@${REALM}`);
      const native = box<{ sClientName: string; sServerName: string } | null>(null);
      assert.equal(QueryContextAttributes(c.context, SECPKG_ATTR_NATIVE_NAMES, native), SEC_E_OK);
      assert.deepEqual(
        { ...native.value },
        { sClientName: `alice@${REALM}`, sServerName: `HTTP/localhost@${REALM}` },
      );
      const keys = [c, s].map((e) => {
        const k = box<{ SessionKey: Uint8Array } | null>(null);
        assert.equal(QueryContextAttributes(e.context, SECPKG_ATTR_SESSION_KEY, k), SEC_E_OK);
        const copy = k.value!.SessionKey.slice();
        FreeContextBuffer(k.value!.SessionKey);
        return copy;
      });
      assert.deepEqual(keys[0], keys[1], "both ends hold the same context key");
      const life = box<{ tsStart: bigint; tsExpiry: bigint } | null>(null);
      assert.equal(QueryContextAttributes(s.context, SECPKG_ATTR_LIFESPAN, life), SEC_E_OK);
      assert.ok(life.value!.tsExpiry > life.value!.tsStart);
      // MIT 1.20 puts a PAC (in AD-IF-RELEVANT, type 1) into every ticket: exposed, not validated.
      const authz = box<{ AuthorizationData: { type: number; data: Uint8Array }[] } | null>(null);
      assert.equal(QueryContextAttributes(s.context, KERB_ATTR_AUTHORIZATION_DATA, authz), SEC_E_OK);
      assert.ok(authz.value!.AuthorizationData.some((a) => a.type === 1 && a.data.length > 0));
      const info = box<{ PackageInfo: SecPkgInfo } | null>(null);
      assert.equal(QueryContextAttributes(c.context, SECPKG_ATTR_PACKAGE_INFO, info), SEC_E_OK);
      assert.equal(info.value!.PackageInfo.Name, "Kerberos");
      FreeContextBuffer(info.value!.PackageInfo);
    });
  }

  it("messages both ways: EncryptMessage in Windows' layout, KERB_WRAP_NO_ENCRYPT, signatures; tampering and replays refused", async (t) => {
    if (!requireMitKrb5(t) || !realm) return;
    const c = await client(realm.alice);
    const s = await server();
    const x = await kerberosExchange(c, s);
    assert.equal(x.statuses.at(-1), SEC_E_OK, c.reason || s.reason);
    const sizes = box<{ cbMaxSignature: number; cbSecurityTrailer: number } | null>(null);
    assert.equal(QueryContextAttributes(c.context, SECPKG_ATTR_SIZES, sizes), SEC_E_OK);

    const sealed = c.encrypt(text("hello server"));
    assert.equal(sealed.status, SEC_E_OK, c.reason);
    assert.ok(sealed.token.length <= sizes.value!.cbSecurityTrailer);
    assert.equal(sealed.data.length, "hello server".length, "data sealed in place");
    assert.notEqual(utf8(sealed.data), "hello server");
    const opened = s.decrypt(sealed.token, sealed.data);
    assert.equal(opened.status, SEC_E_OK, s.reason);
    assert.equal(utf8(opened.data), "hello server");
    assert.equal(opened.qop, 0);

    const back = s.encrypt(text("hello client"));
    assert.equal(utf8(c.decrypt(back.token, back.data).data), "hello client");

    const plain = c.encrypt(text("integrity only"), KERB_WRAP_NO_ENCRYPT);
    assert.equal(utf8(plain.data), "integrity only");
    const checked = s.decrypt(plain.token, plain.data);
    assert.equal(checked.status, SEC_E_OK, s.reason);
    assert.equal(checked.qop, KERB_WRAP_NO_ENCRYPT);

    const signature = s.sign(text("signed"));
    assert.ok(signature.length <= sizes.value!.cbMaxSignature);
    assert.equal(c.verify(text("signed"), signature), SEC_E_OK, c.reason);
    assert.equal(c.verify(text("signed"), signature), SEC_E_OUT_OF_SEQUENCE, "a replayed signature");
    assert.match(c.reason, /replayed token/);

    const tampered = c.encrypt(text("tamper with me"));
    tampered.data[0]! ^= 1;
    assert.equal(s.decrypt(tampered.token, tampered.data).status, SEC_E_MESSAGE_ALTERED);
    const forged = s.sign(text("original"));
    assert.equal(c.verify(text("Original"), forged), SEC_E_MESSAGE_ALTERED);
  });

  it("a client keytab: AS exchange with the keytab's key", async (t) => {
    if (!requireMitKrb5(t) || !realm) return;
    const c = await client({
      User: "bob",
      Domain: REALM,
      Keytab: realm.clientKeytab,
      krb5Conf: realm.krb5Conf,
    });
    const x = await kerberosExchange(c, await server());
    assert.equal(x.statuses.at(-1), SEC_E_OK, c.reason || x.server.reason);
    const names = box<{ sUserName: string } | null>(null);
    QueryContextAttributes(x.server.context, SECPKG_ATTR_NAMES, names);
    assert.equal(names.value!.sUserName, `bob@${REALM}`);
  });

  it("the credential cache kinit wrote (null pAuthData, KRB5CCNAME), read and not written", async (t) => {
    if (!requireMitKrb5(t) || !realm) return;
    realm.kdc.run("kinit", ["alice"], "alicepw\n");
    const saved = { KRB5CCNAME: process.env.KRB5CCNAME, KRB5_CONFIG: process.env.KRB5_CONFIG };
    process.env.KRB5CCNAME = realm.kdc.env.KRB5CCNAME;
    process.env.KRB5_CONFIG = realm.krb5Conf;
    try {
      const { statSync } = await import("node:fs");
      const path = realm.kdc.env.KRB5CCNAME!.replace(/^FILE:/, "");
      const before = statSync(path).mtimeMs;
      const c = await client(null);
      const who = box<{ sUserName: string } | null>(null);
      assert.equal(QueryCredentialsAttributes(c.credential, SECPKG_CRED_ATTR_NAMES, who), SEC_E_OK);
      assert.equal(who.value!.sUserName, `alice@${REALM}`, "the cache's default principal");
      const x = await kerberosExchange(c, await server());
      assert.deepEqual(x.statuses, [SEC_I_CONTINUE_NEEDED, SEC_E_OK, SEC_E_OK], c.reason || x.server.reason);
      assert.equal(statSync(path).mtimeMs, before, "the cache is not written");
    } finally {
      for (const [k, v] of Object.entries(saved))
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    }
  });

  it("AES-SHA2 enctypes: a service with only aes256-sha384 and aes128-sha256 keys", async (t) => {
    if (!requireMitKrb5(t) || !realm) return;
    const keytab = `${realm.kdc.dir}/sha2.keytab`;
    realm.kdc.kadmin(
      "addprinc -randkey -e aes256-cts-hmac-sha384-192:normal,aes128-cts-hmac-sha256-128:normal HTTP/sha2.example.test",
    );
    realm.kdc.kadmin(
      `ktadd -k ${keytab} -e aes256-cts-hmac-sha384-192:normal,aes128-cts-hmac-sha256-128:normal HTTP/sha2.example.test`,
    );
    realm.kdc.kadmin("setstr HTTP/sha2.example.test session_enctypes aes256-cts-hmac-sha384-192");
    const c = await client(realm.alice, { target: "HTTP/sha2.example.test" });
    const s = await server({ keytab });
    const x = await kerberosExchange(c, s);
    assert.equal(x.statuses.at(-1), SEC_E_OK, c.reason || s.reason);
    const sizes = box<{ cbMaxSignature: number } | null>(null);
    QueryContextAttributes(c.context, SECPKG_ATTR_SIZES, sizes);
    assert.equal(sizes.value!.cbMaxSignature, 40, "aes256-cts-hmac-sha384-192 MIC: 16 + 24 bytes");
    const sealed = c.encrypt(text("sha2"));
    assert.equal(utf8(s.decrypt(sealed.token, sealed.data).data), "sha2");
  });

  it("rc4-hmac session keys (RFC 4757 tokens): EncryptMessage with SECBUFFER_PADDING, signatures, both ways", async (t) => {
    if (!requireMitKrb5(t) || !realm) return;
    const keytab = `${realm.kdc.dir}/rc4.keytab`;
    realm.kdc.kadmin("addprinc -randkey -e arcfour-hmac:normal HTTP/rc4.example.test");
    realm.kdc.kadmin(`ktadd -k ${keytab} -e arcfour-hmac:normal HTTP/rc4.example.test`);
    realm.kdc.kadmin("setstr HTTP/rc4.example.test session_enctypes arcfour-hmac");
    const c = await client(realm.alice, { target: "HTTP/rc4.example.test" });
    const s = await server({ keytab });
    const x = await kerberosExchange(c, s);
    assert.equal(x.statuses.at(-1), SEC_E_OK, c.reason || s.reason);
    const key = box<{ SessionKey: Uint8Array; SessionKeyLength: number } | null>(null);
    QueryContextAttributes(c.context, SECPKG_ATTR_SESSION_KEY, key);
    assert.equal(key.value!.SessionKeyLength, 16, "an rc4-hmac context key");
    FreeContextBuffer(key.value!.SessionKey);
    for (const [from, to] of [
      [c, s],
      [s, c],
    ] as const) {
      const sealed = from.encrypt(text("rc4 sealed"));
      assert.equal(sealed.status, SEC_E_OK, from.reason);
      assert.equal(sealed.data.length, "rc4 sealed".length);
      assert.equal(sealed.padding.length, 1);
      const opened = to.decrypt(sealed.token, sealed.data, sealed.padding);
      assert.equal(opened.status, SEC_E_OK, to.reason);
      assert.equal(utf8(opened.data), "rc4 sealed");
      assert.equal(to.verify(text("rc4 signed"), from.sign(text("rc4 signed"))), SEC_E_OK, to.reason);
    }
    const tampered = c.encrypt(text("rc4 tampered"));
    tampered.data[3]! ^= 0x40;
    assert.equal(s.decrypt(tampered.token, tampered.data, tampered.padding).status, SEC_E_MESSAGE_ALTERED);
  });

  it("channel bindings: matching accepted, different ones SEC_E_BAD_BINDINGS, missing with policy required refused", async (t) => {
    if (!requireMitKrb5(t) || !realm) return;
    const cb = (fill: number) =>
      channelBindingsBuffer({
        applicationData: Buffer.concat([Buffer.from("tls-server-end-point:"), Buffer.alloc(32, fill)]),
      });
    const ok = await kerberosExchange(
      await client(realm.alice, { bindings: cb(1) }),
      await KerberosEnd.acceptor({ keytab: realm.serviceKeytab }, { bindings: cb(1) }).then(track),
    );
    assert.equal(ok.statuses.at(-1), SEC_E_OK, ok.client.reason || ok.server.reason);
    const bad = await kerberosExchange(
      await client(realm.alice, { bindings: cb(1) }),
      await KerberosEnd.acceptor({ keytab: realm.serviceKeytab }, { bindings: cb(2) }).then(track),
    );
    assert.equal(bad.statuses[1], SEC_E_BAD_BINDINGS);
    assert.match(bad.server.reason, /channel bindings do not match/);
    const missing = await kerberosExchange(
      await client(realm.alice),
      await KerberosEnd.acceptor(
        { keytab: realm.serviceKeytab, channelBindingPolicy: "required" },
        { bindings: cb(1) },
      ).then(track),
    );
    assert.equal(missing.statuses[1], SEC_E_BAD_BINDINGS);
    assert.match(missing.server.reason, /no channel bindings/);
  });

  it("failures are statuses naming the KDC's error: wrong password, unknown user, unknown service, KDC down", async (t) => {
    if (!requireMitKrb5(t) || !realm) return;
    const wrong = await client({ ...realm.alice, Password: "nope" });
    const w = await wrong.step(null);
    assert.equal(w.status, SEC_E_LOGON_DENIED);
    assert.match(wrong.reason, /KDC_ERR_PREAUTH_FAILED/);
    assert.ok(!wrong.reason.includes("nope"));

    const unknown = await client({ ...realm.alice, User: "mallory" });
    assert.equal((await unknown.step(null)).status, SEC_E_LOGON_DENIED);
    assert.match(unknown.reason, /KDC_ERR_C_PRINCIPAL_UNKNOWN/);

    const noService = await client(realm.alice, { target: "HTTP/nowhere.example.test" });
    assert.equal((await noService.step(null)).status, SEC_E_TARGET_UNKNOWN);
    assert.match(noService.reason, /KDC_ERR_S_PRINCIPAL_UNKNOWN/);

    for (const door of FRONT_DOORS) {
      const closed = await freePort();
      const down = await client(
        { ...realm.alice, kdcs: { [REALM]: [`tcp/127.0.0.1:${closed}`] }, kdcTimeoutMs: 2000 },
        { door },
      );
      assert.equal((await down.step(null)).status, SEC_E_NO_AUTHENTICATING_AUTHORITY, door);
      assert.match(down.reason, new RegExp(`KDC 127\\.0\\.0\\.1:${closed}: connection failed`));
    }
  });

  it("a silent KDC is bounded by kdcTimeoutMs; an unreachable KDC in the list is skipped", async (t) => {
    if (!requireMitKrb5(t) || !realm) return;
    // Reads and never answers (reading lets it see the client's close).
    const { server: silent, port } = await rawServer((socket) => socket.resume());
    try {
      // Blocking too: the kernel accepts for the silent server while this thread waits on the worker.
      for (const door of FRONT_DOORS) {
        const c = await client(
          { ...realm.alice, kdcs: { [REALM]: [`tcp/127.0.0.1:${port}`] }, kdcTimeoutMs: 300 },
          { door },
        );
        assert.equal((await c.step(null)).status, SEC_E_NO_AUTHENTICATING_AUTHORITY, door);
        assert.match(c.reason, new RegExp(`KDC 127\\.0\\.0\\.1:${port}: no reply within 300 ms`));
      }
    } finally {
      await closeServer(silent);
    }
    const closed = await freePort();
    const c = await client({
      ...realm.alice,
      kdcs: { [REALM]: [`tcp/127.0.0.1:${closed}`, `127.0.0.1:${realm.kdc.port}`] },
    });
    const x = await kerberosExchange(c, await server());
    assert.equal(x.statuses.at(-1), SEC_E_OK, c.reason);
  });

  it("the asynchronous ISC leaves the event loop running while the KDC has not answered", async (t) => {
    if (!requireMitKrb5(t) || !realm) return;
    // A TCP relay to the KDC that holds every request until the test opens it.
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    let held = 0;
    const { server: relay, port } = await rawServer((socket) => {
      held++;
      void gate.then(() => {
        const kdc = connect(realm!.kdc.port, "127.0.0.1");
        kdc.on("error", () => socket.destroy());
        socket.on("error", () => kdc.destroy());
        socket.pipe(kdc).pipe(socket);
      });
    });
    try {
      for (const door of ["promise", "async"] as const) {
        const c = await client({ ...realm.alice, kdcs: { [REALM]: [`tcp/127.0.0.1:${port}`] } }, { door });
        let done = false;
        const pending = c.step(null).then((r) => {
          done = true;
          return r;
        });
        // This loop runs on the same thread: the ISC is waiting for the KDC without blocking it.
        for (let i = 0; i < 10_000 && held === 0; i++) await setImmediatePromise();
        assert.ok(held > 0, "the AS-REQ reached the relay");
        assert.equal(done, false, "the ISC is still waiting for the KDC");
        open();
        assert.equal((await pending).status, SEC_I_CONTINUE_NEEDED, c.reason);
        held = 0;
      }
    } finally {
      await closeServer(relay);
    }
  });

  it("mutual authentication: an AP-REP from another context is SEC_E_MUTUAL_AUTH_FAILED", async (t) => {
    if (!requireMitKrb5(t) || !realm) return;
    const s = await server();
    const first = await client(realm.alice);
    const other = await kerberosExchange(await client(realm.alice), s.sibling());
    assert.equal(other.statuses[1], SEC_E_OK);
    assert.equal((await first.step(null)).status, SEC_I_CONTINUE_NEEDED, first.reason);
    assert.equal((await first.step(other.tokens[1]!)).status, SEC_E_MUTUAL_AUTH_FAILED);
    assert.match(first.reason, /AP-REP does not prove the service/);
  });

  it("clock skew: our client 10 minutes ahead (faketime) gets SEC_E_TIME_SKEW naming KRB_AP_ERR_SKEW", async (t) => {
    if (!requireMitKrb5(t) || !realm) return;
    if (spawnSync("sh", ["-c", "command -v faketime"]).status !== 0) {
      const reason = "faketime is not installed (apt-get install faketime)";
      if (process.env.CI === "true") assert.fail(`${reason}; required when CI=true`);
      return t.skip(reason);
    }
    const child = spawnSync(
      "faketime",
      ["-f", "+10m", process.execPath, fileURLToPath(new URL("./skewed-client-child.js", import.meta.url))],
      {
        encoding: "utf8",
        timeout: 30_000,
        env: {
          ...process.env,
          ASYNC_SSPI_TEST_CHILD: "1",
          KRB5_CONFIG: realm.krb5Conf,
          TEST_REALM: REALM,
          TEST_PASSWORD: realm.alice.Password,
        },
      },
    );
    assert.equal(child.status, 0, child.stderr);
    const result = JSON.parse(child.stdout) as { status: number; reason: string };
    assert.equal(result.status, SEC_E_TIME_SKEW, result.reason);
    assert.match(result.reason, /KRB_AP_ERR_SKEW/);
  });

  it("a replayed AP-REQ is refused by the credential's replay cache", async (t) => {
    if (!requireMitKrb5(t) || !realm) return;
    const s = await server();
    const x = await kerberosExchange(await client(realm.alice), s);
    assert.equal(x.statuses[1], SEC_E_OK, s.reason);
    const replay = track(s.sibling());
    assert.equal((await replay.step(x.tokens[0]!)).status, SEC_E_LOGON_DENIED);
    assert.match(replay.reason, /replayed authenticator/);
  });

  it("expired tickets: an expired TGT in the cache and an expired service ticket are SEC_E_CONTEXT_EXPIRED", async (t) => {
    if (!requireMitKrb5(t) || !realm) return;
    const cache = `FILE:${realm.kdc.dir}/short.ccache`;
    const env = { ...realm.kdc.env, KRB5CCNAME: cache };
    const run = (tool: string, args: string[], input?: string) => {
      const r = spawnSync(tool, args, { env, input, encoding: "utf8", timeout: 20_000 });
      assert.equal(r.status, 0, `${tool}: ${r.stdout}${r.stderr}`);
    };
    run("kinit", ["-l", "2s", "alice"], "alicepw\n");
    run("kvno", ["HTTP/localhost"]);
    const parsed = await readCredentialCache(cache);
    const ticket = parsed.credentials.find((c) => c.server.name.components[0] === "HTTP")!;
    // Both tickets end within 2 s; wait until the service ticket is 1.5 s past its end.
    await setTimeout(Math.max(0, ticket.endTime * 1000 + 1500 - Date.now()));

    const saved = process.env.KRB5CCNAME;
    process.env.KRB5CCNAME = cache;
    try {
      const expired = await client({ krb5Conf: realm.krb5Conf }, { target: "HTTP/other.example.test" });
      assert.equal((await expired.step(null)).status, SEC_E_CONTEXT_EXPIRED);
      assert.match(
        expired.reason,
        /ticket-granting ticket in .*short\.ccache expired at .*KRB_AP_ERR_TKT_EXPIRED/,
      );
    } finally {
      if (saved === undefined) delete process.env.KRB5CCNAME;
      else process.env.KRB5CCNAME = saved;
    }

    // The expired service ticket, presented anyway (MIT's clients refuse to): our acceptor refuses it.
    const state = initiateApExchange({
      credential: fromCachedCredential(ticket),
      flags: GSS_FLAGS.MUTUAL | GSS_FLAGS.INTEG,
    });
    const s = await server({ clockSkewSeconds: 1 });
    assert.equal((await s.step(state.token)).status, SEC_E_CONTEXT_EXPIRED);
    assert.match(s.reason, /ticket expired/);
  });

  it("bad credentials and configuration: no secret, missing keytab or krb5.conf, a realm without a KDC", async (t) => {
    if (!requireMitKrb5(t) || !realm) return;
    const noSecret = track(await KerberosEnd.initiator({ User: "alice", Domain: REALM }));
    assert.equal(noSecret.acquireStatus, SEC_E_INVALID_PARAMETER);
    const noKeytab = track(await KerberosEnd.acceptor({ keytab: `${realm.kdc.dir}/missing.keytab` }));
    assert.equal(noKeytab.acquireStatus, SEC_E_NO_CREDENTIALS);
    const noConf = track(
      await KerberosEnd.initiator({ ...realm.alice, krb5Conf: `${realm.kdc.dir}/missing.conf` }),
    );
    assert.equal(noConf.acquireStatus, SEC_E_NO_CREDENTIALS);
    assert.match(noConf.reason, /cannot read krb5\.conf/);
    const otherRealm = await client({ ...realm.alice, Domain: "OTHER.TEST" });
    assert.equal((await otherRealm.step(null)).status, SEC_E_NO_AUTHENTICATING_AUTHORITY);
    assert.match(otherRealm.reason, /no KDC known for realm OTHER\.TEST/);
  });
});
