/**
 * Headless Chromium (Debian's binary through playwright-core, as test/cli/serve-chromium.test.ts
 * does) against `async-sspi serve --http`, one factor at a time: the default, TLS 1.2 only,
 * ECDSA / RSA / Ed25519 server certificates, the key exchange group (X25519MLKEM768 where OpenSSL is
 * 3.5 or later), serve accepting h2 and http/1.1. The page reports our side's parameters; Chromium's
 * own view is the navigation's security details (and, for the group, the DevTools protocol's).
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { CertificateKeyType } from "../../src/devcert/certificates.js";
import { kill, type RunningServe, startServe, tempDir } from "../cli/serve-support.js";
import { type Chromium, launchChromium } from "../support/chromium.js";
import { TempFiles } from "../support/peers.js";
import { type Fixtures, fixtures } from "../support/tls-fixtures.js";
import { KnownGap, Matrix, type Negotiated } from "./results.js";

const matrix = new Matrix(import.meta.filename ?? "chromium.test.js");
const files = new TempFiles();
const dir = tempDir();
let f: Fixtures;
before(async () => {
  f = await fixtures();
});
after(() => {
  files.remove();
  dir.remove();
});

interface Cell {
  name: string;
  area: string;
  keyType?: CertificateKeyType;
  serve: string[];
  expect: Partial<Negotiated>;
}

const CELLS: Cell[] = [
  {
    name: "default (development certificate)",
    area: "factor",
    serve: [],
    expect: { protocol: "TLSv1.3", alpn: "http/1.1" },
  },
  { name: "serve --tls1.2", area: "factor", serve: ["--tls1.2"], expect: { protocol: "TLSv1.2" } },
  {
    name: "ECDSA P-256 certificate",
    area: "certificate",
    keyType: "ecdsa-p256",
    serve: [],
    expect: { protocol: "TLSv1.3" },
  },
  {
    name: "RSA 2048 certificate",
    area: "certificate",
    keyType: "rsa-2048",
    serve: [],
    expect: { protocol: "TLSv1.3" },
  },
  {
    name: "Ed25519 certificate",
    area: "certificate",
    keyType: "ed25519",
    serve: [],
    expect: { protocol: "TLSv1.3" },
  },
  {
    name: "ECDSA P-256 certificate, TLS 1.2",
    area: "certificate",
    keyType: "ecdsa-p256",
    serve: ["--tls1.2"],
    expect: { protocol: "TLSv1.2" },
  },
  {
    name: "RSA 2048 certificate, TLS 1.2",
    area: "certificate",
    keyType: "rsa-2048",
    serve: ["--tls1.2"],
    expect: { protocol: "TLSv1.2" },
  },
  {
    name: "key exchange group: X25519MLKEM768 on OpenSSL ≥ 3.5, X25519 before",
    area: "group",
    serve: [],
    expect: { protocol: "TLSv1.3", group: expectedGroup() },
  },
  {
    name: "serve --alpn http/1.1,h2 (server prefers http/1.1): Chromium offers h2 and http/1.1",
    area: "alpn",
    serve: ["--alpn", "http/1.1,h2"],
    expect: { alpn: "http/1.1" },
  },
];

/**
 * The group our server (and Chromium) should settle on: OpenSSL 3.5 (Node 24) adds the hybrid
 * X25519MLKEM768, which Chromium offers first with a key share; OpenSSL 3.0 (Node 20) lacks it, so
 * X25519 (the key share Chromium sends beside it).
 */
function expectedGroup(): string {
  const [major = 0, minor = 0] = process.versions.openssl.split(".").map(Number);
  return major > 3 || (major === 3 && minor >= 5) ? "X25519MLKEM768" : "X25519";
}

function rowOf(text: string, label: string): string | undefined {
  return text.match(new RegExp(`${label}\\s*([^\\n]+?)\\s*(?:\\n|$)`))?.[1]?.trim();
}

test("headless Chromium against serve --http, one factor at a time", { timeout: 180_000 }, async (t) => {
  let chromium: Chromium | null = null;
  try {
    chromium = await launchChromium(t);
    if (chromium === null) return;
    const b = chromium.browser;
    for (const cell of CELLS) {
      await matrix.cell(
        {
          peer: "Chromium",
          direction: "peer client → our server (serve --http)",
          area: cell.area,
          cell: cell.name,
          limitMs: 25_000,
        },
        async () => {
          const certArgs = cell.keyType
            ? [
                "--cert",
                files.write(`${cell.keyType}.pem`, f.servers[cell.keyType].certificate),
                "--key",
                files.write(`${cell.keyType}.key`, f.servers[cell.keyType].privateKey),
              ]
            : [];
          let serve: RunningServe | null = null;
          const page = await b.newPage();
          try {
            serve = await startServe(["--http", ...certArgs, ...cell.serve], dir.path);
            // Chromium's own view of the group: the DevTools protocol's security details.
            const cdp = await b.newCDPSession(page);
            await cdp.send("Network.enable");
            let chromiumGroup: string | undefined;
            cdp.on("Network.responseReceived", (event) => {
              if (event.type === "Document") chromiumGroup = event.response.securityDetails?.keyExchangeGroup;
            });
            let response: Awaited<ReturnType<typeof page.goto>>;
            try {
              response = await page.goto(`https://localhost:${serve.port}/`, { timeout: 15_000 });
            } catch (error) {
              const message = (error as Error).message.split("\n")[0]!;
              const log =
                serve
                  .stdout()
                  .split("\n")
                  .filter((l) => /#\d+/.test(l))
                  .slice(-1)[0] ?? "";
              if (cell.keyType === "ed25519" && /ERR_SSL_VERSION_OR_CIPHER_MISMATCH/.test(message))
                throw new KnownGap(
                  "Chromium does not offer Ed25519 in signature_algorithms (BoringSSL's default verify preferences), so no signature scheme matches an Ed25519 certificate; our server refuses with handshake_failure.",
                  `${message}\nserve: ${log}`,
                );
              throw new Error(`${message}\nserve: ${log}`);
            }
            assert.equal(response?.status(), 200);
            const details = await response!.securityDetails();
            const text = (await page.locator("body").textContent({ timeout: 10_000 })) ?? "";
            const n: Negotiated = {
              protocol: rowOf(text, "Protocol"),
              suite: rowOf(text, "Cipher suite"),
              group: rowOf(text, "Key exchange group"),
              alpn: rowOf(text, "ALPN") ?? null,
              note: `Chromium: ${details?.protocol ?? "?"}, ${chromiumGroup ?? "no group"}${cell.keyType ? `, certificate ${details?.subjectName}` : ""}`,
            };
            for (const [k, v] of Object.entries(cell.expect))
              assert.equal(n[k as keyof Negotiated], v, `${k} (page)`);
            assert.equal(details?.protocol?.replace(/^TLS /, "TLSv"), n.protocol, "Chromium's protocol");
            // TLS 1.3 names the group Chromium and we agreed on; Chromium spells X25519 the same way.
            if (n.protocol === "TLSv1.3")
              assert.equal(chromiumGroup, n.group, "Chromium's key exchange group");
            // serve logs a connection when it closes; the browser keeps it open, so the page is the record.
            return n;
          } finally {
            await page.close().catch(() => {});
            await kill(serve);
          }
        },
      );
    }
  } finally {
    await chromium?.close();
  }
  matrix.assertAllPassed();
});
