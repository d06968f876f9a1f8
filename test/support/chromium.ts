/**
 * Headless Chromium (Debian's `/usr/bin/chromium`, driven by `playwright-core`) with a fresh
 * profile, for the tests that load our servers in a real browser.
 *
 * @module
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import type { BrowserContext } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

/** A running browser; `close()` also removes its profile. */
export interface Chromium {
  browser: BrowserContext;
  close(): Promise<void>;
}

/**
 * Launches headless Chromium (certificate errors ignored: the tests check TLS themselves).
 *
 * @returns the browser, or null after skipping the test when Chromium is not installed (under
 *   `CI=true` a missing Chromium throws instead).
 */
export async function launchChromium(t: TestContext): Promise<Chromium | null> {
  if (!existsSync(CHROMIUM)) {
    const reason = `${CHROMIUM} is not installed (apt-get install -y chromium)`;
    if (process.env.CI === "true") throw new Error(`${reason}: required under CI`);
    t.skip(reason);
    return null;
  }
  const { chromium } = await import("playwright-core");
  const profile = mkdtempSync(join(tmpdir(), "async-sspi-chromium-"));
  const removeProfile = () => rmSync(profile, { recursive: true, force: true });
  try {
    const browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      timeout: 60_000,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--ignore-certificate-errors",
      ],
    });
    return {
      browser,
      async close() {
        await browser.close().catch(() => {});
        removeProfile();
      },
    };
  } catch (error) {
    removeProfile();
    throw error;
  }
}
