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
  CONTENT_TYPE_ALERT,
  CONTENT_TYPE_APPLICATION_DATA,
  CONTENT_TYPE_CHANGE_CIPHER_SPEC,
} from "../records/record-header.js";
import { plaintextAlertRecord } from "./alert-record.js";
import {
  type SealingKeys,
  sealRecord,
  tls12SealingKeys,
  tls13SealingKeys,
  zeroSealingKeys,
} from "./alert-sealer.js";
import { countRecords } from "./alert-record.js";
import type { ServerHelloInfo } from "./handshake-messages.js";
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
  const suite = hello === undefined ? undefined : cipherSuiteById(hello.cipherSuite);
  if (hello === undefined || suite === undefined) return plaintextAlertRecord(description);
  const keys = hello.version === 0x0304 ? tls13Keys(context, suite) : tls12Keys(context, suite, hello);
  if (keys === undefined) return plaintextAlertRecord(description);
  try {
    return sealRecord(keys.keys, keys.seq, CONTENT_TYPE_ALERT, body);
  } finally {
    zeroSealingKeys(keys.keys);
  }
}

function tls13Keys(
  context: AlertContext,
  suite: CipherSuite,
): { keys: SealingKeys; seq: number } | undefined {
  const encryptedSent = countRecords(context.sent, CONTENT_TYPE_APPLICATION_DATA);
  if (context.role === "client") {
    const secret = context.secrets.clientHandshakeTrafficSecret;
    return secret === undefined ? undefined : { keys: tls13SealingKeys(suite, secret), seq: encryptedSent };
  }
  const secret = context.secrets.serverTrafficSecret0;
  if (encryptedSent === 0 || secret === undefined) return undefined;
  return { keys: tls13SealingKeys(suite, secret), seq: 0 };
}

function tls12Keys(
  context: AlertContext,
  suite: CipherSuite,
  hello: ServerHelloInfo,
): { keys: SealingKeys; seq: number } | undefined {
  const { masterSecret, clientRandom } = context.secrets;
  if (countRecords(context.sent, CONTENT_TYPE_CHANGE_CIPHER_SPEC) === 0) return undefined;
  if (masterSecret === undefined || clientRandom === undefined) return undefined;
  return { keys: tls12SealingKeys(suite, masterSecret, clientRandom, hello.random, context.role), seq: 1 };
}
