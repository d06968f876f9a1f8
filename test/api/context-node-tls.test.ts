/**
 * `TlsContext` against Node's own `tls` over loopback TCP, both TLS versions: our client vs
 * `tls.createServer`, our server vs `tls.connect`; data both ways (a 1 MiB transfer checked by
 * SHA-256), getters, keying material compared with Node's, KeyUpdate, close_notify both ways.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { type AddressInfo, connect as netConnect } from "node:net";
import { before, test } from "node:test";
import tls from "node:tls";
import { concatBytes } from "../../src/api/bytes.js";
import { acquireTlsCredentials, type TlsCredentials } from "../../src/api/credentials.js";
import { TlsContext } from "../../src/api/tls-context.js";
import { type Pki, pattern, pki, SocketChannel, sha256, tcpPair } from "./fixtures.js";

const VERSIONS = ["TLSv1.3", "TLSv1.2"] as const;
const MIB = 1024 * 1024;
let p: Pki;

before(async () => {
  p = await pki();
});

/** Reads and decrypts until `expected` plaintext bytes arrived or the peer closed. */
async function receivePlaintext(
  context: TlsContext,
  channel: SocketChannel,
  expected: number,
  pending: Uint8Array,
) {
  const parts: Uint8Array[] = [];
  let got = 0;
  let buffer = pending;
  let closed = false;
  while (got < expected && !closed) {
    if (buffer.byteLength > 0) {
      const r = await context.decrypt(buffer);
      if (r.toSend.byteLength > 0) channel.send(r.toSend);
      parts.push(r.plaintext);
      got += r.plaintext.byteLength;
      buffer = r.rest;
      closed = r.closed;
      if (got >= expected || closed) break;
    }
    const more = await channel.receive();
    if (more === null) break;
    buffer = concatBytes(buffer, more);
  }
  return { plaintext: Buffer.concat(parts), rest: buffer, closed };
}

/** Decrypts until the peer's close_notify. */
async function untilClosed(
  context: TlsContext,
  channel: SocketChannel,
  pending: Uint8Array,
): Promise<boolean> {
  return (await receivePlaintext(context, channel, Number.POSITIVE_INFINITY, pending)).closed;
}

