/**
 * `SspiTlsStream` over a TCP socket against Node's `tls`, both TLS versions: `connectTls` vs
 * `tls.createServer` and `acceptTls` vs `tls.connect`, 1 MiB each way checked by SHA-256,
 * close_notify both ways (`end()` on either side), read backpressure.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { type AddressInfo, connect as netConnect } from "node:net";
import { pipeline } from "node:stream/promises";
import { before, test } from "node:test";
import tls from "node:tls";
import { acceptTls, connectTls } from "../../src/api/connect.js";
import type { SspiTlsStream } from "../../src/api/tls-stream.js";
import { type Pki, pattern, pki, readAll, sha256, source, tcpPair } from "./fixtures.js";

const VERSIONS = ["TLSv1.3", "TLSv1.2"] as const;
const MIB = 1024 * 1024;
let p: Pki;

before(async () => {
  p = await pki();
});

test("connectTls over TCP ↔ Node tls server: 1 MiB each way, our end() → Node's close_notify ends our readable", {
  timeout: 60_000,
}, async () => {
  for (const version of VERSIONS) {
    const server = tls.createServer({
      cert: p.server.certificate,
      key: p.server.privateKey,
      minVersion: version,
      maxVersion: version,
      ALPNProtocols: ["http/1.1"],
    });
    server.on("secureConnection", (s) => {
      const parts: Buffer[] = [];
      s.write(pattern(MIB, 21));
      s.on("data", (d: Buffer) => parts.push(d));
      s.on("end", () => s.end(sha256(Buffer.concat(parts))));
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const socket = netConnect((server.address() as AddressInfo).port, "127.0.0.1");
    let stream: SspiTlsStream | null = null;
    try {
      stream = await connectTls(socket, {
        serverName: "server.test",
        trustedRoots: [p.ca.certificate],
        alpn: ["http/1.1"],
      });
      assert.equal(stream.secure, true);
      assert.equal(stream.context.protocol, version);
      assert.equal(stream.context.alpnProtocol, "http/1.1");
      const received = readAll(stream);
      await pipeline(source(11), stream); // ends the stream: close_notify
      const all = await received;
      assert.equal(all.byteLength, MIB + 64, `${version}: 1 MiB then the digest`);
      assert.equal(sha256(all.subarray(0, MIB)), sha256(pattern(MIB, 21)), `${version}: 1 MiB from Node`);
      assert.equal(all.subarray(MIB).toString(), sha256(pattern(MIB, 11)), `${version}: Node got our 1 MiB`);
      if (!stream.closed) await once(stream, "close");
      assert.equal(stream.context.state, "closed", "the context is deleted with the stream");
    } finally {
      stream?.destroy();
      socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }
});

test("acceptTls over TCP ↔ Node tls client: 1 MiB each way, half-open: Node's end() ends our readable, we still write, our close_notify ends Node's", {
  timeout: 60_000,
}, async () => {
  for (const version of VERSIONS) {
    const pair = await tcpPair({ allowHalfOpen: true }); // TLS half-close needs TCP half-close
    const client = tls.connect({
      socket: pair.client,
      servername: "server.test",
      ca: p.ca.certificate,
      minVersion: version,
      maxVersion: version,
    });
    try {
      const [stream] = await Promise.all([
        acceptTls(pair.server, {
          certificates: [{ certificate: p.server.certificate, privateKey: p.server.privateKey }],
          allowHalfOpen: true, // keep writing after Node's close_notify
        }),
        once(client, "secureConnect"),
      ]);
      assert.equal(stream.context.protocol, version);
      assert.equal(client.getProtocol(), version);
      const fromNode = readAll(client);
      client.write(pattern(MIB, 31));
      client.end();
      const got = await readAll(stream); // ends at Node's close_notify
      assert.equal(sha256(got), sha256(pattern(MIB, 31)), `${version}: 1 MiB from Node`);
      await pipeline(source(41), stream);
      const back = await fromNode; // ends at our close_notify
      assert.equal(sha256(back), sha256(pattern(MIB, 41)), `${version}: 1 MiB to Node`);
      if (!stream.closed) await once(stream, "close");
    } finally {
      client.destroy();
      await pair.close();
    }
  }
});

test("read backpressure: a paused SspiTlsStream pauses its socket, and nothing is lost", {
  timeout: 60_000,
}, async () => {
  const pair = await tcpPair();
  const server = tls.createServer({ cert: p.server.certificate, key: p.server.privateKey });
  server.on("secureConnection", (s) => s.end(pattern(4 * MIB, 51)));
  server.emit("connection", pair.server);
  try {
    const stream = await connectTls(pair.client, {
      serverName: "server.test",
      trustedRoots: [p.ca.certificate],
    });
    // Read nothing until the socket is paused by our backpressure.
    while (!pair.client.isPaused()) await new Promise((resolve) => setImmediate(resolve));
    assert.ok(stream.readableLength >= stream.readableHighWaterMark, "our readable buffer is full");
    const all = await readAll(stream);
    assert.equal(sha256(all), sha256(pattern(4 * MIB, 51)));
    stream.end();
    if (!stream.closed) await once(stream, "close");
  } finally {
    await pair.close();
    server.close();
  }
});
