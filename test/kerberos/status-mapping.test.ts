/** Kerberos failures → SSPI statuses (the table the package will use). */
import assert from "node:assert/strict";
import { test } from "node:test";
import { KdcError } from "../../src/kerberos/client/kdc-error.js";
import { KerberosError } from "../../src/kerberos/errors.js";
import { statusForKerberosError } from "../../src/kerberos/status-mapping.js";
import {
  SEC_E_ALGORITHM_MISMATCH,
  SEC_E_INTERNAL_ERROR,
  SEC_E_INVALID_TOKEN,
  SEC_E_LOGON_DENIED,
  SEC_E_MESSAGE_ALTERED,
  SEC_E_MUTUAL_AUTH_FAILED,
  SEC_E_NO_AUTHENTICATING_AUTHORITY,
  SEC_E_TIME_SKEW,
} from "../../src/sspi/status.js";

const kdcError = (errorCode: number) =>
  new KdcError(
    { stime: new Date(), susec: 0, errorCode, realm: "R", sname: { nameType: 1, components: ["x"] } },
    "AS exchange",
  );

test("KDC errors by code, with the KDC's error named in the reason", () => {
  const skew = statusForKerberosError(kdcError(37));
  assert.equal(skew.status, SEC_E_TIME_SKEW);
  assert.match(skew.reason, /KRB_AP_ERR_SKEW \(37\)/);
  assert.equal(statusForKerberosError(kdcError(6)).status, SEC_E_LOGON_DENIED);
  assert.equal(statusForKerberosError(kdcError(14)).status, SEC_E_ALGORITHM_MISMATCH);
  assert.equal(statusForKerberosError(kdcError(999)).status, SEC_E_LOGON_DENIED);
});

test("error kinds", () => {
  const s = (e: unknown) => statusForKerberosError(e).status;
  assert.equal(s(new KerberosError("ERR_KRB_MALFORMED", "x")), SEC_E_INVALID_TOKEN);
  assert.equal(s(new KerberosError("ERR_KRB_INTEGRITY", "x")), SEC_E_MESSAGE_ALTERED);
  assert.equal(s(new KerberosError("ERR_KRB_INTEGRITY", "x", { krbCode: 46 })), SEC_E_MUTUAL_AUTH_FAILED);
  assert.equal(s(new KerberosError("ERR_KRB_TRANSPORT", "x")), SEC_E_NO_AUTHENTICATING_AUTHORITY);
  assert.equal(s(new KerberosError("ERR_KRB_PROTOCOL", "x")), SEC_E_INVALID_TOKEN);
  assert.equal(s(new TypeError("boom")), SEC_E_INTERNAL_ERROR);
});
