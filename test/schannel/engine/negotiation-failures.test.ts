/**
 * Failures OpenSSL decides, engine against engine in memory: no common version, no shared suite,
 * a tampered encrypted handshake record; the failing side's alert is in its output and the other
 * side reports it as received.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { EngineCredentialConfig } from "../../../src/schannel/engine/engine-types.js";
import { NativeEngineHost } from "../../../src/service/native-host.js";
import {
  TLS1_ALERT_BAD_RECORD_MAC,
  TLS1_ALERT_HANDSHAKE_FAILURE,
  TLS1_ALERT_PROTOCOL_VERSION,
} from "../../../src/sspi/schannel-constants.js";
import {
  formatStatus,
  SEC_E_ALGORITHM_MISMATCH,
  SEC_E_ILLEGAL_MESSAGE,
  SEC_E_MESSAGE_ALTERED,
  SEC_I_CONTINUE_NEEDED,
} from "../../../src/sspi/status.js";
import { clientConfig, type Fixtures, fixtures, serverConfig } from "../../support/tls-fixtures.js";

const host = new NativeEngineHost();
let f: Fixtures;
before(async () => {
  f = await fixtures();
});
after(() => host.dispose());

async function contexts(client: EngineCredentialConfig, server: EngineCredentialConfig) {
  const cc = await host.acquireCredential(client);
  const sc = await host.acquireCredential(server);
  const c = await host.createContext(cc.credentialId!, {
    role: "client",
    serverName: "localhost",
    manualValidation: false,
    noServerNameCheck: false,
  });
  const s = await host.createContext(sc.credentialId!, { role: "server", requestClientCertificate: false });
  return { c: c.contextId!, s: s.contextId! };
}

test("no common protocol version: server SEC_E_ALGORITHM_MISMATCH + protocol_version, client receives it", async () => {
  const { c, s } = await contexts(
    clientConfig([f.ca.certificate], "TLSv1.3"),
    serverConfig([f.servers["ecdsa-p256"]], "TLSv1.2"),
  );
  const hello = await host.step(c, new Uint8Array(0));
  const r = await host.step(s, hello.output);
  assert.equal(r.status, SEC_E_ALGORITHM_MISMATCH, `${formatStatus(r.status)} ${r.reason}`);
  assert.deepEqual(r.alert, { level: 2, description: TLS1_ALERT_PROTOCOL_VERSION, direction: "sent" });
  assert.deepEqual([...r.output], [21, 3, 3, 0, 2, 2, TLS1_ALERT_PROTOCOL_VERSION]);
  const rc = await host.step(c, r.output);
  assert.equal(rc.status, SEC_E_ILLEGAL_MESSAGE);
  assert.deepEqual(rc.alert, { level: 2, description: TLS1_ALERT_PROTOCOL_VERSION, direction: "received" });
});

test("no shared cipher suite: SEC_E_ALGORITHM_MISMATCH + handshake_failure", async () => {
  const { c, s } = await contexts(
    clientConfig([f.ca.certificate], "TLSv1.2", { ciphers12: ["ECDHE-RSA-AES128-GCM-SHA256"] }),
    serverConfig([f.servers["ecdsa-p256"]], "TLSv1.2"),
  );
  const hello = await host.step(c, new Uint8Array(0));
  const r = await host.step(s, hello.output);
  assert.equal(r.status, SEC_E_ALGORITHM_MISMATCH, `${formatStatus(r.status)} ${r.reason}`);
  assert.equal(r.alert?.description, TLS1_ALERT_HANDSHAKE_FAILURE);
  const rc = await host.step(c, r.output);
  assert.equal(rc.status, SEC_E_ILLEGAL_MESSAGE);
  assert.deepEqual(rc.alert, { level: 2, description: TLS1_ALERT_HANDSHAKE_FAILURE, direction: "received" });
});

test("tampered encrypted handshake record: SEC_E_MESSAGE_ALTERED with OpenSSL's bad_record_mac alert", async () => {
  const { c, s } = await contexts(
    clientConfig([f.ca.certificate], "TLSv1.3"),
    serverConfig([f.servers["ecdsa-p256"]], "TLSv1.3"),
  );
  const hello = await host.step(c, new Uint8Array(0));
  const flight = await host.step(s, hello.output);
  assert.equal(flight.status, SEC_I_CONTINUE_NEEDED);
  const tampered = flight.output.slice();
  tampered[tampered.length - 3]! ^= 0x55; // inside the last record (Finished)
  const r = await host.step(c, tampered);
  assert.equal(r.status, SEC_E_MESSAGE_ALTERED, `${formatStatus(r.status)} ${r.reason}`);
  assert.equal(r.alert?.description, TLS1_ALERT_BAD_RECORD_MAC);
  assert.ok(r.output.length > 0, "the alert OpenSSL sent");
  // Measured: OpenSSL's TLS 1.3 client has not switched its write epoch yet (it does so when it
  // writes its own flight), so this alert goes out in plaintext.
  assert.deepEqual([...r.output], [21, 3, 3, 0, 2, 2, TLS1_ALERT_BAD_RECORD_MAC]);
  const rs = await host.step(s, r.output);
  assert.equal(rs.status, SEC_E_ILLEGAL_MESSAGE, rs.reason);
  assert.deepEqual(rs.alert, { level: 2, description: TLS1_ALERT_BAD_RECORD_MAC, direction: "received" });
});
