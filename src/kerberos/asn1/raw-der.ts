/**
 * Embedding bytes received from a peer (a Ticket, a KDC-REQ-BODY whose checksum was computed)
 * into a message being built, unchanged: they are parsed and re-encoded, and the re-encoding is
 * checked to be byte-identical, so a checksum over them stays valid.
 *
 * @module
 */
import { malformed } from "../errors.js";
import { parseDer } from "./der-read.js";
import { type DerValue, encodeDer } from "./der-write.js";

export function rawDer(bytes: Uint8Array, what: string): DerValue {
  const node = parseDer(bytes, what);
  if (!Buffer.from(encodeDer(node)).equals(bytes)) throw malformed(what, "not in canonical DER");
  return node;
}
