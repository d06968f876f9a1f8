/**
 * `npm run test:native`: one in-process program that drives the native addon through every path
 * (handshakes of both versions, resumption, mTLS continued after want-x509-lookup, records,
 * KeyUpdate, close_notify, every failure path, hostile arguments, steps on the libuv pool,
 * ticket-key rotation, revocation checks and OCSP staples, teardown) so valgrind memcheck can watch it. No test runner, no child
 * processes. Prints each phase's duration; exits 1 on a failed check.
 */
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import "reflect-metadata";
import { X509CrlGenerator } from "@peculiar/x509";
import {
  type CertificateAuthority,
  createCertificateAuthority,
  type IssuedCertificate,
  issueCertificate,
} from "../../src/devcert/certificates.js";
import type {
  NativeAddon,
  NativeContext,
  NativeContextOptions,
  NativeCredential,
  NativeCredentialOptions,
  NativeStepResult,
} from "../../src/schannel/native/addon-types.js";
import { loadNativeEngine } from "../../src/schannel/native/load-native-engine.js";

const TLS12 = 0x0303;
const TLS13 = 0x0304;
const GROUPS = "X25519:P-256";

async function phase(name: string, body: () => void | Promise<void>): Promise<void> {
  const started = process.hrtime.bigint();
  await body();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  console.log(`phase ${name.padEnd(28)} ${ms.toFixed(0).padStart(7)} ms`);
}

function handshake(
  client: NativeContext,
  server: NativeContext,
): { last: NativeStepResult; lastServer: NativeStepResult | null; toClient: Uint8Array } {
  let result = client.stepSync(new Uint8Array(0));
  let toServer = result.output;
  let toClient: Uint8Array = new Uint8Array(0);
  let lastServer: NativeStepResult | null = null;
  for (let i = 0; i < 8; i++) {
    if (toServer.length > 0) {
      lastServer = server.stepSync(toServer);
      toServer = toServer.subarray(lastServer.consumed);
      toClient = lastServer.output;
      if (lastServer.outcome === "error") return { last: lastServer, lastServer, toClient };
    }
    if (result.outcome === "done") break;
    result = client.stepSync(toClient);
    toClient = toClient.subarray(result.consumed);
    toServer = result.output;
    if (result.outcome === "error") return { last: result, lastServer, toClient };
    if (result.outcome !== "want-read" && toServer.length === 0) break;
  }
  return { last: result, lastServer, toClient };
}

function exchange(a: NativeContext, b: NativeContext, size: number): void {
  const plain = new Uint8Array(size).fill(7);
  const sealed = new Uint8Array(16 * 1024 + 512);
  const opened = new Uint8Array(16 * 1024);
  const n = a.encrypt(plain, sealed);
  assert.ok(n > Math.min(size, 16384), `encrypt ${n}`);
  const m = b.decrypt(sealed.subarray(0, n), opened);
  assert.equal(m, Math.min(size, 16384));
  // DecryptMessage's one call: the plaintext length with no flags for a plain record.
  const again = a.encrypt(plain, sealed);
  assert.equal(b.open(sealed.subarray(0, again), opened), Math.min(size, 16384) * 8);
}

