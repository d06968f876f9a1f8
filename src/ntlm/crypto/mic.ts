/**
 * The MIC (MS-NLMP §3.1.5.1.2, §3.2.5.1.2):
 * `HMAC_MD5(ExportedSessionKey, NEGOTIATE ‖ CHALLENGE ‖ AUTHENTICATE with a zeroed MIC field)`,
 * over the exact bytes sent.
 *
 * @module
 */
import { withZeroMic } from "../messages/authenticate-message.js";
import { hmacMd5 } from "./hashes.js";

export function computeMic(
  exportedSessionKey: Uint8Array,
  negotiate: Uint8Array,
  challenge: Uint8Array,
  authenticate: Uint8Array,
): Uint8Array {
  return hmacMd5(exportedSessionKey, negotiate, challenge, withZeroMic(authenticate));
}
