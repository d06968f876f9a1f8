/**
 * Loading the native engine: the addon from `prebuilds/` (a matching prebuild) or `build/` (built
 * by `npm ci`), through `node-gyp-build`, checked against the OpenSSL this Node runs on.
 *
 * Loading never throws: where the addon is missing, cannot load (a missing OpenSSL symbol fails
 * the load, the addon is linked with `-z now`) or was built for another OpenSSL, the result says
 * why in one sentence, and the Schannel package reports itself unavailable with that reason.
 *
 * @module
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { NativeAddon } from "./addon-types.js";

/** Result of {@link loadNativeEngine}. */
export type NativeEngineLoad = { ok: true; addon: NativeAddon } | { ok: false; reason: string };

let loaded: NativeEngineLoad | null = null;

/** The package root (where `binding.gyp`, `build/` and `prebuilds/` are), from `dist/src/schannel/native/`. */
function packageRoot(): string {
  return join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..");
}

/** @returns the OpenSSL version number in an `OPENSSL_VERSION_TEXT` (`"OpenSSL 3.0.19 27 Jan 2026"` → `"3.0.19"`). */
export function opensslVersionOf(text: string): string | null {
  return /^OpenSSL (\d+\.\d+\.\d+[a-z]?)/.exec(text)?.[1] ?? null;
}

/**
 * Loads the addon once per isolate.
 *
 * @returns `{ ok: true, addon }`, or `{ ok: false, reason }` with a one-sentence reason.
 */
export function loadNativeEngine(): NativeEngineLoad {
  loaded ??= load();
  return loaded;
}

function load(): NativeEngineLoad {
  const expected = process.versions.openssl;
  if (typeof expected !== "string" || expected.length === 0)
    return { ok: false, reason: "this runtime exports no OpenSSL for the native TLS engine to bind to" };
  const require = createRequire(import.meta.url);
  let addon: NativeAddon;
  try {
    const gypBuild = require("node-gyp-build") as (dir: string) => unknown;
    addon = gypBuild(packageRoot()) as NativeAddon;
  } catch (error) {
    const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
    return { ok: false, reason: `the native TLS engine could not be loaded (${message})` };
  }
  const compiled = opensslVersionOf(String(addon.opensslVersionText));
  const runtime = opensslVersionOf(String(addon.opensslRuntimeVersion));
  const nodeVersion = expected.replace(/\+.*$/, "");
  if (compiled !== nodeVersion || runtime !== nodeVersion)
    return {
      ok: false,
      reason: `the native TLS engine was built for OpenSSL ${compiled ?? "?"} but Node runs OpenSSL ${nodeVersion}; rebuild it (npm rebuild async-sspi)`,
    };
  return { ok: true, addon };
}
