/**
 * The addon against Node's `tls` over loopback TCP: handshakes both ways and both versions, data,
 * tls-unique against Node's own `getFinished()`/`getPeerFinished()`, the TLS 1.2 client that
 * rejects the server certificate (exactly one alert record), mTLS continued after
 * `want-x509-lookup` with a certificate supplied afterwards, and KeyUpdate on demand.
 */
import assert from "node:assert/strict";
import { connect as netConnect } from "node:net";
import { test } from "node:test";
import { createServer, type SecureVersion, type TLSSocket, connect as tlsConnect } from "node:tls";
import type { NativeContext } from "../../src/schannel/native/addon-types.js";
import {
  clientOptions,
  driveNative,
  flush,
  keyPair,
  nativeAddon,
  nativePki,
  receiveText,
  recordTypes,
  sendText,
  serverOptions,
  TLS12,
  TLS13,
} from "../support/native-addon.js";
import { closeServer, rawServer, SocketReader, withTimeout } from "../support/peers.js";

const VERSIONS: Array<[SecureVersion, number]> = [
  ["TLSv1.3", TLS13],
  ["TLSv1.2", TLS12],
];

interface NodeServer {
  port: number;
  /** Resolves with the server-side socket once secure, or rejects with its tlsClientError. */
  next(): Promise<TLSSocket>;
  close(): Promise<void>;
}

async function nodeServer(options: Parameters<typeof createServer>[0]): Promise<NodeServer> {
  const waiting: Array<{ resolve(s: TLSSocket): void; reject(e: Error): void }> = [];
  const server = createServer(options, (socket) => {
    socket.on("data", (d: Buffer) => socket.write(`echo:${d.toString()}`));
    socket.on("error", () => {});
    waiting.shift()?.resolve(socket);
  });
  server.on("tlsClientError", (error) => waiting.shift()?.reject(error));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as { port: number }).port,
    next: () => new Promise((resolve, reject) => waiting.push({ resolve, reject })),
    close: () => closeServer(server as never),
  };
}

async function connectReader(port: number): Promise<SocketReader> {
  const socket = netConnect(port, "127.0.0.1");
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  return new SocketReader(socket);
}

for (const [name, version] of VERSIONS) {
  test(`${name}: our client ↔ Node's server: data both ways; tls-unique equals Node's getFinished/getPeerFinished`, async () => {
    const addon = nativeAddon();
    const pki = await nativePki();
    const server = await nodeServer({
      cert: pki.server.certificate,
      key: pki.server.privateKey,
      minVersion: name,
      maxVersion: name,
    });
    const credential = new addon.Credential(
      clientOptions(pki.ca, { maxVersion: version, minVersion: version }),
    );
    const reader = await connectReader(server.port);
    const context = new addon.Context(credential, {
      serverName: "server.test",
      verifyHost: "server.test",
      enforce: true,
    });
    try {
      const accepted = server.next();
      const steps = await withTimeout(driveNative(context, reader, "client"), 10_000, "handshake");
      assert.equal(steps.at(-1)?.outcome, "done", steps.at(-1)?.reason);
      const peer = await accepted;
      const info = context.info();
      assert.equal(info.version, name);
      assert.equal(info.cipherStandardName, peer.getCipher().standardName);
      assert.deepEqual(Buffer.from(context.finished()!), peer.getPeerFinished());
      assert.deepEqual(Buffer.from(context.peerFinished()!), peer.getFinished());
      sendText(context, reader, "hello");
      assert.equal(await withTimeout(receiveText(context, reader, 10), 5000, "echo"), "echo:hello");
      assert.equal(context.peerChain().length, 1);
    } finally {
      context.free();
      credential.free();
      reader.socket.destroy();
      await server.close();
    }
  });

  test(`${name}: our server ↔ Node's client: data both ways; tls-unique equals Node's getFinished/getPeerFinished`, async () => {
    const addon = nativeAddon();
    const pki = await nativePki();
    const credential = new addon.Credential(serverOptions(pki.server, { maxVersion: version }));
    let context: NativeContext | null = null;
    const served = new Promise<string>((resolve, reject) => {
      // resolved by the client once it got the echo
      void rawServer((socket) => {
        const reader = new SocketReader(socket);
        context = new addon.Context(credential, {});
        const ours = context;
        driveNative(ours, reader, "server")
          .then(async (steps) => {
            assert.equal(steps.at(-1)?.outcome, "done", steps.at(-1)?.reason);
            const text = await receiveText(ours, reader, 4);
            sendText(ours, reader, `echo:${text}`);
          })
          .catch(reject);
      }).then(({ server, port }) => {
        const client = tlsConnect({
          port,
          host: "127.0.0.1",
          servername: "server.test",
          ca: pki.ca.certificate,
          maxVersion: name,
          minVersion: name,
        });
        client.on("secureConnect", () => client.write("ping"));
        client.on("data", (d: Buffer) => {
          try {
            // Both ends are done: the server answered after reading the client's Finished.
            const ours = context!;
            assert.equal(d.toString(), "echo:ping");
            assert.deepEqual(client.getFinished(), Buffer.from(ours.peerFinished()!));
            assert.deepEqual(client.getPeerFinished(), Buffer.from(ours.finished()!));
            resolve("ping");
          } catch (error) {
            reject(error);
          } finally {
            client.destroy();
            void closeServer(server);
          }
        });
        client.on("error", reject);
      });
    });
    try {
      assert.equal(await withTimeout(served, 10_000, "server handshake"), "ping");
    } finally {
      (context as NativeContext | null)?.free();
      credential.free();
    }
  });
}

