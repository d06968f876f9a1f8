/**
 * Revocation in the addon, both ends real OpenSSL in memory, with a CA, CRLs and OCSP responses
 * made by the `openssl` CLI: a client rejecting a revoked server sends its alert and nothing of
 * its second flight (TLS 1.2 included); a server rejects a revoked client certificate; tolerated
 * verify codes (anywhere, or only at the trust anchor); a staple about another certificate; the
 * verdict recorded, not enforced, under manual validation; hostile revocation options.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import type { NativeCredentialOptions, NativeStepResult } from "../../src/schannel/native/addon-types.js";
import { handshakeInMemory, nativeAddon, recordTypes, TLS12, TLS13 } from "../support/native-addon.js";
import { type PkiLeaf, type RevocationPki, revocationPki } from "../support/revocation-pki.js";
import { requireBinary } from "../support/sspi-driver.js";

const CERTIFICATE_REVOKED = 44;
const ALERT = 21;
const X509_V_ERR_UNABLE_TO_GET_CRL = 3;
const X509_V_ERR_CERT_REVOKED = 23;
const X509_V_ERR_OCSP_VERIFY_FAILED = 74;

let built: RevocationPki | undefined;
after(() => built?.files.remove());

/** The PKI (built once), or null when `openssl` is missing (a skip; a failure when CI=true). */
function ready(t: { skip(message?: string): void }): RevocationPki | null {
  if (!requireBinary(t)) return null;
  built ??= revocationPki();
  return built;
}

const CLIENT_CONTEXT = { serverName: "server.test", verifyHost: "server.test" };

function pair(leaf: PkiLeaf) {
  return { chain: Buffer.from(leaf.certificate), key: Buffer.from(leaf.privateKey) };
}

/** Runs one in-memory handshake; returns the last step of each side. */
function run(
  version: number,
  client: Partial<NativeCredentialOptions>,
  server: Partial<NativeCredentialOptions>,
  options: { enforce?: boolean; requestCertificate?: 0 | 1 | 2 } = {},
) {
  const addon = nativeAddon();
  const p = built!;
  const versions = { minVersion: version, maxVersion: version };
  const clientCred = new addon.Credential({
    role: "client",
    roots: [Buffer.from(p.ca)],
    ...versions,
    ...client,
  });
  const serverCred = new addon.Credential({ role: "server", ...versions, ...server });
  const c = new addon.Context(clientCred, { ...CLIENT_CONTEXT, enforce: options.enforce ?? true });
  const s = new addon.Context(serverCred, { requestCertificate: options.requestCertificate ?? 0 });
  try {
    const { steps } = handshakeInMemory(c, s);
    const last = (side: "client" | "server"): NativeStepResult =>
      steps.filter((x) => x.side === side).at(-1)!.result;
    return { client: last("client"), server: last("server"), steps };
  } finally {
    c.free();
    s.free();
    clientCred.free();
    serverCred.free();
  }
}

const VERSIONS = [
  ["TLS 1.3", TLS13],
  ["TLS 1.2", TLS12],
] as const;

test("a client rejecting a revoked server sends one certificate_revoked alert and nothing of its second flight", (t) => {
  const pki = ready(t);
  if (pki === null) return;
  for (const [name, version] of VERSIONS) {
    const r = run(
      version,
      { crls: [Buffer.from(pki.crl)], crlCheck: 1 },
      { certificates: [pair(pki.revoked)] },
    );
    assert.equal(r.client.outcome, "error", name);
    assert.equal(r.client.verifyResult, X509_V_ERR_CERT_REVOKED, `${name}: CERT_REVOKED`);
    assert.deepEqual(recordTypes(r.client.output), [ALERT], `${name}: the output is one alert record`);
    assert.deepEqual(
      r.client.alerts.filter((a) => a.direction === "sent").map((a) => a.description),
      [CERTIFICATE_REVOKED],
      name,
    );
  }
});

