/**
 * Headless Chromium (Debian's `chromium`, driven by `playwright-core`) loads the
 * `async-sspi serve --http` page over HTTPS; the page text is checked and a screenshot saved to
 * `artifacts/` (git-ignored).
 */
import assert from "node:assert/strict";
import { mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { type Chromium, launchChromium } from "../support/chromium.js";
import { kill, type RunningServe, startServe, tempDir, waitFor } from "./serve-support.js";

const artifacts = fileURLToPath(new URL("../../../artifacts/", import.meta.url));

test("headless Chromium loads the serve --http page over HTTPS (TLS 1.3, ALPN http/1.1)", {
  timeout: 120_000,
}, async (t) => {
  const dir = tempDir();
  let serve: RunningServe | null = null;
  let chromium: Chromium | null = null;
  try {
    chromium = await launchChromium(t);
    if (chromium === null) return;
    serve = await startServe(["--http"], dir.path);
    const browser = chromium.browser;
    const page = browser.pages()[0] ?? (await browser.newPage());
    const response = await page.goto(`https://localhost:${serve.port}/`, { timeout: 60_000 });
    assert.equal(response?.status(), 200);
    const text = (await page.locator("body").textContent({ timeout: 30_000 })) ?? "";
    assert.match(text, /Hello over TLS from async-sspi/);
    assert.match(text, /Protocol\s*TLSv1\.3/);
    assert.match(text, /Cipher suite\s*TLS_(AES_\d+_GCM_SHA\d+|CHACHA20_POLY1305_SHA256)/);
    assert.match(text, /ALPN\s*http\/1\.1/);
    assert.match(text, /User agent\s*Mozilla\/5\.0 .*Chrome\//);
    assert.equal(await page.title(), "async-sspi serve");
    mkdirSync(artifacts, { recursive: true });
    const screenshot = join(artifacts, "serve-chromium.png");
    await page.screenshot({ path: screenshot, fullPage: true });
    assert.ok(statSync(screenshot).size > 1000, "screenshot written");
    await chromium.close();
    chromium = null;
    // The browser's connection(s) closed and were logged.
    await waitFor(
      serve.stdout,
      /#\d+ 127\.0\.0\.1:\d+ TLSv1\.3 TLS_\w+ alpn=http\/1\.1 .* in=\d+B out=\d+B/,
      20_000,
      "serve's log",
    );
  } finally {
    await chromium?.close();
    await kill(serve);
    dir.remove();
  }
});
