/**
 * The initiator's side of the AP exchange for the GSS Kerberos mechanism (RFC 4121 §4.1): the
 * AP-REQ with an Authenticator carrying the 0x8003 checksum (flags, channel-binding hash), a
 * fresh subkey and an initial sequence number, framed as a GSS token; and the check of the
 * acceptor's AP-REP (mutual authentication) which yields the context key.
 *
 * @module
 */
import { randomBytes, randomInt } from "node:crypto";
import { decodeApRep, decodeEncApRepPart } from "../asn1/ap-rep.js";
import { encodeApReq } from "../asn1/ap-req.js";
import { encodeAuthenticator } from "../asn1/authenticator.js";
import { AP_OPTIONS } from "../asn1/constants.js";
import { decodeKrbError } from "../asn1/krb-error.js";
import type { KerberosCredential } from "../client/credential.js";
import { KdcError } from "../client/kdc-error.js";
import type { KerberosKey } from "../crypto/encryption-type.js";
import { KEY_USAGE } from "../crypto/key-usage.js";
import { encryptionType } from "../crypto/registry.js";
import { KerberosError } from "../errors.js";
import { encodeGssChecksum, GSS_CHECKSUM_TYPE, GSS_FLAGS } from "../gss/authenticator-checksum.js";
import type { ChannelBindings } from "../gss/channel-bindings.js";
import { TOK_ID, unwrapGssToken, wrapGssToken } from "../gss/initial-context-token.js";
import { RFC4121_ETYPES } from "../gss/per-message-context.js";

export interface InitiatorOptions {
  /** The service ticket for the target. */
  readonly credential: KerberosCredential;
  /** GSS flags for the 0x8003 checksum (MUTUAL asks for an AP-REP). */
  readonly flags: number;
  readonly channelBindings?: ChannelBindings | undefined;
  readonly now?: () => Date;
}

/** What the initiator must remember between the AP-REQ and the AP-REP. */
export interface InitiatorState {
  /** The GSS InitialContextToken to send. */
  readonly token: Uint8Array;
  readonly ctime: Date;
  readonly cusec: number;
  readonly subkey: KerberosKey;
  /** Our initial send sequence number. */
  readonly sendSeq: number;
  readonly sessionKey: KerberosKey;
  readonly mutual: boolean;
}

/** Builds the AP-REQ GSS token. */
export function initiateApExchange(o: InitiatorOptions): InitiatorState {
  const now = (o.now ?? (() => new Date()))();
  const sessionKey = o.credential.sessionKey;
  const e = encryptionType(sessionKey.etype);
  const subkey = { etype: sessionKey.etype, value: e.randomToKey(randomBytes(e.keyBytes)) };
  const sendSeq = randomInt(0, 0x3fffffff);
  const ctime = new Date(Math.floor(now.getTime() / 1000) * 1000);
  const cusec = (now.getTime() % 1000) * 1000;
  const authenticator = encodeAuthenticator({
    crealm: o.credential.client.realm,
    cname: o.credential.client.name,
    cksum: { type: GSS_CHECKSUM_TYPE, value: encodeGssChecksum(o.flags, o.channelBindings) },
    cusec,
    ctime,
    subkey,
    seqNumber: sendSeq,
  });
  const mutual = (o.flags & GSS_FLAGS.MUTUAL) !== 0;
  const apReq = encodeApReq({
    apOptions: mutual ? AP_OPTIONS.MUTUAL_REQUIRED : 0,
    ticket: o.credential.ticket,
    authenticator: {
      etype: sessionKey.etype,
      cipher: e.encrypt(sessionKey.value, KEY_USAGE.AP_REQ_AUTHENTICATOR, authenticator),
    },
  });
  return { token: wrapGssToken(TOK_ID.AP_REQ, apReq), ctime, cusec, subkey, sendSeq, sessionKey, mutual };
}

export interface EstablishedInitiator {
  /** The per-message key: the acceptor's subkey when it sent one, else ours. */
  readonly key: KerberosKey;
  readonly acceptorSubkey: boolean;
  readonly sendSeq: number;
  /** The acceptor's initial sequence number (what its first token carries). */
  readonly receiveSeq: number;
}

/**
 * Verifies the acceptor's AP-REP token (or throws its KRB-ERROR as a `KdcError`); an AP-REP that
 * does not echo our authenticator's time is `ERR_KRB_INTEGRITY` (mutual authentication failed).
 */
export function completeApExchange(state: InitiatorState, token: Uint8Array): EstablishedInitiator {
  const gss = unwrapGssToken(token);
  if (gss.tokId === TOK_ID.KRB_ERROR) throw new KdcError(decodeKrbError(gss.inner), "AP exchange");
  if (gss.tokId !== TOK_ID.AP_REP)
    throw new KerberosError(
      "ERR_KRB_PROTOCOL",
      `expected an AP-REP token, got TOK_ID ${gss.tokId.toString(16)}`,
    );
  const rep = decodeApRep(gss.inner);
  const e = encryptionType(state.sessionKey.etype);
  if (rep.encPart.etype !== state.sessionKey.etype)
    throw new KerberosError("ERR_KRB_PROTOCOL", `AP-REP encrypted with etype ${rep.encPart.etype}`);
  const part = decodeEncApRepPart(
    e.decrypt(state.sessionKey.value, KEY_USAGE.AP_REP_ENC_PART, rep.encPart.cipher),
  );
  if (part.ctime.getTime() !== state.ctime.getTime() || part.cusec !== state.cusec)
    throw new KerberosError(
      "ERR_KRB_INTEGRITY",
      "AP-REP does not echo the authenticator's time: mutual authentication failed",
      {
        krbCode: 46,
      },
    );
  // RFC 4121 tokens use the acceptor's subkey when it sent one; rc4-hmac (RFC 4757) tokens keep
  // the initiator's subkey, as MIT does.
  const useAcceptorKey = part.subkey !== undefined && RFC4121_ETYPES.has(part.subkey.etype);
  return {
    key: useAcceptorKey ? part.subkey! : state.subkey,
    acceptorSubkey: useAcceptorKey,
    sendSeq: state.sendSeq,
    receiveSeq: part.seqNumber ?? 0,
  };
}
