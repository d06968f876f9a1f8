/** The command line, spawned as a user runs it. */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const cli = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

test("demo (npm start) completes a handshake, messages, resumption and shutdown, and exits 0", async () => {
  const { stdout } = await run(process.execPath, [cli, "demo"], { timeout: 60_000 });
  assert.match(stdout, /SspiAcceptSecurityContextAsync +queued SEC_E_OK → pending → SEC_E_OK/);
  assert.match(stdout, /SspiInitializeSecurityContextAsync queued SEC_E_OK → pending → SEC_E_OK/);
  assert.match(stdout, /ClientHello\(\d+\)/);
  assert.match(stdout, /DecryptMessage +record \d+ B → 4 B "pong"/);
  assert.match(stdout, /resumed: yes/);
  assert.match(stdout, /SEC_I_CONTEXT_EXPIRED \(close_notify\)/);
  assert.ok(!stdout.includes("\u001b["), "no colour when stdout is not a terminal");
});

test("demo --json is machine-readable and reports the negotiated connection", async () => {
  for (const [flag, protocol] of [
    ["--tls1.2", "TLSv1.2"],
    ["--tls1.3", "TLSv1.3"],
  ] as const) {
    const { stdout } = await run(process.execPath, [cli, "demo", "--json", flag], { timeout: 60_000 });
    const result = JSON.parse(stdout) as {
      ok: boolean;
      connection: { protocol: string; alpn: string; resumedSecondConnection: boolean };
    };
    assert.equal(result.ok, true);
    assert.equal(result.connection.protocol, protocol);
    assert.equal(result.connection.alpn, "http/1.1");
    assert.equal(result.connection.resumedSecondConnection, true, `${protocol} resumption`);
  }
});

test("--help, --version, packages, and an unknown command", async () => {
  const help = await run(process.execPath, [cli, "--help"]);
  assert.match(help.stdout, /Usage: async-sspi <command>/);
  const demoHelp = await run(process.execPath, [cli, "demo", "--help"]);
  assert.match(demoHelp.stdout, /Usage: async-sspi demo/);
  const version = await run(process.execPath, [cli, "--version"]);
  assert.match(version.stdout.trim(), /^\d+\.\d+\.\d+$/);
  const packages = await run(process.execPath, [cli, "packages", "--json"]);
  const list = JSON.parse(packages.stdout) as Array<{ Name: string; wRPCID: number; capabilities: string[] }>;
  assert.equal(list.find((p) => p.Name === "Schannel")?.wRPCID, 14);
  assert.equal(list.find((p) => p.Name === "NTLM")?.wRPCID, 10);
  await assert.rejects(
    run(process.execPath, [cli, "frobnicate"]),
    (err: { code: number; stderr: string }) => {
      assert.equal(err.code, 2);
      assert.match(err.stderr, /unknown command "frobnicate"/);
      return true;
    },
  );
});
