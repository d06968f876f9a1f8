/**
 * Issue 12, item 2: `createTlsServer` shaped like `tls.Server`. On main the obvious echo server
 * (`net.createServer(async s => (await acceptTls(s, …)).pipe(…))`) died on a plain-HTTP probe
 * (unhandled rejection); this server routes every failure before the handshake to
 * `'tlsClientError'` and never crashes, with real clients: Node's `tls`, curl, raw sockets.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import http from "node:http";
import https from "node:https";
import { type AddressInfo, connect as netConnect } from "node:net";
import { after, before, test } from "node:test";
import tls from "node:tls";
import { connectTls } from "../../src/api/connect.js";
import { createTlsServer, type TlsServer, type TlsServerOptions } from "../../src/api/tls-server.js";
import type { SspiTlsStream } from "../../src/api/tls-stream.js";
import { requireBinary, runProcess, tempDir } from "../cli/serve-support.js";
import { withTimeout } from "../support/peers.js";
import { type Pki, pki } from "./fixtures.js";

let p: Pki;
before(async () => {
  p = await pki();
});

const servers: TlsServer[] = [];
after(() => {
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
});

async function start(
  options: Partial<TlsServerOptions>,
  listener?: (stream: SspiTlsStream) => void,
): Promise<{ server: TlsServer; port: number; clientErrors: Array<Error & { code?: string }> }> {
  const server = createTlsServer(
    { certificates: [{ certificate: p.server.certificate, privateKey: p.server.privateKey }], ...options },
    listener,
  );
  const clientErrors: Array<Error & { code?: string }> = [];
  server.on("tlsClientError", (e: Error) => clientErrors.push(e));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  servers.push(server);
  return { server, port: (server.address() as AddressInfo).port, clientErrors };
}

function nodeClient(port: number, extra: tls.ConnectionOptions = {}): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({
      port,
      host: "127.0.0.1",
      servername: "server.test",
      ca: p.ca.certificate,
      ...extra,
    });
    s.once("secureConnect", () => resolve(s));
    s.once("error", reject);
  });
}

async function until(check: () => boolean, what: string): Promise<void> {
  await withTimeout(
    (async () => {
      while (!check()) await new Promise((r) => setTimeout(r, 10));
    })(),
    5000,
    what,
  );
}

test("the echo server survives abrupt clients and plain-HTTP probes; failures go to 'tlsClientError'", async () => {
  const { port, clientErrors } = await start({}, (stream) => stream.pipe(stream));
  // 1. a plain-HTTP probe
  const probe = netConnect(port, "127.0.0.1", () => probe.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  probe.on("error", () => {});
  probe.resume();
  await until(() => clientErrors.length === 1, "tlsClientError for the probe");
  assert.equal(clientErrors[0]!.code, "ERR_SSL_HTTP_REQUEST");
  // 2. an aborted handshake: half a ClientHello, then a reset
  const aborted = netConnect(port, "127.0.0.1", () => {
    aborted.write(Buffer.from([22, 3, 1, 0, 200, 1, 0, 0]));
    setTimeout(() => aborted.resetAndDestroy(), 50);
  });
  aborted.on("error", () => {});
  await until(() => clientErrors.length === 2, "tlsClientError for the aborted handshake");
  // 3. a client that rejects our certificate (untrusted root) and says so with an alert
  await assert.rejects(
    connectTls({ host: "127.0.0.1", port, serverName: "server.test", trustedRoots: [p.rogueCa.certificate] }),
    { code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" },
  );
  await until(() => clientErrors.length === 3, "tlsClientError for the bad certificate");
  assert.equal(clientErrors[2]!.code, "ERR_SSL_TLSV1_ALERT_UNKNOWN_CA");
  // 4. established clients that go away abruptly: destroy and reset
  for (const abrupt of ["destroy", "reset"] as const) {
    const raw = netConnect(port, "127.0.0.1");
    raw.on("error", () => {});
    const client = tls.connect({ socket: raw, servername: "server.test", ca: p.ca.certificate });
    client.on("error", () => {});
    await once(client, "secureConnect");
    client.write("ping");
    await once(client, "data");
    if (abrupt === "destroy") client.destroy();
    else raw.resetAndDestroy();
  }
  // still serving
  const good = await nodeClient(port);
  good.write("still here");
  const [echo] = await once(good, "data");
  assert.equal(String(echo), "still here");
  good.end();
  assert.equal(clientErrors.length, 3);
});

test("curl http:// against the TLS port is a 'tlsClientError', never the listener", async (t) => {
  if (!requireBinary(t, "curl", "apt-get install -y curl")) return;
  let reached = 0;
  const { port, clientErrors } = await start({}, () => reached++);
  const r = await runProcess("curl", ["-s", "-m", "5", `http://127.0.0.1:${port}/`], { timeoutMs: 10_000 });
  assert.notEqual(r.code, 0);
  await until(() => clientErrors.length === 1, "tlsClientError");
  assert.equal(clientErrors[0]!.code, "ERR_SSL_HTTP_REQUEST");
  assert.equal(reached, 0);
});

test("a handshake that takes too long fails with ERR_TLS_HANDSHAKE_TIMEOUT", async () => {
  const { port, clientErrors } = await start({ handshakeTimeout: 200 });
  const silent = netConnect(port, "127.0.0.1");
  silent.on("error", () => {});
  silent.resume();
  const closed = once(silent, "close");
  await until(() => clientErrors.length === 1, "the timeout");
  assert.equal(clientErrors[0]!.code, "ERR_TLS_HANDSHAKE_TIMEOUT");
  await withTimeout(closed, 5000, "the silent socket closed");
});

test("close() drains: close_notify to every client, then the callback", async () => {
  let established = 0;
  const { server, port } = await start({}, (stream) => {
    established++;
    stream.resume();
  });
  const clients = await Promise.all([nodeClient(port), nodeClient(port)]);
  for (const c of clients) {
    c.resume();
    c.on("end", () => c.end()); // answer close_notify
  }
  // Established on our side too (close() abandons handshakes still in progress).
  await until(() => established === 2, "two established connections");
  const closed = new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
  await withTimeout(Promise.all(clients.map((c) => once(c, "end"))), 5000, "close_notify at every client");
  await withTimeout(closed, 5000, "the close callback");
});

test("maxConnections: more connections are dropped ('drop'), as net.Server", async () => {
  const { server, port } = await start({}, (stream) => stream.resume());
  server.maxConnections = 1;
  const first = await nodeClient(port);
  const dropped = once(server, "drop");
  const second = netConnect(port, "127.0.0.1");
  second.on("error", () => {});
  second.resume();
  await withTimeout(dropped, 5000, "'drop'");
  await withTimeout(once(second, "close"), 5000, "the dropped socket closed");
  first.destroy();
});

test("http.createServer served through createTlsServer: https.get and curl", async (t) => {
  const app = http.createServer((req, res) => {
    const socket = req.socket as unknown as SspiTlsStream;
    res.end(`hello ${req.url} over ${socket.getProtocol()} alpn=${socket.alpnProtocol}`);
  });
  const { port } = await start({ alpn: ["http/1.1"] }, (stream) => app.emit("connection", stream));
  const request: https.RequestOptions & tls.ConnectionOptions = {
    host: "127.0.0.1",
    port,
    path: "/node",
    servername: "server.test",
    ca: p.ca.certificate,
    ALPNProtocols: ["http/1.1"],
    agent: false,
  };
  const body = await new Promise<string>((resolve, reject) => {
    https
      .get(request, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve(Buffer.concat(chunks).toString()));
      })
      .on("error", reject);
  });
  assert.match(body, /^hello \/node over TLSv1\.3 alpn=http\/1\.1$/);
  if (!requireBinary(t, "curl", "apt-get install -y curl")) return;
  const dir = tempDir();
  try {
    const ca = `${dir.path}/ca.pem`;
    const { writeFileSync } = await import("node:fs");
    writeFileSync(ca, p.ca.certificate);
    const r = await runProcess(
      "curl",
      [
        "-sS",
        "-m",
        "10",
        "--cacert",
        ca,
        "--resolve",
        `server.test:${port}:127.0.0.1`,
        `https://server.test:${port}/curl`,
      ],
      { timeoutMs: 15_000 },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^hello \/curl over TLSv1\.3 alpn=http\/1\.1$/);
  } finally {
    dir.remove();
  }
});
