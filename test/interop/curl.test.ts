/**
 * curl (the real binary) against `async-sspi serve --http`, one factor at a time around a
 * default (curl's defaults): versions, TLS 1.3 and 1.2 suites, ALPN offers (`--http1.1`,
 * `--http2`, `--no-alpn`, a server accepting only h2), and a client certificate (accepted,
 * missing, untrusted). Parameters come from curl's own verbose report and serve's log line.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  kill,
  type RunningServe,
  requireBinary,
  runProcess,
  startServe,
  tempDir,
  waitFor,
} from "../cli/serve-support.js";
import { TempFiles } from "../support/peers.js";
import { type Fixtures, fixtures } from "../support/tls-fixtures.js";
import { Matrix, type Negotiated } from "./results.js";
import { ECDSA12, TLS13 } from "./tls-tables.js";

const matrix = new Matrix(import.meta.filename ?? "curl.test.js");
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

interface CurlCell {
  name: string;
  area: string;
  serve?: string[];
  curl: string[];
  /** Expected: negotiated values, or a refusal whose curl message matches. */
  expect: Partial<Negotiated> | { refused: RegExp; serveLog: RegExp };
}

const CELLS: CurlCell[] = [
  { name: "default", area: "factor", curl: [], expect: { protocol: "TLSv1.3", alpn: "http/1.1" } },
  { name: "--tlsv1.3", area: "factor", curl: ["--tlsv1.3"], expect: { protocol: "TLSv1.3" } },
  {
    name: "--tlsv1.2 --tls-max 1.2",
    area: "factor",
    curl: ["--tlsv1.2", "--tls-max", "1.2"],
    expect: { protocol: "TLSv1.2" },
  },
  ...TLS13.map((s) => ({
    name: `--tls13-ciphers ${s.openssl}`,
    area: "suite",
    curl: ["--tlsv1.3", "--tls13-ciphers", s.openssl],
    expect: { protocol: "TLSv1.3", suite: s.iana },
  })),
  ...ECDSA12.map((s) => ({
    name: `--tls-max 1.2 --ciphers ${s.openssl}`,
    area: "suite",
    curl: ["--tlsv1.2", "--tls-max", "1.2", "--ciphers", s.openssl],
    expect: { protocol: "TLSv1.2", suite: s.iana },
  })),
  { name: "--http1.1 (offers http/1.1)", area: "alpn", curl: ["--http1.1"], expect: { alpn: "http/1.1" } },
  {
    name: "--http2 (offers h2, http/1.1; serve accepts http/1.1)",
    area: "alpn",
    curl: ["--http2"],
    expect: { alpn: "http/1.1" },
  },
  { name: "--no-alpn", area: "alpn", curl: ["--no-alpn"], expect: { alpn: null } },
  {
    name: "mismatch: --http1.1 against serve --alpn h2",
    area: "alpn",
    serve: ["--alpn", "h2"],
    curl: ["--http1.1"],
    expect: {
      refused: /no application protocol|alert number 120/i,
      serveLog: /APPLICATION_PROTOCOL_MISMATCH|application protocol/i,
    },
  },
];

function parseCurl(stderr: string): Negotiated {
  const conn = stderr.match(/SSL connection using (TLSv1\.[23]) \/ ([\w-]+)/);
  const alpn =
    stderr.match(/ALPN: server accepted (\S+)/)?.[1] ??
    (/ALPN: server did not agree/.test(stderr) ? null : null);
  const suite = conn?.[2];
  const all = [...TLS13, ...ECDSA12];
  return {
    ...(conn && { protocol: conn[1] }),
    ...(suite && { suite: all.find((s) => s.openssl === suite)?.iana ?? suite }),
    alpn,
  };
}

