/**
 * `SspiTlsStream` over a WebSocket-like message transport (a `MessageChannel`; every send is
 * split into messages of random sizes) with Node's `tls` on the other end, running over a
 * `Duplex` wired to the same channel: our client vs a `tls.Server` (fed with
 * `server.emit("connection", duplex)`) and our server vs `tls.connect({ socket })`, both TLS
 * versions, 1 MiB each way checked by SHA-256, close_notify both ways.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { pipeline } from "node:stream/promises";
import { before, test } from "node:test";
import tls from "node:tls";
import { acceptTls, connectTls } from "../../src/api/connect.js";
import { acquireTlsCredentials } from "../../src/api/credentials.js";
import { messageChannelTransport, type Pki, pattern, pki, readAll, sha256, source } from "./fixtures.js";

const VERSIONS = ["TLSv1.3", "TLSv1.2"] as const;
const MIB = 1024 * 1024;
let p: Pki;

before(async () => {
  p = await pki();
});

test("connectTls over a message transport (random chunking) ↔ Node tls server over the same channel", {
  timeout: 60_000,
}, async () => {
  const credentials = await acquireTlsCredentials({
    role: "client",
    trustedRoots: [p.ca.certificate],
    alpn: ["chat"],
  });
  try {
    for (const [i, version] of VERSIONS.entries()) {
      for (const maxChunk of [7, 1500]) {
        const channel = messageChannelTransport(100 + i * 10 + maxChunk, maxChunk);
        const server = tls.createServer({
          cert: p.server.certificate,
          key: p.server.privateKey,
          minVersion: version,
          maxVersion: version,
          ALPNProtocols: ["chat"],
        });
        const accepted = once(server, "secureConnection") as Promise<[tls.TLSSocket]>;
        server.emit("connection", channel.theirs);
        try {
          const stream = await connectTls(channel.ours, { credentials, serverName: "server.test" });
          const [peer] = await accepted;
          assert.equal(stream.context.protocol, version);
          assert.equal(stream.context.alpnProtocol, "chat");
          const size = maxChunk === 7 ? 64 * 1024 : MIB; // tiny messages: a smaller transfer
          const fromNode = readAll(peer);
          const fromUs = readAll(stream);
          peer.write(pattern(size, 61));
          await pipeline(source(71, size), stream); // then close_notify
          assert.equal(sha256(await fromNode), sha256(pattern(size, 71)), `${version}/${maxChunk}: to Node`);
          peer.end(); // Node's close_notify ends our readable
          assert.equal(sha256(await fromUs), sha256(pattern(size, 61)), `${version}/${maxChunk}: from Node`);
          assert.ok(channel.ours.messages > size / maxChunk, "the records arrived split over many messages");
          if (!stream.closed) await once(stream, "close");
          assert.equal(stream.context.state, "closed");
        } finally {
          channel.close();
          channel.theirs.destroy();
        }
      }
    }
  } finally {
    await credentials.close();
  }
});

test("acceptTls over a message transport ↔ Node tls.connect over the same channel: client certificate, 1 MiB each way", {
  timeout: 60_000,
}, async () => {
  const credentials = await acquireTlsCredentials({
    role: "server",
    certificates: [{ certificate: p.server.certificate, privateKey: p.server.privateKey }],
    trustedRoots: [p.ca.certificate],
  });
  try {
    for (const [i, version] of VERSIONS.entries()) {
      const channel = messageChannelTransport(300 + i, 1000);
      const client = tls.connect({
        socket: channel.theirs,
        servername: "server.test",
        ca: p.ca.certificate,
        cert: p.client.certificate,
        key: p.client.privateKey,
        minVersion: version,
        maxVersion: version,
      });
      try {
        const [stream] = await Promise.all([
          acceptTls(channel.ours, { credentials, requestClientCertificate: true }),
          once(client, "secureConnect"),
        ]);
        assert.equal(stream.context.peerCertificate?.subject, "CN=client.test");
        assert.equal(client.getProtocol(), version);
        const fromNode = readAll(stream);
        const fromUs = readAll(client);
        client.write(pattern(MIB, 81));
        stream.write(pattern(MIB, 91));
        client.end(); // Node's close_notify ends our readable; we answer with ours
        assert.equal(sha256(await fromNode), sha256(pattern(MIB, 81)), `${version}: from Node`);
        assert.equal(sha256(await fromUs), sha256(pattern(MIB, 91)), `${version}: to Node`);
        if (!stream.closed) await once(stream, "close");
      } finally {
        client.destroy();
        channel.close();
      }
    }
  } finally {
    await credentials.close();
  }
});
