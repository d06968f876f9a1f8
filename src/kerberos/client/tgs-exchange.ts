/**
 * The TGS exchange (RFC 4120 §3.3): a service ticket from a TGT. The request carries PA-TGS-REQ,
 * an AP-REQ whose authenticator (key usage 7) checksums the exact KDC-REQ-BODY bytes (key usage
 * 6); the reply's encrypted part (key usage 8) is checked for nonce and service name.
 *
 * @module
 */
import { randomInt } from "node:crypto";
import { type HostTask, reply, runTask } from "../../sspi/host-task.js";
import { encodeApReq } from "../asn1/ap-req.js";
import { encodeAuthenticator } from "../asn1/authenticator.js";
import { KDC_OPTIONS, MSG_TYPE, PA_TYPE } from "../asn1/constants.js";
import { decodeEncKdcRepPart, type EncKdcRepPart } from "../asn1/kdc-rep.js";
import { encodeKdcReq, encodeKdcReqBody, type KdcReqBody } from "../asn1/kdc-req.js";
import { KEY_USAGE } from "../crypto/key-usage.js";
import { encryptionType, findEncryptionType, SUPPORTED_ENCTYPES } from "../crypto/registry.js";
import { KerberosError } from "../errors.js";
import { formatPrincipal, type Principal, samePrincipal } from "../principal.js";
import type { KerberosCredential } from "./credential.js";
import { readKdcReply } from "./kdc-reply.js";
import { type KdcAddress, type KdcSend, sendToKdc } from "./kdc-transport.js";

export interface TgsRequest {
  /** The TGT (from the AS exchange or a credential cache). */
  readonly tgt: KerberosCredential;
  readonly server: Principal;
  readonly kdc: KdcAddress;
  readonly etypes?: readonly number[];
  readonly now?: () => Date;
}

export interface TgsResult {
  readonly credential: KerberosCredential;
  readonly encPart: EncKdcRepPart;
}

/** Obtains a service ticket for `req.server`. Throws `KdcError` for the KDC's refusals. */
export function requestServiceTicket(req: TgsRequest): Promise<TgsResult> {
  return runTask(tgsExchange(req, sendToKdc));
}

/** The TGS exchange as a host task over `send`. Throws `KdcError` for the KDC's refusals. */
export function* tgsExchange(req: TgsRequest, send: KdcSend): HostTask<TgsResult> {
  const now = (req.now ?? (() => new Date()))();
  const nonce = randomInt(0, 0x7fffffff);
  const tgtKey = req.tgt.sessionKey;
  const e = encryptionType(tgtKey.etype);
  const body: KdcReqBody = {
    kdcOptions: KDC_OPTIONS.FORWARDABLE | KDC_OPTIONS.CANONICALIZE,
    realm: req.server.realm,
    sname: req.server.name,
    till: req.tgt.endTime,
    nonce,
    etypes: req.etypes ?? SUPPORTED_ENCTYPES.map((x) => x.etype),
  };
  const bodyDer = encodeKdcReqBody(body);
  const authenticator = encodeAuthenticator({
    crealm: req.tgt.client.realm,
    cname: req.tgt.client.name,
    cksum: {
      type: e.checksumType,
      value: e.checksum(tgtKey.value, KEY_USAGE.TGS_REQ_PA_AUTHENTICATOR_CHECKSUM, bodyDer),
    },
    cusec: (now.getTime() % 1000) * 1000,
    ctime: new Date(Math.floor(now.getTime() / 1000) * 1000),
  });
  const apReq = encodeApReq({
    apOptions: 0,
    ticket: req.tgt.ticket,
    authenticator: {
      etype: tgtKey.etype,
      cipher: e.encrypt(tgtKey.value, KEY_USAGE.TGS_REQ_PA_AUTHENTICATOR, authenticator),
    },
  });
  const request = encodeKdcReq({
    msgType: MSG_TYPE.TGS_REQ,
    padata: [{ type: PA_TYPE.TGS_REQ, value: apReq }],
    body,
    bodyDer,
  });
  const rep = readKdcReply(yield* reply(send(req.kdc, request)), MSG_TYPE.TGS_REP, "TGS exchange");
  if (rep.encPart.etype !== tgtKey.etype)
    throw new KerberosError(
      "ERR_KRB_PROTOCOL",
      `TGS-REP encrypted with etype ${rep.encPart.etype}, not the TGT session key's`,
    );
  const encPart = decodeEncKdcRepPart(
    e.decrypt(tgtKey.value, KEY_USAGE.TGS_REP_ENC_PART_SESSION_KEY, rep.encPart.cipher),
  );
  const fail = (why: string) => new KerberosError("ERR_KRB_PROTOCOL", `TGS-REP rejected: ${why}`);
  if (encPart.nonce !== nonce) throw fail(`nonce ${encPart.nonce} is not the request's ${nonce}`);
  const issuedFor = { realm: encPart.srealm, name: encPart.sname };
  if (!samePrincipal(issuedFor, req.server)) throw fail(`ticket is for ${formatPrincipal(issuedFor)}`);
  if (!samePrincipal({ realm: rep.crealm, name: rep.cname }, req.tgt.client))
    throw fail("issued to another client");
  if (!findEncryptionType(encPart.key.etype))
    throw fail(`session key etype ${encPart.key.etype} is not supported`);
  return {
    credential: {
      client: req.tgt.client,
      server: issuedFor,
      ticket: rep.ticket,
      sessionKey: encPart.key,
      flags: encPart.flags,
      authTime: encPart.authTime,
      startTime: encPart.startTime ?? encPart.authTime,
      endTime: encPart.endTime,
      renewTill: encPart.renewTill,
    },
    encPart,
  };
}
