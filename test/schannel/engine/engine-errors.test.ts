import assert from "node:assert/strict";
import { test } from "node:test";
import {
  failureFromCertificateError,
  failureFromEngineError,
  failureFromRecordHeader,
  receivedAlertFromCode,
} from "../../../src/schannel/engine/engine-errors.js";
import { recordKeylogLine } from "../../../src/schannel/engine/keylog.js";
import {
  SEC_E_ALGORITHM_MISMATCH,
  SEC_E_APPLICATION_PROTOCOL_MISMATCH,
  SEC_E_CERT_EXPIRED,
  SEC_E_CERT_UNKNOWN,
  SEC_E_ILLEGAL_MESSAGE,
  SEC_E_MESSAGE_ALTERED,
  SEC_E_OK,
  SEC_E_UNTRUSTED_ROOT,
  SEC_E_WRONG_PRINCIPAL,
} from "../../../src/sspi/status.js";

test("received alerts are read from Node's error codes", () => {
  assert.equal(receivedAlertFromCode("ERR_SSL_TLSV1_ALERT_UNKNOWN_CA"), 48);
  assert.equal(receivedAlertFromCode("ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE"), 42);
  assert.equal(receivedAlertFromCode("ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED"), 116);
  assert.equal(receivedAlertFromCode("ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL"), 120);
  assert.equal(receivedAlertFromCode("ERR_SSL_NO_SHARED_CIPHER"), undefined);
  const received = failureFromEngineError({ code: "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE", message: "x" });
  assert.equal(received.status, SEC_E_ILLEGAL_MESSAGE);
  assert.deepEqual(received.alert, { description: 40, direction: "received" });
  // OpenSSL 3.5 (Node 24) spells the SSLv3-era alerts "ssl/tls alert …": the same alerts.
  assert.equal(receivedAlertFromCode("ERR_SSL_SSL/TLS_ALERT_BAD_CERTIFICATE"), 42);
  assert.equal(receivedAlertFromCode("ERR_SSL_SSL/TLS_ALERT_BAD_RECORD_MAC"), 20);
  const received35 = failureFromEngineError({
    code: "ERR_SSL_SSL/TLS_ALERT_HANDSHAKE_FAILURE",
    message: "x",
  });
  assert.equal(received35.status, SEC_E_ILLEGAL_MESSAGE);
  assert.deepEqual(received35.alert, { description: 40, direction: "received" });
});

test("OpenSSL errors map to statuses and the alert OpenSSL sends", () => {
  const cases: Array<[string, number, number | undefined]> = [
    ["ERR_SSL_NO_APPLICATION_PROTOCOL", SEC_E_APPLICATION_PROTOCOL_MISMATCH, 120],
    ["ERR_SSL_NO_SHARED_CIPHER", SEC_E_ALGORITHM_MISMATCH, 40],
    ["ERR_SSL_UNSUPPORTED_PROTOCOL", SEC_E_ALGORITHM_MISMATCH, 70],
    ["ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC", SEC_E_MESSAGE_ALTERED, 20],
    ["ERR_SSL_RECORD_OVERFLOW", SEC_E_ILLEGAL_MESSAGE, 22],
    ["ERR_SSL_SOMETHING_NEW", SEC_E_ILLEGAL_MESSAGE, undefined],
  ];
  for (const [code, status, alert] of cases) {
    const f = failureFromEngineError(Object.assign(new Error("m"), { code }));
    assert.equal(f.status, status, code);
    assert.equal(f.alert?.description, alert, code);
    assert.match(f.reason, new RegExp(code));
  }
});

test("certificate verification codes map to statuses and alerts", () => {
  assert.deepEqual(failureFromCertificateError(null), { status: SEC_E_OK });
  for (const code of [
    "DEPTH_ZERO_SELF_SIGNED_CERT",
    "SELF_SIGNED_CERT_IN_CHAIN",
    "UNABLE_TO_GET_ISSUER_CERT",
    "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
    "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  ])
    assert.deepEqual(failureFromCertificateError(code), { status: SEC_E_UNTRUSTED_ROOT, alert: 48 }, code);
  assert.deepEqual(failureFromCertificateError("CERT_HAS_EXPIRED"), {
    status: SEC_E_CERT_EXPIRED,
    alert: 45,
  });
  assert.deepEqual(failureFromCertificateError("CERT_NOT_YET_VALID"), {
    status: SEC_E_CERT_EXPIRED,
    alert: 45,
  });
  assert.deepEqual(failureFromCertificateError("ERR_TLS_CERT_ALTNAME_INVALID"), {
    status: SEC_E_WRONG_PRINCIPAL,
    alert: 42,
  });
  assert.deepEqual(failureFromCertificateError("CERT_REVOKED"), { status: SEC_E_CERT_UNKNOWN, alert: 46 });
});

test("record header failures carry the alert to send", () => {
  assert.equal(failureFromRecordHeader("bad_content_type").alert?.description, 10);
  assert.equal(failureFromRecordHeader("bad_version").alert?.description, 50);
  assert.equal(failureFromRecordHeader("record_overflow").alert?.description, 22);
});

test("key log lines", () => {
  const secrets = {};
  const random = "ab".repeat(32);
  assert.equal(recordKeylogLine(`CLIENT_TRAFFIC_SECRET_0 ${random} ${"01".repeat(32)}\n`, secrets), true);
  assert.equal(recordKeylogLine("UNKNOWN_LABEL a b", secrets), false);
  assert.deepEqual(secrets, {
    clientTrafficSecret0: new Uint8Array(32).fill(1),
    clientRandom: new Uint8Array(32).fill(0xab),
  });
});
