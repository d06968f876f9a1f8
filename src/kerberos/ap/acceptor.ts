/**
 * The acceptor's side of the AP exchange (RFC 4120 §3.2.3, RFC 4121 §4.1): the ticket decrypted
 * with the keytab, the authenticator decrypted with its session key and checked — same client as
 * the ticket, ctime within the clock skew, ticket valid now, not a replay, the 0x8003 checksum and
 * its channel bindings — and the AP-REP that proves the acceptor to the initiator.
 *
 * @module
 */
import { randomBytes, randomInt } from "node:crypto";
import { encodeApRep, encodeEncApRepPart } from "../asn1/ap-rep.js";
import { decodeApReq } from "../asn1/ap-req.js";
import { type Authenticator, decodeAuthenticator } from "../asn1/authenticator.js";
import { AP_OPTIONS } from "../asn1/constants.js";
import type { EncTicketPart } from "../asn1/ticket.js";
import type { KerberosKey } from "../crypto/encryption-type.js";
import { KEY_USAGE } from "../crypto/key-usage.js";
import { encryptionType } from "../crypto/registry.js";
import { KerberosError } from "../errors.js";
import type { KeytabEntry } from "../files/keytab.js";
import {
  type BindingsResult,
  checkBindings,
  decodeGssChecksum,
  GSS_CHECKSUM_TYPE,
  type GssChecksum,
} from "../gss/authenticator-checksum.js";
import type { ChannelBindings } from "../gss/channel-bindings.js";
import { TOK_ID, unwrapGssToken, wrapGssToken } from "../gss/initial-context-token.js";
import { RFC4121_ETYPES } from "../gss/per-message-context.js";
import { formatPrincipal, type Principal, samePrincipal } from "../principal.js";
import { decryptServiceTicket } from "../service-ticket.js";
import type { ReplayCache } from "./replay-cache.js";

export interface AcceptorOptions {
  readonly keytab: readonly KeytabEntry[];
  /** Channel bindings the acceptor expects, when it has any. */
  readonly channelBindings?: ChannelBindings | undefined;
  /** Refuse an initiator that sent no bindings while we have some (Windows' EPA "Required"). */
  readonly requireBindings?: boolean;
  readonly replayCache?: ReplayCache | undefined;
  /** Allowed clock difference (default 300 s, MIT's and Windows' default). */
  readonly clockSkewSeconds?: number;
  readonly now?: () => Date;
}

export interface AcceptedApReq {
  readonly client: Principal;
  /** The service the ticket was issued for. */
  readonly server: Principal;
  readonly ticket: EncTicketPart;
  readonly authenticator: Authenticator;
  readonly gssChecksum: GssChecksum;
  readonly bindings: BindingsResult;
  readonly mutualRequired: boolean;
  /** The GSS AP-REP token to send back (present when mutual authentication was asked for). */
  readonly replyToken: Uint8Array | undefined;
  /** The per-message key (our subkey when we sent an AP-REP, else the initiator's, else the session key). */
  readonly key: KerberosKey;
  readonly acceptorSubkey: boolean;
  /** Our initial send sequence number and the initiator's. */
  readonly sendSeq: number;
  readonly receiveSeq: number;
}

function protocolError(message: string, krbCode: number): KerberosError {
  return new KerberosError("ERR_KRB_PROTOCOL", message, { krbCode });
}

