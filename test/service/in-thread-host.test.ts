/**
 * The engine host contract: credential acquisition statuses, handle errors, role checks, one
 * engine step per macrotask, dispose.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { createCertificateAuthority, issueCertificate } from "../../src/devcert/certificates.js";
import type { EngineCredentialConfig } from "../../src/schannel/engine/engine-types.js";
import { InThreadEngineHost } from "../../src/service/in-thread-host.js";
import { StepScheduler } from "../../src/service/step-scheduler.js";
import {
  SEC_E_ALGORITHM_MISMATCH,
  SEC_E_INTERNAL_ERROR,
  SEC_E_INVALID_HANDLE,
  SEC_E_INVALID_PARAMETER,
  SEC_E_NO_CREDENTIALS,
  SEC_E_OK,
  SEC_E_UNKNOWN_CREDENTIALS,
  SEC_E_WRONG_CREDENTIAL_HANDLE,
  SEC_I_CONTINUE_NEEDED,
} from "../../src/sspi/status.js";
import { TempFiles } from "../support/peers.js";

const host = new InThreadEngineHost();
const files = new TempFiles();
type Cert = Awaited<ReturnType<typeof issueCertificate>>;
let leaf: Cert;
let other: Cert;
before(async () => {
  const ca = await createCertificateAuthority({ commonName: "host test CA" });
  leaf = await issueCertificate(ca, { commonName: "localhost" });
  other = await issueCertificate(ca, { commonName: "other" });
});
after(async () => {
  await host.dispose();
  files.remove();
});

function server(extra: Partial<EngineCredentialConfig> = {}): EngineCredentialConfig {
  return {
    role: "server",
    certificates: [{ certificate: leaf.certificate, privateKey: leaf.privateKey }],
    trustedRoots: null,
    minVersion: "TLSv1.2",
    maxVersion: "TLSv1.3",
    ...extra,
  };
}

test("acquireCredential: good PEM, DER, PFX; summary lists the certificate", async () => {
  const pem = await host.acquireCredential(server());
  assert.equal(pem.status, SEC_E_OK, pem.reason);
  assert.equal(typeof pem.credentialId, "number");
  assert.deepEqual(pem.summary?.certificates[0]?.names, ["localhost"]);
  assert.deepEqual(pem.summary?.certificates[0]?.der, leaf.der);

  const der = await host.acquireCredential(
    server({ certificates: [{ certificate: leaf.der, privateKey: leaf.privateKey }] }),
  );
  assert.equal(der.status, SEC_E_OK, der.reason);

  const certPath = files.write("leaf.pem", leaf.certificate);
  const keyPath = files.write("leaf.key", leaf.privateKey);
  const pfxPath = `${files.dir}/leaf.p12`;
  execFileSync("openssl", [
    "pkcs12",
    "-export",
    "-in",
    certPath,
    "-inkey",
    keyPath,
    "-out",
    pfxPath,
    "-passout",
    "pass:secret",
  ]);
  const pfx = new Uint8Array(readFileSync(pfxPath));
  const goodPfx = await host.acquireCredential(server({ certificates: [{ pfx, passphrase: "secret" }] }));
  assert.equal(goodPfx.status, SEC_E_OK, goodPfx.reason);
  const badPfx = await host.acquireCredential(server({ certificates: [{ pfx, passphrase: "wrong" }] }));
  assert.equal(badPfx.status, SEC_E_UNKNOWN_CREDENTIALS);
  assert.match(badPfx.reason!, /PFX/);
});

test("acquireCredential failures: unreadable PEM, wrong passphrase, mismatched key, no certificate, bad options", async () => {
  const unreadable = await host.acquireCredential(
    server({ certificates: [{ certificate: "not a certificate", privateKey: leaf.privateKey }] }),
  );
  assert.equal(unreadable.status, SEC_E_UNKNOWN_CREDENTIALS);
  assert.match(unreadable.reason!, /certificate unreadable/);

  const badKey = await host.acquireCredential(
    server({ certificates: [{ certificate: leaf.certificate, privateKey: "junk" }] }),
  );
  assert.equal(badKey.status, SEC_E_UNKNOWN_CREDENTIALS);

  const { createPrivateKey } = await import("node:crypto");
  const encrypted = createPrivateKey(leaf.privateKey)
    .export({ format: "pem", type: "pkcs8", cipher: "aes-256-cbc", passphrase: "right" })
    .toString();
  const wrongPass = await host.acquireCredential(
    server({ certificates: [{ certificate: leaf.certificate, privateKey: encrypted, passphrase: "wrong" }] }),
  );
  assert.equal(wrongPass.status, SEC_E_UNKNOWN_CREDENTIALS);
  assert.match(wrongPass.reason!, /passphrase/);
  const rightPass = await host.acquireCredential(
    server({ certificates: [{ certificate: leaf.certificate, privateKey: encrypted, passphrase: "right" }] }),
  );
  assert.equal(rightPass.status, SEC_E_OK, rightPass.reason);

  const mismatch = await host.acquireCredential(
    server({ certificates: [{ certificate: leaf.certificate, privateKey: other.privateKey }] }),
  );
  assert.equal(mismatch.status, SEC_E_UNKNOWN_CREDENTIALS);
  assert.match(mismatch.reason!, /does not match/);

  assert.equal((await host.acquireCredential(server({ certificates: [] }))).status, SEC_E_NO_CREDENTIALS);
  assert.equal(
    (await host.acquireCredential(server({ minVersion: "TLSv1.3", maxVersion: "TLSv1.2" }))).status,
    SEC_E_ALGORITHM_MISMATCH,
  );
  assert.equal(
    (await host.acquireCredential(server({ ticketKeys: new Uint8Array(10) }))).status,
    SEC_E_INVALID_PARAMETER,
  );
  assert.equal(
    (await host.acquireCredential(server({ ciphers12: ["NO-SUCH-CIPHER"], cipherSuites13: [] }))).status,
    SEC_E_ALGORITHM_MISMATCH,
  );
});

test("handles: unknown ids, role mismatch, free then create", async () => {
  assert.equal(await host.freeCredential(9999), SEC_E_INVALID_HANDLE);
  assert.equal(await host.deleteContext(9999), SEC_E_INVALID_HANDLE);
  assert.equal((await host.step(9999, new Uint8Array(0))).status, SEC_E_INVALID_HANDLE);
  assert.equal(
    (await host.createContext(9999, { role: "server", requestClientCertificate: false })).status,
    SEC_E_INVALID_HANDLE,
  );
  const cred = await host.acquireCredential(server());
  const wrong = await host.createContext(cred.credentialId!, {
    role: "client",
    serverName: "x",
    manualValidation: false,
    noServerNameCheck: false,
  });
  assert.equal(wrong.status, SEC_E_WRONG_CREDENTIAL_HANDLE);
  assert.equal(await host.freeCredential(cred.credentialId!), SEC_E_OK);
  assert.equal(
    (await host.createContext(cred.credentialId!, { role: "server", requestClientCertificate: false }))
      .status,
    SEC_E_INVALID_HANDLE,
  );
});

test("StepScheduler starts at most one operation per macrotask, never synchronously", async () => {
  const scheduler = new StepScheduler();
  let tick = 0;
  let running = true;
  const counter = () => {
    tick++;
    if (running) setImmediate(counter);
  };
  setImmediate(counter);
  const started: number[] = [];
  let synchronous = true;
  const ops = Array.from({ length: 8 }, (_, i) =>
    scheduler.run(async () => {
      assert.equal(synchronous, false);
      started.push(tick);
      return i;
    }),
  );
  synchronous = false;
  assert.deepEqual(await Promise.all(ops), [0, 1, 2, 3, 4, 5, 6, 7]);
  running = false;
  assert.equal(new Set(started).size, started.length, `one start per macrotask: ${started.join(",")}`);
});

test("steps of many contexts are interleaved and each context's steps stay ordered", async () => {
  const local = new InThreadEngineHost();
  const ca = await createCertificateAuthority({ commonName: "interleave CA" });
  const cert = await issueCertificate(ca, { commonName: "localhost" });
  const sc = await local.acquireCredential(
    server({ certificates: [{ certificate: cert.certificate, privateKey: cert.privateKey }] }),
  );
  const cc = await local.acquireCredential({
    role: "client",
    certificates: [],
    trustedRoots: [ca.certificate],
    minVersion: "TLSv1.2",
    maxVersion: "TLSv1.3",
  });
  const clients = await Promise.all(
    Array.from({ length: 6 }, () =>
      local.createContext(cc.credentialId!, {
        role: "client",
        serverName: "localhost",
        manualValidation: false,
        noServerNameCheck: false,
      }),
    ),
  );
  const hellos = await Promise.all(clients.map((c) => local.step(c.contextId!, new Uint8Array(0))));
  for (const h of hellos) assert.equal(h.status, SEC_I_CONTINUE_NEEDED);
  const servers = await Promise.all(
    clients.map(() =>
      local.createContext(sc.credentialId!, { role: "server", requestClientCertificate: false }),
    ),
  );
  const flights = await Promise.all(servers.map((s, i) => local.step(s.contextId!, hellos[i]!.output)));
  const finished = await Promise.all(clients.map((c, i) => local.step(c.contextId!, flights[i]!.output)));
  const done = await Promise.all(servers.map((s, i) => local.step(s.contextId!, finished[i]!.output)));
  for (const d of done) assert.equal(d.status, SEC_E_OK, d.reason);
  assert.equal(local.contextCount, 12);
  await local.dispose();
  assert.equal(local.contextCount, 0);
  assert.equal((await local.acquireCredential(server())).status, SEC_E_INTERNAL_ERROR);
});
