import assert from "node:assert/strict";
import { test } from "node:test";
import * as api from "../../src/index.js";
import {
  FAILED,
  formatStatus,
  SEC_E_INVALID_HANDLE,
  SEC_E_OK,
  SEC_E_UNTRUSTED_ROOT,
  SEC_I_ASYNC_CALL_PENDING,
  SEC_I_CONTINUE_NEEDED,
  SUCCEEDED,
  statusName,
} from "../../src/index.js";

test("statuses are the signed 32-bit values C code sees", () => {
  assert.equal(SEC_E_UNTRUSTED_ROOT, 0x80090325 | 0);
  assert.equal(SEC_E_UNTRUSTED_ROOT, -2146893019);
  assert.equal(SEC_E_INVALID_HANDLE, -2146893055, "the header value 0x80090301, not the docs' 0x80100003");
  assert.equal(SEC_I_ASYNC_CALL_PENDING, 590696);
  assert.equal(SEC_I_CONTINUE_NEEDED, 590610);
  assert.ok(SEC_E_UNTRUSTED_ROOT < 0);
});

test("SUCCEEDED and FAILED follow the sign, like the C macros", () => {
  assert.equal(SUCCEEDED(SEC_E_OK), true);
  assert.equal(SUCCEEDED(SEC_I_CONTINUE_NEEDED), true);
  assert.equal(FAILED(SEC_I_CONTINUE_NEEDED), false);
  assert.equal(FAILED(SEC_E_UNTRUSTED_ROOT), true);
  assert.equal(FAILED(0x80090325), true, "an unsigned literal is treated as the same status");
});

test("formatStatus names any known status and prints unknown ones as hex", () => {
  assert.equal(formatStatus(SEC_E_UNTRUSTED_ROOT), "SEC_E_UNTRUSTED_ROOT (0x80090325)");
  assert.equal(formatStatus(SEC_E_OK), "SEC_E_OK (0x00000000)");
  assert.equal(formatStatus(SEC_I_ASYNC_CALL_PENDING), "SEC_I_ASYNC_CALL_PENDING (0x00090368)");
  assert.equal(formatStatus(0x12345678), "0x12345678");
  assert.equal(statusName(0x12345678), undefined);
});

test("every exported SEC_E_/SEC_I_ constant has its own name back (aliases excepted)", () => {
  const aliases = new Set(["SEC_E_NO_SPM", "SEC_E_NOT_SUPPORTED"]);
  for (const [name, value] of Object.entries(api)) {
    if (!/^SEC_[EI]_/.test(name) || aliases.has(name)) continue;
    assert.equal(statusName(value as number), name);
  }
});
