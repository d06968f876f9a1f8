/**
 * Issue 12: `getSession()` / `'session'` and `connectTls({ session })` resume across credentials
 * and processes (TLS 1.3 and 1.2), against our server and Node's `tls` server, under the rules
 * of issue 10: a session is offered only to the same name, validation and trusted roots; a
 * resumed certificate's name is checked again; manual validation never exports a session.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import type { AddressInfo, Server } from "node:net";
import { before, test } from "node:test";
import tls from "node:tls";
import { connectTls } from "../../src/api/connect.js";
import { createTlsConnection } from "../../src/api/create-connection.js";
import { acquireTlsCredentials } from "../../src/api/credentials.js";
import { TlsContext } from "../../src/api/tls-context.js";
import { createTlsServer } from "../../src/api/tls-server.js";
import type { SspiTlsStream } from "../../src/api/tls-stream.js";
import { type IssuedCertificate, issueCertificate } from "../../src/devcert/certificates.js";
import { decodeSessionBlob, encodeSessionBlob } from "../../src/schannel/native/session-blob.js";
import { runChild } from "../support/child.js";
import { type Pki, pki } from "./fixtures.js";

type Version = "TLSv1.2" | "TLSv1.3";

let p: Pki;
/** A certificate for `server.test` and `other.test`. */
let twoNames: IssuedCertificate;
before(async () => {
  p = await pki();
  twoNames = await issueCertificate(p.ca, {
    commonName: "server.test",
    dnsNames: ["server.test", "other.test"],
  });
});

interface Peer {
  port: number;
  /** `isSessionReused()` of each connection the server accepted, in order. */
  reused: boolean[];
  close(): void;
}

/** Our server or Node's, answering "hello" and closing. */
async function startServer(kind: "ours" | "node", version: Version, cert = twoNames): Promise<Peer> {
  const reused: boolean[] = [];
  const options = { cert: cert.certificate, key: cert.privateKey, minVersion: version, maxVersion: version };
  let server: Server;
  if (kind === "node") {
    server = tls.createServer(options, (socket) => {
      reused.push(socket.isSessionReused());
      socket.end("hello");
    });
  } else {
    server = createTlsServer(options, (stream) => {
      reused.push(stream.isSessionReused());
      stream.end("hello");
    });
  }
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { port: (server.address() as AddressInfo).port, reused, close: () => server.close() };
}

/** Reads a client stream to its end, collecting the sessions its `'session'` events carried. */
async function drain(stream: SspiTlsStream, sessions: Buffer[] = []): Promise<Buffer[]> {
  stream.on("session", (s: Buffer) => sessions.push(s));
  for await (const _ of stream);
  return sessions;
}

/** A first connection with credentials of its own; returns the session it saved. */
async function firstSession(port: number, version: Version): Promise<Buffer> {
  const stream = await connectTls({
    host: "127.0.0.1",
    port,
    servername: "server.test",
    ca: p.ca.certificate,
  });
  assert.equal(stream.getProtocol(), version);
  assert.equal(stream.isSessionReused(), false);
  const sessions = await drain(stream);
  assert.ok(sessions.length > 0, "'session' was emitted");
  const saved = stream.getSession();
  assert.ok(saved instanceof Buffer, "getSession() answers after the end");
  assert.deepEqual(saved, sessions.at(-1));
  return saved;
}

