/**
 * Our server engine against Node's `tls` client over loopback TCP: the version × key type × suite
 * matrix (with data through the exported secrets), HelloRetryRequest, ALPN, SNI with two
 * certificates, mutual TLS (accepted, missing, untrusted) with the alert reaching the client,
 * resumption.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { ConnectionOptions } from "node:tls";
import type { CertificateKeyType, IssuedCertificate } from "../../../src/devcert/certificates.js";
import type {
  EngineCredentialConfig,
  ServerContextOptions,
} from "../../../src/schannel/engine/engine-types.js";
import { NativeEngineHost } from "../../../src/service/native-host.js";
import {
  TLS1_ALERT_CERTIFICATE_REQUIRED,
  TLS1_ALERT_HANDSHAKE_FAILURE,
  TLS1_ALERT_NO_APP_PROTOCOL,
  TLS1_ALERT_UNKNOWN_CA,
} from "../../../src/sspi/schannel-constants.js";
import {
  formatStatus,
  SEC_E_APPLICATION_PROTOCOL_MISMATCH,
  SEC_E_MUTUAL_AUTH_FAILED,
  SEC_E_OK,
  SEC_E_UNTRUSTED_ROOT,
} from "../../../src/sspi/status.js";
import {
  nodeTlsClient,
  protectionFrom,
  readApplicationRecord,
  serverEngineListener,
} from "../../support/node-tls-peers.js";
import { closeServer, type DriveResult, type SocketReader } from "../../support/peers.js";
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

function serverCredentialConfig(certs: IssuedCertificate[], extra: Partial<EngineCredentialConfig> = {}) {
  return {
    role: "server" as const,
    certificates: certs.map((c) => ({ certificate: c.certificate, privateKey: c.privateKey })),
    trustedRoots: [f.ca.certificate],
    minVersion: "TLSv1.2" as const,
    maxVersion: "TLSv1.3" as const,
    ...extra,
  };
}

/** A listener running our server engine with credential `config` and context `options`. */
async function listener(config: EngineCredentialConfig, options: Partial<ServerContextOptions> = {}) {
  const acquired = await host.acquireCredential(config);
  assert.equal(acquired.status, SEC_E_OK, acquired.reason);
  const contexts: number[] = [];
  const l = await serverEngineListener(host, async () => {
    const r = await host.createContext(acquired.credentialId!, {
      role: "server",
      requestClientCertificate: false,
      ...options,
    });
    contexts.push(r.contextId!);
    return r.contextId!;
  });
  return {
    ...l,
    contexts,
    async close() {
      for (const c of contexts) await host.deleteContext(c);
      await closeServer(l.server);
      await host.freeCredential(acquired.credentialId!);
    },
  };
}

/** Connects a Node client and waits for our server's handshake result. */
async function connectNode(
  l: { port: number; results: Array<Promise<DriveResult & { reader: SocketReader }>> },
  options: ConnectionOptions,
) {
  const index = l.results.length;
  const client = nodeTlsClient(l.port, { servername: "localhost", ca: f.ca.certificate, ...options });
  while (l.results.length <= index) await new Promise((resolve) => setImmediate(resolve));
  const result = await l.results[index]!;
  return { client, result };
}

test("server engine ↔ Node tls client: TLS 1.2/1.3 × ECDSA/RSA/Ed25519 × every AEAD suite, data both ways", async () => {
  const keyTypes: CertificateKeyType[] = ["ecdsa-p256", "ecdsa-p384", "rsa-2048", "ed25519"];
  let handshakes = 0;
  for (const keyType of keyTypes) {
    const l = await listener(serverCredentialConfig([f.servers[keyType]]));
    try {
      for (const version of ["TLSv1.3", "TLSv1.2"] as const) {
        const suites = version === "TLSv1.3" ? SUITES_13 : keyType === "rsa-2048" ? RSA_12 : ECDSA_12;
        for (const suite of suites) {
          const what = `${keyType} ${version} ${suite}`;
          const { client, result } = await connectNode(l, {
            minVersion: version,
            maxVersion: version,
            ciphers: suite,
          });
          try {
            assert.equal(
              result.last.status,
              SEC_E_OK,
              `${what}: ${formatStatus(result.last.status)} ${result.last.reason}`,
            );
            const hs = result.last.handshake!;
            assert.equal(hs.protocol, version, what);
            assert.equal(hs.cipher, suite, what);
            assert.equal(hs.serverName, "localhost");
            assert.deepEqual(hs.localCertificate, f.servers[keyType].der);
            await client.log.until(() => client.log.secure, `${what}: secureConnect`);
            assert.equal(client.socket.authorized, true, `${what}: ${client.socket.authorizationError}`);
            const { read, write } = protectionFrom(hs);
            client.socket.write(`ping ${what}`);
            const ping = await readApplicationRecord(result.reader, read);
            assert.equal(ping.plaintext.toString(), `ping ${what}`);
            result.reader.socket.write(write.seal(23, Buffer.from(`pong ${what}`)));
            await client.log.until(() => Buffer.concat(client.log.received).length > 0, `${what}: pong`);
            assert.equal(Buffer.concat(client.log.received).toString(), `pong ${what}`);
            assert.deepEqual(client.log.errors, []);
            handshakes++;
          } finally {
            client.socket.destroy();
          }
        }
      }
    } finally {
      await l.close();
    }
  }
  assert.equal(handshakes, 24);
});

