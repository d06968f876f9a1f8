/** `async-sspi connect` against `openssl s_server` (and our own `serve`), spawned as a user runs them. */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type TestContext, test } from "node:test";
import {
  createCertificateAuthority,
  createDevelopmentCertificate,
  issueCertificate,
} from "../../src/devcert/certificates.js";
import { freePort } from "../support/peers.js";
import {
  cli,
  kill,
  type RunningServe,
  requireBinary,
  runProcess,
  type Spawned,
  spawnProcess,
  startServe,
  tempDir,
  waitFor,
} from "./serve-support.js";

const OPENSSL = "apt-get install -y openssl";

interface Fixture {
  dir: ReturnType<typeof tempDir>;
  ca: string;
  cert: string;
  key: string;
}

async function fixture(): Promise<Fixture> {
  const dir = tempDir();
  const { ca, server } = await createDevelopmentCertificate();
  const files = {
    ca: join(dir.path, "ca.pem"),
    cert: join(dir.path, "server.pem"),
    key: join(dir.path, "server.key"),
  };
  writeFileSync(files.ca, ca.certificate);
  writeFileSync(files.cert, server.certificate);
  writeFileSync(files.key, server.privateKey);
  return { dir, ...files };
}

/** Starts `openssl s_server` on a free port with the fixture's certificate; waits for ACCEPT. */
async function sServer(f: Fixture, args: string[]): Promise<Spawned & { port: number }> {
  const port = await freePort();
  const p = spawnProcess("openssl", [
    "s_server",
    "-accept",
    `127.0.0.1:${port}`,
    "-cert",
    f.cert,
    "-key",
    f.key,
    ...args,
  ]);
  try {
    await waitFor(p.stdout, /^ACCEPT/m, 20_000, "s_server");
  } catch (error) {
    await kill(p);
    throw new Error(`${(error as Error).message}\n${p.stderr()}`);
  }
  return { ...p, port };
}

/** Runs `async-sspi connect …` with `input` on stdin. */
function connect(args: string[], input = "") {
  return runProcess(process.execPath, [cli, "connect", ...args], {
    input,
    timeoutMs: 60_000,
    env: { ...process.env, NO_COLOR: "1" },
  });
}

async function withSServer(
  t: TestContext,
  args: string[],
  body: (server: Spawned & { port: number }, f: Fixture) => Promise<void>,
): Promise<void> {
  if (!requireBinary(t, "openssl", OPENSSL)) return;
  const f = await fixture();
  let server: (Spawned & { port: number }) | null = null;
  try {
    server = await sServer(f, args);
    await body(server, f);
  } finally {
    await kill(server);
    f.dir.remove();
  }
}

test("connect talks to openssl s_server -www: trace on stderr, the page on stdout, close_notify, exit 0", {
  timeout: 90_000,
}, async (t) => {
  await withSServer(t, ["-www"], async (server, f) => {
    const keylog = join(f.dir.path, "keys.log");
    const r = await connect(
      [`localhost:${server.port}`, "--ca", f.ca, "--keylog", keylog],
      "GET / HTTP/1.0\r\n\r\n",
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^HTTP\/1\.0 200 ok\r\n/);
    assert.match(r.stdout, /s_server -accept/);
    assert.match(r.stderr, /SspiAcquireCredentialsHandleAsync +queued SEC_E_OK → (pending → )?SEC_E_OK/);
    assert.match(
      r.stderr,
      /SspiInitializeSecurityContextAsync queued SEC_E_OK → pending → SEC_I_CONTINUE_NEEDED/,
    );
    assert.match(r.stderr, /out 2\d\d B: ClientHello\(\d+\)/);
    assert.match(r.stderr, /in +\d+ B: ServerHello\(\d+\)/);
    assert.match(r.stderr, /SspiInitializeSecurityContextAsync queued SEC_E_OK → pending → SEC_E_OK/);
    assert.match(r.stderr, /protocol TLSv1\.3, cipher TLS_\w+, group \S+, ALPN none, resumed: no/);
    assert.match(r.stderr, /0 s: CN=localhost\n +i: CN=async-sspi development CA/);
    assert.match(r.stderr, /certificate check: SEC_E_OK/);
    assert.match(r.stderr, /close_notify sent/);
    assert.match(r.stderr, /DecryptMessage → SEC_I_CONTEXT_EXPIRED \(close_notify\)/);
    assert.ok(!r.stdout.includes("ClientHello"), "the trace stays off stdout");
    assert.match(readFileSync(keylog, "utf8"), /^CLIENT_TRAFFIC_SECRET_0 [0-9a-f]{64} [0-9a-f]{64,96}$/m);
  });
});

for (const [flag, protocol] of [
  ["--tls1.3", "TLSv1.3"],
  ["--tls1.2", "TLSv1.2"],
] as const) {
  test(`connect --reconnect 2 ${flag} resumes the session on both reconnections`, {
    timeout: 90_000,
  }, async (t) => {
    await withSServer(t, ["-www"], async (server, f) => {
      const r = await connect([`localhost:${server.port}`, "--ca", f.ca, "--reconnect", "2", flag]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, new RegExp(`protocol ${protocol}, .* resumed: no`));
      assert.match(r.stderr, /reconnect 1 of 2/);
      assert.match(r.stderr, /reconnect 2 of 2/);
      const resumed = r.stderr.match(new RegExp(`resumed: yes \\(${protocol}, `, "g")) ?? [];
      assert.equal(resumed.length, 2, r.stderr);
    });
  });
}

