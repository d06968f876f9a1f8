/**
 * The addon against the `openssl` binary over loopback TCP: our client ↔ `s_server` and our
 * server ↔ `s_client`, TLS 1.3 and 1.2, data both ways and close_notify.
 */
import assert from "node:assert/strict";
import { connect as netConnect } from "node:net";
import { after, test } from "node:test";
import type { NativeContext } from "../../src/schannel/native/addon-types.js";
import {
  clientOptions,
  driveNative,
  flush,
  nativeAddon,
  nativePki,
  receiveText,
  sendText,
  serverOptions,
  TLS12,
  TLS13,
} from "../support/native-addon.js";
import {
  closeServer,
  freePort,
  rawServer,
  SocketReader,
  spawnOpenssl,
  TempFiles,
  waitForOutput,
  withTimeout,
} from "../support/peers.js";

const files = new TempFiles();
after(() => files.remove());

for (const [name, version, flag] of [
  ["TLS 1.3", TLS13, "-tls1_3"],
  ["TLS 1.2", TLS12, "-tls1_2"],
] as const) {
  test(`${name}: our client ↔ openssl s_server: data both ways, close_notify, s_server exits cleanly`, async () => {
    const addon = nativeAddon();
    const pki = await nativePki();
    const port = await freePort();
    const server = spawnOpenssl([
      "s_server",
      "-accept",
      `127.0.0.1:${port}`,
      "-cert",
      files.write("server.pem", pki.server.certificate),
      "-key",
      files.write("server.key", pki.server.privateKey),
      "-naccept",
      "1",
      flag,
    ]);
    const credential = new addon.Credential(clientOptions(pki.ca, { maxVersion: version }));
    let context: NativeContext | null = null;
    let reader: SocketReader | null = null;
    try {
      await withTimeout(
        (async () => {
          await waitForOutput(server, /ACCEPT/);
          const socket = netConnect(port, "127.0.0.1");
          await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
          reader = new SocketReader(socket);
          context = new addon.Context(credential, { serverName: "server.test", verifyHost: "server.test" });
          const steps = await driveNative(context, reader, "client");
          assert.equal(steps.at(-1)?.outcome, "done", steps.at(-1)?.reason);
          sendText(context, reader, "hello-from-native\n");
          await waitForOutput(server, /hello-from-native/);
          server.child.stdin?.write("hello-from-openssl\n");
          assert.equal(await receiveText(context, reader, 19), "hello-from-openssl\n");
          assert.equal(context.shutdown(), true);
          flush(context, reader);
          assert.equal(await server.exited, 0, server.output());
          assert.doesNotMatch(server.output(), /alert|error:/i);
        })(),
        15_000,
        name,
      );
    } finally {
      (context as NativeContext | null)?.free();
      credential.free();
      (reader as SocketReader | null)?.socket.destroy();
      server.kill();
      await server.exited;
    }
  });

  test(`${name}: our server ↔ openssl s_client: verification OK, data both ways`, async () => {
    const addon = nativeAddon();
    const pki = await nativePki();
    const credential = new addon.Credential(serverOptions(pki.server, { maxVersion: version }));
    const contexts: NativeContext[] = [];
    let onReader: (r: SocketReader) => void = () => {};
    const accepted = new Promise<SocketReader>((resolve) => {
      onReader = resolve;
    });
    const { server: tcp, port } = await rawServer((socket) => onReader(new SocketReader(socket)));
    const client = spawnOpenssl([
      "s_client",
      "-connect",
      `127.0.0.1:${port}`,
      "-servername",
      "server.test",
      "-CAfile",
      files.write("ca.pem", pki.ca.certificate),
      "-verify_hostname",
      "server.test",
      "-verify_return_error",
      "-brief",
      "-nocommands",
      flag,
    ]);
    try {
      await withTimeout(
        (async () => {
          const reader = await accepted;
          const context = new addon.Context(credential, {});
          contexts.push(context);
          const steps = await driveNative(context, reader, "server");
          assert.equal(steps.at(-1)?.outcome, "done", steps.at(-1)?.reason);
          await waitForOutput(client, /Verification: OK/);
          client.child.stdin?.write("from-s_client\n");
          assert.equal(await receiveText(context, reader, 14), "from-s_client\n");
          sendText(context, reader, "from-native\n");
          await waitForOutput(client, /from-native/);
          reader.socket.destroy();
        })(),
        15_000,
        name,
      );
    } finally {
      for (const c of contexts) c.free();
      credential.free();
      client.kill();
      await client.exited;
      await closeServer(tcp);
    }
  });
}
