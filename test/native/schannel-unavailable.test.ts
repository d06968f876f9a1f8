/**
 * Where the native addon cannot load, Schannel is unavailable with the loader's one-sentence
 * reason — never served by another engine: EnumerateSecurityPackages omits it,
 * QuerySecurityPackageInfo does not know it, AcquireCredentialsHandle (asynchronous and blocking)
 * returns SEC_E_SECPKG_NOT_FOUND with the reason in SspiGetLastErrorInfo, and the idiomatic API
 * throws with the reason. The authentication packages keep working.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  acquireTlsCredentials,
  box,
  CredHandle,
  EnumerateSecurityPackages,
  FreeCredentialsHandle,
  NTLMSP_NAME,
  QuerySecurityPackageInfo,
  SEC_E_OK,
  SEC_E_SECPKG_NOT_FOUND,
  SECPKG_CRED_OUTBOUND,
  type SecPkgInfo,
  SspiError,
  SspiGetLastErrorInfo,
  promises as sspi,
} from "../../src/index.js";
import type { EngineHost } from "../../src/service/engine-host.js";
import { NativeEngineHost } from "../../src/service/native-host.js";
import { securityService, setSecurityService } from "../../src/service/security-service.js";
import { AcquireCredentialsHandle } from "../../src/sspi/blocking-calls.js";

const REASON = "the native TLS engine could not be loaded (no prebuild and no compiler in this test)";
let previous: EngineHost;
let unavailable: NativeEngineHost;

function packageNames(): string[] {
  const count = box(0);
  const list = box<SecPkgInfo[] | null>(null);
  assert.equal(EnumerateSecurityPackages(count, list), SEC_E_OK);
  return (list.value ?? []).map((p) => p.Name);
}

before(() => {
  previous = securityService();
  unavailable = new NativeEngineHost({ ok: false, reason: REASON });
});

after(async () => {
  setSecurityService(previous);
  await unavailable.dispose();
});

test("with the addon loaded, Schannel is listed and the default host is the native one", () => {
  assert.ok(previous instanceof NativeEngineHost);
  assert.equal(previous.unavailableReason, null);
  assert.ok(packageNames().includes("Schannel"));
});

test("without the addon: Schannel is left out of EnumerateSecurityPackages and unknown to QuerySecurityPackageInfo", () => {
  setSecurityService(unavailable);
  try {
    const names = packageNames();
    assert.ok(!names.includes("Schannel"), names.join(", "));
    assert.ok(names.includes(NTLMSP_NAME), "the authentication packages never need the addon");
    assert.equal(QuerySecurityPackageInfo("Schannel", box(null)), SEC_E_SECPKG_NOT_FOUND);
    assert.equal(QuerySecurityPackageInfo("Default TLS SSP", box(null)), SEC_E_SECPKG_NOT_FOUND);
    assert.equal(QuerySecurityPackageInfo(NTLMSP_NAME, box(null)), SEC_E_OK);
  } finally {
    setSecurityService(previous);
  }
  assert.ok(packageNames().includes("Schannel"), "listed again once the engine is there");
});

test("without the addon: AcquireCredentialsHandle(…Schannel…) → SEC_E_SECPKG_NOT_FOUND with the reason", async () => {
  setSecurityService(unavailable);
  try {
    const asyncHandle = new CredHandle();
    const status = await sspi.AcquireCredentialsHandle(
      null,
      "Schannel",
      SECPKG_CRED_OUTBOUND,
      null,
      null,
      null,
      null,
      asyncHandle,
      null,
    );
    assert.equal(status, SEC_E_SECPKG_NOT_FOUND);
    const info = SspiGetLastErrorInfo();
    assert.equal(info?.statusName, "SEC_E_SECPKG_NOT_FOUND");
    assert.equal(info?.reason, REASON);

    const blockingHandle = new CredHandle();
    assert.equal(
      AcquireCredentialsHandle(
        null,
        "schannel",
        SECPKG_CRED_OUTBOUND,
        null,
        null,
        null,
        null,
        blockingHandle,
        null,
      ),
      SEC_E_SECPKG_NOT_FOUND,
    );
    assert.equal(SspiGetLastErrorInfo()?.reason, REASON);

    // NTLM is not affected.
    const ntlm = new CredHandle();
    assert.equal(
      AcquireCredentialsHandle(
        null,
        NTLMSP_NAME,
        SECPKG_CRED_OUTBOUND,
        null,
        { User: "u", Domain: "d", Password: "p" },
        null,
        null,
        ntlm,
        null,
      ),
      SEC_E_OK,
    );
    assert.equal(FreeCredentialsHandle(ntlm), SEC_E_OK);
  } finally {
    setSecurityService(previous);
  }
});

test("without the addon: acquireTlsCredentials throws SEC_E_SECPKG_NOT_FOUND with the reason", async () => {
  setSecurityService(unavailable);
  try {
    await assert.rejects(acquireTlsCredentials({ role: "client" }), (error: unknown) => {
      assert.ok(error instanceof SspiError);
      assert.equal(error.status, SEC_E_SECPKG_NOT_FOUND);
      assert.match(error.message, /could not be loaded \(no prebuild and no compiler in this test\)/);
      return true;
    });
  } finally {
    setSecurityService(previous);
  }
});
