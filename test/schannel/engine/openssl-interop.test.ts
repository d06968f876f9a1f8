/**
 * Our engines against the `openssl` binary (s_server / s_client) on 127.0.0.1: every AEAD suite
 * for both versions and ECDSA/RSA/Ed25519, application data through the exported secrets, and
 * certificate failures whose alert OpenSSL reports.
 */
import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, test } from "node:test";
import type { CertificateKeyType } from "../../../src/devcert/certificates.js";
import { NativeEngineHost } from "../../../src/service/native-host.js";
import {
  formatStatus,
  SEC_E_MUTUAL_AUTH_FAILED,
  SEC_E_OK,
  SEC_E_UNTRUSTED_ROOT,
} from "../../../src/sspi/status.js";
import { protectionFrom, readApplicationRecord, serverEngineListener } from "../../support/node-tls-peers.js";
import {
  closeServer,
  driveEngine,
  freePort,
  SocketReader,
  spawnOpenssl,
  TempFiles,
  waitForOutput,
  withTimeout,
} from "../../support/peers.js";
import { clientConfig, type Fixtures, fixtures, serverConfig } from "../../support/tls-fixtures.js";

const host = new NativeEngineHost();
const files = new TempFiles();
let f: Fixtures;
before(async () => {
  f = await fixtures();
});
after(async () => {
  await host.dispose();
  files.remove();
});

const SUITES_13 = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"];
const ECDSA_12 = [
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-CHACHA20-POLY1305",
];
const RSA_12 = ["ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-CHACHA20-POLY1305"];
const KEY_TYPES: CertificateKeyType[] = ["ecdsa-p256", "rsa-2048", "ed25519"];

function suitesFor(version: "TLSv1.3" | "TLSv1.2", keyType: CertificateKeyType): string[] {
  return version === "TLSv1.3" ? SUITES_13 : keyType === "rsa-2048" ? RSA_12 : ECDSA_12;
}

