/**
 * Issue 12, item 4: an `http.createServer` app behind `createTlsServer`, loaded by headless
 * Chromium (Debian's binary through playwright-core, as test/cli/serve-chromium.test.ts does).
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { createTlsServer } from "../../src/api/tls-server.js";
import type { SspiTlsStream } from "../../src/api/tls-stream.js";
import { type Chromium, launchChromium } from "../support/chromium.js";
import { pki } from "./fixtures.js";

test("headless Chromium loads an http.createServer app served through createTlsServer", {
  timeout: 120_000,
}, async (t) => {
  const p = await pki();
  const app = http.createServer((req, res) => {
    const socket = req.socket as unknown as SspiTlsStream;
    res.setHeader("content-type", "text/html");
    res.end(
      `<title>app</title><p>${req.url} over ${socket.getProtocol()} ${socket.getCipher()?.standardName}</p>`,
    );
  });
  const server = createTlsServer(
    { cert: p.server.certificate, key: p.server.privateKey, ALPNProtocols: ["http/1.1"] },
    (stream) => app.emit("connection", stream),
  );
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  let chromium: Chromium | null = null;
  try {
    chromium = await launchChromium(t);
    if (chromium === null) return;
    const browser = chromium.browser;
    const page = browser.pages()[0] ?? (await browser.newPage());
    const response = await page.goto(`https://127.0.0.1:${(server.address() as AddressInfo).port}/hello`, {
      timeout: 60_000,
    });
    assert.equal(response?.status(), 200);
    assert.equal(await page.title(), "app");
    const text = (await page.locator("body").textContent({ timeout: 30_000 })) ?? "";
    assert.match(text, /^\/hello over TLSv1\.3 TLS_(AES_\d+_GCM_SHA\d+|CHACHA20_POLY1305_SHA256)$/);
  } finally {
    await chromium?.close();
    server.closeAllConnections();
    server.close();
  }
});