test("a server rejects a revoked client certificate against its CRL (mTLS)", (t) => {
  const pki = ready(t);
  if (pki === null) return;
  for (const [name, version] of VERSIONS) {
    const server = {
      certificates: [pair(pki.good)],
      roots: [Buffer.from(pki.ca)],
      crls: [Buffer.from(pki.crl)],
      crlCheck: 1 as const,
    };
    const revoked = run(version, { certificates: [pair(pki.revoked)] }, server, { requestCertificate: 2 });
    assert.equal(revoked.server.outcome, "error", name);
    assert.equal(revoked.server.verifyResult, X509_V_ERR_CERT_REVOKED, name);
    assert.ok(
      revoked.server.alerts.some((a) => a.direction === "sent" && a.description === CERTIFICATE_REVOKED),
    );
    const good = run(version, { certificates: [pair(pki.good)] }, server, { requestCertificate: 2 });
    assert.equal(good.server.outcome, "done", `${name}: a good client certificate`);
  }
});

test("tolerated verify codes: anywhere, or only at the trust anchor", (t) => {
  const pki = ready(t);
  if (pki === null) return;
  const server = { certificates: [pair(pki.good)] };
  const anchorOnly = run(TLS13, { crlCheck: 2, tolerateAtAnchor: [X509_V_ERR_UNABLE_TO_GET_CRL] }, server);
  assert.equal(anchorOnly.client.verifyResult, X509_V_ERR_UNABLE_TO_GET_CRL, "the leaf still needs its CRL");
  const anywhere = run(TLS13, { crlCheck: 2, tolerate: [X509_V_ERR_UNABLE_TO_GET_CRL] }, server);
  assert.equal(anywhere.client.outcome, "done");
  assert.equal(anywhere.client.verifyResult, 0, "a tolerated code leaves the verify result OK");
});

test("stapled responses: one about another certificate fails; manual validation records the verdict", (t) => {
  const pki = ready(t);
  if (pki === null) return;
  for (const [name, version] of VERSIONS) {
    const wrong = run(
      version,
      { ocsp: 2 },
      { certificates: [{ ...pair(pki.revoked), ocspResponse: pki.ocspGood }] },
    );
    // `good`'s response stapled with `revoked`'s certificate: not about the leaf served.
    assert.equal(wrong.client.outcome, "error", name);
    assert.equal(
      wrong.client.verifyResult,
      X509_V_ERR_OCSP_VERIFY_FAILED,
      `${name}: about another certificate`,
    );
    const manual = run(
      version,
      { ocsp: 2 },
      { certificates: [{ ...pair(pki.revoked), ocspResponse: pki.ocspRevoked }] },
      { enforce: false },
    );
    assert.equal(manual.client.outcome, "done", `${name}: manual validation completes`);
    assert.equal(manual.client.verifyResult, X509_V_ERR_CERT_REVOKED, `${name}: and records CERT_REVOKED`);
    const foreign = run(
      version,
      { ocsp: 1 },
      { certificates: [{ ...pair(pki.good), ocspResponse: pki.ocspForeign }] },
    );
    assert.equal(foreign.client.verifyResult, X509_V_ERR_OCSP_VERIFY_FAILED, `${name}: foreign signer`);
  }
});

test("hostile revocation options are TypeErrors or OpenSSL errors, never crashes", (t) => {
  const pki = ready(t);
  if (pki === null) return;
  const addon = nativeAddon();
  for (const options of [
    { role: "client", tolerate: "3" },
    { role: "client", tolerate: [1.5] },
    { role: "client", tolerateAtAnchor: [{}] },
    { role: "client", ocsp: 3 },
    { role: "client", crlCheck: -1 },
    { role: "client", crls: [Buffer.from("-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n")] },
    { role: "server", certificates: [{ ...pair(pki.good), ocspResponse: "der" }] },
    { role: "server", certificates: [{ ...pair(pki.good), ocspResponse: Buffer.of(0x30, 0x00) }] },
    { role: "client", certificates: [{ ...pair(pki.good), ocspResponse: pki.ocspGood }] },
  ]) {
    assert.throws(() => new addon.Credential(options as never), Error, JSON.stringify(options).slice(0, 80));
  }
});
