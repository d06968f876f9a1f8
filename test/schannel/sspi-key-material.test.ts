/**
 * Private-key material (issue 10, item 10): the library's own copies of a credential's private
 * key do not outlive their use on the caller's thread — in particular nothing of it stays
 * referenced after FreeCredentialsHandle while a context of the credential lives on — and the
 * engine zeroes the key bytes it owns when the credential is released. Checked with heap
 * snapshots of this thread, for the worker-pool service and the in-thread one.
 */
import assert from "node:assert/strict";
import { createPrivateKey } from "node:crypto";
import { after, before, test } from "node:test";
import { issueCertificate } from "../../src/devcert/certificates.js";
import {
  configureSecurityService,
  SCH_CREDENTIALS_VERSION,
  SEC_E_OK,
  SECPKG_CRED_INBOUND,
  SECPKG_CRED_OUTBOUND,
  securityServiceConfiguration,
  promises as sspi,
  statusName,
} from "../../src/index.js";
import { EngineCredential } from "../../src/schannel/engine/engine-credential.js";
import { acquire, memoryHandshake, pki } from "../blocking/memory-handshake.js";
import { heapContainsText } from "../support/gc.js";
import { acquireOk, connectReader, encrypt, handshake, leakCheck, receive } from "../support/sspi-driver.js";
import { type Fixtures, fixtures, serverConfig } from "./engine/fixtures.js";
import { closeTlsServer, nodeTlsServer } from "./engine/interop-helpers.js";

let f: Fixtures;
const leaks = leakCheck();
const configured = securityServiceConfiguration();
before(async () => {
  f = await fixtures();
});
after(async () => {
  configureSecurityService({ workers: configured.workers });
  await leaks.verify();
});

/**
 * A fresh client certificate whose private key PEM is held by nobody but the returned auth data;
 * `needle` is a hex-encoded piece of the key's base64 body.
 */
async function freshClientAuth(): Promise<{
  auth: { paCred: unknown[] } & Record<string, unknown>;
  needle: string;
}> {
  const issued = await issueCertificate(f.ca, { commonName: "key holder", dnsNames: [], usage: "client" });
  const line = issued.privateKey.split("\n")[3]!;
  return {
    needle: Buffer.from(line.slice(4, 52)).toString("hex"),
    auth: {
      dwVersion: SCH_CREDENTIALS_VERSION,
      hRootStore: [f.ca.certificate],
      paCred: [{ certificate: issued.certificate, privateKey: issued.privateKey }],
    },
  };
}

for (const workers of [1, 0]) {
  test(`private key material not retained on the caller's thread after FreeCredentialsHandle while a context lives on (workers: ${workers})`, async () => {
    assert.equal(configureSecurityService({ workers }), SEC_E_OK);
    const cert = f.servers["ecdsa-p256"];
    const peer = await nodeTlsServer({
      cert: cert.certificate,
      key: cert.privateKey,
      ca: f.ca.certificate,
      requestCert: true,
      rejectUnauthorized: true,
    });
    try {
      let fresh: Awaited<ReturnType<typeof freshClientAuth>> | null = await freshClientAuth();
      const needle = fresh.needle;
      const cred = await acquireOk(SECPKG_CRED_OUTBOUND, fresh.auth);
      fresh = null;
      const reader = await connectReader(peer.port);
      try {
        const hs = await handshake("initiator", reader, cred, { target: "localhost" });
        assert.equal(statusName(hs.status), "SEC_E_OK");
        assert.equal(await sspi.FreeCredentialsHandle(cred), SEC_E_OK);
        assert.equal(await heapContainsText(needle), false, "the private key is still on this thread's heap");
        // The context outlives its credential and still works.
        reader.socket.write(encrypt(hs.handle, Buffer.from("ping")));
        assert.equal((await receive(hs.handle, reader, 4, hs.leftover)).plaintext.toString(), "ping");
        assert.equal(await sspi.DeleteSecurityContext(hs.handle), SEC_E_OK);
      } finally {
        reader.socket.destroy();
      }
    } finally {
      await closeTlsServer(peer.server, peer.log);
    }
  });
}

test("the engine credential zeroes and drops the private-key bytes it owns when it is released", () => {
  const cert = f.servers["ecdsa-p256"];
  const { credential } = EngineCredential.acquire(serverConfig([cert], "both"));
  assert.ok(credential);
  const key = credential.materials[0]!.key;
  assert.ok(key instanceof Uint8Array, "the key is held as bytes (a string cannot be zeroed)");
  assert.ok(key.some((b) => b !== 0));
  credential.dispose();
  assert.ok(
    key.every((b) => b === 0),
    "key bytes zeroed",
  );
  assert.equal(credential.materials[0]!.key, null, "key reference dropped");
});

test("keys copied as bytes still load in every form: PEM text (with text before the armor, as openssl pkcs12 writes it), PEM bytes, PKCS#8 DER", async () => {
  const cert = f.servers["ecdsa-p256"];
  const der = createPrivateKey(cert.privateKey).export({ format: "der", type: "pkcs8" });
  for (const privateKey of [
    `Bag Attributes\n    localKeyID: 01 02\nKey Attributes: <No Attributes>\n${cert.privateKey}`,
    new TextEncoder().encode(cert.privateKey),
    new Uint8Array(der),
  ]) {
    const cred = await acquireOk(SECPKG_CRED_INBOUND, {
      dwVersion: SCH_CREDENTIALS_VERSION,
      paCred: [{ certificate: cert.certificate, privateKey }],
    });
    assert.equal(await sspi.FreeCredentialsHandle(cred), SEC_E_OK);
  }
});

test("the worker pool keeps its own copy of the key: a server credential still builds in a second worker after the caller's copy was zeroed (workers: 2)", async () => {
  assert.equal(configureSecurityService({ workers: 2 }), SEC_E_OK);
  const keys = await pki();
  const server = await acquire("async", SECPKG_CRED_INBOUND, keys.server);
  const clients = await Promise.all(
    [0, 1, 2, 3].map(() => acquire("async", SECPKG_CRED_OUTBOUND, keys.client)),
  );
  try {
    // Concurrent server contexts spread over both workers (least loaded first).
    const done = await Promise.all(clients.map((c) => memoryHandshake(c, server, () => "async")));
    for (const h of done) {
      assert.equal(h.trace.at(-1), "server:0x0");
      await sspi.DeleteSecurityContext(h.client);
      await sspi.DeleteSecurityContext(h.server);
    }
  } finally {
    for (const c of clients) await sspi.FreeCredentialsHandle(c);
    await sspi.FreeCredentialsHandle(server);
  }
});