async function connectRaw(port: number): Promise<SocketReader> {
  const socket = connect(port, "127.0.0.1");
  socket.on("error", () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  return new SocketReader(socket);
}

test("client engine ↔ openssl s_server: versions × key types × suites, data reaches s_server", async () => {
  let handshakes = 0;
  for (const keyType of KEY_TYPES) {
    const cert = f.servers[keyType];
    const certPath = files.write(`server-${keyType}.pem`, cert.certificate);
    const keyPath = files.write(`server-${keyType}.key`, cert.privateKey);
    const port = await freePort();
    const server = spawnOpenssl([
      "s_server",
      "-accept",
      `127.0.0.1:${port}`,
      "-cert",
      certPath,
      "-key",
      keyPath,
      "-naccept",
      "6",
    ]);
    try {
      await waitForOutput(server, /ACCEPT/);
      for (const version of ["TLSv1.3", "TLSv1.2"] as const) {
        for (const suite of suitesFor(version, keyType)) {
          const what = `${keyType} ${version} ${suite}`;
          const cred = await host.acquireCredential(
            clientConfig(
              [f.ca.certificate],
              version,
              version === "TLSv1.3" ? { cipherSuites13: [suite] } : { ciphers12: [suite] },
            ),
          );
          const ctx = (
            await host.createContext(cred.credentialId!, {
              role: "client",
              serverName: "localhost",
              manualValidation: false,
              noServerNameCheck: false,
            })
          ).contextId!;
          const reader = await connectRaw(port);
          try {
            const { last } = await withTimeout(driveEngine(host, ctx, reader, "client"), 10_000, what);
            assert.equal(last.status, SEC_E_OK, `${what}: ${formatStatus(last.status)} ${last.reason}`);
            assert.equal(last.handshake?.cipher, suite, what);
            const { write } = protectionFrom(last.handshake!);
            const marker = `engine-says-${handshakes}-${suite}`;
            reader.socket.write(write.seal(23, Buffer.from(`${marker}\n`)));
            await waitForOutput(server, new RegExp(marker));
            reader.socket.end(write.seal(21, Uint8Array.of(1, 0)));
            await new Promise<void>((resolve) => reader.socket.once("close", () => resolve()));
            handshakes++;
          } finally {
            reader.socket.destroy();
            await host.deleteContext(ctx);
            await host.freeCredential(cred.credentialId!);
          }
        }
      }
    } finally {
      server.kill();
      await server.exited;
    }
    assert.doesNotMatch(server.output(), /alert|error:/i, server.output());
  }
  assert.equal(handshakes, 18);
});

test("server engine ↔ openssl s_client: versions × key types × suites, data reaches the engine", async () => {
  const caPath = files.write("ca.pem", f.ca.certificate);
  let handshakes = 0;
  for (const keyType of KEY_TYPES) {
    const cred = await host.acquireCredential(serverConfig([f.servers[keyType]], "both"));
    const l = await serverEngineListener(host, async () => {
      return (
        await host.createContext(cred.credentialId!, { role: "server", requestClientCertificate: false })
      ).contextId!;
    });
    try {
      for (const version of ["TLSv1.3", "TLSv1.2"] as const) {
        for (const suite of suitesFor(version, keyType)) {
          const what = `${keyType} ${version} ${suite}`;
          const suiteArgs = version === "TLSv1.3" ? ["-ciphersuites", suite] : ["-cipher", suite];
          const index = l.results.length;
          const client = spawnOpenssl([
            "s_client",
            "-connect",
            `127.0.0.1:${l.port}`,
            "-servername",
            "localhost",
            "-CAfile",
            caPath,
            "-verify_return_error",
            "-brief",
            version === "TLSv1.3" ? "-tls1_3" : "-tls1_2",
            ...suiteArgs,
          ]);
          try {
            while (l.results.length <= index) await new Promise((resolve) => setTimeout(resolve, 5));
            const result = await l.results[index]!;
            assert.equal(
              result.last.status,
              SEC_E_OK,
              `${what}: ${formatStatus(result.last.status)} ${result.last.reason}`,
            );
            assert.equal(result.last.handshake?.cipher, suite, what);
            await waitForOutput(client, /Verification: OK/);
            client.child.stdin?.write(`client-says-${handshakes}\n`);
            const { read } = protectionFrom(result.last.handshake!);
            const data = await readApplicationRecord(result.reader, read);
            assert.equal(data.plaintext.toString(), `client-says-${handshakes}\n`, what);
            assert.match(client.output(), new RegExp(`Ciphersuite: ${suite}\\b`), what);
            handshakes++;
          } finally {
            client.kill();
            await client.exited;
            l.results[index]?.then((r) => r.reader.socket.destroy());
          }
        }
      }
    } finally {
      await closeServer(l.server);
      await host.freeCredential(cred.credentialId!);
    }
  }
  assert.equal(handshakes, 18);
});

test("client engine → s_server with an untrusted certificate: SEC_E_UNTRUSTED_ROOT, s_server reports unknown ca", async () => {
  const certPath = files.write("self.pem", f.selfSigned.certificate);
  const keyPath = files.write("self.key", f.selfSigned.privateKey);
  for (const version of ["TLSv1.3", "TLSv1.2"] as const) {
    const port = await freePort();
    const server = spawnOpenssl([
      "s_server",
      "-accept",
      `127.0.0.1:${port}`,
      "-cert",
      certPath,
      "-key",
      keyPath,
      "-naccept",
      "1",
    ]);
    try {
      await waitForOutput(server, /ACCEPT/);
      const cred = await host.acquireCredential(clientConfig([f.ca.certificate], version));
      const ctx = (
        await host.createContext(cred.credentialId!, {
          role: "client",
          serverName: "localhost",
          manualValidation: false,
          noServerNameCheck: false,
        })
      ).contextId!;
      const reader = await connectRaw(port);
      const { last } = await withTimeout(driveEngine(host, ctx, reader, "client"), 10_000, version);
      assert.equal(last.status, SEC_E_UNTRUSTED_ROOT, `${version}: ${formatStatus(last.status)}`);
      await waitForOutput(server, /alert unknown ca/i);
      assert.match(server.output(), /alert unknown ca/i, `${version}: ${server.output()}`);
      reader.socket.destroy();
    } finally {
      server.kill();
      await server.exited;
    }
  }
});

test("server engine requiring a client certificate ← s_client without one: s_client reports the alert", async () => {
  const caPath = files.write("ca2.pem", f.ca.certificate);
  for (const version of ["TLSv1.3", "TLSv1.2"] as const) {
    const cred = await host.acquireCredential(
      serverConfig([f.servers["ecdsa-p256"]], "both", { trustedRoots: [f.ca.certificate] }),
    );
    const l = await serverEngineListener(host, async () => {
      return (
        await host.createContext(cred.credentialId!, { role: "server", requestClientCertificate: true })
      ).contextId!;
    });
    const client = spawnOpenssl([
      "s_client",
      "-connect",
      `127.0.0.1:${l.port}`,
      "-servername",
      "localhost",
      "-CAfile",
      caPath,
      "-brief",
      version === "TLSv1.3" ? "-tls1_3" : "-tls1_2",
    ]);
    try {
      while (l.results.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      const result = await l.results[0]!;
      assert.equal(
        result.last.status,
        SEC_E_MUTUAL_AUTH_FAILED,
        `${version}: ${formatStatus(result.last.status)}`,
      );
      if (version === "TLSv1.3") client.child.stdin?.write("x\n");
      await waitForOutput(client, /alert (certificate required|handshake failure)/i);
      assert.match(
        client.output(),
        version === "TLSv1.3" ? /alert certificate required/i : /alert handshake failure/i,
        client.output(),
      );
      result.reader.socket.destroy();
    } finally {
      client.kill();
      await client.exited;
      await closeServer(l.server);
    }
  }
});
