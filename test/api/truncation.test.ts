/**
 * Issue 10, defect 3: truncation was invisible once we had sent close_notify. A real
 * man-in-the-middle on loopback (a TCP proxy that sends FIN after about 60 kB of a 200 kB
 * transfer, at a record boundary or inside a record) between `connectTls` and Node's `tls`
 * server. Required semantics, whether or not we sent close_notify first:
 * - a partial record at the end of the stream is always an `'error'` with `ERR_TLS_TRUNCATED`;
 * - a clean end at a record boundary without the peer's close_notify ends the stream (as Node's
 *   `tls` does) with `stream.truncated === true`, and is that same error with `strictClose`.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { type AddressInfo, connect as netConnect } from "node:net";
import { after, before, test } from "node:test";
import tls from "node:tls";
import { connectTls, type TlsStreamOptions } from "../../src/api/connect.js";
import { type CutAt, truncatingProxy } from "../support/truncating-proxy.js";
import { type Pki, pattern, pki } from "./fixtures.js";

const VERSIONS = ["TLSv1.3", "TLSv1.2"] as const;
const TOTAL = 200_000;
const CUT_AFTER = 60_000;
let p: Pki;
const servers: tls.Server[] = [];

before(async () => {
  p = await pki();
});

after(() => {
  for (const s of servers) s.close();
});

/** A Node `tls` server that sends 200,000 bytes to every client, then close_notify. */
async function nodeServer(version: (typeof VERSIONS)[number]): Promise<number> {
  const server = tls.createServer({
    cert: p.server.certificate,
    key: p.server.privateKey,
    minVersion: version,
    maxVersion: version,
  });
  server.on("secureConnection", (s) => {
    s.on("error", () => {});
    s.end(pattern(TOTAL, 7));
  });
  server.on("tlsClientError", () => {});
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  servers.push(server);
  return (server.address() as AddressInfo).port;
}

interface Outcome {
  received: number;
  error: (Error & { code?: string }) | null;
  ended: boolean;
  truncated: unknown;
}

/** Connects through the proxy (optionally sending close_notify at once) and reads to the end. */
async function readThrough(
  port: number,
  extra: { strictClose?: boolean; endFirst?: boolean },
): Promise<Outcome> {
  const options = {
    serverName: "server.test",
    trustedRoots: [p.ca.certificate],
    ...(extra.strictClose !== undefined && { strictClose: extra.strictClose }),
  } as TlsStreamOptions;
  const stream = await connectTls(netConnect(port, "127.0.0.1"), options);
  let received = 0;
  let error: Outcome["error"] = null;
  let ended = false;
  stream.on("data", (d: Buffer) => {
    received += d.byteLength;
  });
  stream.on("end", () => {
    ended = true;
  });
  stream.on("error", (e: Error) => {
    error = e;
  });
  const closed = new Promise((resolve) => stream.once("close", resolve));
  if (extra.endFirst) stream.end();
  await closed;
  return { received, error, ended, truncated: (stream as unknown as { truncated: unknown }).truncated };
}

async function throughProxy(
  version: (typeof VERSIONS)[number],
  at: CutAt,
  extra: { strictClose?: boolean; endFirst?: boolean },
): Promise<Outcome> {
  const proxy = await truncatingProxy(await nodeServer(version), CUT_AFTER, at);
  try {
    const outcome = await readThrough(proxy.port, extra);
    await proxy.cut;
    assert.ok(
      outcome.received > 0 && outcome.received < TOTAL,
      `${version}: ${outcome.received} bytes, relayed ${proxy.relayed}, ${outcome.error?.message}`,
    );
    return outcome;
  } finally {
    await proxy.close();
  }
}

test("defect 3, truncation at a record boundary: the stream ends with truncated = true (as Node's tls); strictClose makes it ERR_TLS_TRUNCATED", {
  timeout: 90_000,
}, async () => {
  for (const version of VERSIONS) {
    for (const endFirst of [false, true]) {
      const what = `${version}, ${endFirst ? "after our close_notify" : "reading only"}`;
      const lenient = await throughProxy(version, "record-boundary", { endFirst });
      assert.equal(lenient.error, null, `${what}: no error (${lenient.error?.message})`);
      assert.equal(lenient.ended, true, `${what}: 'end'`);
      assert.equal(lenient.truncated, true, `${what}: stream.truncated`);
      const strict = await throughProxy(version, "record-boundary", { endFirst, strictClose: true });
      assert.equal(strict.error?.code, "ERR_TLS_TRUNCATED", `${what}, strictClose: ${strict.error?.message}`);
      assert.equal(strict.truncated, true, `${what}, strictClose: stream.truncated`);
    }
  }
});

test("defect 3, truncation mid-record: always an ERR_TLS_TRUNCATED error, also after we sent close_notify", {
  timeout: 90_000,
}, async () => {
  for (const version of VERSIONS) {
    for (const endFirst of [false, true]) {
      for (const strictClose of [false, true]) {
        const what = `${version}, ${endFirst ? "after our close_notify" : "reading only"}, strictClose ${strictClose}`;
        const outcome = await throughProxy(version, "mid-record", { endFirst, strictClose });
        assert.equal(outcome.error?.code, "ERR_TLS_TRUNCATED", `${what}: ${outcome.error?.message}`);
        assert.match(outcome.error!.message, /truncat/);
        assert.equal(outcome.truncated, true, `${what}: stream.truncated`);
      }
    }
  }
});

test("no truncation: the peer's close_notify ends the stream with truncated = false, also with strictClose", {
  timeout: 60_000,
}, async () => {
  for (const version of VERSIONS) {
    for (const strictClose of [false, true]) {
      const outcome = await readThrough(await nodeServer(version), { strictClose });
      assert.equal(outcome.error, null, `${version}: ${outcome.error?.message}`);
      assert.equal(outcome.received, TOTAL);
      assert.equal(outcome.truncated, false);
    }
  }
});
