/**
 * Plaintext TLS alert records: building the ones the engine sends before encryption is in place,
 * and finding alerts in record streams.
 *
 * @module
 */
import { TLS1_ALERT_FATAL } from "../../sspi/schannel-constants.js";
import { CONTENT_TYPE_ALERT, RECORD_HEADER_LENGTH, splitRecords } from "../records/record-header.js";

/** Bytes of an alert message body: level(1) description(1). */
export const ALERT_BODY_LENGTH = 2;

/**
 * Builds a plaintext alert record (7 bytes) with record version 3.3.
 *
 * @returns `15 03 03 00 02 level description`.
 */
export function plaintextAlertRecord(description: number, level = TLS1_ALERT_FATAL): Uint8Array {
  return new Uint8Array([CONTENT_TYPE_ALERT, 3, 3, 0, ALERT_BODY_LENGTH, level, description]);
}

/**
 * Finds the first plaintext alert in a buffer of complete records.
 *
 * @returns `{ level, description }` of the first 2-byte alert record, or `undefined`.
 */
export function findPlaintextAlert(bytes: Uint8Array): { level: number; description: number } | undefined {
  for (const r of splitRecords(bytes).records) {
    if (r.contentType !== CONTENT_TYPE_ALERT || r.length !== RECORD_HEADER_LENGTH + ALERT_BODY_LENGTH)
      continue;
    return { level: bytes[r.offset + 5]!, description: bytes[r.offset + 6]! };
  }
  return undefined;
}

/** @returns how many records of `contentType` the complete records in `bytes` contain. */
export function countRecords(bytes: Uint8Array, contentType: number): number {
  let n = 0;
  for (const r of splitRecords(bytes).records) if (r.contentType === contentType) n++;
  return n;
}
