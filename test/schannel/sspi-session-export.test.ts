/**
 * The SSPI side of exported sessions (extensions, not Windows values — Windows has no way to hand
 * Schannel a saved session): `SECBUFFER_TLS_SESSION_EX` on a client's first ISC is checked before
 * any byte is produced (`SEC_E_INVALID_TOKEN` naming the buffer), and
 * `SECPKG_ATTR_TLS_SESSION_EX` answers on client contexts only.
 */
import assert from "node:assert/strict";
import { before, test } from "node:test";
import {
  box,
  CtxtHandle,
  FreeContextBuffer,
  ISC_REQ_ALLOCATE_MEMORY,
  ISC_REQ_CONFIDENTIALITY,
  ISC_REQ_EXTENDED_ERROR,
  ISC_REQ_STREAM,
  QueryContextAttributes,
  SCH_CREDENTIALS_VERSION,
  SEC_E_INVALID_TOKEN,
  SEC_I_CONTINUE_NEEDED,
  SECBUFFER_TLS_SESSION_EX,
  SECBUFFER_TOKEN,
  SECPKG_ATTR_TLS_SESSION_EX,
  SECPKG_CRED_OUTBOUND,
  type SecPkgContext_TlsSessionEx,
  SspiGetLastErrorInfo,
  secBuffer,
  secBufferDesc,
  promises as sspi,
} from "../../src/index.js";
import { acquireOk } from "../support/sspi-driver.js";
import { type Fixtures, fixtures } from "../support/tls-fixtures.js";

const FLAGS = ISC_REQ_CONFIDENTIALITY | ISC_REQ_STREAM | ISC_REQ_EXTENDED_ERROR | ISC_REQ_ALLOCATE_MEMORY;

let f: Fixtures;
before(async () => {
  f = await fixtures();
});

async function firstCall(session: Uint8Array) {
  const cred = await acquireOk(SECPKG_CRED_OUTBOUND, {
    dwVersion: SCH_CREDENTIALS_VERSION,
    hRootStore: [f.ca.certificate],
  });
  const handle = new CtxtHandle();
  const output = secBufferDesc(secBuffer(SECBUFFER_TOKEN));
  const status = await sspi.InitializeSecurityContext(
    cred,
    null,
    "server.test",
    FLAGS,
    0,
    0,
    secBufferDesc(secBuffer(SECBUFFER_TLS_SESSION_EX, session)),
    0,
    handle,
    output,
    box(0),
    null,
  );
  return { cred, handle, status, output };
}

test("SECBUFFER_TLS_SESSION_EX that is not an exported session: SEC_E_INVALID_TOKEN, nothing sent", async () => {
  const { cred, handle, status, output } = await firstCall(Buffer.from("garbage"));
  assert.equal(status, SEC_E_INVALID_TOKEN);
  assert.match(
    SspiGetLastErrorInfo(handle)?.message ?? SspiGetLastErrorInfo(cred)?.message ?? "",
    /SECBUFFER_TLS_SESSION_EX/,
  );
  assert.equal(output.pBuffers[0]!.cbBuffer, 0);
  await sspi.FreeCredentialsHandle(cred);
});

test("SECPKG_ATTR_TLS_SESSION_EX on a client before any session: none yet", async () => {
  const cred = await acquireOk(SECPKG_CRED_OUTBOUND, {
    dwVersion: SCH_CREDENTIALS_VERSION,
    hRootStore: [f.ca.certificate],
  });
  const handle = new CtxtHandle();
  const output = secBufferDesc(secBuffer(SECBUFFER_TOKEN));
  const status = await sspi.InitializeSecurityContext(
    cred,
    null,
    "server.test",
    FLAGS,
    0,
    0,
    null,
    0,
    handle,
    output,
    box(0),
    null,
  );
  assert.equal(status, SEC_I_CONTINUE_NEEDED);
  const value = box<SecPkgContext_TlsSessionEx | null>(null);
  assert.equal(QueryContextAttributes(handle, SECPKG_ATTR_TLS_SESSION_EX, value), 0);
  assert.deepEqual(value.value, { cbSession: 0, pbSession: null, cSessionsReceived: 0 });
  const token = output.pBuffers[0]!.pvBuffer;
  if (token) FreeContextBuffer(token);
  await sspi.DeleteSecurityContext(handle);
  await sspi.FreeCredentialsHandle(cred);
});
