/**
 * Revocation against real OpenSSL peers, with a CA, CRLs and OCSP responses made by the `openssl`
 * CLI: our client checks `s_server`'s certificate against CRLs in `hRootStore` and verifies the
 * response `s_server -status_file` staples; our server checks `s_client`'s certificate (mTLS)
 * and staples a response to `s_client -status` and to Node's `tls` (`requestOCSP`). Both TLS
 * versions; the `SCH_CRED_REVOCATION_CHECK_*` and `SCH_CRED_IGNORE_*` flags; the statuses and
 * alerts Schannel reports, and the idiomatic API's error codes.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import tls from "node:tls";
import { acquireTlsCredentials, connectTls } from "../../src/api/index.js";
import {
  ASC_REQ_ALLOCATE_MEMORY,
  ASC_REQ_CONFIDENTIALITY,
  ASC_REQ_EXTENDED_ERROR,
  ASC_REQ_MUTUAL_AUTH,
  ASC_REQ_STREAM,
  box,
  CRYPT_E_NO_REVOCATION_CHECK,
  CRYPT_E_REVOCATION_OFFLINE,
  CRYPT_E_REVOKED,
  DeleteSecurityContext,
  FreeCredentialsHandle,
  QueryContextAttributes,
  SCH_CRED_IGNORE_NO_REVOCATION_CHECK,
  SCH_CRED_IGNORE_REVOCATION_OFFLINE,
  SCH_CRED_MANUAL_CRED_VALIDATION,
  SCH_CRED_REVOCATION_CHECK_CHAIN,
  SCH_CRED_REVOCATION_CHECK_CHAIN_EXCLUDE_ROOT,
  SCH_CRED_REVOCATION_CHECK_END_CERT,
  SCH_CREDENTIALS_VERSION,
  SEC_E_CERT_UNKNOWN,
  SEC_E_OK,
  SECPKG_ATTR_CERT_CHECK_RESULT,
  SECPKG_CRED_INBOUND,
  SECPKG_CRED_OUTBOUND,
  type SECURITY_STATUS,
  SP_PROT_TLS1_2,
  SP_PROT_TLS1_3,
  statusName,
  TLS1_ALERT_CERTIFICATE_REVOKED,
} from "../../src/index.js";
import { waitForOutput } from "../support/peers.js";
import { type PkiLeaf, type RevocationPki, revocationPki } from "../support/revocation-pki.js";
import {
  acquireOk,
  connectReader,
  handshake,
  type Listener,
  leakCheck,
  listen,
  requireBinary,
} from "../support/sspi-driver.js";
import { opensslClient, opensslServer } from "./peer-ends.js";

type Version = "TLSv1.2" | "TLSv1.3";
const VERSIONS: Version[] = ["TLSv1.3", "TLSv1.2"];
const BAD_CERTIFICATE_STATUS_RESPONSE = 113;

let pki: RevocationPki;
let built = false;
let listener: Listener;
const leaks = leakCheck();
before(async () => {
  listener = await listen();
});
after(async () => {
  await listener.close();
  if (built) pki.files.remove();
  await leaks.verify();
});

/** True when `openssl` runs (else a skip, or a failure when CI=true); builds the PKI once. */
function ready(t: { skip(message?: string): void }): boolean {
  if (!requireBinary(t)) return false;
  if (!built) pki = revocationPki();
  built = true;
  return true;
}

const only = (version: Version) => ({
  grbitDisabledProtocols: version === "TLSv1.3" ? SP_PROT_TLS1_2 : SP_PROT_TLS1_3,
});
const flagOf = (version: Version) => (version === "TLSv1.3" ? "-tls1_3" : "-tls1_2");

/**
 * Our client (SSPI) against `s_server` serving `leaf` (stapling `statusFile` when given).
 *
 * @returns ISC's final status, the alert we reported, and what s_server printed.
 */
async function clientAgainst(
  version: Version,
  leaf: PkiLeaf,
  auth: { dwFlags: number; hRootStore: Array<string | Uint8Array> },
  statusFile?: string,
): Promise<{ status: SECURITY_STATUS; alert: number[] | null; peer: string; chainStatus: number }> {
  const server = await opensslServer([
    "-cert",
    leaf.certificateFile,
    "-key",
    leaf.keyFile,
    flagOf(version),
    ...(statusFile !== undefined ? ["-status_file", statusFile] : []),
  ]);
  const cred = await acquireOk(SECPKG_CRED_OUTBOUND, {
    dwVersion: SCH_CREDENTIALS_VERSION,
    pTlsParameters: [only(version)],
    ...auth,
  });
  try {
    const reader = await connectReader(server.port);
    const outcome = await handshake("initiator", reader, cred, { target: "server.test" });
    const check = box<{ hrVerifyChainStatus: number }>({ hrVerifyChainStatus: -1 });
    if (outcome.status === SEC_E_OK)
      assert.equal(QueryContextAttributes(outcome.handle, SECPKG_ATTR_CERT_CHECK_RESULT, check), SEC_E_OK);
    reader.socket.destroy();
    await DeleteSecurityContext(outcome.handle);
    if (outcome.status !== SEC_E_OK) await server.process.exited;
    return {
      status: outcome.status,
      alert: outcome.alert,
      peer: server.output(),
      chainStatus: check.value.hrVerifyChainStatus,
    };
  } finally {
    await server.stop();
    FreeCredentialsHandle(cred);
  }
}

