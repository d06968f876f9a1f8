/**
 * The acceptor's first step with a ticket: find the service key in a keytab (principal, etype,
 * kvno) and decrypt the EncTicketPart (key usage 2). Errors say which: no key (`ERR_KRB_BAD_ARGUMENT`
 * naming principal, etype and kvno) or a key that does not decrypt (`ERR_KRB_INTEGRITY`).
 *
 * @module
 */
import { decodeEncTicketPart, type EncTicketPart, type Ticket } from "./asn1/ticket.js";
import { KEY_USAGE } from "./crypto/key-usage.js";
import { encryptionType } from "./crypto/registry.js";
import { KerberosError } from "./errors.js";

/** RFC 4120 §7.5.9 KRB_AP_ERR_NOKEY: the service key is not available. */
export const KRB_AP_ERR_NOKEY = 45;

import type { KeytabEntry } from "./files/keytab.js";
import { formatPrincipal, samePrincipal } from "./principal.js";

/** The keytab entry that decrypts `ticket`: same principal and etype, and the ticket's kvno when it has one. */
export function findServiceKey(ticket: Ticket, keytab: readonly KeytabEntry[]): KeytabEntry {
  const server = { realm: ticket.realm, name: ticket.sname };
  const matching = keytab.filter(
    (e) =>
      samePrincipal(e.principal, server) &&
      e.etype === ticket.encPart.etype &&
      (ticket.encPart.kvno === undefined || e.kvno === ticket.encPart.kvno),
  );
  const entry = matching.sort((a, b) => b.kvno - a.kvno)[0];
  if (!entry)
    throw new KerberosError(
      "ERR_KRB_BAD_ARGUMENT",
      `no key for ${formatPrincipal(server)} (etype ${ticket.encPart.etype}, kvno ${ticket.encPart.kvno ?? "any"}) in the keytab`,
      { krbCode: KRB_AP_ERR_NOKEY },
    );
  return entry;
}

/** Decrypts a service ticket with the matching keytab key. */
export function decryptServiceTicket(ticket: Ticket, keytab: readonly KeytabEntry[]): EncTicketPart {
  const entry = findServiceKey(ticket, keytab);
  const plaintext = encryptionType(entry.etype).decrypt(entry.key, KEY_USAGE.TICKET, ticket.encPart.cipher);
  return decodeEncTicketPart(plaintext);
}
