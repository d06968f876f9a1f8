/**
 * The SSPI-shaped Schannel package against peers we did not write, over loopback TCP:
 * TLS 1.2 and 1.3 × ECDSA P-256 / RSA-2048 / Ed25519 server certificates × every AEAD suite, in
 * both roles, against Node's `tls` and the `openssl` binary. Each cell: the handshake, the suite
 * named by SECPKG_ATTR_CIPHER_INFO (and reported by the peer), 1 B and 16 KiB records both ways
 * with the exact bytes, and close_notify answered by the peer.
 *
 * The suite is forced on both sides: ours through SCH_CREDENTIALS (the `cipherSuites` extension
 * against Node, `pDisabledCrypto` against openssl), the peer's with its own options.
 * Ed25519 with TLS 1.2 works in OpenSSL with the ECDHE-ECDSA suites (RFC 8422), so it is included.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import tls, { type TLSSocket } from "node:tls";
import type { CertificateKeyType, IssuedCertificate } from "../../src/devcert/certificates.js";
import {
  box,
  type CredHandle,
  QueryContextAttributes,
  type SCH_CREDENTIALS,
  SCH_CREDENTIALS_VERSION,
  SEC_E_OK,
  SEC_I_CONTEXT_EXPIRED,
  SECPKG_ATTR_CIPHER_INFO,
  SECPKG_CRED_INBOUND,
  SECPKG_CRED_OUTBOUND,
  SP_PROT_TLS1_2,
  SP_PROT_TLS1_2_CLIENT,
  SP_PROT_TLS1_2_SERVER,
  SP_PROT_TLS1_3,
  SP_PROT_TLS1_3_CLIENT,
  SP_PROT_TLS1_3_SERVER,
  promises as sspi,
} from "../../src/index.js";
import {
  binaryStdout,
  disabledCryptoKeeping,
  KEY_TYPES,
  payload,
  type Suite,
  suitesFor,
  until,
  VERSIONS,
  type Version,
} from "../interop/tls-tables.js";
import { freePort, spawnOpenssl, TempFiles, waitForOutput, withTimeout } from "../support/peers.js";
import {
  acquireOk,
  connectReader,
  decryptUntilStatus,
  encrypt,
  handshake,
  leakCheck,
  listen,
  receive,
  requireBinary,
  type SocketReader,
  sendCloseNotify,
} from "../support/sspi-driver.js";
import { type Fixtures, fixtures } from "../support/tls-fixtures.js";

interface Cell {
  keyType: CertificateKeyType;
  version: Version;
  suite: Suite;
  name: string;
}

function cells(): Cell[] {
  return KEY_TYPES.flatMap((keyType) =>
    VERSIONS.flatMap((version) =>
      suitesFor(version, keyType).map((suite) => ({
        keyType,
        version,
        suite,
        name: `${keyType} ${version} ${suite.iana}`,
      })),
    ),
  );
}

/** Our credential for a cell: the suite forced with `cipherSuites` or with `pDisabledCrypto`. */
function credentialFor(
  cell: Cell,
  role: "client" | "server",
  restrictBy: "cipherSuites" | "pDisabledCrypto",
  f: Fixtures,
): SCH_CREDENTIALS {
  const otherVersion = cell.version === "TLSv1.3" ? SP_PROT_TLS1_2 : SP_PROT_TLS1_3;
  const cert = f.servers[cell.keyType];
  return {
    dwVersion: SCH_CREDENTIALS_VERSION,
    ...(role === "server"
      ? { paCred: [{ certificate: cert.certificate, privateKey: cert.privateKey }] }
      : { hRootStore: [f.ca.certificate] }),
    pTlsParameters: [
      {
        grbitDisabledProtocols: otherVersion,
        ...(restrictBy === "pDisabledCrypto" && {
          pDisabledCrypto: disabledCryptoKeeping(cell.suite.cipher),
        }),
      },
    ],
    ...(restrictBy === "cipherSuites" && { cipherSuites: [cell.suite.iana] }),
  };
}

