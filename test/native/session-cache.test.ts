/**
 * The native engine's client session cache rules, through the native engine host: only sessions
 * of handshakes the engine validated are cached, under the target name and the validation mode;
 * a manually validated session is never resumed by a validating call; a resumed session's
 * certificate is checked against the name again.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { ClientContextOptions } from "../../src/schannel/engine/engine-types.js";
import { NativeEngineHost } from "../../src/service/native-host.js";
import { SEC_E_OK, SEC_E_UNTRUSTED_ROOT, SEC_E_WRONG_PRINCIPAL } from "../../src/sspi/status.js";
import { handshakeThroughHost, type NativePki, nativePki } from "../support/native-addon.js";

let pki: NativePki;
let host: NativeEngineHost;
before(async () => {
  pki = await nativePki();
});
after(async () => {
  await host?.dispose();
});

async function credentials(
  serverCertificate: "server" | "rogueServer",
  version: "TLSv1.2" | "TLSv1.3" = "TLSv1.3",
) {
  host = new NativeEngineHost();
  const cert = pki[serverCertificate];
  const server = await host.acquireCredential({
    role: "server",
    certificates: [{ certificate: cert.certificate, privateKey: cert.privateKey }],
    trustedRoots: null,
    minVersion: "TLSv1.2",
    maxVersion: version,
  });
  const client = await host.acquireCredential({
    role: "client",
    certificates: [],
    trustedRoots: [pki.ca.certificate],
    minVersion: "TLSv1.2",
    maxVersion: "TLSv1.3",
  });
  return { server: server.credentialId!, client: client.credentialId! };
}

async function connect(
  creds: { server: number; client: number },
  options: Partial<ClientContextOptions> = {},
) {
  const c = await host.createContext(creds.client, {
    role: "client",
    serverName: "server.test",
    manualValidation: false,
    noServerNameCheck: false,
    ...options,
  });
  const s = await host.createContext(creds.server, { role: "server", requestClientCertificate: false });
  const result = await handshakeThroughHost(host, c.contextId!, s.contextId!);
  await host.deleteContext(c.contextId!);
  await host.deleteContext(s.contextId!);
  return result.client;
}

for (const version of ["TLSv1.3", "TLSv1.2"] as const) {
  test(`${version}: a manually validated session is never resumed by a validating call; validated ones are`, async () => {
    const creds = await credentials("server", version);
    const manual = await connect(creds, { manualValidation: true });
    assert.equal(manual.status, SEC_E_OK);
    assert.equal(manual.handshake?.protocol, version);
    const first = await connect(creds);
    assert.equal(first.status, SEC_E_OK);
    assert.equal(first.handshake?.resumed, false, "nothing cached from the manual handshake");
    const second = await connect(creds);
    assert.equal(second.handshake?.resumed, true, "the validated session resumes");
    const manualAgain = await connect(creds, { manualValidation: true });
    assert.equal(manualAgain.handshake?.resumed, false, "manual validation never takes a cached session");
    await host.dispose();
  });
}

test("a session cached under no name check is not offered to a context that checks the name", async () => {
  const creds = await credentials("server");
  assert.equal((await connect(creds, { noServerNameCheck: true })).status, SEC_E_OK);
  const full = await connect(creds);
  assert.equal(full.handshake?.resumed, false);
  assert.equal((await connect(creds)).handshake?.resumed, true);
  await host.dispose();
});

test("a resumed session is checked against the name again (same cache key, another name → SEC_E_WRONG_PRINCIPAL)", async () => {
  const creds = await credentials("server");
  assert.equal((await connect(creds, { cacheKey: "shared" })).status, SEC_E_OK);
  const other = await connect(creds, { cacheKey: "shared", serverName: "other.test" });
  assert.equal(other.status, SEC_E_WRONG_PRINCIPAL, other.reason);
  assert.match(other.reason ?? "", /resumption/);
  const fresh = await connect(creds, { cacheKey: "shared" });
  assert.equal(fresh.handshake?.resumed, false, "the session was forgotten");
  await host.dispose();
});

test("an untrusted server: manual validation completes, a validating call still fails (no session crosses)", async () => {
  const creds = await credentials("rogueServer");
  const manual = await connect(creds, { manualValidation: true });
  assert.equal(manual.status, SEC_E_OK);
  assert.equal(manual.handshake?.certificateCheck.status, SEC_E_UNTRUSTED_ROOT);
  assert.equal(manual.handshake?.certificateCheck.enforced, false);
  const validating = await connect(creds);
  assert.equal(validating.status, SEC_E_UNTRUSTED_ROOT);
  await host.dispose();
});
