/**
 * Session-cache identity (issue 10, item 1), through the SSPI-shaped Schannel package against
 * Node's `tls` server over loopback TCP: a session whose certificate our own validation did not
 * accept (manual validation, or a failed check) is never cached, the cache is keyed by target
 * name and validation mode, and a validating handshake to a name the certificate does not carry
 * fails with SEC_E_WRONG_PRINCIPAL instead of resuming.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { TLSSocket } from "node:tls";
import { type IssuedCertificate, issueCertificate } from "../../src/devcert/certificates.js";
import {
  box,
  type CredHandle,
  ISC_REQ_ALLOCATE_MEMORY,
  ISC_REQ_CONFIDENTIALITY,
  ISC_REQ_EXTENDED_ERROR,
  ISC_REQ_MANUAL_CRED_VALIDATION,
  ISC_REQ_STREAM,
  QueryContextAttributes,
  type SCH_CREDENTIALS,
  SCH_CREDENTIALS_VERSION,
  SEC_E_OK,
  SECPKG_ATTR_CERT_CHECK_RESULT,
  SECPKG_ATTR_SESSION_INFO,
  SECPKG_CRED_OUTBOUND,
  SP_PROT_TLS1_2,
  SP_PROT_TLS1_3,
  promises as sspi,
  statusName,
} from "../../src/index.js";
import { closeTlsServer, nodeTlsServer } from "../support/node-tls-peers.js";
import { withTimeout } from "../support/peers.js";
import { acquireOk, connectReader, encrypt, handshake, leakCheck, receive } from "../support/sspi-driver.js";
import { type Fixtures, fixtures } from "../support/tls-fixtures.js";

type Version = "TLSv1.2" | "TLSv1.3";
const VERSIONS: Version[] = ["TLSv1.3", "TLSv1.2"];

const ISC_FLAGS = ISC_REQ_CONFIDENTIALITY | ISC_REQ_STREAM | ISC_REQ_EXTENDED_ERROR | ISC_REQ_ALLOCATE_MEMORY;

let f: Fixtures;
/** Chains to the trusted test root, but names other.test only. */
let otherTest: IssuedCertificate;
const leaks = leakCheck();
before(async () => {
  f = await fixtures();
  otherTest = await issueCertificate(f.ca, { commonName: "other.test", keyType: "ecdsa-p256" });
});
after(async () => {
  await leaks.verify();
});

function clientAuth(version: Version): SCH_CREDENTIALS {
  return {
    dwVersion: SCH_CREDENTIALS_VERSION,
    hRootStore: [f.ca.certificate],
    pTlsParameters: [{ grbitDisabledProtocols: version === "TLSv1.3" ? SP_PROT_TLS1_2 : SP_PROT_TLS1_3 }],
  };
}

/** Node's server with `cert`, recording whether each completed connection was resumed. */
async function server(version: Version, cert: IssuedCertificate) {
  const peer = await nodeTlsServer({
    cert: cert.certificate,
    key: cert.privateKey,
    minVersion: version,
    maxVersion: version,
  });
  const reused: boolean[] = [];
  peer.server.on("secureConnection", (s: TLSSocket) => reused.push(s.isSessionReused()));
  return { ...peer, reused };
}

/**
 * One client connection to `localhost`: handshake with `flags`; when it succeeds, one echo (which
 * also takes the TLS 1.3 tickets into the session cache), then delete. Returns the handshake status
 * name, the certificate check the context reported and its SSL_SESSION_RECONNECT flag.
 */