test("TLS 1.2 client rejecting the server certificate: its output is exactly one alert record (no Certificate, no Finished)", async () => {
  const addon = nativeAddon();
  const pki = await nativePki();
  const server = await nodeServer({
    cert: pki.rogueServer.certificate,
    key: pki.rogueServer.privateKey,
    maxVersion: "TLSv1.2",
    requestCert: true,
    rejectUnauthorized: false,
  });
  const credential = new addon.Credential(
    clientOptions(pki.ca, { maxVersion: TLS12, certificates: [keyPair(pki.client)] }),
  );
  const reader = await connectReader(server.port);
  const context = new addon.Context(credential, {
    serverName: "server.test",
    verifyHost: "server.test",
    enforce: true,
  });
  try {
    const rejected = server.next().then(
      () => assert.fail("the server completed a handshake"),
      (error: Error & { code?: string }) => error,
    );
    const steps = await withTimeout(driveNative(context, reader, "client"), 10_000, "handshake");
    const last = steps.at(-1)!;
    assert.equal(last.outcome, "error");
    assert.equal(last.verifyResult, 20, "UNABLE_TO_GET_ISSUER_CERT_LOCALLY");
    assert.deepEqual(recordTypes(last.output), [21], "one alert record");
    assert.equal(last.output.length, 7);
    assert.deepEqual([...last.output.subarray(5)], [2, 48], "fatal unknown_ca");
    assert.deepEqual(last.alerts, [{ direction: "sent", level: 2, description: 48 }]);
    const error = await withTimeout(rejected, 5000, "tlsClientError");
    assert.match(String(error.code), /ALERT_UNKNOWN_CA/);
    assert.ok(context.isDead());
  } finally {
    context.free();
    credential.free();
    reader.socket.destroy();
    await server.close();
  }
});

for (const [name, version] of VERSIONS) {
  test(`${name}: mTLS with the certificate supplied after want-x509-lookup; Node's server sees it`, async () => {
    const addon = nativeAddon();
    const pki = await nativePki();
    const server = await nodeServer({
      cert: pki.server.certificate,
      key: pki.server.privateKey,
      ca: pki.ca.certificate,
      requestCert: true,
      rejectUnauthorized: true,
      maxVersion: name,
    });
    const anonymous = new addon.Credential(clientOptions(pki.ca, { maxVersion: version }));
    const withCertificate = new addon.Credential(
      clientOptions(pki.ca, { maxVersion: version, certificates: [keyPair(pki.client)] }),
    );
    const reader = await connectReader(server.port);
    const context = new addon.Context(anonymous, {
      serverName: "server.test",
      verifyHost: "server.test",
      enforce: true,
      suspendForCertificate: true,
    });
    try {
      const accepted = server.next();
      let steps = await withTimeout(driveNative(context, reader, "client"), 10_000, "first part");
      const suspended = steps.at(-1)!;
      assert.equal(suspended.outcome, "want-x509-lookup");
      assert.equal(suspended.certificateRequested, true);
      assert.equal(suspended.output.length, 0, "nothing written while suspended");
      context.setCertificate(withCertificate);
      const r = context.stepSync(new Uint8Array(reader.available));
      reader.take(r.consumed);
      reader.socket.write(r.output);
      steps = r.outcome === "want-read" ? await driveNative(context, reader, "server") : [r];
      assert.equal(steps.at(-1)?.outcome, "done", steps.at(-1)?.reason);
      const peer = await withTimeout(accepted, 5000, "secureConnection");
      assert.ok(peer.authorized, String(peer.authorizationError));
      assert.equal(peer.getPeerCertificate().subject.CN, "client.test");
    } finally {
      context.free();
      anonymous.free();
      withCertificate.free();
      reader.socket.destroy();
      await server.close();
    }
  });
}

test("TLS 1.3 KeyUpdate on demand (keyUpdate(true)): Node answers and data keeps flowing both ways", async () => {
  const addon = nativeAddon();
  const pki = await nativePki();
  const server = await nodeServer({ cert: pki.server.certificate, key: pki.server.privateKey });
  const credential = new addon.Credential(clientOptions(pki.ca));
  const reader = await connectReader(server.port);
  const context = new addon.Context(credential, {
    serverName: "server.test",
    verifyHost: "server.test",
    enforce: true,
  });
  try {
    const steps = await withTimeout(driveNative(context, reader, "client"), 10_000, "handshake");
    assert.equal(steps.at(-1)?.outcome, "done");
    sendText(context, reader, "one");
    assert.equal(await receiveText(context, reader, 8), "echo:one");
    assert.equal(context.keyUpdate(true), true);
    assert.equal(context.pendingOutput(), 27, "one sealed KeyUpdate record (5 + 5 + 1 + 16)");
    flush(context, reader);
    sendText(context, reader, "two");
    assert.equal(
      await withTimeout(receiveText(context, reader, 8), 5000, "echo after KeyUpdate"),
      "echo:two",
    );
    assert.equal(context.keyUpdate(false), true);
    flush(context, reader);
    sendText(context, reader, "three");
    assert.equal(await withTimeout(receiveText(context, reader, 10), 5000, "echo"), "echo:three");
  } finally {
    context.free();
    credential.free();
    reader.socket.destroy();
    await server.close();
  }
});
