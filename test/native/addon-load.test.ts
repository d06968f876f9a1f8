/**
 * The addon loads, binds to the OpenSSL node exports (no second libssl), and reports the same
 * OpenSSL version as `process.versions.openssl`.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { test } from "node:test";
import { loadNativeEngine, opensslVersionOf } from "../../src/schannel/native/load-native-engine.js";
import { NativeEngineHost } from "../../src/service/native-host.js";
import { SEC_E_SECPKG_NOT_FOUND } from "../../src/sspi/status.js";
import { nativeAddon } from "../support/native-addon.js";

test("the addon loads and its OpenSSL (compiled and running) equals process.versions.openssl", () => {
  const addon = nativeAddon();
  assert.equal(opensslVersionOf(addon.opensslVersionText), process.versions.openssl);
  assert.equal(opensslVersionOf(addon.opensslRuntimeVersion), process.versions.openssl);
  assert.equal(loadNativeEngine(), loadNativeEngine(), "loaded once per isolate");
});

test("the addon links no OpenSSL of its own: its OpenSSL symbols are undefined, bound to node's", () => {
  const require = createRequire(import.meta.url);
  const path = (require("node-gyp-build") as { path(dir: string): string }).path(process.cwd());
  const maps = readFileSync("/proc/self/maps", "utf8");
  assert.ok(maps.includes(path), "the addon is mapped into this process");
  assert.doesNotMatch(maps, /libssl\.so|libcrypto\.so/, "no system libssl/libcrypto is loaded");
});

test("opensslVersionOf reads OPENSSL_VERSION_TEXT", () => {
  assert.equal(opensslVersionOf("OpenSSL 3.0.19 27 Jan 2026"), "3.0.19");
  assert.equal(opensslVersionOf("OpenSSL 3.5.1 1 Jul 2025"), "3.5.1");
  assert.equal(opensslVersionOf("BoringSSL"), null);
});

test("where the addon cannot load, the native host refuses every credential with SEC_E_SECPKG_NOT_FOUND and the reason", async () => {
  const reason = "the native TLS engine could not be loaded (test)";
  const host = new NativeEngineHost({ ok: false, reason });
  const result = await host.acquireCredential({
    role: "client",
    certificates: [],
    trustedRoots: null,
    minVersion: "TLSv1.2",
    maxVersion: "TLSv1.3",
  });
  assert.equal(result.status, SEC_E_SECPKG_NOT_FOUND);
  assert.equal(result.reason, reason);
  assert.equal(
    host.blocking.acquireCredential({
      role: "server",
      certificates: [],
      trustedRoots: null,
      minVersion: "TLSv1.2",
      maxVersion: "TLSv1.3",
    }).status,
    SEC_E_SECPKG_NOT_FOUND,
  );
  await host.dispose();
});