async function runCell(serve: RunningServe, cell: CurlCell, extra: string[] = []): Promise<Negotiated> {
  const r = await runProcess(
    "curl",
    [
      "-sS",
      "-v",
      "--max-time",
      "8",
      "--cacert",
      serve.caFile,
      ...cell.curl,
      ...extra,
      `https://localhost:${serve.port}/`,
    ],
    { timeoutMs: 9_000 },
  );
  if ("refused" in cell.expect) {
    assert.notEqual(r.code, 0, "curl fails");
    const seen = r.stderr.match(new RegExp(`.*(?:${cell.expect.refused.source}).*`, "i"))?.[0];
    assert.ok(seen, `curl reports the alert: ${r.stderr.slice(-800)}`);
    const log = await waitFor(serve.stdout, cell.expect.serveLog, 5_000, "serve's log");
    return { note: `curl: "${seen.replace(/^\* /, "").trim()}"; serve: "${log[0]}"` };
  }
  assert.equal(r.code, 0, `curl exit: ${r.stderr.slice(-800)}`);
  assert.match(r.stdout, /Hello over TLS from async-sspi/);
  const n = parseCurl(r.stderr);
  for (const [k, v] of Object.entries(cell.expect))
    assert.equal(n[k as keyof Negotiated], v, `${k} (curl's report)`);
  // The page reports our side's view; it must agree with curl's.
  if (n.protocol) assert.match(r.stdout, new RegExp(`Protocol</th><td>${n.protocol}`));
  if (n.suite) assert.match(r.stdout, new RegExp(`${n.suite}`));
  return n;
}

test("curl against serve --http: versions, suites, ALPN, one factor at a time", {
  timeout: 120_000,
}, async (t) => {
  if (!requireBinary(t, "curl", "apt-get install -y curl")) return;
  const byServeArgs = new Map<string, CurlCell[]>();
  for (const c of CELLS) {
    const key = JSON.stringify(c.serve ?? []);
    byServeArgs.set(key, [...(byServeArgs.get(key) ?? []), c]);
  }
  for (const [key, cells] of byServeArgs) {
    let serve: RunningServe | null = null;
    try {
      serve = await startServe(["--http", ...(JSON.parse(key) as string[])], dir.path);
      for (const cell of cells) {
        const s = serve;
        await matrix.cell(
          {
            peer: "curl",
            direction: "peer client → our server (serve --http)",
            area: cell.area,
            cell: cell.name,
          },
          () => runCell(s, cell),
        );
      }
    } finally {
      await kill(serve);
    }
  }
  matrix.assertAllPassed();
});

test("curl against serve --http --client-ca: client certificate accepted, missing, untrusted", {
  timeout: 60_000,
}, async (t) => {
  if (!requireBinary(t, "curl", "apt-get install -y curl")) return;
  const clientCa = files.write("client-ca.pem", f.ca.certificate);
  let serve: RunningServe | null = null;
  try {
    serve = await startServe(["--http", "--client-ca", clientCa], dir.path);
    const s = serve;
    const spec = (cell: string) => ({
      peer: "curl",
      direction: "peer client → our server (serve --http)",
      area: "mtls",
      cell,
    });
    await matrix.cell(spec("client certificate accepted (--cert/--key)"), async () => {
      const n = await runCell(s, {
        name: "",
        area: "",
        curl: [
          "--cert",
          files.write("c.pem", f.client.certificate),
          "--key",
          files.write("c.key", f.client.privateKey),
        ],
        expect: {},
      });
      return n;
    });
    for (const [name, args, alert] of [
      [
        "client certificate missing",
        [] as string[],
        /certificate required|alert number 116|handshake failure/i,
      ],
      [
        "client certificate from an untrusted CA",
        [
          "--cert",
          files.write("u.pem", f.untrustedClient.certificate),
          "--key",
          files.write("u.key", f.untrustedClient.privateKey),
        ],
        /unknown ca|alert number 48/i,
      ],
    ] as const) {
      await matrix.cell(spec(name), async () => {
        const r = await runProcess(
          "curl",
          ["-sS", "-v", "--max-time", "8", "--cacert", s.caFile, ...args, `https://localhost:${s.port}/`],
          { timeoutMs: 9_000 },
        );
        assert.notEqual(r.code, 0, "curl fails");
        const seen = r.stderr.match(new RegExp(`.*(?:${alert.source}).*`, "i"))?.[0];
        assert.ok(seen, `curl reports the alert: ${r.stderr.slice(-800)}`);
        return { note: `curl exit ${r.code}: "${seen.replace(/^\* /, "").trim()}"` };
      });
    }
  } finally {
    await kill(serve);
  }
  matrix.assertAllPassed();
});
