/**
 * The blocking SSPI functions against the asynchronous ones, on the default security service
 * (the native host: asynchronous steps on the libuv pool, blocking steps on the calling thread):
 * identical statuses call by call, handles shared both ways, the record layer after a blocking
 * handshake, misuse.
 */
import assert from "node:assert/strict";
import { before, test } from "node:test";
import {
  box,
  CredHandle,
  CtxtHandle,
  ISC_REQ_ALLOCATE_MEMORY,
  QueryContextAttributes,
  SEC_E_INVALID_HANDLE,
  SEC_E_INVALID_PARAMETER,
  SEC_E_OK,
  SEC_E_SECPKG_NOT_FOUND,
  SEC_I_CONTINUE_NEEDED,
  SECBUFFER_TOKEN,
  SECPKG_ATTR_CONNECTION_INFO,
  SspiGetLastErrorInfo,
  secBuffer,
  secBufferDesc,
  promises as sspi,
} from "../../src/index.js";
import { blockingFaceOf } from "../../src/service/blocking-host.js";
import { NativeEngineHost } from "../../src/service/native-host.js";
import { securityService } from "../../src/service/security-service.js";
import {
  AcquireCredentialsHandle,
  DeleteSecurityContext,
  FreeCredentialsHandle,
  InitializeSecurityContext,
} from "../../src/sspi/blocking-calls.js";
import { decryptOnce, encrypt } from "../support/sspi-driver.js";
import {
  acquire,
  type Mode,
  memoryHandshake,
  type Pki,
  pki,
  SECPKG_CRED_INBOUND,
  SECPKG_CRED_OUTBOUND,
} from "./memory-handshake.js";

let keys: Pki;
before(async () => {
  keys = await pki();
});

function connectionInfo(handle: CtxtHandle): unknown {
  const info = box<unknown>(null);
  assert.equal(QueryContextAttributes(handle, SECPKG_ATTR_CONNECTION_INFO, info), SEC_E_OK);
  return info.value;
}

async function roundTrip(hs: Awaited<ReturnType<typeof memoryHandshake>>): Promise<string> {
  let pending = hs.toClient;
  const record = encrypt(hs.server, new TextEncoder().encode("hello from the server"));
  const joined = new Uint8Array(pending.byteLength + record.byteLength);
  joined.set(pending);
  joined.set(record, pending.byteLength);
  pending = joined;
  for (let i = 0; i < 10 && pending.byteLength > 0; i++) {
    const r = decryptOnce(hs.client, pending);
    if (r.plaintext.byteLength > 0) return new TextDecoder().decode(r.plaintext);
    pending = r.rest;
  }
  return "";
}

async function run(modeOf: (side: "client" | "server", call: number) => Mode, acquireMode: Mode) {
  const clientCred = await acquire(acquireMode, SECPKG_CRED_OUTBOUND, keys.client);
  const serverCred = await acquire(acquireMode, SECPKG_CRED_INBOUND, keys.server);
  const hs = await memoryHandshake(clientCred, serverCred, modeOf);
  const info = { client: connectionInfo(hs.client), server: connectionInfo(hs.server) };
  const text = await roundTrip(hs);
  return { hs, info, text, clientCred, serverCred };
}

test("the service is the native host by default, and blocking calls use its blocking face", () => {
  assert.ok(securityService() instanceof NativeEngineHost);
  assert.ok(blockingFaceOf(securityService()) !== null);
});

test("blocking and asynchronous handshakes: identical statuses call by call, identical results", async () => {
  const blocking = await run(() => "blocking", "blocking");
  const async_ = await run(() => "async", "async");
  assert.deepEqual(blocking.hs.trace, async_.hs.trace);
  assert.equal(blocking.hs.trace.at(-1), "server:0x0");
  assert.deepEqual(blocking.info, async_.info);
  assert.equal(blocking.text, "hello from the server");
  assert.equal(async_.text, "hello from the server");
  for (const r of [blocking, async_]) {
    assert.equal(DeleteSecurityContext(r.hs.client), SEC_E_OK);
    assert.equal(await sspi.DeleteSecurityContext(r.hs.server), SEC_E_OK);
    assert.equal(FreeCredentialsHandle(r.clientCred), SEC_E_OK);
    assert.equal(await sspi.FreeCredentialsHandle(r.serverCred), SEC_E_OK);
  }
});