/** Verifies an initiator's GSS AP-REQ token and builds the AP-REP. */
export function acceptApExchange(token: Uint8Array, o: AcceptorOptions): AcceptedApReq {
  const gss = unwrapGssToken(token);
  if (gss.tokId !== TOK_ID.AP_REQ)
    throw new KerberosError(
      "ERR_KRB_PROTOCOL",
      `expected an AP-REQ token, got TOK_ID ${gss.tokId.toString(16)}`,
    );
  const apReq = decodeApReq(gss.inner);
  const ticket = decryptServiceTicket(apReq.ticket, o.keytab);
  const sessionKey = ticket.key;
  if (apReq.authenticator.etype !== sessionKey.etype)
    throw protocolError(`authenticator etype ${apReq.authenticator.etype} is not the session key's`, 31);
  const e = encryptionType(sessionKey.etype);
  const authenticator = decodeAuthenticator(
    e.decrypt(sessionKey.value, KEY_USAGE.AP_REQ_AUTHENTICATOR, apReq.authenticator.cipher),
  );

  const client = { realm: ticket.crealm, name: ticket.cname };
  const server = { realm: apReq.ticket.realm, name: apReq.ticket.sname };
  if (!samePrincipal(client, { realm: authenticator.crealm, name: authenticator.cname }))
    throw protocolError(
      `authenticator names another client than the ticket (${formatPrincipal(client)})`,
      36,
    );
  const now = (o.now ?? (() => new Date()))().getTime();
  const skew = (o.clockSkewSeconds ?? 300) * 1000;
  const ctime = authenticator.ctime.getTime() + Math.floor(authenticator.cusec / 1000);
  if (Math.abs(ctime - now) > skew)
    throw protocolError(
      `authenticator time is ${Math.round((ctime - now) / 1000)} s from ours (clock skew)`,
      37,
    );
  if ((ticket.startTime ?? ticket.authTime).getTime() - skew > now)
    throw protocolError("ticket not yet valid", 33);
  if (ticket.endTime.getTime() + skew < now) throw protocolError("ticket expired", 32);

  if (!authenticator.cksum || authenticator.cksum.type !== GSS_CHECKSUM_TYPE)
    throw protocolError("authenticator has no GSS (0x8003) checksum", 50);
  const gssChecksum = decodeGssChecksum(authenticator.cksum.value);
  const bindings = checkBindings(gssChecksum, o.channelBindings);
  if (bindings === "mismatch")
    throw new KerberosError("ERR_KRB_BAD_BINDINGS", "channel bindings do not match");
  if (bindings === "absent" && o.requireBindings)
    throw new KerberosError(
      "ERR_KRB_BAD_BINDINGS",
      "the initiator sent no channel bindings and they are required",
    );

  if (o.replayCache) {
    const key = [
      formatPrincipal(client),
      formatPrincipal({ realm: apReq.ticket.realm, name: apReq.ticket.sname }),
      authenticator.ctime.toISOString(),
      authenticator.cusec,
      Buffer.from(apReq.authenticator.cipher.subarray(-16)).toString("hex"),
    ].join(" ");
    if (!o.replayCache.record(key, new Date(ctime + skew))) throw protocolError("replayed authenticator", 34);
  }

  const mutualRequired = (apReq.apOptions & AP_OPTIONS.MUTUAL_REQUIRED) !== 0;
  const receiveSeq = authenticator.seqNumber ?? 0;
  if (!mutualRequired) {
    return {
      client,
      server,
      ticket,
      authenticator,
      gssChecksum,
      bindings,
      mutualRequired,
      replyToken: undefined,
      key: authenticator.subkey ?? sessionKey,
      acceptorSubkey: false,
      sendSeq: receiveSeq,
      receiveSeq,
    };
  }
  // An acceptor subkey only where RFC 4121 tokens will use it; rc4-hmac (RFC 4757) tokens keep
  // the initiator's subkey, and MIT sends none there either.
  const initiatorKey = authenticator.subkey ?? sessionKey;
  const subkeyType = encryptionType(initiatorKey.etype);
  const subkey = RFC4121_ETYPES.has(subkeyType.etype)
    ? { etype: subkeyType.etype, value: subkeyType.randomToKey(randomBytes(subkeyType.keyBytes)) }
    : undefined;
  const sendSeq = randomInt(0, 0x3fffffff);
  const encPart = encodeEncApRepPart({
    ctime: authenticator.ctime,
    cusec: authenticator.cusec,
    subkey,
    seqNumber: sendSeq,
  });
  const apRep = encodeApRep({
    encPart: {
      etype: sessionKey.etype,
      cipher: e.encrypt(sessionKey.value, KEY_USAGE.AP_REP_ENC_PART, encPart),
    },
  });
  return {
    client,
    server,
    ticket,
    authenticator,
    gssChecksum,
    bindings,
    mutualRequired,
    replyToken: wrapGssToken(TOK_ID.AP_REP, apRep),
    key: subkey ?? initiatorKey,
    acceptorSubkey: subkey !== undefined,
    sendSeq,
    receiveSeq,
  };
}
