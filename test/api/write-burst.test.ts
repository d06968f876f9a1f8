/**
 * Issue 10, defect 2 (API side): `SspiTlsStream._writev` spread every buffered chunk as a
 * function argument, so a burst of ~200,000 small `write()` calls overflowed the stack and
 * killed the process. Runs in a child process: a regression fails this test, not the runner.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { runChild } from "../support/child.js";

test("defect 2, _writev stack overflow: 200,000 small write() calls on an SspiTlsStream reach Node's tls server intact", {
  timeout: 120_000,
}, async () => {
  const r = await runChild(new URL("./write-burst-child.js", import.meta.url), { timeoutMs: 100_000 });
  assert.doesNotMatch(r.stderr, /Maximum call stack size exceeded/);
  assert.equal(r.code, 0, `child: ${r.stderr.slice(-2000)}`);
  assert.match(r.stdout, /server received 200000 bytes/);
});
