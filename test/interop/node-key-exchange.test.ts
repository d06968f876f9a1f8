/**
 * Our client's default key exchange against Node's `tls` server of the running Node (its OpenSSL):
 * on OpenSSL 3.5 and later (Node 24) the defaults offer X25519MLKEM768 first, as Node's own do, and
 * the pair agrees on it; on OpenSSL 3.0 (Node 20) on X25519. A server without ML-KEM (X25519 only,
 * like OpenSSL 3.0 or GnuTLS peers) still completes in one round trip: our ClientHello carries an
 * X25519 key share beside the hybrid one, so no HelloRetryRequest is needed.
 */
import assert from "node:assert/strict";
import { before, test } from "node:test";
import tls from "node:tls";
import {
  box,
  connectTls,
  DeleteSecurityContext,
  FreeCredentialsHandle,
  QueryContextAttributes,
  SCH_CREDENTIALS_VERSION,
  SEC_E_OK,
  SECPKG_ATTR_CIPHER_INFO,
  SECPKG_CRED_OUTBOUND,
  statusName,
} from "../../src/index.js";
import { closeServer } from "../support/peers.js";
import { acquireOk, connectReader, handshake } from "../support/sspi-driver.js";
import { type Fixtures, fixtures } from "../support/tls-fixtures.js";

const [major = 0, minor = 0] = process.versions.openssl.split(".").map(Number);
const hybrid = major > 3 || (major === 3 && minor >= 5);

let f: Fixtures;
before(async () => {
  f = await fixtures();
});

/** Our default client → a Node TLS 1.3 server with `ecdhCurve`; what our context reports. */
async function connectWith(ecdhCurve: string | undefined): Promise<{ group: string; calls: number }> {
  const server = tls.createServer({
    cert: f.servers["ecdsa-p256"].certificate,
    key: f.servers["ecdsa-p256"].privateKey,
    minVersion: "TLSv1.3",
    ...(ecdhCurve !== undefined && { ecdhCurve }),
  });
  server.on("secureConnection", (socket) => socket.on("error", () => {}));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const cred = await acquireOk(SECPKG_CRED_OUTBOUND, {
    dwVersion: SCH_CREDENTIALS_VERSION,
    hRootStore: [f.ca.certificate],
  });
  const reader = await connectReader((server.address() as { port: number }).port);
  try {
    const outcome = await handshake("initiator", reader, cred, { target: "localhost" });
    assert.equal(outcome.status, SEC_E_OK, statusName(outcome.status));
    const info = box<{ szExchangeGroup: string }>({ szExchangeGroup: "" });
    assert.equal(QueryContextAttributes(outcome.handle, SECPKG_ATTR_CIPHER_INFO, info), SEC_E_OK);
    DeleteSecurityContext(outcome.handle);
    return { group: info.value.szExchangeGroup, calls: outcome.calls };
  } finally {
    reader.socket.destroy();
    FreeCredentialsHandle(cred);
    await closeServer(server as never);
  }
}

test(`our client's defaults → Node's default server agree on ${hybrid ? "X25519MLKEM768" : "X25519"} (OpenSSL ${process.versions.openssl})`, async () => {
  const { group, calls } = await connectWith(undefined);
  assert.equal(group, hybrid ? "X25519MLKEM768" : "X25519");
  assert.equal(calls, 2, "ClientHello, then the server's flight: no HelloRetryRequest");
});

test("our client's defaults → a server with X25519 only: X25519 in one round trip (no HelloRetryRequest)", async () => {
  const { group, calls } = await connectWith("X25519");
  assert.equal(group, "X25519");
  assert.equal(calls, 2, "the ClientHello already carried an X25519 key share");
});

test(`the idiomatic API reports the group: connectTls → Node's default server gives ${hybrid ? "X25519MLKEM768" : "X25519"}`, async () => {
  const server = tls.createServer({
    cert: f.servers["ecdsa-p256"].certificate,
    key: f.servers["ecdsa-p256"].privateKey,
    minVersion: "TLSv1.3",
  });
  server.on("secureConnection", (socket) => socket.on("error", () => {}));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const stream = await connectTls({
      host: "127.0.0.1",
      port: (server.address() as { port: number }).port,
      servername: "localhost",
      ca: f.ca.certificate,
    });
    try {
      assert.equal(stream.context.keyExchangeGroup, hybrid ? "X25519MLKEM768" : "X25519");
    } finally {
      stream.destroy();
    }
  } finally {
    await closeServer(server as never);
  }
});
