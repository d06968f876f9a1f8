/** The runnable examples complete real handshakes. */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

test("examples/async-handshake: the documented async pattern completes a TLS handshake with callbacks and reinit", async () => {
  const script = fileURLToPath(new URL("../../examples/async-handshake.js", import.meta.url));
  const { stdout } = await run(process.execPath, [script], { timeout: 30_000 });
  assert.match(stdout, /\[client\] completed: SEC_I_CONTINUE_NEEDED/);
  assert.match(stdout, /\[server\] completed: SEC_I_CONTINUE_NEEDED/);
  assert.match(stdout, /server: SEC_E_OK \(0x00000000\); client: SEC_E_OK \(0x00000000\)/);
});

test("examples/length-prefixed-frames: handshake({ send, receive }) and records inside a protocol's own frames", async () => {
  const script = fileURLToPath(new URL("../../examples/length-prefixed-frames.js", import.meta.url));
  const { stdout } = await run(process.execPath, [script], { timeout: 30_000 });
  assert.match(stdout, /handshake over frames: TLSv1\.3 /);
  assert.match(stdout, /answer: you said: hello/);
});