function expect(actual: { status: SECURITY_STATUS }, status: SECURITY_STATUS, what: string): void {
  assert.equal(statusName(actual.status), statusName(status), what);
}

test("CRLs in hRootStore: revoked, good, missing and expired CRL, with and without the ignore flags (our client → s_server)", async (t) => {
  if (!ready(t)) return;
  for (const version of VERSIONS) {
    const roots = (...crls: string[]) => [pki.ca, ...crls];
    const endCert = SCH_CRED_REVOCATION_CHECK_END_CERT;

    const revoked = await clientAgainst(version, pki.revoked, {
      dwFlags: endCert,
      hRootStore: roots(pki.crl),
    });
    expect(revoked, CRYPT_E_REVOKED, `${version}: a revoked server certificate`);
    assert.deepEqual(
      revoked.alert,
      [2, TLS1_ALERT_CERTIFICATE_REVOKED],
      `${version}: certificate_revoked sent`,
    );
    assert.match(revoked.peer, /certificate revoked/i, `${version}: s_server received certificate_revoked`);

    expect(
      await clientAgainst(version, pki.good, { dwFlags: endCert, hRootStore: roots(pki.crl) }),
      SEC_E_OK,
      `${version}: a good certificate with a current CRL`,
    );
    expect(
      await clientAgainst(version, pki.revoked, { dwFlags: 0, hRootStore: roots(pki.crl) }),
      SEC_E_OK,
      `${version}: no revocation flag, no check (Schannel's default)`,
    );
    expect(
      await clientAgainst(version, pki.good, { dwFlags: endCert, hRootStore: roots() }),
      CRYPT_E_NO_REVOCATION_CHECK,
      `${version}: no CRL for the leaf`,
    );
    expect(
      await clientAgainst(version, pki.good, {
        dwFlags: endCert | SCH_CRED_IGNORE_NO_REVOCATION_CHECK,
        hRootStore: roots(),
      }),
      SEC_E_OK,
      `${version}: no CRL, SCH_CRED_IGNORE_NO_REVOCATION_CHECK`,
    );
    expect(
      await clientAgainst(version, pki.good, { dwFlags: endCert, hRootStore: roots(pki.expiredCrl) }),
      CRYPT_E_REVOCATION_OFFLINE,
      `${version}: only an expired CRL`,
    );
    expect(
      await clientAgainst(version, pki.good, {
        dwFlags: endCert | SCH_CRED_IGNORE_REVOCATION_OFFLINE,
        hRootStore: roots(pki.expiredCrl),
      }),
      SEC_E_OK,
      `${version}: an expired CRL, SCH_CRED_IGNORE_REVOCATION_OFFLINE`,
    );
  }
});

test("chain scopes: CHAIN checks the root against its own CRL, CHAIN_EXCLUDE_ROOT does not need one; DER CRLs", async (t) => {
  if (!ready(t)) return;
  const version: Version = "TLSv1.3";
  expect(
    await clientAgainst(version, pki.revoked, {
      dwFlags: SCH_CRED_REVOCATION_CHECK_CHAIN,
      hRootStore: [pki.ca, pki.crlDer],
    }),
    CRYPT_E_REVOKED,
    "CHAIN with a DER CRL: the revoked leaf",
  );
  expect(
    await clientAgainst(version, pki.good, {
      dwFlags: SCH_CRED_REVOCATION_CHECK_CHAIN,
      hRootStore: [pki.ca, pki.crl],
    }),
    SEC_E_OK,
    "CHAIN: the root's CRL covers the root itself",
  );
  expect(
    await clientAgainst(version, pki.good, {
      dwFlags: SCH_CRED_REVOCATION_CHECK_CHAIN,
      hRootStore: [pki.ca, pki.expiredCrl],
    }),
    CRYPT_E_REVOCATION_OFFLINE,
    "CHAIN: a stale CRL fails the chain",
  );
  expect(
    await clientAgainst(version, pki.good, {
      dwFlags: SCH_CRED_REVOCATION_CHECK_CHAIN_EXCLUDE_ROOT | SCH_CRED_IGNORE_NO_REVOCATION_CHECK,
      hRootStore: [pki.ca],
    }),
    SEC_E_OK,
    "CHAIN_EXCLUDE_ROOT with the no-check ignore flag",
  );
});

