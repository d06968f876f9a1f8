/**
 * A record whose length field exceeds the negotiated version's limit is answered with a
 * record_overflow alert from its header alone — also a TLS 1.3 length between 2^14 + 257 and
 * TLS 1.2's 2^14 + 2048, which the engine used to hold back waiting for a body (the step then
 * failed without any alert; fuzz seed 478187693).
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  type CredHandle,
  CtxtHandle,
  FAILED,
  SEC_I_CONTINUE_NEEDED,
  promises as sspi,
} from "../../src/index.js";
import { acquire, pki, SECPKG_CRED_INBOUND, SECPKG_CRED_OUTBOUND } from "../blocking/memory-handshake.js";
import { establishingCall, parseRecords, type Version, versionedAuth } from "../robustness/support.js";

const TLS1_ALERT_RECORD_OVERFLOW = 22;
const creds = new Map<Version, { client: CredHandle; server: CredHandle }>();

before(async () => {
  const keys = await pki();
  for (const v of ["TLSv1.3", "TLSv1.2"] as Version[]) {
    const auth = versionedAuth(keys, v);
    creds.set(v, {
      client: await acquire("async", SECPKG_CRED_OUTBOUND, auth.client),
      server: await acquire("async", SECPKG_CRED_INBOUND, auth.server),
    });
  }
});

after(async () => {
  for (const { client, server } of creds.values()) {
    await sspi.FreeCredentialsHandle(client);
    await sspi.FreeCredentialsHandle(server);
  }
});

/** The server's context after its first flight (TLS 1.3: handshake keys in use). */
async function serverAfterFlight(v: Version): Promise<{ c: CtxtHandle; s: CtxtHandle }> {
  const { client, server } = creds.get(v)!;
  const c = new CtxtHandle();
  const s = new CtxtHandle();
  const hello = await establishingCall("initiator", client, c, true, null);
  const flight = await establishingCall("acceptor", server, s, true, hello.token);
  assert.equal(flight.status, SEC_I_CONTINUE_NEEDED);
  return { c, s };
}

const header = (length: number) => Uint8Array.from([23, 3, 3, length >> 8, length & 0xff, 1, 2, 3]);

test("TLS 1.3: a length of 2^14 + 257 gets record_overflow at once, sealed under the handshake keys", async () => {
  for (const length of [16384 + 257, 16384 + 2048, 16384 + 2049]) {
    const { c, s } = await serverAfterFlight("TLSv1.3");
    const r = await establishingCall("acceptor", creds.get("TLSv1.3")!.server, s, false, header(length));
    assert.ok(FAILED(r.status), `length ${length}: status 0x${(r.status >>> 0).toString(16)}`);
    assert.deepEqual(r.alert, [2, TLS1_ALERT_RECORD_OVERFLOW], `length ${length}: the alert reported`);
    const records = parseRecords(r.token);
    assert.equal(records.length, 1, `length ${length}: one record, the alert`);
    assert.equal(records[0]!.type, 23, "encrypted (TLS 1.3 handshake keys): an application_data record");
    await sspi.DeleteSecurityContext(c);
    await sspi.DeleteSecurityContext(s);
  }
});

test("TLS 1.2: a length beyond 2^14 + 2048 gets record_overflow at once", async () => {
  const { c, s } = await serverAfterFlight("TLSv1.2");
  const r = await establishingCall("acceptor", creds.get("TLSv1.2")!.server, s, false, header(16384 + 2049));
  assert.ok(FAILED(r.status), `status 0x${(r.status >>> 0).toString(16)}`);
  assert.deepEqual(r.alert, [2, TLS1_ALERT_RECORD_OVERFLOW]);
  assert.equal(parseRecords(r.token).length, 1, "one record, the alert");
  await sspi.DeleteSecurityContext(c);
  await sspi.DeleteSecurityContext(s);
});
