/**
 * SetCredentialsAttributes(cred, SECPKG_ATTR_SESSION_TICKET_KEYS, SecPkgCred_SessionTicketKeys)
 * through the SSPI surface, on a TLS 1.2 server credential (tickets arrive inside the handshake):
 * the first key encrypts, every listed key decrypts; a ticket under the old key still resumes
 * after a rotation and is renewed under the new key; once the old key is retired, a client that
 * only holds an old-key ticket gets a full handshake.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import {
  box,
  type CredHandle,
  type CtxtHandle,
  QueryContextAttributes,
  SEC_E_INVALID_PARAMETER,
  SEC_E_OK,
  SEC_E_UNSUPPORTED_FUNCTION,
  SECPKG_ATTR_SESSION_INFO,
  SECPKG_ATTR_SESSION_TICKET_KEYS,
  SESSION_TICKET_INFO_VERSION,
  type SecPkgCred_SessionTicketKey,
  SetCredentialsAttributes,
  SSL_SESSION_RECONNECT,
  SspiGetLastErrorInfo,
  promises as sspi,
} from "../../src/index.js";
import {
  acquire,
  memoryHandshake,
  pki,
  SECPKG_CRED_INBOUND,
  SECPKG_CRED_OUTBOUND,
} from "../blocking/memory-handshake.js";
import { versionedAuth } from "../robustness/support.js";

const key = (id: number): SecPkgCred_SessionTicketKey => ({
  TicketInfoVersion: SESSION_TICKET_INFO_VERSION,
  KeyId: new Uint8Array(16).fill(id),
  KeyingMaterial: new Uint8Array(randomBytes(64)),
  KeyingMaterialSize: 64,
});
const keysOf = (...list: SecPkgCred_SessionTicketKey[]) => ({
  cSessionTicketKeys: list.length,
  pSessionTicketKeys: list,
});

let server: CredHandle;
const clients: CredHandle[] = [];
let auth: Awaited<ReturnType<typeof versionedAuth>>;

before(async () => {
  auth = versionedAuth(await pki(), "TLSv1.2");
  server = await acquire("async", SECPKG_CRED_INBOUND, auth.server);
});

after(async () => {
  for (const c of [server, ...clients]) await sspi.FreeCredentialsHandle(c);
});

async function newClient(): Promise<CredHandle> {
  const client = await acquire("async", SECPKG_CRED_OUTBOUND, auth.client);
  clients.push(client);
  return client;
}

/** A whole handshake of `client` with the server; whether it resumed (both sides agree). */
async function resumed(client: CredHandle): Promise<boolean> {
  const hs = await memoryHandshake(client, server, () => "async");
  assert.ok(hs.trace.includes("client:0x0") && hs.trace.includes("server:0x0"), hs.trace.join(" "));
  const flags = (h: CtxtHandle) => {
    const info = box<{ dwFlags: number } | null>(null);
    assert.equal(QueryContextAttributes(h, SECPKG_ATTR_SESSION_INFO, info), SEC_E_OK);
    return (info.value!.dwFlags & SSL_SESSION_RECONNECT) !== 0;
  };
  const client_ = flags(hs.client);
  assert.equal(flags(hs.server), client_, "both sides agree on resumption");
  await sspi.DeleteSecurityContext(hs.client);
  await sspi.DeleteSecurityContext(hs.server);
  return client_;
}

test("rotation in place: old-key tickets resume and are renewed under the new key; retired, a full handshake", async () => {
  const oldKey = key(0xa1);
  const newKey = key(0xb2);
  assert.equal(SetCredentialsAttributes(server, SECPKG_ATTR_SESSION_TICKET_KEYS, keysOf(oldKey)), SEC_E_OK);
  const renewing = await newClient();
  const stale = await newClient();
  for (const c of [renewing, stale]) {
    assert.equal(await resumed(c), false, "first contact: a full handshake, a ticket under the old key");
    assert.equal(await resumed(c), true, "the old-key ticket resumes");
  }

  // Rotate: the new key encrypts, the old one still decrypts.
  assert.equal(
    SetCredentialsAttributes(server, SECPKG_ATTR_SESSION_TICKET_KEYS, keysOf(newKey, oldKey)),
    SEC_E_OK,
  );
  assert.equal(await resumed(renewing), true, "an old-key ticket still resumes after the rotation");
  const fresh = await newClient();
  assert.equal(await resumed(fresh), false);

  // Retire the old key.
  assert.equal(SetCredentialsAttributes(server, SECPKG_ATTR_SESSION_TICKET_KEYS, keysOf(newKey)), SEC_E_OK);
  assert.equal(await resumed(renewing), true, "its ticket was renewed under the new key");
  assert.equal(await resumed(fresh), true, "a new-key ticket resumes");
  assert.equal(await resumed(stale), false, "an old-key ticket after retirement: a full handshake");
  assert.equal(await resumed(stale), true, "…which issued a new-key ticket");
});

test("bad SecPkgCred_SessionTicketKeys and client credentials are refused with a reason", async () => {
  const cases: Array<[unknown, RegExp]> = [
    [null, /SecPkgCred_SessionTicketKeys/],
    [{ cSessionTicketKeys: 2, pSessionTicketKeys: [key(1)] }, /cSessionTicketKeys/],
    [keysOf(), /between 1 and/],
    [keysOf({ ...key(1), KeyId: new Uint8Array(15) }), /KeyId must be 16 bytes/],
    [keysOf({ ...key(1), KeyingMaterialSize: 48 }), /KeyingMaterial must be 64 bytes/],
    [keysOf({ ...key(1), TicketInfoVersion: 7 }), /TicketInfoVersion/],
    [keysOf(key(1), key(1)), /repeats/],
  ];
  for (const [value, reason] of cases) {
    assert.equal(
      SetCredentialsAttributes(server, SECPKG_ATTR_SESSION_TICKET_KEYS, value),
      SEC_E_INVALID_PARAMETER,
    );
    assert.match(SspiGetLastErrorInfo(server)?.reason ?? "", reason);
  }
  const client = await newClient();
  assert.equal(
    SetCredentialsAttributes(client, SECPKG_ATTR_SESSION_TICKET_KEYS, keysOf(key(3))),
    SEC_E_UNSUPPORTED_FUNCTION,
  );
  assert.match(SspiGetLastErrorInfo(client)?.reason ?? "", /server credential/);
});