test("TlsContext client ↔ Node tls server: handshake, getters, 1 MiB both ways, exporter, KeyUpdate, close_notify", {
  timeout: 60_000,
}, async () => {
  for (const version of VERSIONS) {
    const server = tls.createServer({
      cert: p.server.certificate,
      key: p.server.privateKey,
      minVersion: version,
      maxVersion: version,
      ALPNProtocols: ["h2", "http/1.1"],
    });
    const nodeSide = once(server, "secureConnection") as Promise<[tls.TLSSocket]>;
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const socket = netConnect((server.address() as AddressInfo).port, "127.0.0.1");
    await once(socket, "connect");
    const channel = new SocketChannel(socket);
    const credentials: TlsCredentials = await acquireTlsCredentials({
      role: "client",
      trustedRoots: [p.ca.certificate],
      alpn: ["http/1.1"],
    });
    const context = new TlsContext(credentials, { serverName: "server.test" });
    try {
      let pending = await context.handshake(channel);
      const [peer] = await nodeSide;
      assert.equal(context.protocol, version);
      assert.equal(peer.getProtocol(), version);
      assert.equal(context.cipherSuite, peer.getCipher().standardName);
      assert.equal(context.alpnProtocol, "http/1.1");
      assert.equal(context.peerCertificate?.subject, "CN=server.test");
      assert.equal(context.resumed, false);
      assert.deepEqual(
        Buffer.from(context.exportKeyingMaterial(32, "EXPORTER-api-test", new Uint8Array([1, 2]))),
        peer.exportKeyingMaterial(32, "EXPORTER-api-test", Buffer.from([1, 2])),
        `${version}: keying material agrees with Node's`,
      );

      // client → server: 1 MiB, several records; Node echoes the digest.
      const upload = pattern(MIB, 7);
      const received: Buffer[] = [];
      let total = 0;
      const uploaded = new Promise<void>((resolve) =>
        peer.on("data", (d: Buffer) => {
          received.push(d);
          total += d.byteLength;
          if (total === MIB) resolve();
        }),
      );
      channel.send(context.encrypt(upload));
      await uploaded;
      assert.equal(sha256(Buffer.concat(received)), sha256(upload), `${version}: 1 MiB upload`);

      // server → client: 1 MiB.
      const download = pattern(MIB, 9);
      peer.write(download);
      const got = await receivePlaintext(context, channel, MIB, pending);
      pending = got.rest;
      assert.equal(got.plaintext.byteLength, MIB);
      assert.equal(sha256(got.plaintext), sha256(download), `${version}: 1 MiB download`);

      if (version === "TLSv1.3") {
        // Our KeyUpdate asking Node to update too; data after it still flows both ways.
        channel.send(await context.keyUpdate(true));
        const echoed = once(peer, "data");
        channel.send(context.encrypt(Buffer.from("after key update")));
        assert.equal(String((await echoed)[0]), "after key update");
        peer.write("node after key update");
        const back = await receivePlaintext(context, channel, 21, pending);
        pending = back.rest;
        assert.equal(back.plaintext.toString(), "node after key update");
      } else {
        await assert.rejects(context.keyUpdate(true), { statusName: "SEC_E_UNSUPPORTED_FUNCTION" });
      }

      // We close first; Node answers with its close_notify.
      const peerEnded = once(peer, "end");
      channel.send(await context.shutdown());
      await peerEnded;
      peer.end();
      assert.equal(await untilClosed(context, channel, pending), true, `${version}: Node's close_notify`);
      assert.throws(() => context.encrypt(Buffer.from("x")), { statusName: "SEC_E_CONTEXT_EXPIRED" });
    } finally {
      await context.close();
      await credentials.close();
      socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }
});

test("TlsContext server ↔ Node tls client: handshake, client certificate, 1 MiB both ways, the client's close_notify", {
  timeout: 60_000,
}, async () => {
  for (const version of VERSIONS) {
    const credentials = await acquireTlsCredentials({
      role: "server",
      certificates: [{ certificate: p.server.certificate, privateKey: p.server.privateKey }],
      trustedRoots: [p.ca.certificate],
      alpn: ["h2", "http/1.1"],
      versions: [version],
    });
    const pair = await tcpPair();
    const client = tls.connect({
      socket: pair.client,
      servername: "server.test",
      ca: p.ca.certificate,
      cert: p.client.certificate,
      key: p.client.privateKey,
      ALPNProtocols: ["http/1.1"],
    });
    const channel = new SocketChannel(pair.server);
    const context = new TlsContext(credentials, { requestClientCertificate: true });
    try {
      const connected = once(client, "secureConnect");
      let pending = await context.handshake(channel);
      await connected;
      assert.equal(client.getProtocol(), version);
      assert.equal(context.protocol, version);
      assert.equal(client.alpnProtocol, "http/1.1");
      assert.equal(context.alpnProtocol, "http/1.1");
      assert.equal(context.peerCertificate?.subject, "CN=client.test");
      assert.equal(context.cipherSuite, client.getCipher().standardName);

      const upload = pattern(MIB, 3);
      client.write(upload);
      const got = await receivePlaintext(context, channel, MIB, pending);
      pending = got.rest;
      assert.equal(sha256(got.plaintext), sha256(upload), `${version}: 1 MiB from Node`);

      const download = pattern(MIB, 5);
      const parts: Buffer[] = [];
      let total = 0;
      const downloaded = new Promise<void>((resolve) =>
        client.on("data", (d: Buffer) => {
          parts.push(d);
          total += d.byteLength;
          if (total === MIB) resolve();
        }),
      );
      channel.send(context.encrypt(download));
      await downloaded;
      assert.equal(sha256(Buffer.concat(parts)), sha256(download), `${version}: 1 MiB to Node`);

      // Node closes first; we see `closed` and answer with our close_notify.
      client.end();
      assert.equal(
        await untilClosed(context, channel, pending),
        true,
        `${version}: the client's close_notify`,
      );
      const clientEnded = once(client, "end");
      channel.send(await context.shutdown());
      await clientEnded;
      assert.deepEqual(await context.shutdown(), new Uint8Array(0), "shutdown is idempotent");
    } finally {
      client.destroy();
      await context.close();
      await credentials.close();
      await pair.close();
    }
  }
});