test("stapled OCSP (s_server -status_file): good stands in for the CRL, revoked and foreign-signed fail", async (t) => {
  if (!ready(t)) return;
  for (const version of VERSIONS) {
    const auth = { dwFlags: SCH_CRED_REVOCATION_CHECK_END_CERT, hRootStore: [pki.ca] };
    expect(
      await clientAgainst(version, pki.good, auth, pki.ocspGoodFile),
      SEC_E_OK,
      `${version}: a good stapled response and no CRL`,
    );
    const revoked = await clientAgainst(version, pki.revoked, auth, pki.ocspRevokedFile);
    expect(revoked, CRYPT_E_REVOKED, `${version}: a stapled "revoked"`);
    assert.deepEqual(revoked.alert, [2, BAD_CERTIFICATE_STATUS_RESPONSE], `${version}: RFC 6066 §8 alert`);
    expect(
      await clientAgainst(version, pki.revoked, { ...auth, hRootStore: [pki.ca, pki.crl] }, pki.ocspGoodFile),
      CRYPT_E_REVOKED,
      `${version}: a CRL listing the certificate wins over a staple about another certificate`,
    );
    expect(
      await clientAgainst(version, pki.good, auth, pki.ocspForeignFile),
      SEC_E_CERT_UNKNOWN,
      `${version}: a response signed by an unrelated CA`,
    );
    expect(
      await clientAgainst(version, pki.good, { ...auth, dwFlags: 0 }, pki.ocspRevokedFile),
      SEC_E_OK,
      `${version}: without a revocation flag nothing is requested or checked`,
    );
  }
});

test("manual validation: the handshake completes and SECPKG_ATTR_CERT_CHECK_RESULT says CRYPT_E_REVOKED", async (t) => {
  if (!ready(t)) return;
  for (const version of VERSIONS) {
    const manual = SCH_CRED_MANUAL_CRED_VALIDATION | SCH_CRED_REVOCATION_CHECK_END_CERT;
    const byCrl = await clientAgainst(version, pki.revoked, {
      dwFlags: manual,
      hRootStore: [pki.ca, pki.crl],
    });
    expect(byCrl, SEC_E_OK, `${version}: completes`);
    assert.equal(
      statusName(byCrl.chainStatus),
      statusName(CRYPT_E_REVOKED),
      `${version}: CRL verdict recorded`,
    );
    const byStaple = await clientAgainst(
      version,
      pki.revoked,
      { dwFlags: manual, hRootStore: [pki.ca] },
      pki.ocspRevokedFile,
    );
    expect(byStaple, SEC_E_OK, `${version}: completes with a revoked staple`);
    assert.equal(
      statusName(byStaple.chainStatus),
      statusName(CRYPT_E_REVOKED),
      `${version}: staple verdict recorded`,
    );
  }
});

/** Our server (SSPI, ASC_REQ_MUTUAL_AUTH) against `s_client` presenting `leaf`. */
async function serverAgainst(
  version: Version,
  leaf: PkiLeaf,
  auth: { dwFlags: number; hRootStore: Array<string | Uint8Array> },
): Promise<SECURITY_STATUS> {
  const cred = await acquireOk(SECPKG_CRED_INBOUND, {
    dwVersion: SCH_CREDENTIALS_VERSION,
    paCred: [{ certificate: pki.good.certificate, privateKey: pki.good.privateKey }],
    pTlsParameters: [only(version)],
    ...auth,
  });
  const client = opensslClient(listener.port, [
    "-servername",
    "server.test",
    "-CAfile",
    pki.caFile,
    "-cert",
    leaf.certificateFile,
    "-key",
    leaf.keyFile,
    flagOf(version),
  ]);
  try {
    const reader = await listener.next();
    const outcome = await handshake("acceptor", reader, cred, {
      flags:
        ASC_REQ_CONFIDENTIALITY |
        ASC_REQ_STREAM |
        ASC_REQ_EXTENDED_ERROR |
        ASC_REQ_ALLOCATE_MEMORY |
        ASC_REQ_MUTUAL_AUTH,
    });
    reader.socket.destroy();
    await DeleteSecurityContext(outcome.handle);
    return outcome.status;
  } finally {
    await client.stop();
    FreeCredentialsHandle(cred);
  }
}

