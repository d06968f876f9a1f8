/**
 * Key material (issue 10, item 10; issue 11): private keys and traffic secrets live in OpenSSL's
 * memory (the addon's SSL_CTX and SSL objects), not on the JavaScript heap. The library's own
 * copies of a credential's private key do not outlive their use on the caller's thread — nothing
 * of it stays referenced after FreeCredentialsHandle while a context of the credential lives on
 * (heap snapshots) — and the bytes it copied are zeroed when the credential is released. Records
 * are OpenSSL's, so no traffic secret ever reaches JavaScript unless the credential has a keyLog
 * callback.
 */
import assert from "node:assert/strict";
import { createPrivateKey } from "node:crypto";
import { after, before, test } from "node:test";
import { issueCertificate } from "../../src/devcert/certificates.js";
import {
  SCH_CREDENTIALS_VERSION,
  SEC_E_OK,
  SECPKG_CRED_INBOUND,
  SECPKG_CRED_OUTBOUND,
  promises as sspi,
  statusName,
} from "../../src/index.js";
import { heapContainsText } from "../support/gc.js";
import {
  clientOptions,
  handshakeInMemory,
  nativeAddon,
  nativePki,
  serverOptions,
  TLS12,
  TLS13,
} from "../support/native-addon.js";
import { closeTlsServer, nodeTlsServer } from "../support/node-tls-peers.js";
import { acquireOk, connectReader, encrypt, handshake, leakCheck, receive } from "../support/sspi-driver.js";
import { type Fixtures, fixtures } from "../support/tls-fixtures.js";

let f: Fixtures;
const leaks = leakCheck();
before(async () => {
  f = await fixtures();
});
after(async () => {
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

test("private key material not retained on the caller's thread after FreeCredentialsHandle while a context lives on", async () => {
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

test("traffic secrets stay in OpenSSL: without a key log no secret reaches JavaScript, with one the NSS lines do", async () => {
  const addon = nativeAddon();
  const keys = await nativePki();
  for (const keylog of [false, true]) {
    for (const maxVersion of [TLS12, TLS13]) {
      const server = new addon.Credential(serverOptions(keys.server, { keylog, maxVersion }));
      const client = new addon.Credential(clientOptions(keys.ca, { keylog, maxVersion }));
      const c = new addon.Context(client, { serverName: "server.test", verifyHost: "server.test" });
      const s = new addon.Context(server, {});
      try {
        const { steps } = handshakeInMemory(c, s);
        assert.ok(
          steps.some((step) => step.result.outcome === "done"),
          "the handshake completed",
        );
        assert.ok(steps.at(-1)!.result.keysDerived, "OpenSSL derived the traffic secrets");
        const lines = steps.flatMap((step) => step.result.keylog);
        if (keylog) assert.ok(lines.length >= (maxVersion === TLS13 ? 8 : 2), `${maxVersion}: key log lines`);
        else assert.deepEqual(lines, [], `${maxVersion}: no key log line crossed into JavaScript`);
      } finally {
        c.free();
        s.free();
        client.free();
        server.free();
      }
    }
  }
});
