/**
 * Hostile `session` blobs (fast-check): random bytes, and real sessions whose OpenSSL part was
 * altered, cut or extended inside a valid envelope (so `d2i_SSL_SESSION` and the handshake see
 * them). A blob is either refused with a `TypeError` before anything is sent, or used: the
 * connection then completes (resumed or not) or fails with a `TlsError`. Never a crash.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import fc from "fast-check";
import { connectTls } from "../../src/api/connect.js";
import { acquireTlsCredentials, type TlsCredentials } from "../../src/api/credentials.js";
import { TlsContext } from "../../src/api/tls-context.js";
import { TlsError } from "../../src/api/tls-error.js";
import { createTlsServer, type TlsServer } from "../../src/api/tls-server.js";
import {
  decodeSessionBlob,
  encodeSessionBlob,
  type SessionBlob,
} from "../../src/schannel/native/session-blob.js";
import { pki } from "./fixtures.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
/** Handshakes are slower than parsing: fewer runs of the property that connects. */
const CONNECT_RUNS = Math.max(10, Math.floor(RUNS / 5));

let server: TlsServer;
let port: number;
let credentials: TlsCredentials;
const real: Record<string, SessionBlob> = {};

before(async () => {
  const p = await pki();
  server = createTlsServer({ cert: p.server.certificate, key: p.server.privateKey }, (s) => s.end("x"));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  port = (server.address() as AddressInfo).port;
  credentials = await acquireTlsCredentials({ role: "client", ca: p.ca.certificate });
  for (const version of ["TLSv1.3", "TLSv1.2"] as const) {
    const stream = await connectTls({
      host: "127.0.0.1",
      port,
      servername: "server.test",
      ca: p.ca.certificate,
      maxVersion: version,
    });
    for await (const _ of stream);
    const blob = decodeSessionBlob(stream.getSession()!);
    assert.ok(!("error" in blob));
    real[version] = blob;
  }
});

after(async () => {
  await credentials?.close();
  server?.close();
});

/** Builds a context with `session`: true when accepted, false for the TypeError; anything else fails. */
function accepted(session: Uint8Array): boolean {
  try {
    void new TlsContext(credentials, { serverName: "server.test", session }).close();
    return true;
  } catch (error) {
    assert.ok(error instanceof TypeError, `not a TypeError: ${String(error)}`);
    return false;
  }
}

/** A real session's DER with bytes changed, cut or appended, in a valid envelope. */
const alteredSession = fc
  .tuple(
    fc.constantFrom("TLSv1.3", "TLSv1.2"),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
    fc.option(fc.nat(), { nil: undefined }),
    fc.uint8Array({ maxLength: 8 }),
  )
  .map(([version, changes, cut, appended]) => {
    const blob = real[version]!;
    const der = Buffer.from(blob.der);
    for (const [at, value] of changes) der[at % der.byteLength] = value;
    const body = Buffer.concat([cut === undefined ? der : der.subarray(0, cut % der.byteLength), appended]);
    return encodeSessionBlob({ ...blob, der: body.byteLength > 0 ? body : Buffer.of(0) });
  });

test("random bytes as a session: a TypeError, never a crash", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
      assert.equal(accepted(bytes), false);
    }),
    { numRuns: RUNS },
  );
});

test("altered sessions: refused (TypeError), or used and the connection completes or fails with a TlsError", async () => {
  await fc.assert(
    fc.asyncProperty(alteredSession, async (session) => {
      if (!accepted(session)) return;
      try {
        const stream = await connectTls({
          host: "127.0.0.1",
          port,
          servername: "server.test",
          credentials,
          session,
        });
        for await (const _ of stream);
      } catch (error) {
        assert.ok(error instanceof TlsError, `not a TlsError: ${String(error)}`);
      }
    }),
    { numRuns: CONNECT_RUNS },
  );
});
