/**
 * A KeyUpdate initiated by the peer, with a peer we did not write: `openssl s_client` over
 * loopback TCP sends KeyUpdate on its `K` (update_requested) and `k` commands. The handshake is
 * Node's tls.Server (fed from the TCP socket through a Duplex); then our layer takes over the
 * server side. Skipped when no `openssl` binary is on the PATH.
 */
import assert from "node:assert/strict";
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import net from "node:net";
import { Duplex } from "node:stream";
import { test } from "node:test";
import tls from "node:tls";
import { TLS_AES_128_GCM_SHA256 } from "../../../src/schannel/record/cipher-suites.js";
import { type DecryptResult, tls13RecordLayer } from "../../../src/schannel/record/record-layer.js";
import { fromTls13TrafficSecret } from "../../../src/schannel/record/record-protection.js";
import { RecordQueue, testCertificates } from "./tls-harness.js";

const haveOpenssl = spawnSync("openssl", ["version"]).status === 0;

function messages(result: DecryptResult): unknown[] {
  assert.equal(result.ok, true, result.ok ? "" : result.reason);
  assert.equal(result.kind, "handshake");
  return (result as { messages: unknown[] }).messages;
}

function plaintext(result: DecryptResult): string {
  assert.equal(result.ok, true, result.ok ? "" : result.reason);
  assert.equal(result.kind, "data");
  return Buffer.from((result as { plaintext: Uint8Array }).plaintext).toString();
}

/** Resolves when the child's stdout has contained `text`. */
function stdoutIncludes(child: ChildProcessWithoutNullStreams, text: string): Promise<void> {
  return new Promise((resolve) => {
    let seen = "";
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(text)) {
        child.stdout.off("data", onData);
        resolve();
      }
    };
    child.stdout.on("data", onData);
  });
}

test("openssl s_client KeyUpdate (K then k) against our server layer", { skip: !haveOpenssl }, async () => {
  const suite = TLS_AES_128_GCM_SHA256;
  const certs = await testCertificates();
  const secrets = new Map<string, Buffer>();
  const server = tls.createServer({
    key: certs.ecdsa.privateKey,
    cert: certs.ecdsa.certificate,
    minVersion: "TLSv1.3",
    ciphers: suite.opensslName,
  });
  server.on("keylog", (line: Buffer) => {
    const [label, , secret] = line.toString("latin1").trim().split(" ");
    if (label && secret) secrets.set(label, Buffer.from(secret, "hex"));
  });
  const fromClient = new RecordQueue();
  const engineOutput = new RecordQueue();
  let capture = false;
  let socket: net.Socket | null = null;
  const engineSide = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      socket?.write(chunk);
      engineOutput.push(chunk);
      callback();
    },
  });
  const listener = net.createServer((s) => {
    socket = s;
    s.on("data", (chunk: Buffer) => (capture ? fromClient.push(chunk) : engineSide.push(chunk)));
    s.on("error", () => {});
    server.emit("connection", engineSide);
  });
  listener.listen(0, "127.0.0.1");
  await once(listener, "listening");
  const secure = once(server, "secureConnection");
  const { port } = listener.address() as net.AddressInfo;
  const child = spawn("openssl", [
    "s_client",
    "-connect",
    `127.0.0.1:${port}`,
    "-tls1_3",
    "-ciphersuites",
    suite.opensslName,
  ]);
  child.stderr.resume();
  const [serverTls] = (await secure) as [tls.TLSSocket];
  try {
    capture = true;
    // The engine writes its two tickets after the handshake: wait until two engine records open
    // under the server application key (handshake-key records fail authentication and are skipped).
    const probe = fromTls13TrafficSecret(suite, secrets.get("SERVER_TRAFFIC_SECRET_0")!);
    while (probe.sequence < 2n) probe.open(await engineOutput.next());
    probe.destroy();
    const layer = tls13RecordLayer(
      suite,
      "server",
      { client: secrets.get("CLIENT_TRAFFIC_SECRET_0")!, server: secrets.get("SERVER_TRAFFIC_SECRET_0")! },
      { write: 2n },
    );
    try {
      // K: KeyUpdate(update_requested)
      child.stdin.write("K\n");
      assert.deepEqual(messages(layer.decryptRecord(await fromClient.next())), [
        { kind: "key-update", updateRequested: true },
      ]);
      assert.equal(layer.read.sequence, 0n);
      assert.equal(layer.hasPendingOutput, true);
      const printed = stdoutIncludes(child, "from our layer, second key");
      const sealed = layer.encrypt(Buffer.from("from our layer, second key\n"));
      assert.ok(sealed.ok);
      socket!.write(sealed.record);
      await printed;
      assert.equal(layer.write.sequence, 1n, "answer KeyUpdate under the old key, data under the new one");
      child.stdin.write("client line after K\n");
      assert.equal(plaintext(layer.decryptRecord(await fromClient.next())), "client line after K\n");
      // k: KeyUpdate(update_not_requested): we re-key our read side only
      child.stdin.write("k\n");
      assert.deepEqual(messages(layer.decryptRecord(await fromClient.next())), [
        { kind: "key-update", updateRequested: false },
      ]);
      assert.equal(layer.hasPendingOutput, false);
      child.stdin.write("client line after k\n");
      assert.equal(plaintext(layer.decryptRecord(await fromClient.next())), "client line after k\n");
      const closed = layer.closeNotify();
      assert.ok(closed.ok);
      socket!.write(closed.record);
    } finally {
      layer.destroy();
    }
  } finally {
    const exited = child.exitCode === null ? once(child, "exit") : Promise.resolve();
    child.kill();
    await exited;
    (socket as net.Socket | null)?.destroy();
    serverTls.destroy();
    listener.close();
    server.close();
  }
});
