/** `async-sspi serve --http` against the real curl and openssl s_client binaries. */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import {
  createCertificateAuthority,
  createDevelopmentCertificate,
  issueCertificate,
} from "../../src/devcert/certificates.js";
import {
  cli,
  kill,
  type RunningServe,
  requireBinary,
  runProcess,
  startServe,
  tempDir,
  waitFor,
} from "./serve-support.js";

const CURL = "apt-get install -y curl";
const OPENSSL = "apt-get install -y openssl";

test("serve --http answers curl over TLS 1.3 and TLS 1.2 with the connection page, one log line each", {
  timeout: 90_000,
}, async (t) => {
  if (!requireBinary(t, "curl", CURL)) return;
  const dir = tempDir();
  let serve: RunningServe | null = null;
  try {
    serve = await startServe([], dir.path);
    assert.match(serve.stdout(), /SHA-256 fingerprint ([0-9A-F]{2}:){31}[0-9A-F]{2}/);
    const url = `https://localhost:${serve.port}/`;
    for (const [flags, protocol, suite] of [
      [[], "TLSv1.3", /TLS_AES_\d+_GCM_SHA\d+|TLS_CHACHA20_POLY1305_SHA256/],
      [["--tlsv1.3"], "TLSv1.3", /TLS_AES_\d+_GCM_SHA\d+|TLS_CHACHA20_POLY1305_SHA256/],
      [["--tlsv1.2", "--tls-max", "1.2"], "TLSv1.2", /TLS_ECDHE_ECDSA_WITH_\w+/],
    ] as const) {
      const r = await runProcess("curl", [
        "-sS",
        "--max-time",
        "20",
        "--cacert",
        serve.caFile,
        ...flags,
        url,
      ]);
      assert.equal(r.code, 0, `curl ${flags.join(" ")}: ${r.stderr}`);
      assert.match(r.stdout, /<h2>Connection details<\/h2>/);
      assert.match(r.stdout, new RegExp(`<th>Protocol</th><td>${protocol}</td>`));
      assert.match(r.stdout, new RegExp(`<th>Cipher suite</th><td>(${suite.source})</td>`));
      assert.match(r.stdout, /<th>ALPN<\/th><td>http\/1\.1<\/td>/);
      assert.match(r.stdout, /<th>Key exchange group<\/th><td>(X25519|P-256|P-384)<\/td>/);
      assert.match(r.stdout, /<th>Client certificate<\/th><td>none<\/td>/);
      assert.match(r.stdout, /<th>User agent<\/th><td>curl\//);
    }
    // One log line per connection, after each closed.
    const log = await waitFor(serve.stdout, /(#3 .*\n)/, 20_000, "serve's log");
    const lines = serve
      .stdout()
      .split("\n")
      .filter((l) => / #\d+ 127\.0\.0\.1:\d+ /.test(l));
    assert.equal(lines.length, 3, serve.stdout());
    assert.match(
      lines[0]!,
      /TLSv1\.3 TLS_\w+ alpn=http\/1\.1 resumed=no in=\d+B out=\d+B \d+ms close_notify/,
    );
    assert.match(lines[2]!, /TLSv1\.2 TLS_ECDHE_ECDSA_WITH_\w+ alpn=http\/1\.1 resumed=no/);
    assert.ok(log);
  } finally {
    await kill(serve);
    dir.remove();
  }
});

test("serve --http answers openssl s_client: request in, response and close_notify out", {
  timeout: 60_000,
}, async (t) => {
  if (!requireBinary(t, "openssl", OPENSSL)) return;
  const dir = tempDir();
  let serve: RunningServe | null = null;
  try {
    serve = await startServe(["--http"], dir.path);
    const r = await runProcess(
      "openssl",
      [
        "s_client",
        "-connect",
        `127.0.0.1:${serve.port}`,
        "-servername",
        "localhost",
        "-CAfile",
        serve.caFile,
        "-verify_return_error",
        "-quiet",
      ],
      { input: "GET /anything?x=1 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n" },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(r.stdout, /Connection: close\r\n/);
    assert.match(r.stdout, /<th>Request<\/th><td>GET \/anything\?x=1 HTTP\/1\.1<\/td>/);
    assert.match(r.stdout, /<th>ALPN<\/th><td>none<\/td>/);
    await waitFor(serve.stdout, /#1 .* HTTP Connection: close: close_notify sent/, 20_000, "serve's log");
  } finally {
    await kill(serve);
    dir.remove();
  }
});

test("serve with --cert/--key and --keylog: curl trusts the issuing CA; NSS key-log lines are written", {
  timeout: 60_000,
}, async (t) => {
  if (!requireBinary(t, "curl", CURL)) return;
  const dir = tempDir();
  let serve: RunningServe | null = null;
  try {
    const { ca, server } = await createDevelopmentCertificate();
    const files = {
      ca: join(dir.path, "ca.pem"),
      cert: join(dir.path, "server.pem"),
      key: join(dir.path, "server.key"),
      keylog: join(dir.path, "keys.log"),
    };
    writeFileSync(files.ca, ca.certificate);
    writeFileSync(files.cert, server.certificate);
    writeFileSync(files.key, server.privateKey);
    serve = await startServe(
      ["--cert", files.cert, "--key", files.key, "--keylog", files.keylog, "--tls1.3"],
      dir.path,
    );
    assert.match(serve.stdout(), /TLSv1\.3 only/);
    const r = await runProcess("curl", [
      "-sS",
      "--max-time",
      "20",
      "--cacert",
      files.ca,
      `https://localhost:${serve.port}/`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /<th>Protocol<\/th><td>TLSv1\.3<\/td>/);
    const keylog = readFileSync(files.keylog, "utf8");
    for (const label of [
      "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
      "SERVER_HANDSHAKE_TRAFFIC_SECRET",
      "CLIENT_TRAFFIC_SECRET_0",
      "SERVER_TRAFFIC_SECRET_0",
    ])
      assert.match(keylog, new RegExp(`^${label} [0-9a-f]{64} [0-9a-f]{64,96}$`, "m"), label);
    // TLS 1.2 is refused: curl fails, the server logs the failure and keeps serving.
    const old = await runProcess("curl", [
      "-sS",
      "--max-time",
      "20",
      "--cacert",
      files.ca,
      "--tlsv1.2",
      "--tls-max",
      "1.2",
      `https://localhost:${serve.port}/`,
    ]);
    assert.notEqual(old.code, 0);
    await waitFor(serve.stdout, /#2 .*handshake failed .*SEC_E_\w+/, 20_000, "serve's log");
  } finally {
    await kill(serve);
    dir.remove();
  }
});

test("serve --client-ca --require-client-cert: the page shows the client certificate; no certificate, no page", {
  timeout: 60_000,
}, async (t) => {
  if (!requireBinary(t, "curl", CURL)) return;
  const dir = tempDir();
  let serve: RunningServe | null = null;
  try {
    const clientCa = await createCertificateAuthority({ commonName: "test client CA" });
    const client = await issueCertificate(clientCa, { commonName: "alice", usage: "client" });
    const files = {
      clientCa: join(dir.path, "client-ca.pem"),
      cert: join(dir.path, "alice.pem"),
      key: join(dir.path, "alice.key"),
    };
    writeFileSync(files.clientCa, clientCa.certificate);
    writeFileSync(files.cert, client.certificate);
    writeFileSync(files.key, client.privateKey);
    serve = await startServe(["--client-ca", files.clientCa, "--require-client-cert"], dir.path);
    assert.match(serve.stdout(), /client certificate required/);
    const url = `https://localhost:${serve.port}/`;
    const withCert = await runProcess("curl", [
      "-sS",
      "--max-time",
      "20",
      "--cacert",
      serve.caFile,
      "--cert",
      files.cert,
      "--key",
      files.key,
      url,
    ]);
    assert.equal(withCert.code, 0, withCert.stderr);
    assert.match(withCert.stdout, /<th>Client certificate<\/th><td>CN=alice \(issued by CN=test client CA\)/);
    const without = await runProcess("curl", ["-sS", "--max-time", "20", "--cacert", serve.caFile, url]);
    assert.notEqual(without.code, 0, "no page without a client certificate");
    assert.doesNotMatch(without.stdout, /Connection details/);
    await waitFor(
      serve.stdout,
      /#2 .*handshake failed .*SEC_E_MUTUAL_AUTH_FAILED \(alert sent: certificate_required\): .*\n/,
      20_000,
      "serve's log",
    );
  } finally {
    await kill(serve);
    dir.remove();
  }
});

test("one bad client never affects another: plain HTTP and a stalled handshake while curl is served", {
  timeout: 60_000,
}, async (t) => {
  if (!requireBinary(t, "curl", CURL)) return;
  const dir = tempDir();
  let serve: RunningServe | null = null;
  const sockets: ReturnType<typeof connect>[] = [];
  try {
    serve = await startServe([], dir.path);
    const port = serve.port;
    // A client speaking plain HTTP to the TLS port, and one that stops after half a ClientHello.
    const plain = connect(port, "127.0.0.1", () => plain.write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
    const stalled = connect(port, "127.0.0.1", () =>
      stalled.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01])),
    );
    for (const s of [plain, stalled]) {
      s.on("error", () => {});
      sockets.push(s);
    }
    await waitFor(serve.stdout, /#1 .*handshake failed.*SEC_E_\w+/, 20_000, "serve's log");
    const r = await runProcess("curl", [
      "-sS",
      "--max-time",
      "20",
      "--cacert",
      serve.caFile,
      `https://localhost:${port}/`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Connection details/);
  } finally {
    for (const s of sockets) s.destroy();
    await kill(serve);
    dir.remove();
  }
});

test("serve --help and bad flags", async () => {
  const help = await runProcess(process.execPath, [cli, "serve", "--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: async-sspi serve/);
  assert.match(help.stdout, /Examples:/);
  const both = await runProcess(process.execPath, [cli, "serve", "--http", "--echo"]);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /--http and --echo exclude each other/);
  const unknown = await runProcess(process.execPath, [cli, "serve", "--frobnicate"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /Unknown option '--frobnicate'/);
  const missingKey = await runProcess(process.execPath, [cli, "serve", "--cert", "/nonexistent.pem"]);
  assert.equal(missingKey.code, 2);
  assert.match(missingKey.stderr, /--cert and --key go together/);
});

test("serve --http serves many concurrent connections (curl --parallel)", { timeout: 90_000 }, async (t) => {
  if (!requireBinary(t, "curl", CURL)) return;
  const dir = tempDir();
  let serve: RunningServe | null = null;
  try {
    serve = await startServe([], dir.path);
    const count = 24;
    const urls = Array.from({ length: count }, (_, i) => `https://localhost:${serve!.port}/page-${i}`);
    const r = await runProcess("curl", [
      "-sS",
      "--max-time",
      "60",
      "--cacert",
      serve.caFile,
      "--parallel",
      "--parallel-max",
      String(count),
      "--no-keepalive",
      "-H",
      "Connection: close",
      "-w",
      "%{http_code} %{url_effective}\\n",
      "-o",
      "/dev/null",
      ...urls,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const ok = r.stdout.split("\n").filter((l) => l.startsWith("200 "));
    assert.equal(ok.length, count, r.stdout);
    await waitFor(serve.stdout, new RegExp(`#${count} .*\\n`), 30_000, "serve's log");
    const lines = serve
      .stdout()
      .split("\n")
      .filter((l) => / #\d+ 127\.0\.0\.1:\d+ TLSv1\.3 /.test(l));
    assert.equal(lines.length, count);
    for (const line of lines) assert.match(line, /HTTP Connection: close: close_notify sent/);
  } finally {
    await kill(serve);
    dir.remove();
  }
});