async function main(): Promise<void> {
  let addon!: NativeAddon;
  const pki = await (async () => {
    const ca = await createCertificateAuthority({ commonName: "memcheck CA" });
    const rogue = await createCertificateAuthority({ commonName: "rogue CA" });
    return {
      ca,
      server: await issueCertificate(ca, { commonName: "server.test" }),
      client: await issueCertificate(ca, { commonName: "client.test", usage: "client" }),
      rogueServer: await issueCertificate(rogue, { commonName: "server.test" }),
    };
  })();
  const pair = (c: { certificate: string; privateKey: string }) => ({
    chain: Buffer.from(c.certificate),
    key: Buffer.from(c.privateKey),
  });
  const freeLater: Array<{ free(): void }> = [];
  const credential = (options: ConstructorParameters<NativeAddon["Credential"]>[0]): NativeCredential => {
    const c = new addon.Credential(options);
    freeLater.push(c);
    return c;
  };
  const context = (cred: NativeCredential, options: NativeContextOptions = {}): NativeContext => {
    const c = new addon.Context(cred, options);
    freeLater.push(c);
    return c;
  };
  const clientOptions = { serverName: "server.test", verifyHost: "server.test", enforce: true };

  await phase("load", () => {
    const loaded = loadNativeEngine();
    assert.ok(loaded.ok, loaded.ok ? "" : loaded.reason);
    addon = loaded.addon;
    assert.match(addon.opensslRuntimeVersion, new RegExp(process.versions.openssl.replace(/\./g, "\\.")));
  });

  const ticketKey = (seed: number) => ({
    name: Buffer.alloc(16, seed),
    hmac: Buffer.alloc(32, seed + 1),
    aes: Buffer.alloc(32, seed + 2),
  });
  let server!: NativeCredential;
  let client!: NativeCredential;
  await phase("credentials", () => {
    server = credential({
      role: "server",
      certificates: [pair(pki.server)],
      roots: [Buffer.from(pki.ca.certificate)],
      clientCaNames: true,
      groups: GROUPS,
      alpn: Buffer.from("\x02h2\x08http/1.1", "latin1"),
      ticketKeys: [ticketKey(1)],
    });
    client = credential({ role: "client", roots: [Buffer.from(pki.ca.certificate)], groups: GROUPS });
    assert.equal(server.certificateChain().length, 1);
  });

  for (const [name, version] of [
    ["tls1.3", TLS13],
    ["tls1.2", TLS12],
  ] as const) {
    await phase(`handshake+records ${name}`, () => {
      const versioned = credential({
        role: "client",
        roots: [Buffer.from(pki.ca.certificate)],
        groups: GROUPS,
        maxVersion: version,
        minVersion: version,
      });
      const c = context(versioned, { ...clientOptions, alpn: Buffer.from("\x08http/1.1", "latin1") });
      const s = context(server, { requestCertificate: 0 });
      const { last, toClient } = handshake(c, s);
      assert.equal(last.outcome, "done", last.reason);
      if (toClient.length > 0) assert.equal(c.decrypt(toClient, new Uint8Array(16384)), -1);
      const sessions = c.takeSessions();
      for (const size of [1, 100, 16384, 20000]) {
        exchange(c, s, size);
        exchange(s, c, size);
      }
      const info = c.info();
      assert.equal(info.alpn, "http/1.1");
      assert.ok(
        c.finished() && c.peerFinished() && c.exportKeyingMaterial(32, "EXPORTER-test", Buffer.from("x")),
      );
      assert.equal(c.peerChain().length, 1);
      assert.ok(
        c.streamSizes() && c.checkPeerName("server.test", false) && !c.checkPeerName("other.test", false),
      );
      if (version === TLS13) {
        assert.equal(c.keyUpdate(true), true);
        const update = new Uint8Array(c.pendingOutput());
        c.takeOutput(update);
        assert.equal(s.decrypt(update, new Uint8Array(16384)), -1);
        const answer = new Uint8Array(s.pendingOutput());
        s.takeOutput(answer);
        assert.equal(c.decrypt(answer, new Uint8Array(16384)), -1);
        exchange(c, s, 10);
        exchange(s, c, 10);
      }
      const session = c.session()!;
      const der = session.toDER();
      addon.Session.fromDER(der).free();
      assert.equal(c.shutdown(), true);
      const close = new Uint8Array(c.pendingOutput());
      c.takeOutput(close);
      assert.equal(s.decrypt(close, new Uint8Array(100)), -4, "close_notify");
      c.free();
      s.free();
      const resumed = context(versioned, { ...clientOptions, session: sessions.at(-1) ?? session });
      const s2 = context(server);
      const again = handshake(resumed, s2);
      assert.equal(again.last.outcome, "done");
      assert.equal(resumed.info().resumed, true, `${name} resumed`);
      for (const x of sessions) x.free();
      session.free();
    });
  }

  await phase("mTLS after want-x509-lookup", () => {
    for (const version of [TLS13, TLS12]) {
      const anonymous = credential({
        role: "client",
        roots: [Buffer.from(pki.ca.certificate)],
        groups: GROUPS,
        maxVersion: version,
      });
      const withCertificate = credential({
        role: "client",
        certificates: [pair(pki.client)],
        roots: [Buffer.from(pki.ca.certificate)],
        groups: GROUPS,
      });
      const c = context(anonymous, { ...clientOptions, suspendForCertificate: true });
      const s = context(server, { requestCertificate: 2 });
      const hello = c.stepSync(new Uint8Array(0));
      const flight = s.stepSync(hello.output);
      let r = c.stepSync(flight.output);
      if (r.outcome === "want-read") r = c.stepSync(s.stepSync(r.output).output);
      assert.equal(r.outcome, "want-x509-lookup");
      c.setCertificate(withCertificate);
      const rest = flight.output.subarray(r.consumed);
      let done = c.stepSync(rest.length > 0 ? rest : new Uint8Array(0));
      const serverDone = s.stepSync(done.output);
      if (done.outcome === "want-read") done = c.stepSync(serverDone.output); // TLS 1.2: the server's Finished
      assert.equal(done.outcome, "done", done.reason);
      assert.equal(serverDone.outcome, "done", serverDone.reason);
      assert.equal(s.peerChain().length, 1);
      assert.ok(c.certificateAuthorities().length >= 1);
    }
  });

  await phase("failure paths", () => {
    const rogue = credential({
      role: "server",
      certificates: [pair(pki.rogueServer)],
      groups: GROUPS,
      maxVersion: TLS12,
    });
    const untrusted = handshake(context(client, clientOptions), context(rogue));
    assert.equal(untrusted.last.outcome, "error");
    assert.equal(untrusted.last.verifyResult, 20);
    const wrongName = handshake(
      context(client, { ...clientOptions, verifyHost: "other.test" }),
      context(server),
    );
    assert.equal(wrongName.last.verifyResult, 62);
    const manual = handshake(context(client, { serverName: "server.test", enforce: false }), context(rogue));
    assert.equal(manual.last.outcome, "done");
    const only12 = credential({
      role: "client",
      roots: [Buffer.from(pki.ca.certificate)],
      maxVersion: TLS12,
    });
    const only13 = credential({ role: "server", certificates: [pair(pki.server)], minVersion: TLS13 });
    assert.equal(handshake(context(only12, clientOptions), context(only13)).last.outcome, "error");
    const noCipher = credential({
      role: "client",
      roots: [Buffer.from(pki.ca.certificate)],
      maxVersion: TLS12,
      ciphers: "ECDHE-RSA-AES128-GCM-SHA256",
    });
    assert.equal(handshake(context(noCipher, clientOptions), context(server)).last.outcome, "error");
    const alpn = handshake(
      context(client, { ...clientOptions, alpn: Buffer.from("\x03foo") }),
      context(server),
    );
    assert.equal(alpn.last.outcome, "error");
    const missing = handshake(context(client, clientOptions), context(server, { requestCertificate: 2 }));
    assert.equal(missing.lastServer?.outcome ?? missing.last.outcome, "error");
    for (const garbage of [
      Buffer.from("GET / HTTP/1.1\r\n\r\n"),
      Buffer.alloc(300, 0x16),
      Buffer.from([22, 3, 3, 0, 4, 1, 0, 0, 0]),
    ]) {
      const s = context(server);
      const r = s.stepSync(garbage);
      assert.ok(r.outcome === "error" || r.outcome === "want-read");
      s.stepSync(garbage);
    }
    const c = context(client, clientOptions);
    const s = context(server);
    const { toClient } = handshake(c, s);
    c.decrypt(toClient, new Uint8Array(16384));
    const sealed = new Uint8Array(1000);
    const n = c.encrypt(Buffer.from("tamper"), sealed);
    sealed[n - 1]! ^= 1;
    assert.equal(s.decrypt(sealed.subarray(0, n), new Uint8Array(100)), -2);
    assert.equal(s.encrypt(Buffer.from("x"), sealed), -2, "dead after a fatal error");
    assert.ok(s.lastError() && s.takeAlerts().length === 1);
    for (const bad of [
      () =>
        new addon.Credential({
          role: "server",
          certificates: [{ chain: Buffer.from("x"), key: Buffer.from("y") }],
        }),
      () => new addon.Credential({ role: "server", certificates: [{ pfx: Buffer.from("not a pfx") }] }),
      () => new addon.Credential({ role: "client", ciphersuites: "NOPE" }),
      () => new addon.Credential({ role: "client", groups: "nope" }),
      () => new addon.Credential({ role: "client", roots: [Buffer.from("garbage")] }),
      () => addon.Session.fromDER(Buffer.from("garbage")),
      () => new addon.Context(client, { session: {} as never }),
      () => c.encrypt(new Uint8Array(detachedLength()), new Uint8Array(10)),
    ])
      assert.throws(bad);
  });

  for (const [name, version] of [
    ["tls1.3", TLS13],
    ["tls1.2", TLS12],
  ] as const) {
    await phase(`records in place, alerts ${name}`, () => {
      const versioned = credential({
        role: "client",
        roots: [Buffer.from(pki.ca.certificate)],
        groups: GROUPS,
        maxVersion: version,
        minVersion: version,
      });
      const c = context(versioned, clientOptions);
      const s = context(server);
      const { last, toClient } = handshake(c, s);
      assert.equal(last.outcome, "done", last.reason);
      // One record per decrypt: the tickets (TLS 1.3), each on its own.
      let rest = toClient;
      while (rest.length >= 5) {
        const length = 5 + ((rest[3]! << 8) | rest[4]!);
        assert.equal(c.decrypt(rest.subarray(0, length), new Uint8Array(64)), -1, "a ticket");
        rest = rest.subarray(length);
      }
      for (const x of c.takeSessions()) x.free();
      const { header, trailer } = c.streamSizes()!;
      for (const size of [1, 100, 16384]) {
        const record = new Uint8Array(header + size + trailer);
        record.fill(9, header, header + size);
        const used = c.seal(
          record.subarray(0, header),
          record.subarray(header, header + size),
          record.subarray(header + size),
        );
        assert.ok(used > 0 && used <= trailer, `seal ${size}: ${used}`);
        const n = s.decrypt(record.subarray(0, header + size + used), record.subarray(header));
        assert.equal(n, size, "decrypted in place");
        assert.ok(record.subarray(header, header + size).every((b) => b === 9));
      }
      assert.equal(c.seal(new Uint8Array(header), new Uint8Array(0), new Uint8Array(trailer)), -6);
      assert.equal(c.seal(new Uint8Array(header - 1), new Uint8Array(10), new Uint8Array(trailer)), -3);
      // A warning alert (the connection lives on), then a fatal one (dead both ways).
      assert.equal(c.sendAlert(1, 90), true);
      const warning = new Uint8Array(c.pendingOutput());
      c.takeOutput(warning);
      const atServer = s.decrypt(warning, new Uint8Array(64));
      assert.ok(atServer === -1 || atServer === -2, `warning: ${atServer}`);
      s.takeAlerts();
      assert.equal(c.sendAlert(2, 49), true);
      assert.equal(c.isDead(), true, "dead after sending a fatal alert");
      assert.equal(c.sendAlert(2, 49), false, "nothing after it");
      assert.equal(
        c.seal(new Uint8Array(header), new Uint8Array(1), new Uint8Array(trailer)),
        -7,
        "dead before",
      );
      const fatal = new Uint8Array(c.pendingOutput());
      c.takeOutput(fatal);
      const s2 = context(server);
      const c2 = context(versioned, clientOptions);
      handshake(c2, s2);
      assert.equal(s2.decrypt(fatal, new Uint8Array(64)), -2, "another connection's record fails");
      assert.equal(c.takeAlerts().at(-1)?.description, 49);
      c.free();
      s.free();
      c2.free();
      s2.free();
    });
  }

  await phase("server certificate by SNI", () => {
    const alternative = new addon.Credential({
      role: "server",
      certificates: [pair(pki.client)],
      groups: GROUPS,
    });
    const bySni = credential({
      role: "server",
      certificates: [pair(pki.server)],
      groups: GROUPS,
      alternatives: [alternative],
    });
    alternative.free(); // still referenced by bySni's SSL_CTX
    const manualClient = context(client, { serverName: "client.test", enforce: false });
    const r = handshake(manualClient, context(bySni));
    assert.equal(r.last.outcome, "done", r.last.reason);
    assert.equal(manualClient.peerChain().length, 1);
    assert.ok(manualClient.checkPeerName("client.test", false), "the alternative's certificate was chosen");
  });

  await phase("steps on the libuv pool", async () => {
    const results = await Promise.all(
      [0, 1, 2, 3].map(async () => {
        const c = context(client, clientOptions);
        const s = context(server);
        const step = (x: NativeContext, input: Uint8Array) =>
          new Promise<NativeStepResult>((resolve, reject) =>
            x.step(input, (e, r) => (e ? reject(e) : resolve(r))),
          );
        const pending = step(c, new Uint8Array(0));
        assert.throws(() => c.step(new Uint8Array(0), () => {}), /a step is running/);
        const hello = await pending;
        const flight = await step(s, hello.output);
        const fin = await step(c, flight.output);
        const done = await step(s, fin.output);
        return done.outcome;
      }),
    );
    assert.deepEqual(results, ["done", "done", "done", "done"]);
  });

  await phase("ticket-key rotation", () => {
    const s1 = context(server);
    const c1 = context(client, clientOptions);
    const first = handshake(c1, s1);
    c1.decrypt(first.toClient, new Uint8Array(16384));
    const [old] = c1.takeSessions().slice(-1);
    server.setTicketKeys([ticketKey(9), ticketKey(1)]);
    const c2 = context(client, { ...clientOptions, session: old! });
    handshake(c2, context(server));
    assert.equal(c2.info().resumed, true);
    server.setTicketKeys([ticketKey(9)]);
    const c3 = context(client, { ...clientOptions, session: old! });
    handshake(c3, context(server));
    assert.equal(c3.info().resumed, false);
    for (const s of c2.takeSessions()) s.free();
    old!.free();
  });

  await phase("revocation", () => revocationPhase(addon, pki.ca, credential, context, clientOptions));

  await phase("teardown", () => {
    // Left to the garbage collector and the environment's cleanup: never freed by hand, and the
    // context outlives the credential it was made from.
    const orphan = new addon.Context(client, clientOptions);
    orphan.stepSync(new Uint8Array(0));
    new addon.Credential({ role: "client" });
    for (const o of freeLater.reverse()) o.free();
    for (const o of freeLater) o.free(); // twice: a no-op
    freeLater.length = 0;
    assert.equal(orphan.info().established, false, "a context outlives its freed credential");
    (globalThis as { gc?: () => void }).gc?.();
  });
}