test("server engine: HelloRetryRequest when only P-256 is configured", async () => {
  const l = await listener(serverCredentialConfig([f.servers["ecdsa-p256"]], { groups: ["P-256"] }));
  try {
    const { client, result } = await connectNode(l, {});
    client.socket.destroy();
    assert.equal(result.last.status, SEC_E_OK, result.last.reason);
    assert.equal(result.last.handshake?.group, "prime256v1");
    assert.equal(result.steps.length, 3, "ClientHello → HRR, ClientHello → flight, Finished → OK");
  } finally {
    await l.close();
  }
});

test("server engine: ALPN agreement and mismatch (no_application_protocol reaches the client)", async () => {
  const l = await listener(serverCredentialConfig([f.servers["ecdsa-p256"]], { alpn: ["h2", "http/1.1"] }));
  try {
    const ok = await connectNode(l, { ALPNProtocols: ["http/1.1", "h2"] });
    ok.client.socket.destroy();
    assert.equal(ok.result.last.handshake?.alpn, "h2");
    const bad = await connectNode(l, { ALPNProtocols: ["spdy/1"] });
    assert.equal(
      bad.result.last.status,
      SEC_E_APPLICATION_PROTOCOL_MISMATCH,
      formatStatus(bad.result.last.status),
    );
    assert.deepEqual(bad.result.last.alert, {
      level: 2,
      description: TLS1_ALERT_NO_APP_PROTOCOL,
      direction: "sent",
    });
    await bad.client.log.until(() => bad.client.log.errors.length > 0, "client error");
    assert.equal(bad.client.log.errors[0], "ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL");
    bad.client.socket.destroy();
  } finally {
    await l.close();
  }
});

test("server engine: SNI selects between two certificates", async () => {
  const l = await listener(serverCredentialConfig([f.servers["ecdsa-p256"], f.alt]));
  try {
    for (const [name, expected] of [
      ["alt.example.test", f.alt],
      ["www.example.test", f.servers["ecdsa-p256"]],
      ["unknown.example.test", f.servers["ecdsa-p256"]],
    ] as const) {
      const { client, result } = await connectNode(l, {
        servername: name,
        checkServerIdentity: () => undefined,
      });
      assert.equal(result.last.status, SEC_E_OK, result.last.reason);
      assert.equal(result.last.handshake?.serverName, name);
      assert.deepEqual(result.last.handshake?.localCertificate, expected.der, name);
      await client.log.until(() => client.log.secure, "secureConnect");
      assert.deepEqual(new Uint8Array(client.socket.getPeerCertificate().raw), expected.der, name);
      client.socket.destroy();
    }
  } finally {
    await l.close();
  }
});

test("server engine: SNI, then the client's algorithms, choose among RSA and ECDSA certificates of another name", async () => {
  const l = await listener(
    serverCredentialConfig([f.servers["ecdsa-p256"], f.servers["rsa-2048"], f.alt, f.altRsa], {
      maxVersion: "TLSv1.2",
    }),
  );
  try {
    for (const [servername, ciphers, expected] of [
      ["alt.example.test", "ECDHE-RSA-AES128-GCM-SHA256", f.altRsa],
      ["alt.example.test", "ECDHE-ECDSA-AES128-GCM-SHA256", f.alt],
      ["www.example.test", "ECDHE-RSA-AES128-GCM-SHA256", f.servers["rsa-2048"]],
      ["www.example.test", "ECDHE-ECDSA-AES128-GCM-SHA256", f.servers["ecdsa-p256"]],
    ] as const) {
      const what = `${servername} ${ciphers}`;
      const { client, result } = await connectNode(l, { servername, ciphers, maxVersion: "TLSv1.2" });
      client.socket.destroy();
      assert.equal(result.last.status, SEC_E_OK, `${what}: ${result.last.reason}`);
      assert.equal(result.last.handshake?.serverName, servername, what);
      assert.deepEqual(result.last.handshake?.localCertificate, expected.der, what);
    }
  } finally {
    await l.close();
  }
});

