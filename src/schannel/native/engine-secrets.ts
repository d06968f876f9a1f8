/**
 * The secrets a native context logged (NSS key log lines delivered with each step), turned into
 * the {@link HandshakeSecrets} the TypeScript record layer needs while it still runs records.
 *
 * @module
 */

import type { HandshakeSecrets } from "../engine/engine-types.js";
import { type KeylogSecrets, recordKeylogLine } from "../engine/keylog.js";

/** Records every line of a step's key log into `into`. */
export function recordKeylog(lines: readonly string[], into: KeylogSecrets): void {
  for (const line of lines) recordKeylogLine(line, into);
}

/** @returns copies of the collected secrets with both randoms (from OpenSSL itself). */
export function handshakeSecrets(
  secrets: KeylogSecrets,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
): HandshakeSecrets {
  const out: HandshakeSecrets = { clientRandom: clientRandom.slice(), serverRandom: serverRandom.slice() };
  const fields = [
    "masterSecret",
    "clientHandshakeTrafficSecret",
    "serverHandshakeTrafficSecret",
    "clientTrafficSecret0",
    "serverTrafficSecret0",
    "exporterSecret",
  ] as const;
  for (const f of fields) {
    const v = secrets[f];
    if (v !== undefined) out[f] = v.slice();
  }
  return out;
}
