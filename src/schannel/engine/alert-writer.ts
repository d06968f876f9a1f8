/**
 * Framing an alert the engine decided to send itself, under whatever write protection the local
 * side has reached (the peer must be able to read it, or it would wait):
 *
 * - nothing encrypted yet (no ServerHello, TLS 1.2 before our ChangeCipherSpec, TLS 1.3 server
 *   before its flight) → a plaintext alert record;
 * - TLS 1.3 client after the ServerHello, its Finished flight withheld → sealed under
 *   `CLIENT_HANDSHAKE_TRAFFIC_SECRET`, sequence = encrypted records already sent;
 * - TLS 1.3 server after its flight (EncryptedExtensions … Finished) → sealed under
 *   `SERVER_TRAFFIC_SECRET_0`, sequence = 0 (the tickets written after `'secure'` are withheld);
 * - TLS 1.2 after our ChangeCipherSpec and Finished → sealed under our key-block write key,
 *   sequence 1.
 *
 * @module
 */
import { TLS1_ALERT_FATAL } from "../../sspi/schannel-constants.js";
import { type CipherSuite, cipherSuiteById } from "../record/cipher-suites.js";
import {
  fromTls12KeyBlock,
  fromTls13TrafficSecret,
  type RecordProtection,
} from "../record/record-protection.js";
import {
  CONTENT_TYPE_ALERT,
  CONTENT_TYPE_APPLICATION_DATA,
  CONTENT_TYPE_CHANGE_CIPHER_SPEC,
} from "../records/record-header.js";
import type { ServerHelloInfo } from "../records/server-hello.js";
import { countRecords, plaintextAlertRecord } from "./alert-record.js";
import type { KeylogSecrets } from "./keylog.js";

/** What the alert writer needs to know about the local side. */
export interface AlertContext {
  role: "client" | "server";
  /** The negotiated ServerHello, if one was sent/received. */
  serverHello: ServerHelloInfo | undefined;
  secrets: KeylogSecrets;
  /** Everything this side has sent (and will send before the alert), concatenated. */
  sent: Uint8Array;
}

/**
 * Builds the alert record for `description` (fatal).
 *
 * @returns the record bytes; a plaintext alert when no suitable keys are known (also for suites the
 *   direct record layer does not support).
 */
export function buildAlertRecord(context: AlertContext, description: number): Uint8Array {
  const body = Uint8Array.of(TLS1_ALERT_FATAL, description);
  const hello = context.serverHello;
  const suite = hello === undefined ? undefined : cipherSuiteById(hello.cipherSuite.id);
  if (hello === undefined || suite === undefined) return plaintextAlertRecord(description);
  const protection =
    hello.version.id === 0x0304 ? tls13Writer(context, suite) : tls12Writer(context, suite, hello);
  if (protection === undefined) return plaintextAlertRecord(description);
  try {
    return new Uint8Array(protection.seal(CONTENT_TYPE_ALERT, body));
  } finally {
    protection.destroy();
  }
}

function tls13Writer(context: AlertContext, suite: CipherSuite): RecordProtection | undefined {
  const encryptedSent = countRecords(context.sent, CONTENT_TYPE_APPLICATION_DATA);
  if (context.role === "client") {
    const secret = context.secrets.clientHandshakeTrafficSecret;
    return secret === undefined ? undefined : fromTls13TrafficSecret(suite, secret, BigInt(encryptedSent));
  }
  const secret = context.secrets.serverTrafficSecret0;
  if (encryptedSent === 0 || secret === undefined) return undefined;
  return fromTls13TrafficSecret(suite, secret, 0n);
}

function tls12Writer(
  context: AlertContext,
  suite: CipherSuite,
  hello: ServerHelloInfo,
): RecordProtection | undefined {
  const { masterSecret, clientRandom } = context.secrets;
  if (countRecords(context.sent, CONTENT_TYPE_CHANGE_CIPHER_SPEC) === 0) return undefined;
  if (masterSecret === undefined || clientRandom === undefined) return undefined;
  const pair = fromTls12KeyBlock(suite, masterSecret, clientRandom, hello.random, context.role, {
    write: 1n,
  });
  pair.read.destroy();
  return pair.write;
}