/**
 * CRL checks (revoked, good, missing CRL tolerated), a client certificate checked against a CRL,
 * a stapled OCSP response the client rejects, and hostile revocation options.
 */
async function revocationPhase(
  addon: NativeAddon,
  ca: CertificateAuthority,
  credential: (options: NativeCredentialOptions) => NativeCredential,
  context: (cred: NativeCredential, options?: NativeContextOptions) => NativeContext,
  clientOptions: NativeContextOptions,
): Promise<void> {
  const good = await issueCertificate(ca, { commonName: "server.test", usage: "both" });
  const revoked = await issueCertificate(ca, { commonName: "server.test", usage: "both" });
  const now = Date.now();
  const crl = await X509CrlGenerator.create({
    issuer: ca.cert.subject,
    thisUpdate: new Date(now - 60_000),
    nextUpdate: new Date(now + 86_400_000),
    entries: [
      { serialNumber: new X509Certificate(revoked.der).serialNumber, revocationDate: new Date(now - 60_000) },
    ],
    signingKey: ca.signingKey,
    signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
  });
  const crls = [new Uint8Array(crl.rawData)];
  const roots = [Buffer.from(ca.certificate)];
  const pairOf = (c: IssuedCertificate) => ({
    chain: Buffer.from(c.certificate),
    key: Buffer.from(c.privateKey),
  });
  const serverWith = (c: IssuedCertificate, extra: Partial<NativeCredentialOptions> = {}) =>
    credential({ role: "server", certificates: [pairOf(c)], groups: GROUPS, ...extra });
  const checking = credential({ role: "client", roots, crls, crlCheck: 1, groups: GROUPS });
  const rejected = handshake(context(checking, clientOptions), context(serverWith(revoked)));
  assert.equal(rejected.last.outcome, "error");
  assert.equal(rejected.last.verifyResult, 23, "CERT_REVOKED");
  assert.equal(handshake(context(checking, clientOptions), context(serverWith(good))).last.outcome, "done");
  const tolerant = credential({ role: "client", roots, crlCheck: 2, tolerate: [3], groups: GROUPS });
  assert.equal(handshake(context(tolerant, clientOptions), context(serverWith(good))).last.outcome, "done");
  // The server checks a client certificate against its CRL.
  const mtlsServer = serverWith(good, { roots, crls, crlCheck: 1 });
  const mtlsClient = credential({ role: "client", roots, certificates: [pairOf(good)], groups: GROUPS });
  const mtls = handshake(context(mtlsClient, clientOptions), context(mtlsServer, { requestCertificate: 2 }));
  assert.equal(mtls.last.outcome, "done");
  // A stapled response that is not "successful" (tryLater): the client's check fails.
  const tryLater = Uint8Array.of(0x30, 0x03, 0x0a, 0x01, 0x03);
  const stapling = credential({
    role: "server",
    certificates: [{ ...pairOf(good), ocspResponse: tryLater }],
    groups: GROUPS,
  });
  const asking = credential({ role: "client", roots, crls, crlCheck: 1, ocsp: 2, groups: GROUPS });
  const stapled = handshake(context(asking, clientOptions), context(stapling));
  assert.equal(stapled.last.outcome, "error");
  assert.equal(stapled.last.verifyResult, 74, "OCSP_VERIFY_FAILED");
  assert.equal(handshake(context(asking, clientOptions), context(serverWith(good))).last.outcome, "done");
  assert.throws(() => new addon.Credential({ role: "client", tolerate: "3" as never }), TypeError);
  assert.throws(() => new addon.Credential({ role: "client", tolerate: [-1] }), TypeError);
  assert.throws(() => new addon.Credential({ role: "client", crls: [Buffer.from("not a CRL")] }));
  assert.throws(
    () =>
      new addon.Credential({
        role: "server",
        certificates: [{ ...pairOf(good), ocspResponse: Buffer.from("x") }],
      }),
  );
}

function detachedLength(): ArrayBuffer {
  const b = new ArrayBuffer(4);
  structuredClone(b, { transfer: [b] });
  return b;
}

const started = Date.now();
main().then(
  () => console.log(`native memcheck program: every phase passed in ${Date.now() - started} ms`),
  (error) => {
    console.error(error);
    process.exitCode = 1;
  },
);