for (const version of ["TLSv1.3", "TLSv1.2"] as const) {
  for (const kind of ["ours", "node"] as const) {
    test(`${version}, ${kind === "ours" ? "our server" : "Node's tls server"}: a second process resumes from getSession() and reports the server's certificate`, async () => {
      const server = await startServer(kind, version);
      try {
        const session = await firstSession(server.port, version);
        const child = await runChild(new URL("./session-resume-child.js", import.meta.url), {
          timeoutMs: 30_000,
          env: {
            SESSION_HEX: session.toString("hex"),
            CA_PEM: p.ca.certificate,
            PORT: String(server.port),
          },
        });
        assert.equal(child.code, 0, child.stderr);
        const report = JSON.parse(child.stdout) as Record<string, unknown>;
        assert.deepEqual(report, {
          reused: true,
          protocol: version,
          peer: "CN=server.test",
          legacyPeer: "server.test",
          body: "hello",
        });
        assert.deepEqual(server.reused, [false, true], "the server resumed the second connection");
      } finally {
        server.close();
      }
    });
  }

  test(`${version}: a session resumes under other credentials with the same roots, and not for another name`, async () => {
    const server = await startServer("ours", version);
    try {
      const session = await firstSession(server.port, version);
      const other = await acquireTlsCredentials({ role: "client", ca: p.ca.certificate });
      try {
        const resumed = await connectTls({
          host: "127.0.0.1",
          port: server.port,
          servername: "server.test",
          credentials: other,
          session,
        });
        assert.equal(resumed.isSessionReused(), true);
        await drain(resumed);
        const renamed = await connectTls({
          host: "127.0.0.1",
          port: server.port,
          servername: "other.test",
          credentials: other,
          session,
        });
        assert.equal(renamed.isSessionReused(), false, "another server name: a full handshake");
        assert.equal(renamed.context.peerCertificate?.subject, "CN=server.test");
        await drain(renamed);
      } finally {
        await other.close();
      }
      assert.deepEqual(server.reused, [false, true, false]);
    } finally {
      server.close();
    }
  });

  test(`${version}: other trusted roots, or no name check, never take the session (full handshakes)`, async () => {
    const server = await startServer("ours", version);
    try {
      const session = await firstSession(server.port, version);
      const moreRoots = await connectTls({
        host: "127.0.0.1",
        port: server.port,
        servername: "server.test",
        ca: [p.ca.certificate, p.rogueCa.certificate],
        session,
      });
      assert.equal(moreRoots.isSessionReused(), false);
      await drain(moreRoots);
      const noNameCheck = await connectTls({
        host: "127.0.0.1",
        port: server.port,
        servername: "server.test",
        ca: p.ca.certificate,
        noServerNameCheck: true,
        session,
      });
      assert.equal(noNameCheck.isSessionReused(), false);
      await drain(noNameCheck);
      assert.deepEqual(server.reused, [false, false, false]);
    } finally {
      server.close();
    }
  });

  test(`${version}: a manually validated connection exports no session and emits no 'session'`, async () => {
    const server = await startServer("ours", version);
    try {
      const stream = await connectTls({
        host: "127.0.0.1",
        port: server.port,
        servername: "server.test",
        rejectUnauthorized: false,
      });
      const sessions = await drain(stream);
      assert.deepEqual(sessions, []);
      assert.equal(stream.getSession(), undefined);
    } finally {
      server.close();
    }
  });

  test(`${version}: a session whose name was changed is resumed by the server but fails the name check again`, async () => {
    const server = await startServer("ours", version, p.server);
    try {
      const session = await firstSession(server.port, version);
      const blob = decodeSessionBlob(session);
      assert.ok(!("error" in blob));
      const forged = encodeSessionBlob({ ...blob, target: "evil.test" });
      await assert.rejects(
        connectTls({
          host: "127.0.0.1",
          port: server.port,
          servername: "evil.test",
          ca: p.ca.certificate,
          session: forged,
        }),
        (error: Error & { statusName?: string; code?: string }) => {
          assert.equal(error.statusName, "SEC_E_WRONG_PRINCIPAL", error.message);
          assert.match(error.message, /on resumption/, "the server resumed; the name was checked again");
          return true;
        },
      );
    } finally {
      server.close();
    }
  });
}

test("createTlsConnection({ session }) resumes too (tls.connect's shape)", async () => {
  const server = await startServer("ours", "TLSv1.3");
  const credentials = await acquireTlsCredentials({ role: "client", ca: p.ca.certificate });
  try {
    const session = await firstSession(server.port, "TLSv1.3");
    const stream = createTlsConnection({
      host: "127.0.0.1",
      port: server.port,
      servername: "server.test",
      credentials,
      session,
    });
    await once(stream, "secureConnect");
    assert.equal(stream.isSessionReused(), true);
    await drain(stream);
  } finally {
    await credentials.close();
    server.close();
  }
});

test("session: garbage, truncated or extended blobs are a TypeError before anything is sent", async () => {
  const server = await startServer("ours", "TLSv1.3");
  try {
    const session = await firstSession(server.port, "TLSv1.3");
    const credentials = await acquireTlsCredentials({ role: "client", ca: p.ca.certificate });
    try {
      const bad: Array<[string, Uint8Array]> = [
        ["empty", Buffer.alloc(0)],
        ["garbage", Buffer.from("not a session at all")],
        ["truncated", session.subarray(0, session.byteLength - 1)],
        ["header only", session.subarray(0, 40)],
        ["trailing bytes", Buffer.concat([session, Buffer.of(0)])],
        [
          "OpenSSL's own DER (Node's getSession format)",
          (decodeSessionBlob(session) as { der: Uint8Array }).der,
        ],
      ];
      for (const [what, blob] of bad) {
        assert.throws(
          () =>
            connectTls({
              host: "127.0.0.1",
              port: server.port,
              servername: "server.test",
              credentials,
              session: blob,
            }),
          TypeError,
          what,
        );
        assert.throws(
          () => new TlsContext(credentials, { serverName: "server.test", session: blob }),
          TypeError,
          what,
        );
      }
      assert.throws(
        () =>
          connectTls({
            host: "127.0.0.1",
            port: server.port,
            servername: "server.test",
            credentials,
            session: "abc" as unknown as Uint8Array,
          }),
        TypeError,
      );
    } finally {
      await credentials.close();
    }
  } finally {
    server.close();
  }
});
