/**
 * A Kerberos credential: a ticket with its session key and times, as the AS and TGS exchanges
 * return it and as a credential cache stores it.
 *
 * @module
 */
import { decodeTicket, type Ticket } from "../asn1/ticket.js";
import type { KerberosKey } from "../crypto/encryption-type.js";
import type { CachedCredential } from "../files/ccache.js";
import type { Principal } from "../principal.js";

export interface KerberosCredential {
  readonly client: Principal;
  readonly server: Principal;
  readonly ticket: Ticket;
  readonly sessionKey: KerberosKey;
  readonly flags: number;
  readonly authTime: Date;
  readonly startTime: Date;
  readonly endTime: Date;
  readonly renewTill?: Date | undefined;
}

/** A credential read from a ccache (its ticket decoded). */
export function fromCachedCredential(c: CachedCredential): KerberosCredential {
  const date = (s: number) => new Date(s * 1000);
  return {
    client: c.client,
    server: c.server,
    ticket: decodeTicket(c.ticket),
    sessionKey: { etype: c.key.etype, value: c.key.value },
    flags: c.ticketFlags,
    authTime: date(c.authTime),
    startTime: date(c.startTime || c.authTime),
    endTime: date(c.endTime),
    renewTill: c.renewTill ? date(c.renewTill) : undefined,
  };
}