test("mTLS: our server checks the client certificate against its CRLs (s_client -cert)", async (t) => {
  if (!ready(t)) return;
  for (const version of VERSIONS) {
    const auth = { dwFlags: SCH_CRED_REVOCATION_CHECK_END_CERT, hRootStore: [pki.ca, pki.crl] };
    expect(
      { status: await serverAgainst(version, pki.revoked, auth) },
      CRYPT_E_REVOKED,
      `${version}: revoked client`,
    );
    expect({ status: await serverAgainst(version, pki.good, auth) }, SEC_E_OK, `${version}: good client`);
    expect(
      { status: await serverAgainst(version, pki.good, { ...auth, hRootStore: [pki.ca] }) },
      CRYPT_E_NO_REVOCATION_CHECK,
      `${version}: no CRL for the client certificate`,
    );
  }
});

test("our server staples paCred[].ocspResponse: s_client -status and Node's requestOCSP see it", async (t) => {
  if (!ready(t)) return;
  for (const version of VERSIONS) {
    const cred = await acquireOk(SECPKG_CRED_INBOUND, {
      dwVersion: SCH_CREDENTIALS_VERSION,
      paCred: [
        { certificate: pki.good.certificate, privateKey: pki.good.privateKey, ocspResponse: pki.ocspGood },
      ],
      pTlsParameters: [only(version)],
    });
    try {
      const client = opensslClient(listener.port, ["-servername", "server.test", "-status", flagOf(version)]);
      const reader = await listener.next();
      const outcome = await handshake("acceptor", reader, cred);
      expect(outcome, SEC_E_OK, `${version}: handshake with s_client -status`);
      await waitForOutput(client.process, /Cert Status: good/);
      assert.match(
        client.output(),
        /OCSP Response Status: successful/,
        `${version}: s_client got our staple`,
      );
      reader.socket.destroy();
      await client.stop();
      await DeleteSecurityContext(outcome.handle);

      const responses: Buffer[] = [];
      const node = tls.connect({
        port: listener.port,
        host: "127.0.0.1",
        servername: "server.test",
        ca: pki.ca,
        requestOCSP: true,
      } as tls.ConnectionOptions);
      node.on("OCSPResponse", (r: Buffer) => responses.push(r));
      node.on("error", () => {});
      const connected = new Promise<void>((resolve) => node.once("secureConnect", resolve));
      const nodeReader = await listener.next();
      const nodeOutcome = await handshake("acceptor", nodeReader, cred);
      expect(nodeOutcome, SEC_E_OK, `${version}: handshake with Node's tls`);
      await connected;
      assert.deepEqual(
        responses.map((r) => new Uint8Array(r)),
        [pki.ocspGood],
        `${version}: Node's 'OCSPResponse'`,
      );
      node.destroy();
      nodeReader.socket.destroy();
      await DeleteSecurityContext(nodeOutcome.handle);
    } finally {
      FreeCredentialsHandle(cred);
    }
  }
});

test("idiomatic API: crl / requestOCSP give Node's error codes (CERT_REVOKED, UNABLE_TO_GET_CRL, CRL_HAS_EXPIRED)", async (t) => {
  if (!ready(t)) return;
  const attempt = async (leaf: PkiLeaf, options: Record<string, unknown>, statusFile?: string) => {
    const server = await opensslServer([
      "-cert",
      leaf.certificateFile,
      "-key",
      leaf.keyFile,
      ...(statusFile !== undefined ? ["-status_file", statusFile] : []),
    ]);
    const credentials = await acquireTlsCredentials({ role: "client", ca: pki.ca, ...options });
    try {
      const stream = await connectTls({
        host: "127.0.0.1",
        port: server.port,
        servername: "server.test",
        credentials,
      });
      stream.destroy();
      return "connected";
    } catch (error) {
      return (error as { code?: string }).code ?? String(error);
    } finally {
      await server.stop();
      await credentials.close();
    }
  };
  assert.equal(await attempt(pki.revoked, { crl: pki.crl }), "CERT_REVOKED", "crl: revoked");
  assert.equal(await attempt(pki.good, { crl: pki.crl }), "connected", "crl: good");
  assert.equal(await attempt(pki.good, { crl: pki.expiredCrl }), "CRL_HAS_EXPIRED", "crl: expired");
  assert.equal(
    await attempt(pki.good, { revocationCheck: "end-cert" }),
    "UNABLE_TO_GET_CRL",
    "revocationCheck without CRLs or staple",
  );
  assert.equal(
    await attempt(pki.revoked, { requestOCSP: true }, pki.ocspRevokedFile),
    "CERT_REVOKED",
    "requestOCSP: revoked staple",
  );
  assert.equal(await attempt(pki.good, { requestOCSP: true }), "connected", "requestOCSP: no staple is fine");
});
