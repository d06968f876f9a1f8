/**
 * `TlsContext.step()` and the record functions driven by hand, client and server contexts of
 * ours in memory: the server's flight fed one byte at a time (`SEC_E_INCOMPLETE_MESSAGE` with
 * `missing`, `extra` always the whole unconsumed input), application data coalesced with the
 * last handshake flight coming back as `extra`, records split at 16384 bytes, several records
 * decrypted in one call; and session resumption against Node's `tls` for both versions.
 */
import assert from "node:assert/strict";
import { before, test } from "node:test";
import tls from "node:tls";
import { concatBytes } from "../../src/api/bytes.js";
import { acquireTlsCredentials } from "../../src/api/credentials.js";
import { TlsContext } from "../../src/api/tls-context.js";
import { SEC_E_INCOMPLETE_MESSAGE, SEC_E_OK, SEC_I_CONTINUE_NEEDED } from "../../src/sspi/status.js";
import { type Pki, pattern, pki, SocketChannel, sha256, tcpPair } from "./fixtures.js";

let p: Pki;

before(async () => {
  p = await pki();
});

/** The record headers' content types and lengths in `bytes`. */
function records(bytes: Uint8Array): Array<{ type: number; length: number }> {
  const out: Array<{ type: number; length: number }> = [];
  for (let o = 0; o + 5 <= bytes.byteLength; ) {
    const length = (bytes[o + 3]! << 8) | bytes[o + 4]!;
    out.push({ type: bytes[o]!, length });
    o += 5 + length;
  }
  return out;
}

test("step() by hand: byte-at-a-time input, MISSING and EXTRA, coalesced data, 16 KiB record split", {
  timeout: 60_000,
}, async () => {
  for (const version of ["TLSv1.3", "TLSv1.2"] as const) {
    const clientCredentials = await acquireTlsCredentials({
      role: "client",
      trustedRoots: [p.ca.certificate],
      versions: [version],
    });
    const serverCredentials = await acquireTlsCredentials({
      role: "server",
      certificates: [{ certificate: p.server.certificate, privateKey: p.server.privateKey }],
    });
    const client = new TlsContext(clientCredentials, { serverName: "server.test" });
    const server = new TlsContext(serverCredentials);
    try {
      const hello = await client.step();
      assert.equal(hello.status, SEC_I_CONTINUE_NEEDED);
      assert.equal(hello.done, false);
      assert.equal(hello.output[0], 0x16, "a handshake record");

      // The server gets the ClientHello in two pieces.
      const part = await server.step(hello.output.subarray(0, 3));
      assert.equal(part.status, SEC_E_INCOMPLETE_MESSAGE);
      assert.deepEqual(part.extra, hello.output.subarray(0, 3), "nothing consumed");
      let flight = await server.step(concatBytes(part.extra, hello.output.subarray(3)));
      assert.equal(flight.status, SEC_I_CONTINUE_NEEDED);
      assert.equal(flight.extra.byteLength, 0);

      // The client gets the server's flight one byte at a time.
      let pending: Uint8Array = new Uint8Array(0);
      let incomplete = 0;
      let sawMissing = false;
      let step = hello;
      for (const byte of flight.output) {
        step = await client.step(concatBytes(pending, Uint8Array.of(byte)));
        pending = step.extra;
        if (step.status === SEC_E_INCOMPLETE_MESSAGE) {
          incomplete++;
          if (step.missing > 0) sawMissing = true;
        }
        if (step.output.byteLength > 0) break;
      }
      assert.ok(incomplete > 10, "many INCOMPLETE steps");
      assert.ok(sawMissing, "with a MISSING count");
      assert.equal(pending.byteLength, 0);
      if (version === "TLSv1.2") {
        assert.equal(step.status, SEC_I_CONTINUE_NEEDED);
        flight = await server.step(step.output);
        assert.equal(flight.status, SEC_E_OK);
        assert.equal(flight.done, true);
        // The server's last flight arrives together with application data.
        const data = server.encrypt(Buffer.from("early words"));
        step = await client.step(concatBytes(flight.output, data));
      } else {
        assert.equal(step.status, SEC_E_OK, "TLS 1.3: the client is done after the server's flight");
        const done = await server.step(concatBytes(step.output, client.encrypt(Buffer.from("client data"))));
        assert.equal(done.done, true);
        const r = await server.decrypt(done.extra);
        assert.equal(Buffer.from(r.plaintext).toString(), "client data", "data coalesced with the Finished");
        // The server's tickets (in `done.output`) and data arrive together.
        const data = server.encrypt(Buffer.from("early words"));
        step = { ...step, extra: concatBytes(step.extra, done.output, data) };
      }
      assert.equal(step.done, true);
      assert.equal(client.established, true);
      const first = await client.decrypt(step.extra);
      assert.equal(Buffer.from(first.plaintext).toString(), "early words");

      // 40000 bytes: three records (16384 + 16384 + 7232), all decrypted in one call.
      const big = pattern(40_000, 3);
      const sealed = client.encrypt(big);
      assert.deepEqual(
        records(sealed).map((r) => r.type),
        [23, 23, 23],
      );
      const opened = await server.decrypt(sealed);
      assert.equal(sha256(opened.plaintext), sha256(big));
      assert.equal(opened.rest.byteLength, 0);
      // A partial record is kept as `rest`, with `missing`.
      const partial = await server.decrypt(sealed.subarray(0, 100));
      assert.equal(partial.plaintext.byteLength, 0);
      assert.equal(partial.rest.byteLength, 100);
      assert.ok(partial.missing > 0);
    } finally {
      await client.close();
      await server.close();
      await clientCredentials.close();
      await serverCredentials.close();
    }
  }
});

test("resumed: a second connection with the same client credentials resumes (Node tls server)", {
  timeout: 60_000,
}, async () => {
  for (const version of ["TLSv1.3", "TLSv1.2"] as const) {
    const server = tls.createServer({
      cert: p.server.certificate,
      key: p.server.privateKey,
      minVersion: version,
      maxVersion: version,
    });
    server.on("secureConnection", (s) => {
      s.write(`resumed=${s.isSessionReused()}`);
      s.on("end", () => s.end());
    });
    const credentials = await acquireTlsCredentials({ role: "client", trustedRoots: [p.ca.certificate] });
    try {
      const seen: boolean[] = [];
      for (let i = 0; i < 2; i++) {
        const pair = await tcpPair();
        server.emit("connection", pair.server);
        const channel = new SocketChannel(pair.client);
        const context = new TlsContext(credentials, { serverName: "server.test" });
        try {
          let pending = await context.handshake(channel);
          let text = "";
          while (!text.startsWith("resumed=")) {
            const r = await context.decrypt(pending); // the greeting may have come with the handshake
            text += Buffer.from(r.plaintext).toString();
            pending = r.rest;
            if (text.startsWith("resumed=")) break;
            const more = await channel.receive();
            assert.ok(more, "Node's greeting");
            pending = concatBytes(pending, more);
          }
          assert.equal(text, `resumed=${i === 1}`, `${version}: Node's view of connection ${i}`);
          seen.push(context.resumed);
          channel.send(await context.shutdown());
          for (;;) {
            const more = await channel.receive();
            if (more === null || (await context.decrypt(concatBytes(pending, more))).closed) break;
          }
        } finally {
          await context.close();
          await pair.close();
        }
      }
      assert.deepEqual(seen, [false, true], `${version}: resumed`);
    } finally {
      await credentials.close();
      server.close();
    }
  }
});
