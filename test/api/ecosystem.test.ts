/**
 * Issue 12, item 4: the idiomatic API used the way people will — Node's `https` and `http2`
 * with `createConnection`, undici's `Client`/`fetch` with a `connect` function — against
 * `async-sspi serve`, `openssl s_server -www` and Node's `http2` server.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import http2 from "node:http2";
import https from "node:https";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { after, before, test } from "node:test";
import { Agent, Client, fetch } from "undici";
import { connectTls } from "../../src/api/connect.js";
import { createTlsConnection } from "../../src/api/create-connection.js";
import { acquireTlsCredentials, type TlsCredentials } from "../../src/api/credentials.js";
import { createTlsServer } from "../../src/api/tls-server.js";
import { kill, type RunningServe, requireBinary, startServe, tempDir } from "../cli/serve-support.js";
import { freePort, type OpensslProcess, spawnOpenssl, TempFiles, waitForOutput } from "../support/peers.js";
import { type Pki, pki } from "./fixtures.js";

/** A TLS server the clients below talk to: where, which name, which CA. */
interface Target {
  name: string;
  port: number;
  serverName: string;
  ca: string | Buffer;
  /** What the page body contains. */
  body: RegExp;
}

let p: Pki;
let dir: ReturnType<typeof tempDir>;
let serve: RunningServe;
let openssl: OpensslProcess | null = null;
let files: TempFiles;
const targets: Target[] = [];

before(async () => {
  p = await pki();
  dir = tempDir();
  files = new TempFiles();
  serve = await startServe([], dir.path);
  targets.push({
    name: "serve",
    port: serve.port,
    serverName: "localhost",
    ca: readFileSync(serve.caFile),
    body: /TLSv1\.3/,
  });
  const opensslFound = spawnOpenssl(["version"]);
  if ((await opensslFound.exited) === 0) {
    const port = await freePort();
    openssl = spawnOpenssl(
      [
        "s_server",
        "-accept",
        `127.0.0.1:${port}`,
        "-cert",
        files.write("cert.pem", p.server.certificate),
        "-key",
        files.write("key.pem", p.server.privateKey),
        "-www",
      ],
      120_000,
    );
    await waitForOutput(openssl, /ACCEPT/);
    targets.push({
      name: "openssl s_server -www",
      port,
      serverName: "server.test",
      ca: p.ca.certificate,
      body: /Ciphers supported/,
    });
  } else if (process.env.CI === "true") throw new Error("openssl is not installed: required under CI");
});

after(async () => {
  await kill(serve);
  openssl?.kill();
  dir.remove();
  files.remove();
});

/** `https.request` with our stream as the connection. */
function httpsGet(target: Target): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      {
        host: "127.0.0.1",
        port: target.port,
        path: "/",
        headers: { host: target.serverName },
        createConnection: (_options: unknown, callback: (error: Error | null, socket?: Duplex) => void) => {
          connectTls({
            host: "127.0.0.1",
            port: target.port,
            servername: target.serverName,
            ca: target.ca,
          }).then(
            (stream) => callback(null, stream),
            (error: Error) => callback(error),
          );
          return undefined;
        },
      } as https.RequestOptions,
      (response) => {
        let body = "";
        response.on("data", (chunk: Buffer) => {
          body += chunk;
        });
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
        response.on("error", reject);
      },
    );
    request.on("error", reject);
    request.end();
  });
}

/** undici's `connect` option: our stream for every connection. */
function undiciConnect(target: Target) {
  return (_options: object, callback: (error: Error | null, socket: Duplex | null) => void) => {
    connectTls({ host: "127.0.0.1", port: target.port, servername: target.serverName, ca: target.ca }).then(
      (stream) => callback(null, stream),
      (error: Error) => callback(error, null),
    );
  };
}

for (const method of ["https.request", "undici Client", "undici fetch"] as const) {
  test(`${method} over our stream, against serve and openssl s_server -www`, async (t) => {
    if (openssl === null && !requireBinary(t, "openssl", "apt-get install -y openssl")) return;
    for (const target of targets) {
      let status: number;
      let body: string;
      if (method === "https.request") ({ status, body } = await httpsGet(target));
      else if (method === "undici Client") {
        const client = new Client(`https://${target.serverName}:${target.port}`, {
          connect: undiciConnect(target) as never,
        });
        const response = await client.request({ path: "/", method: "GET" });
        status = response.statusCode;
        body = await response.body.text();
        await client.close();
      } else {
        const agent = new Agent({ connect: undiciConnect(target) as never });
        const response = await fetch(`https://${target.serverName}:${target.port}/`, { dispatcher: agent });
        status = response.status;
        body = await response.text();
        await agent.close();
      }
      assert.equal(status, 200, `${method} → ${target.name}`);
      assert.match(body, target.body, `${method} → ${target.name}`);
    }
  });
}

test("http2.connect with createConnection (ALPN h2): our client to Node's http2 server, Node's http2 client to our server", async () => {
  let credentials: TlsCredentials | null = null;
  const nodeServer = http2.createSecureServer(
    { cert: p.server.certificate, key: p.server.privateKey },
    (req, res) => res.end(`h2 ${req.url}`),
  );
  const app = http2.createServer((req, res) => res.end(`ours ${req.url}`));
  const ours = createTlsServer(
    { cert: p.server.certificate, key: p.server.privateKey, ALPNProtocols: ["h2"] },
    (stream) => app.emit("connection", stream),
  );
  for (const s of [nodeServer, ours]) {
    s.listen(0, "127.0.0.1");
    await once(s, "listening");
  }
  const get = (session: http2.ClientHttp2Session, path: string) =>
    new Promise<string>((resolve, reject) => {
      const stream = session.request({ ":path": path });
      let body = "";
      stream.on("data", (c: Buffer) => {
        body += c;
      });
      stream.on("end", () => resolve(body));
      stream.on("error", reject);
    });
  try {
    credentials = await acquireTlsCredentials({ role: "client", ca: p.ca.certificate, alpn: ["h2"] });
    const port = (nodeServer.address() as AddressInfo).port;
    const session = http2.connect(`https://server.test:${port}`, {
      createConnection: () =>
        createTlsConnection({
          host: "127.0.0.1",
          port,
          servername: "server.test",
          credentials: credentials!,
        }),
    });
    session.on("error", () => {});
    assert.equal(await get(session, "/x"), "h2 /x");
    session.close();
    const nodeClient = http2.connect(`https://server.test:${(ours.address() as AddressInfo).port}`, {
      ca: p.ca.certificate,
      host: "127.0.0.1",
      servername: "server.test",
    } as http2.SecureClientSessionOptions);
    nodeClient.on("error", () => {});
    assert.equal(await get(nodeClient, "/y"), "ours /y");
    nodeClient.close();
  } finally {
    await credentials?.close();
    nodeServer.close();
    ours.closeAllConnections();
    ours.close();
  }
});