test("server engine: RSA and ECDSA certificates in one credential, chosen by the client's algorithms", async () => {
  const l = await listener(
    serverCredentialConfig([f.servers["rsa-2048"], f.servers["ecdsa-p256"]], { maxVersion: "TLSv1.2" }),
  );
  try {
    for (const [ciphers, expected] of [
      ["ECDHE-RSA-AES128-GCM-SHA256", f.servers["rsa-2048"]],
      ["ECDHE-ECDSA-AES128-GCM-SHA256", f.servers["ecdsa-p256"]],
    ] as const) {
      const { client, result } = await connectNode(l, { ciphers, maxVersion: "TLSv1.2" });
      client.socket.destroy();
      assert.equal(result.last.status, SEC_E_OK, result.last.reason);
      assert.deepEqual(result.last.handshake?.localCertificate, expected.der, ciphers);
    }
  } finally {
    await l.close();
  }
});

test("server engine: mutual TLS accepted, missing and untrusted client certificates", async () => {
  for (const version of ["TLSv1.3", "TLSv1.2"] as const) {
    const l = await listener(serverCredentialConfig([f.servers["ecdsa-p256"]]), {
      requestClientCertificate: true,
    });
    try {
      const good = await connectNode(l, {
        minVersion: version,
        maxVersion: version,
        key: f.client.privateKey,
        cert: f.client.certificate,
      });
      good.client.socket.destroy();
      assert.equal(good.result.last.status, SEC_E_OK, `${version}: ${good.result.last.reason}`);
      assert.deepEqual(good.result.last.handshake?.peerCertificates[0], f.client.der);
      assert.equal(good.result.last.handshake?.certificateCheck.status, SEC_E_OK);

      const missing = await connectNode(l, { minVersion: version, maxVersion: version });
      assert.equal(
        missing.result.last.status,
        SEC_E_MUTUAL_AUTH_FAILED,
        `${version}: ${formatStatus(missing.result.last.status)}`,
      );
      const expectedAlert =
        version === "TLSv1.3" ? TLS1_ALERT_CERTIFICATE_REQUIRED : TLS1_ALERT_HANDSHAKE_FAILURE;
      assert.equal(missing.result.last.alert?.description, expectedAlert, version);
      await missing.client.log.until(() => missing.client.log.errors.length > 0, "client error");
      assert.match(
        missing.client.log.errors[0]!,
        version === "TLSv1.3" ? /CERTIFICATE_REQUIRED/ : /HANDSHAKE_FAILURE/,
        version,
      );
      missing.client.socket.destroy();

      const stranger = await connectNode(l, {
        minVersion: version,
        maxVersion: version,
        key: f.untrustedClient.privateKey,
        cert: f.untrustedClient.certificate,
      });
      assert.equal(
        stranger.result.last.status,
        SEC_E_UNTRUSTED_ROOT,
        `${version}: ${formatStatus(stranger.result.last.status)}`,
      );
      assert.deepEqual(stranger.result.last.alert, {
        level: 2,
        description: TLS1_ALERT_UNKNOWN_CA,
        direction: "sent",
      });
      await stranger.client.log.until(
        () => stranger.client.log.errors.length > 0,
        `${version}: client error`,
      );
      assert.equal(stranger.client.log.errors[0], "ERR_SSL_TLSV1_ALERT_UNKNOWN_CA", version);
      stranger.client.socket.destroy();
    } finally {
      await l.close();
    }
  }
});

test("server engine: optional client certificate accepts a client without one", async () => {
  const l = await listener(serverCredentialConfig([f.servers["ecdsa-p256"]]), {
    requestClientCertificate: true,
    clientCertificateOptional: true,
  });
  try {
    const { client, result } = await connectNode(l, {});
    client.socket.destroy();
    assert.equal(result.last.status, SEC_E_OK, result.last.reason);
    assert.deepEqual(result.last.handshake?.peerCertificates, []);
  } finally {
    await l.close();
  }
});

test("server engine: resumption with the Node client (TLS 1.2 and 1.3)", async () => {
  for (const version of ["TLSv1.2", "TLSv1.3"] as const) {
    const l = await listener(serverCredentialConfig([f.servers["ecdsa-p256"]]));
    try {
      const first = await connectNode(l, { minVersion: version, maxVersion: version });
      assert.equal(first.result.last.status, SEC_E_OK);
      const session = await new Promise<Buffer>((resolve) => {
        first.client.socket.once("session", resolve);
      });
      first.client.socket.destroy();
      const second = await connectNode(l, { minVersion: version, maxVersion: version, session });
      await second.client.log.until(() => second.client.log.secure, "secureConnect");
      assert.equal(second.result.last.status, SEC_E_OK);
      assert.equal(second.result.last.handshake?.resumed, true, version);
      assert.equal(second.client.socket.isSessionReused(), true);
      second.client.socket.destroy();
    } finally {
      await l.close();
    }
  }
});