test("handles are shared: blocking and asynchronous calls alternate on the same contexts", async () => {
  const reference = await run(() => "async", "async");
  const alternating = await run(
    (side, call) => ((call + (side === "server" ? 1 : 0)) % 2 === 0 ? "blocking" : "async"),
    "blocking",
  );
  const crossed = await run((side) => (side === "client" ? "blocking" : "async"), "async");
  assert.deepEqual(alternating.hs.trace, reference.hs.trace);
  assert.deepEqual(crossed.hs.trace, reference.hs.trace);
  assert.equal(alternating.text, "hello from the server");
  assert.equal(crossed.text, "hello from the server");
  for (const r of [reference, alternating, crossed]) {
    assert.equal(DeleteSecurityContext(r.hs.client), SEC_E_OK);
    assert.equal(DeleteSecurityContext(r.hs.server), SEC_E_OK);
    assert.equal(DeleteSecurityContext(r.hs.server), SEC_E_INVALID_HANDLE);
    FreeCredentialsHandle(r.clientCred);
    FreeCredentialsHandle(r.serverCred);
  }
});

test("blocking calls validate like the asynchronous ones (same statuses, same error details)", async () => {
  const cred = new CredHandle();
  assert.equal(
    AcquireCredentialsHandle(null, "NoSuchPackage", SECPKG_CRED_OUTBOUND, null, null, null, null, cred, null),
    SEC_E_SECPKG_NOT_FOUND,
  );
  const blockingInfo = SspiGetLastErrorInfo();
  assert.equal(
    await sspi.AcquireCredentialsHandle(
      null,
      "NoSuchPackage",
      SECPKG_CRED_OUTBOUND,
      null,
      null,
      null,
      null,
      cred,
      null,
    ),
    SEC_E_SECPKG_NOT_FOUND,
  );
  assert.deepEqual(SspiGetLastErrorInfo(), blockingInfo);
  const ctx = new CtxtHandle();
  const out = secBufferDesc(secBuffer(SECBUFFER_TOKEN));
  assert.equal(
    InitializeSecurityContext(null, ctx, null, 0, 0, 0, null, 0, null, out, box(0), null),
    SEC_E_INVALID_HANDLE,
  );
  assert.equal(FreeCredentialsHandle(cred), SEC_E_INVALID_HANDLE);
  assert.equal(DeleteSecurityContext(ctx), SEC_E_INVALID_HANDLE);
});

test("a blocking call on a context with an asynchronous call in flight: SEC_E_INVALID_PARAMETER; blocking delete releases it later", async () => {
  const clientCred = await acquire("async", SECPKG_CRED_OUTBOUND, keys.client);
  const ctx = new CtxtHandle();
  const flags = ISC_REQ_ALLOCATE_MEMORY;
  const first = InitializeSecurityContext(
    clientCred,
    null,
    "server.test",
    flags,
    0,
    0,
    null,
    0,
    ctx,
    secBufferDesc(secBuffer(SECBUFFER_TOKEN)),
    box(0),
    null,
  );
  assert.equal(first, SEC_I_CONTINUE_NEEDED);
  const inFlight = sspi.InitializeSecurityContext(
    null,
    ctx,
    "server.test",
    flags,
    0,
    0,
    secBufferDesc(secBuffer(SECBUFFER_TOKEN, new Uint8Array([22, 3, 3, 0, 1, 2]))),
    0,
    null,
    secBufferDesc(secBuffer(SECBUFFER_TOKEN)),
    box(0),
    null,
  );
  const overlapping = InitializeSecurityContext(
    null,
    ctx,
    "server.test",
    flags,
    0,
    0,
    null,
    0,
    null,
    secBufferDesc(secBuffer(SECBUFFER_TOKEN)),
    box(0),
    null,
  );
  assert.equal(overlapping, SEC_E_INVALID_PARAMETER);
  assert.match(SspiGetLastErrorInfo()?.reason ?? "", /already in progress/);
  assert.equal(DeleteSecurityContext(ctx), SEC_E_OK);
  await inFlight;
  assert.equal(FreeCredentialsHandle(clientCred), SEC_E_OK);
});