/** What every cell checks on our context: SECPKG_ATTR_CIPHER_INFO names the forced suite. */
function checkCipherInfo(handle: CredHandle, cell: Cell, role: "client" | "server"): void {
  const info = box<Record<string, unknown>>({});
  assert.equal(QueryContextAttributes(handle, SECPKG_ATTR_CIPHER_INFO, info), SEC_E_OK, cell.name);
  const protocol =
    cell.version === "TLSv1.3"
      ? role === "client"
        ? SP_PROT_TLS1_3_CLIENT
        : SP_PROT_TLS1_3_SERVER
      : role === "client"
        ? SP_PROT_TLS1_2_CLIENT
        : SP_PROT_TLS1_2_SERVER;
  assert.equal(info.value.szCipherSuite, cell.suite.iana, cell.name);
  assert.equal(info.value.dwCipherSuite, cell.suite.id, cell.name);
  assert.equal(info.value.dwProtocol, protocol, cell.name);
  assert.equal(info.value.dwCipherLen, cell.suite.cipher === "AES-128" ? 128 : 256, cell.name);
  assert.equal(
    info.value.szCertificate,
    cell.keyType === "rsa-2048" ? "RSA" : cell.keyType === "ed25519" ? "Ed25519" : "ECDSA",
    cell.name,
  );
}

const SMALL = 1;
const LARGE = 16_384;

let f: Fixtures;
const files = new TempFiles();
const leaks = leakCheck();
before(async () => {
  f = await fixtures();
});
after(async () => {
  files.remove();
  await leaks.verify();
});

/** Our side of every cell once the handshake is done: our two records out, the peer's in, close_notify. */
async function exchange(
  role: "initiator" | "acceptor",
  cred: CredHandle,
  hs: { handle: CredHandle; leftover: Uint8Array },
  reader: SocketReader,
  peer: {
    /** Waits until the peer has received exactly `bytes` so far. */
    received(bytes: Buffer): Promise<void>;
    send(bytes: Buffer): void;
  },
  what: string,
): Promise<void> {
  const small = payload(SMALL);
  const large = payload(LARGE);
  reader.socket.write(encrypt(hs.handle, small));
  reader.socket.write(encrypt(hs.handle, large));
  await peer.received(Buffer.concat([small, large]));

  const back = Buffer.concat([payload(SMALL), payload(LARGE)]);
  peer.send(back);
  const got = await receive(hs.handle, reader, back.byteLength, hs.leftover);
  assert.deepEqual(got.statuses, [], `${what}: decrypt statuses`);
  assert.ok(got.plaintext.equals(back), `${what}: the peer's ${back.byteLength} bytes arrive exactly`);

  await sendCloseNotify(role, cred, hs.handle, reader.socket);
  const closing = await decryptUntilStatus(hs.handle, reader, got.rest);
  assert.equal(closing.status, SEC_I_CONTEXT_EXPIRED, `${what}: the peer answers close_notify`);
  assert.equal(closing.plaintext.byteLength, 0, what);
}

