/**
 * Our client engine against Node's `tls` server over loopback TCP: the version × key type × suite
 * matrix (with one application record each way through the exported secrets), HelloRetryRequest,
 * ALPN, client certificates, certificate failures with the alert reaching the peer, resumption.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { CertificateKeyType } from "../../../src/devcert/certificates.js";
import type {
  ClientContextOptions,
  EngineCredentialConfig,
} from "../../../src/schannel/engine/engine-types.js";
import { splitRecords } from "../../../src/schannel/records/record-header.js";
import { NativeEngineHost } from "../../../src/service/native-host.js";
import {
  TLS1_ALERT_BAD_CERTIFICATE,
  TLS1_ALERT_CERTIFICATE_EXPIRED,
  TLS1_ALERT_NO_APP_PROTOCOL,
  TLS1_ALERT_UNKNOWN_CA,
} from "../../../src/sspi/schannel-constants.js";
import {
  formatStatus,
  SEC_E_CERT_EXPIRED,
  SEC_E_ILLEGAL_MESSAGE,
  SEC_E_OK,
  SEC_E_UNTRUSTED_ROOT,
  SEC_E_WRONG_PRINCIPAL,
} from "../../../src/sspi/status.js";
import {
  clientEngineHandshake,
  closeTlsServer,
  nodeTlsServer,
  protectionFrom,
  readApplicationRecord,
} from "../../support/node-tls-peers.js";
import { type Fixtures, fixtures } from "../../support/tls-fixtures.js";

const host = new NativeEngineHost();
let f: Fixtures;
before(async () => {
  f = await fixtures();
});
after(() => host.dispose());

const SUITES_13 = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"];
const ECDSA_12 = [
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-CHACHA20-POLY1305",
];
const RSA_12 = ["ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-CHACHA20-POLY1305"];

async function credential(config: EngineCredentialConfig): Promise<number> {
  const r = await host.acquireCredential(config);
  assert.equal(r.status, SEC_E_OK, r.reason);
  return r.credentialId!;
}

async function context(credentialId: number, options: Partial<ClientContextOptions> = {}): Promise<number> {
  const r = await host.createContext(credentialId, {
    role: "client",
    serverName: "localhost",
    manualValidation: false,
    noServerNameCheck: false,
    ...options,
  });
  assert.equal(r.status, SEC_E_OK, r.reason);
  return r.contextId!;
}

function clientCredentialConfig(extra: Partial<EngineCredentialConfig> = {}): EngineCredentialConfig {
  return {
    role: "client",
    certificates: [],
    trustedRoots: [f.ca.certificate],
    minVersion: "TLSv1.2",
    maxVersion: "TLSv1.3",
    ...extra,
  };
}

test("client engine ↔ Node tls server: TLS 1.2/1.3 × ECDSA/RSA/Ed25519 × every AEAD suite, data both ways", async () => {
  const keyTypes: CertificateKeyType[] = ["ecdsa-p256", "ecdsa-p384", "rsa-2048", "ed25519"];
  let handshakes = 0;
  for (const keyType of keyTypes) {
    const cert = f.servers[keyType];
    const { server, port, log } = await nodeTlsServer({
      key: cert.privateKey,
      cert: cert.certificate,
      minVersion: "TLSv1.2",
      ciphers: [...SUITES_13, ...ECDSA_12, ...RSA_12].join(":"),
    });
    try {
      for (const version of ["TLSv1.3", "TLSv1.2"] as const) {
        const suites = version === "TLSv1.3" ? SUITES_13 : keyType === "rsa-2048" ? RSA_12 : ECDSA_12;
        for (const suite of suites) {
          const what = `${keyType} ${version} ${suite}`;
          const cred = await credential(
            clientCredentialConfig({
              minVersion: version,
              maxVersion: version,
              ...(version === "TLSv1.3" ? { cipherSuites13: [suite] } : { ciphers12: [suite] }),
            }),
          );
          const ctx = await context(cred);
          const { last, reader, socket } = await clientEngineHandshake(host, ctx, port);
          try {
            assert.equal(last.status, SEC_E_OK, `${what}: ${formatStatus(last.status)} ${last.reason}`);
            const hs = last.handshake!;
            assert.equal(hs.protocol, version, what);
            assert.equal(hs.cipher, suite, what);
            assert.deepEqual(hs.peerCertificates[0], cert.der, what);
            assert.equal(hs.certificateCheck.status, SEC_E_OK, what);
            const { read, write } = protectionFrom(hs);
            socket.write(write.seal(23, Buffer.from(`hello ${what}`)));
            const echo = await readApplicationRecord(reader, read);
            assert.equal(echo.plaintext.toString(), `hello ${what}`);
            handshakes++;
          } finally {
            socket.destroy();
            await host.deleteContext(ctx);
            await host.freeCredential(cred);
          }
        }
      }
      assert.equal(log.errors.length, 0, `Node server errors: ${log.errors.join(", ")}`);
    } finally {
      await closeTlsServer(server, log);
    }
  }
  assert.equal(handshakes, 4 * 6);
});

test("client engine: HelloRetryRequest when the server only accepts P-256", async () => {
  const cert = f.servers["ecdsa-p256"];
  const { server, port, log } = await nodeTlsServer({
    key: cert.privateKey,
    cert: cert.certificate,
    ecdhCurve: "P-256",
  });
  try {
    const ctx = await context(await credential(clientCredentialConfig({ minVersion: "TLSv1.3" })));
    const { last, steps, socket } = await clientEngineHandshake(host, ctx, port);
    socket.destroy();
    assert.equal(last.status, SEC_E_OK, last.reason);
    assert.equal(last.handshake?.group, "prime256v1");
    assert.equal(steps.length, 3, "ClientHello, second ClientHello, Finished");
  } finally {
    await closeTlsServer(server, log);
  }
});

test("client engine: ALPN agreement and mismatch (alert received)", async () => {
  const cert = f.servers["ecdsa-p256"];
  const { server, port, log } = await nodeTlsServer({
    key: cert.privateKey,
    cert: cert.certificate,
    ALPNProtocols: ["h2", "http/1.1"],
  });
  try {
    const cred = await credential(clientCredentialConfig());
    const agreed = await clientEngineHandshake(host, await context(cred, { alpn: ["http/1.1"] }), port);
    agreed.socket.destroy();
    assert.equal(agreed.last.status, SEC_E_OK);
    assert.equal(agreed.last.handshake?.alpn, "http/1.1");
    const mismatch = await clientEngineHandshake(host, await context(cred, { alpn: ["spdy/1"] }), port);
    mismatch.socket.destroy();
    assert.equal(mismatch.last.status, SEC_E_ILLEGAL_MESSAGE, formatStatus(mismatch.last.status));
    assert.deepEqual(mismatch.last.alert, {
      level: 2,
      description: TLS1_ALERT_NO_APP_PROTOCOL,
      direction: "received",
    });
  } finally {
    await closeTlsServer(server, log);
  }
});

test("client engine: certificate failures return the status and the Node server receives the alert", async () => {
  const cases = [
    {
      name: "untrusted root",
      cert: f.selfSigned,
      status: SEC_E_UNTRUSTED_ROOT,
      alert: TLS1_ALERT_UNKNOWN_CA,
      code: /UNKNOWN_CA/,
      serverName: "localhost",
    },
    {
      name: "untrusted CA",
      cert: f.untrustedClient,
      status: SEC_E_UNTRUSTED_ROOT,
      alert: TLS1_ALERT_UNKNOWN_CA,
      code: /UNKNOWN_CA/,
      serverName: null,
    },
    {
      name: "expired",
      cert: f.expired,
      status: SEC_E_CERT_EXPIRED,
      alert: TLS1_ALERT_CERTIFICATE_EXPIRED,
      code: /CERTIFICATE_EXPIRED/,
      serverName: "localhost",
    },
    {
      name: "wrong name",
      cert: f.servers["ecdsa-p256"],
      status: SEC_E_WRONG_PRINCIPAL,
      alert: TLS1_ALERT_BAD_CERTIFICATE,
      code: /BAD_CERTIFICATE/,
      serverName: "wrong.example.test",
    },
  ];
  for (const c of cases) {
    for (const version of ["TLSv1.3", "TLSv1.2"] as const) {
      const what = `${c.name} ${version}`;
      const { server, port, log } = await nodeTlsServer({ key: c.cert.privateKey, cert: c.cert.certificate });
      try {
        const cred = await credential(clientCredentialConfig({ minVersion: version, maxVersion: version }));
        const { last, socket } = await clientEngineHandshake(
          host,
          await context(cred, { serverName: c.serverName }),
          port,
        );
        try {
          assert.equal(last.status, c.status, `${what}: ${formatStatus(last.status)} ${last.reason}`);
          assert.deepEqual(last.alert, { level: 2, description: c.alert, direction: "sent" }, what);
          assert.ok(last.output.length > 0, `${what}: the alert is in the output`);
          await log.until(() => log.errors.length > 0, `${what}: Node server error`);
          assert.match(log.errors[0]!, c.code, what);
        } finally {
          socket.destroy();
        }
      } finally {
        await closeTlsServer(server, log);
      }
    }
  }
});

test("client engine: manual validation and no-name-check report but do not enforce", async () => {
  const { server, port, log } = await nodeTlsServer({
    key: f.selfSigned.privateKey,
    cert: f.selfSigned.certificate,
  });
  try {
    const cred = await credential(clientCredentialConfig());
    const manual = await clientEngineHandshake(host, await context(cred, { manualValidation: true }), port);
    manual.socket.destroy();
    assert.equal(manual.last.status, SEC_E_OK);
    assert.equal(manual.last.handshake?.certificateCheck.status, SEC_E_UNTRUSTED_ROOT);
    assert.equal(manual.last.handshake?.certificateCheck.verifyError, "DEPTH_ZERO_SELF_SIGNED_CERT");
    assert.equal(manual.last.handshake?.certificateCheck.enforced, false);
  } finally {
    await closeTlsServer(server, log);
  }
  const good = await nodeTlsServer({
    key: f.servers["rsa-2048"].privateKey,
    cert: f.servers["rsa-2048"].certificate,
  });
  try {
    const cred = await credential(clientCredentialConfig());
    const r = await clientEngineHandshake(
      host,
      await context(cred, { serverName: "other.example.test", noServerNameCheck: true }),
      good.port,
    );
    r.socket.destroy();
    assert.equal(r.last.status, SEC_E_OK, r.last.reason);
  } finally {
    await closeTlsServer(good.server, good.log);
  }
});

test("client engine: client certificates (sent, requested without one)", async () => {
  const cert = f.servers["ecdsa-p256"];
  for (const version of ["TLSv1.3", "TLSv1.2"] as const) {
    const { server, port, log } = await nodeTlsServer({
      key: cert.privateKey,
      cert: cert.certificate,
      ca: f.ca.certificate,
      requestCert: true,
      rejectUnauthorized: false,
    });
    try {
      const withCert = await credential(
        clientCredentialConfig({
          minVersion: version,
          maxVersion: version,
          certificates: [{ certificate: f.client.certificate, privateKey: f.client.privateKey }],
        }),
      );
      const a = await clientEngineHandshake(host, await context(withCert), port);
      assert.equal(a.last.status, SEC_E_OK, a.last.reason);
      assert.equal(a.last.handshake?.clientCertificateRequested, true);
      assert.deepEqual(a.last.handshake?.localCertificate, f.client.der);
      await log.until(() => log.sockets.length > 0, "server socket");
      assert.equal(log.sockets[0]!.authorized, true, `${version}: ${log.sockets[0]!.authorizationError}`);
      a.socket.destroy();

      const without = await credential(clientCredentialConfig({ minVersion: version, maxVersion: version }));
      const b = await clientEngineHandshake(host, await context(without), port);
      b.socket.destroy();
      assert.equal(b.last.status, SEC_E_OK, b.last.reason);
      assert.equal(b.last.handshake?.clientCertificateRequested, true, version);
      assert.ok(b.last.handshake!.acceptableIssuers.length >= 1, `${version}: acceptable issuers listed`);
      assert.equal(b.last.handshake?.localCertificate, null);
    } finally {
      await closeTlsServer(server, log);
    }
  }
});

test("client engine: resumption (TLS 1.2 session at the handshake, TLS 1.3 tickets read after it on OpenSSL's record layer)", async () => {
  const cert = f.servers["ecdsa-p256"];
  for (const version of ["TLSv1.2", "TLSv1.3"] as const) {
    const { server, port, log } = await nodeTlsServer({ key: cert.privateKey, cert: cert.certificate });
    try {
      const cred = await credential(clientCredentialConfig({ minVersion: version, maxVersion: version }));
      const firstCtx = await context(cred);
      const first = await clientEngineHandshake(host, firstCtx, port);
      assert.equal(first.last.status, SEC_E_OK);
      assert.equal(first.last.handshake?.resumed, false);
      if (version === "TLSv1.3") {
        assert.equal(first.last.sessions?.length ?? 0, 0, "TLS 1.3 tickets come after the handshake");
        // The two NewSessionTicket records: OpenSSL's record layer reads them, the sessions go to the cache.
        while (splitRecords(new Uint8Array(first.reader.available)).records.length < 2)
          await first.reader.more(first.reader.available.length);
        readTickets(firstCtx, new Uint8Array(first.reader.available));
      }
      first.socket.destroy();
      await host.deleteContext(firstCtx);
      const second = await clientEngineHandshake(host, await context(cred), port);
      second.socket.destroy();
      assert.equal(second.last.status, SEC_E_OK, second.last.reason);
      assert.equal(second.last.handshake?.resumed, true, `${version} resumed`);
      await log.until(() => log.sockets.length >= 2, "second server socket");
      assert.equal(log.sockets[1]!.isSessionReused(), true);
      const other = await clientEngineHandshake(
        host,
        await context(cred, { serverName: "www.example.test" }),
        port,
      );
      other.socket.destroy();
      assert.equal(other.last.handshake?.resumed, false, "the cache is keyed by target name");
    } finally {
      await closeTlsServer(server, log);
    }
  }
});

test("session cache identity bypass: a resumed session whose certificate does not carry the target name fails with SEC_E_WRONG_PRINCIPAL and is dropped, TLS 1.2 and 1.3", async () => {
  // alt.example.test's certificate chains to the trusted root; a session validated for that name
  // is offered (one cache entry, through cacheKey) to a handshake for `localhost`.
  for (const version of ["TLSv1.2", "TLSv1.3"] as const) {
    const { server, port, log } = await nodeTlsServer({ key: f.alt.privateKey, cert: f.alt.certificate });
    try {
      const cred = await credential(clientCredentialConfig({ minVersion: version, maxVersion: version }));
      const firstCtx = await context(cred, { serverName: "alt.example.test", cacheKey: "shared" });
      const first = await clientEngineHandshake(host, firstCtx, port);
      assert.equal(first.last.status, SEC_E_OK, first.last.reason);
      if (version === "TLSv1.3") {
        while (splitRecords(new Uint8Array(first.reader.available)).records.length < 2)
          await first.reader.more(first.reader.available.length);
        readTickets(firstCtx, new Uint8Array(first.reader.available));
      }
      first.socket.destroy();
      await host.deleteContext(firstCtx);
      const again = await clientEngineHandshake(
        host,
        await context(cred, { serverName: "alt.example.test", cacheKey: "shared" }),
        port,
      );
      again.socket.destroy();
      assert.equal(again.last.handshake?.resumed, true, `${version}: the session resumes for its own name`);

      const wrong = await clientEngineHandshake(
        host,
        await context(cred, { serverName: "localhost", cacheKey: "shared" }),
        port,
      );
      wrong.socket.destroy();
      assert.equal(formatStatus(wrong.last.status), formatStatus(SEC_E_WRONG_PRINCIPAL), version);
      assert.equal(wrong.last.alert?.description, TLS1_ALERT_BAD_CERTIFICATE);
      // A resumed handshake reports the certificate the session was validated with.
      assert.deepEqual(
        again.last.handshake?.peerCertificates[0],
        f.alt.der,
        "the certificate of the session",
      );
      const after = await clientEngineHandshake(
        host,
        await context(cred, { serverName: "alt.example.test", cacheKey: "shared" }),
        port,
      );
      after.socket.destroy();
      assert.equal(after.last.status, SEC_E_OK, after.last.reason);
      assert.equal(after.last.handshake?.resumed, false, `${version}: the entry was dropped`);
    } finally {
      await closeTlsServer(server, log);
    }
  }
});

/** The client reads the records after its handshake (TLS 1.3 tickets) on OpenSSL's record layer. */
function readTickets(contextId: number, bytes: Uint8Array): void {
  const records = host.recordLayer(contextId);
  assert.ok(records !== null, "an established context");
  for (const r of splitRecords(bytes).records) {
    const record = bytes.slice(r.offset, r.offset + r.length);
    const read = records.decryptRecord(record, record.subarray(records.streamSizes.cbHeader));
    assert.ok(read.ok && read.kind === "control", "a ticket");
  }
}
