/**
 * Issue 12: `peerCertificate` was null on a resumed connection (TLS 1.3 and 1.2); Node's own
 * `getPeerCertificate()` is empty there. The session keeps the validated chain, so a resumed
 * stream reports the server's certificate like a full handshake does.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { before, test } from "node:test";
import { connectTls } from "../../src/api/connect.js";
import { acquireTlsCredentials } from "../../src/api/credentials.js";
import { createTlsServer } from "../../src/api/tls-server.js";
import { type Pki, pki } from "./fixtures.js";

let p: Pki;
before(async () => {
  p = await pki();
});

for (const version of ["TLSv1.3", "TLSv1.2"] as const) {
  test(`${version}: a resumed connection reports the server's certificate (getPeerCertificate, context.peerCertificate)`, async () => {
    const server = createTlsServer(
      { cert: p.server.certificate, key: p.server.privateKey, minVersion: version, maxVersion: version },
      (stream) => stream.end("x"),
    );
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const credentials = await acquireTlsCredentials({ role: "client", ca: p.ca.certificate });
    try {
      for (const expectResumed of [false, true]) {
        const stream = await connectTls({
          host: "127.0.0.1",
          port: (server.address() as AddressInfo).port,
          servername: "server.test",
          credentials,
        });
        assert.equal(stream.isSessionReused(), expectResumed);
        assert.equal(stream.context.peerCertificate?.subject, "CN=server.test");
        assert.equal(
          (stream.getPeerCertificate() as { subject?: { CN?: string } }).subject?.CN,
          "server.test",
        );
        for await (const _ of stream);
      }
    } finally {
      await credentials.close();
      server.close();
    }
  });
}