test("our client ↔ Node tls.createServer: 3 key types × TLS 1.3/1.2 × every AEAD suite", async () => {
  let done = 0;
  for (const cell of cells()) {
    const cert: IssuedCertificate = f.servers[cell.keyType];
    const received: Buffer[] = [];
    let peerSocket: TLSSocket | null = null;
    let peerEnded = false;
    const server = tls.createServer({
      cert: cert.certificate,
      key: cert.privateKey,
      minVersion: cell.version,
      maxVersion: cell.version,
      ciphers: cell.suite.openssl,
    });
    server.on("secureConnection", (s) => {
      peerSocket = s;
      s.on("data", (d: Buffer) => received.push(d));
      s.on("end", () => {
        peerEnded = true;
      });
      s.on("error", () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    const cred = await acquireOk(SECPKG_CRED_OUTBOUND, credentialFor(cell, "client", "cipherSuites", f));
    const reader = await connectReader(port);
    try {
      await withTimeout(
        (async () => {
          const hs = await handshake("initiator", reader, cred, { target: "localhost" });
          assert.equal(hs.status, SEC_E_OK, cell.name);
          checkCipherInfo(hs.handle, cell, "client");
          await until(() => peerSocket !== null, "the peer's secureConnection");
          assert.equal(peerSocket!.getCipher().standardName, cell.suite.iana, cell.name);
          assert.equal(peerSocket!.getProtocol(), cell.version, cell.name);
          await exchange(
            "initiator",
            cred,
            hs,
            reader,
            {
              async received(bytes) {
                await until(() => Buffer.concat(received).byteLength >= bytes.byteLength, "peer data");
                assert.ok(Buffer.concat(received).equals(bytes), `${cell.name}: exact bytes at the peer`);
              },
              send: (bytes) => peerSocket!.write(bytes),
            },
            cell.name,
          );
          assert.equal(peerEnded, true, `${cell.name}: Node saw our close_notify as 'end'`);
          assert.equal(await sspi.DeleteSecurityContext(hs.handle), SEC_E_OK);
        })(),
        15_000,
        cell.name,
      );
      done++;
    } finally {
      reader.socket.destroy();
      (peerSocket as TLSSocket | null)?.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await sspi.FreeCredentialsHandle(cred);
    }
  }
  assert.equal(done, 18);
});

test("our server ↔ Node tls.connect: 3 key types × TLS 1.3/1.2 × every AEAD suite", async () => {
  const listener = await listen();
  let done = 0;
  try {
    for (const cell of cells()) {
      const cred = await acquireOk(SECPKG_CRED_INBOUND, credentialFor(cell, "server", "cipherSuites", f));
      const received: Buffer[] = [];
      let peerEnded = false;
      let secure = false;
      const client = tls.connect({
        port: listener.port,
        host: "127.0.0.1",
        servername: "localhost",
        ca: f.ca.certificate,
        minVersion: cell.version,
        maxVersion: cell.version,
        ciphers: cell.suite.openssl,
      });
      client.on("secureConnect", () => {
        secure = true;
      });
      client.on("data", (d: Buffer) => received.push(d));
      client.on("end", () => {
        peerEnded = true;
      });
      client.on("error", () => {});
      const reader = await listener.next();
      try {
        await withTimeout(
          (async () => {
            const hs = await handshake("acceptor", reader, cred);
            assert.equal(hs.status, SEC_E_OK, cell.name);
            checkCipherInfo(hs.handle, cell, "server");
            await until(() => secure, "Node's secureConnect");
            assert.equal(client.authorized, true, `${cell.name}: ${client.authorizationError}`);
            assert.equal(client.getCipher().standardName, cell.suite.iana, cell.name);
            assert.equal(client.getProtocol(), cell.version, cell.name);
            await exchange(
              "acceptor",
              cred,
              hs,
              reader,
              {
                async received(bytes) {
                  await until(() => Buffer.concat(received).byteLength >= bytes.byteLength, "peer data");
                  assert.ok(Buffer.concat(received).equals(bytes), `${cell.name}: exact bytes at the peer`);
                },
                send: (bytes) => client.write(bytes),
              },
              cell.name,
            );
            assert.equal(peerEnded, true, `${cell.name}: Node saw our close_notify as 'end'`);
            assert.equal(await sspi.DeleteSecurityContext(hs.handle), SEC_E_OK);
          })(),
          15_000,
          cell.name,
        );
        done++;
      } finally {
        client.destroy();
        reader.socket.destroy();
        await sspi.FreeCredentialsHandle(cred);
      }
    }
  } finally {
    await listener.close();
  }
  assert.equal(done, 18);
});

test("our client ↔ openssl s_server: 3 key types × TLS 1.3/1.2 × every AEAD suite", async (t) => {
  if (!requireBinary(t)) return;
  let done = 0;
  for (const cell of cells()) {
    const cert = f.servers[cell.keyType];
    const certPath = files.write(`server-${cell.keyType}.pem`, cert.certificate);
    const keyPath = files.write(`server-${cell.keyType}.key`, cert.privateKey);
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
      cell.version === "TLSv1.3" ? "-tls1_3" : "-tls1_2",
      ...(cell.version === "TLSv1.3"
        ? ["-ciphersuites", cell.suite.openssl]
        : ["-cipher", cell.suite.openssl]),
    ]);
    const stdout = binaryStdout(server);
    let reader: SocketReader | null = null;
    const cred = await acquireOk(SECPKG_CRED_OUTBOUND, credentialFor(cell, "client", "pDisabledCrypto", f));
    try {
      await withTimeout(
        (async () => {
          await waitForOutput(server, /ACCEPT/);
          reader = await connectReader(port);
          const hs = await handshake("initiator", reader, cred, { target: "localhost" });
          assert.equal(hs.status, SEC_E_OK, cell.name);
          checkCipherInfo(hs.handle, cell, "client");
          await exchange(
            "initiator",
            cred,
            hs,
            reader,
            {
              async received(bytes) {
                await until(
                  () => stdout().includes(bytes),
                  `s_server printing the ${bytes.byteLength} bytes`,
                );
              },
              send: (bytes) => server.child.stdin?.write(bytes),
            },
            cell.name,
          );
          assert.equal(await server.exited, 0, `${cell.name}: s_server exits cleanly after close_notify`);
          assert.match(server.output(), new RegExp(`CIPHER is ${cell.suite.openssl}\\b`), cell.name);
          assert.doesNotMatch(server.output(), /alert|error:/i, server.output());
          assert.equal(await sspi.DeleteSecurityContext(hs.handle), SEC_E_OK);
        })(),
        15_000,
        cell.name,
      );
      done++;
    } finally {
      (reader as SocketReader | null)?.socket.destroy();
      server.kill();
      await server.exited;
      await sspi.FreeCredentialsHandle(cred);
    }
  }
  assert.equal(done, 18);
});

test("our server ↔ openssl s_client: 3 key types × TLS 1.3/1.2 × every AEAD suite", async (t) => {
  if (!requireBinary(t)) return;
  const caPath = files.write("ca.pem", f.ca.certificate);
  const listener = await listen();
  let done = 0;
  try {
    for (const cell of cells()) {
      const cred = await acquireOk(SECPKG_CRED_INBOUND, credentialFor(cell, "server", "pDisabledCrypto", f));
      const client = spawnOpenssl([
        "s_client",
        "-connect",
        `127.0.0.1:${listener.port}`,
        "-servername",
        "localhost",
        "-CAfile",
        caPath,
        "-verify_hostname",
        "localhost",
        "-verify_return_error",
        "-brief",
        "-nocommands",
        cell.version === "TLSv1.3" ? "-tls1_3" : "-tls1_2",
        ...(cell.version === "TLSv1.3"
          ? ["-ciphersuites", cell.suite.openssl]
          : ["-cipher", cell.suite.openssl]),
      ]);
      const stdout = binaryStdout(client);
      let reader: SocketReader | null = null;
      try {
        await withTimeout(
          (async () => {
            reader = await listener.next();
            const hs = await handshake("acceptor", reader, cred);
            assert.equal(hs.status, SEC_E_OK, cell.name);
            checkCipherInfo(hs.handle, cell, "server");
            await waitForOutput(client, /Verification: OK/);
            await exchange(
              "acceptor",
              cred,
              hs,
              reader,
              {
                async received(bytes) {
                  await until(
                    () => stdout().includes(bytes),
                    `s_client printing the ${bytes.byteLength} bytes`,
                  );
                },
                send: (bytes) => client.child.stdin?.write(bytes),
              },
              cell.name,
            );
            assert.equal(await client.exited, 0, `${cell.name}: s_client exits cleanly after close_notify`);
            assert.match(client.output(), new RegExp(`Ciphersuite: ${cell.suite.openssl}\\b`), cell.name);
            assert.match(client.output(), new RegExp(`Protocol version: ${cell.version}\\b`), cell.name);
            assert.equal(await sspi.DeleteSecurityContext(hs.handle), SEC_E_OK);
          })(),
          15_000,
          cell.name,
        );
        done++;
      } finally {
        (reader as SocketReader | null)?.socket.destroy();
        client.kill();
        await client.exited;
        await sspi.FreeCredentialsHandle(cred);
      }
    }
  } finally {
    await listener.close();
  }
  assert.equal(done, 18);
});