async function connectLocalhost(
  cred: CredHandle,
  port: number,
  flags: number,
): Promise<{ status: string; check: number | null; reconnect: boolean }> {
  const reader = await connectReader(port);
  try {
    return await withTimeout(
      (async () => {
        const hs = await handshake("initiator", reader, cred, { target: "localhost", flags });
        try {
          if (hs.status !== SEC_E_OK)
            return { status: statusName(hs.status) ?? String(hs.status), check: null, reconnect: false };
          const check = box<{ hrVerifyChainStatus: number }>({ hrVerifyChainStatus: -1 });
          assert.equal(QueryContextAttributes(hs.handle, SECPKG_ATTR_CERT_CHECK_RESULT, check), SEC_E_OK);
          const info = box<{ dwFlags: number }>({ dwFlags: -1 });
          assert.equal(QueryContextAttributes(hs.handle, SECPKG_ATTR_SESSION_INFO, info), SEC_E_OK);
          reader.socket.write(encrypt(hs.handle, Buffer.from("echo")));
          const got = await receive(hs.handle, reader, 4, hs.leftover);
          assert.equal(got.plaintext.toString(), "echo");
          return {
            status: "SEC_E_OK",
            check: check.value.hrVerifyChainStatus,
            reconnect: (info.value.dwFlags & 1) !== 0,
          };
        } finally {
          // The application rejects the certificate (or is done): it deletes the context.
          await sspi.DeleteSecurityContext(hs.handle);
        }
      })(),
      15_000,
      "client connection",
    );
  } finally {
    reader.socket.destroy();
  }
}

test("session cache identity bypass: a manually validated session to a wrong-name server is not resumed by a validating ISC (SEC_E_WRONG_PRINCIPAL), TLS 1.3 and 1.2", async () => {
  for (const version of VERSIONS) {
    const peer = await server(version, otherTest);
    const cred = await acquireOk(SECPKG_CRED_OUTBOUND, clientAuth(version));
    try {
      const manual = await connectLocalhost(cred, peer.port, ISC_FLAGS | ISC_REQ_MANUAL_CRED_VALIDATION);
      assert.equal(manual.status, "SEC_E_OK", `${version}: manual validation completes`);
      assert.equal(statusName(manual.check!), "SEC_E_WRONG_PRINCIPAL", `${version}: reported to the caller`);
      const validating = await connectLocalhost(cred, peer.port, ISC_FLAGS);
      assert.equal(validating.status, "SEC_E_WRONG_PRINCIPAL", `${version}: the validating ISC`);
      // (TLS 1.2: the server completes the rejected full handshake before our check; it never resumes.)
      assert.ok(!peer.reused.includes(true), `${version}: the server never resumed: ${peer.reused}`);
      // And again: the failure cached nothing either.
      const again = await connectLocalhost(cred, peer.port, ISC_FLAGS);
      assert.equal(again.status, "SEC_E_WRONG_PRINCIPAL", `${version}: the second validating ISC`);
    } finally {
      await sspi.FreeCredentialsHandle(cred);
      await closeTlsServer(peer.server, peer.log);
    }
  }
});

test("session cache is keyed by validation mode: a manual handshake neither uses nor feeds the validated session, TLS 1.3 and 1.2", async () => {
  for (const version of VERSIONS) {
    const peer = await server(version, f.servers["ecdsa-p256"]);
    const cred = await acquireOk(SECPKG_CRED_OUTBOUND, clientAuth(version));
    try {
      const full = await connectLocalhost(cred, peer.port, ISC_FLAGS);
      assert.equal(full.status, "SEC_E_OK", version);
      assert.equal(full.reconnect, false, `${version}: first handshake is full`);
      const manual = await connectLocalhost(cred, peer.port, ISC_FLAGS | ISC_REQ_MANUAL_CRED_VALIDATION);
      assert.equal(manual.status, "SEC_E_OK", version);
      assert.equal(
        manual.reconnect,
        false,
        `${version}: a manual handshake does not resume a validated session`,
      );
      const resumed = await connectLocalhost(cred, peer.port, ISC_FLAGS);
      assert.equal(resumed.status, "SEC_E_OK", version);
      assert.equal(resumed.reconnect, true, `${version}: the validated session still resumes`);
      assert.deepEqual(peer.reused, [false, false, true], version);
    } finally {
      await sspi.FreeCredentialsHandle(cred);
      await closeTlsServer(peer.server, peer.log);
    }
  }
});