test("connect without --ca fails with SEC_E_UNTRUSTED_ROOT and says what to do; --insecure shows why", {
  timeout: 90_000,
}, async (t) => {
  await withSServer(t, ["-www"], async (server) => {
    const r = await connect([`localhost:${server.port}`]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      /error: SEC_E_UNTRUSTED_ROOT: the server's chain ends in an untrusted root — pass --ca FILE or --insecure/,
    );
    assert.match(
      r.stderr,
      /\(InitializeSecurityContext: SEC_E_UNTRUSTED_ROOT \(0x80090325\).*\[alert sent: unknown_ca\]/,
    );
    assert.equal(r.stdout, "");

    const insecure = await connect([`127.0.0.1:${server.port}`, "--insecure"], "GET / HTTP/1.0\r\n\r\n");
    assert.equal(insecure.code, 0, insecure.stderr);
    assert.match(insecure.stdout, /^HTTP\/1\.0 200 ok/);
    assert.match(insecure.stderr, /0 s: CN=localhost/);
    assert.match(
      insecure.stderr,
      /certificate check: SEC_E_UNTRUSTED_ROOT \(\w+\) — would have failed without --insecure/,
    );
  });
});

test("connect --servername with a name the certificate lacks fails with SEC_E_WRONG_PRINCIPAL", {
  timeout: 60_000,
}, async (t) => {
  await withSServer(t, ["-www"], async (server, f) => {
    const r = await connect([`127.0.0.1:${server.port}`, "--ca", f.ca, "--servername", "other.test"]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /SEC_E_WRONG_PRINCIPAL: .* pass --servername NAME/);
  });
});

test("connect pipes stdin to openssl s_server -rev and its answer to stdout; --alpn; --json", {
  timeout: 60_000,
}, async (t) => {
  await withSServer(t, ["-rev", "-alpn", "x-test,http/1.1"], async (server, f) => {
    const r = await connect(
      [`localhost:${server.port}`, "--ca", f.ca, "--alpn", "http/1.1"],
      "hello async sspi\n",
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ipss cnysa olleh\n/m);
    assert.match(r.stderr, /ALPN http\/1\.1/);

    const j = await connect([`localhost:${server.port}`, "--ca", f.ca, "--json", "--tls1.2"], "abc\n");
    assert.equal(j.code, 0, j.stderr);
    const doc = JSON.parse(j.stdout) as {
      ok: boolean;
      connections: Array<{ protocol: string; cipherSuite: string; certificateCheck: { status: string } }>;
      data: { received: string; bytesSent: number; closedBy: string };
      events: Array<{ call?: string }>;
    };
    assert.equal(doc.ok, true);
    assert.equal(doc.connections[0]!.protocol, "TLSv1.2");
    assert.equal(doc.connections[0]!.certificateCheck.status, "SEC_E_OK");
    assert.match(doc.data.received, /cba/);
    assert.equal(doc.data.bytesSent, 4);
    assert.ok(doc.events.some((e) => e.call === "SspiInitializeSecurityContextAsync"));
  });
});

test("connect --cert/--key presents a client certificate to s_server -Verify; without one the hint names the flags", {
  timeout: 60_000,
}, async (t) => {
  if (!requireBinary(t, "openssl", OPENSSL)) return;
  const clientCa = await createCertificateAuthority({ commonName: "connect test client CA" });
  const alice = await issueCertificate(clientCa, { commonName: "alice", usage: "client" });
  const f = await fixture();
  let server: (Spawned & { port: number }) | null = null;
  try {
    const files = {
      ca: join(f.dir.path, "client-ca.pem"),
      cert: join(f.dir.path, "alice.pem"),
      key: join(f.dir.path, "alice.key"),
    };
    writeFileSync(files.ca, clientCa.certificate);
    writeFileSync(files.cert, alice.certificate);
    writeFileSync(files.key, alice.privateKey);
    server = await sServer(f, ["-www", "-Verify", "1", "-CAfile", files.ca]);
    const r = await connect(
      [`localhost:${server.port}`, "--ca", f.ca, "--cert", files.cert, "--key", files.key],
      "GET / HTTP/1.0\r\n\r\n",
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /HTTP\/1\.0 200 ok/);
    assert.match(r.stdout, /Client certificate/i);
    const without = await connect([`localhost:${server.port}`, "--ca", f.ca], "GET / HTTP/1.0\r\n\r\n");
    assert.notEqual(without.code, 0);
    assert.match(without.stderr, /pass --cert FILE --key FILE/);
  } finally {
    await kill(server);
    f.dir.remove();
  }
});

test("connect talks to async-sspi serve --echo", { timeout: 60_000 }, async () => {
  const dir = tempDir();
  let serve: RunningServe | null = null;
  try {
    serve = await startServe(["--echo"], dir.path);
    const r = await connect([`localhost:${serve.port}`, "--ca", serve.caFile], "ping over async sspi\n");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "ping over async sspi\n");
    await waitFor(serve.stdout, /#1 .* in=21B out=21B .*close_notify/, 20_000, "serve's log");
  } finally {
    await kill(serve);
    dir.remove();
  }
});

test("connect: refused connection, bad arguments, --help", async () => {
  const port = await freePort();
  const refused = await connect([`127.0.0.1:${port}`]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /cannot connect to 127\.0\.0\.1:\d+: ECONNREFUSED — nothing listens there/);
  const noTarget = await connect([]);
  assert.equal(noTarget.code, 2);
  assert.match(noTarget.stderr, /give exactly one HOST:PORT/);
  const badPort = await connect(["localhost:http"]);
  assert.equal(badPort.code, 2);
  assert.match(badPort.stderr, /not a port number/);
  const both = await connect(["localhost:1", "--tls1.2", "--tls1.3"]);
  assert.equal(both.code, 2);
  const help = await connect(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: async-sspi connect HOST\[:PORT\]/);
  assert.match(help.stdout, /Examples:/);
});
