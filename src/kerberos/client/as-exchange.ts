/**
 * The AS exchange (RFC 4120 §3.1): obtaining a TGT with a password or a keytab key. The first
 * AS-REQ goes without pre-authentication; on KDC_ERR_PREAUTH_REQUIRED the KDC's ETYPE-INFO2
 * gives the etype, salt and s2kparams, and the request is repeated with PA-ENC-TIMESTAMP
 * (encrypted timestamp, key usage 1). The reply's encrypted part (key usage 3) is checked
 * against the request: nonce, client and server names.
 *
 * @module
 */
import { randomInt } from "node:crypto";
import { type HostTask, reply, runTask } from "../../sspi/host-task.js";
import type { EncryptedData, PaData } from "../asn1/basic-types.js";
import { writeEncryptedData } from "../asn1/basic-types.js";
import { KDC_OPTIONS, MSG_TYPE, PA_TYPE } from "../asn1/constants.js";
import { encodeDer } from "../asn1/der-write.js";
import { decodeEncKdcRepPart, type EncKdcRepPart, type KdcRep } from "../asn1/kdc-rep.js";
import { encodeKdcReq, type KdcReqBody } from "../asn1/kdc-req.js";
import {
  decodeEtypeInfo2,
  decodeMethodData,
  type EtypeInfo2Entry,
  encodePaEncTsEnc,
} from "../asn1/preauth.js";
import type { KerberosKey } from "../crypto/encryption-type.js";
import { KEY_USAGE } from "../crypto/key-usage.js";
import { encryptionType, findEncryptionType, SUPPORTED_ENCTYPES } from "../crypto/registry.js";
import { KerberosError } from "../errors.js";
import type { KeytabEntry } from "../files/keytab.js";
import { defaultSalt, formatPrincipal, NAME_TYPE, type Principal, samePrincipal } from "../principal.js";
import { KRB_AP_ERR_NOKEY } from "../service-ticket.js";
import type { KerberosCredential } from "./credential.js";
import { KdcError } from "./kdc-error.js";
import { readKdcReply } from "./kdc-reply.js";
import { type KdcAddress, type KdcSend, sendToKdc } from "./kdc-transport.js";

/** Where the client's long-term key comes from. */
export type ClientSecret =
  | { readonly kind: "password"; readonly password: string }
  | { readonly kind: "keytab"; readonly entries: readonly KeytabEntry[] };

export interface AsRequest {
  readonly client: Principal;
  readonly secret: ClientSecret;
  readonly kdc: KdcAddress;
  /** Etypes to offer, strongest first (default: every supported etype). */
  readonly etypes?: readonly number[];
  /** Requested lifetime in seconds (default 24 h; the KDC caps it). */
  readonly lifetimeSeconds?: number;
  /** The clock (tests); default `new Date()`. */
  readonly now?: () => Date;
}

export interface AsResult {
  readonly credential: KerberosCredential;
  /** The client key the reply was decrypted with (and the salt it came from). */
  readonly clientKey: KerberosKey;
  readonly salt: string;
  /** True when the KDC required pre-authentication and PA-ENC-TIMESTAMP was sent. */
  readonly preauthenticated: boolean;
  readonly encPart: EncKdcRepPart;
}

function findPaData(list: readonly PaData[], type: number): PaData | undefined {
  return list.find((p) => p.type === type);
}

/** The first ETYPE-INFO2 entry (the KDC's order) for an etype we offer. */
function chooseEtypeInfo(padata: readonly PaData[], offered: readonly number[]): EtypeInfo2Entry | undefined {
  const info = findPaData(padata, PA_TYPE.ETYPE_INFO2);
  if (!info) return undefined;
  return decodeEtypeInfo2(info.value).find((e) => offered.includes(e.etype) && findEncryptionType(e.etype));
}

function clientKey(req: AsRequest, etype: number, salt: string, params?: Uint8Array): KerberosKey {
  if (req.secret.kind === "password")
    return { etype, value: encryptionType(etype).stringToKey(req.secret.password, salt, params) };
  const candidates = req.secret.entries.filter(
    (e) => e.etype === etype && samePrincipal(e.principal, req.client),
  );
  const newest = candidates.sort((a, b) => b.kvno - a.kvno)[0];
  if (!newest)
    throw new KerberosError(
      "ERR_KRB_BAD_ARGUMENT",
      `keytab has no etype ${etype} key for ${formatPrincipal(req.client)}`,
      { krbCode: KRB_AP_ERR_NOKEY },
    );
  return { etype, value: newest.key };
}

function buildBody(req: AsRequest, etypes: readonly number[], nonce: number): KdcReqBody {
  const now = (req.now ?? (() => new Date()))();
  return {
    kdcOptions: KDC_OPTIONS.FORWARDABLE | KDC_OPTIONS.RENEWABLE_OK,
    cname: req.client.name,
    realm: req.client.realm,
    sname: { nameType: NAME_TYPE.SRV_INST, components: ["krbtgt", req.client.realm] },
    till: new Date(now.getTime() + (req.lifetimeSeconds ?? 86400) * 1000),
    nonce,
    etypes,
  };
}

function encryptedTimestamp(key: KerberosKey, now: Date): PaData {
  const ms = now.getTime();
  const plaintext = encodePaEncTsEnc({
    timestamp: new Date(Math.floor(ms / 1000) * 1000),
    usec: (ms % 1000) * 1000,
  });
  const enc: EncryptedData = {
    etype: key.etype,
    cipher: encryptionType(key.etype).encrypt(key.value, KEY_USAGE.PA_ENC_TIMESTAMP, plaintext),
  };
  return { type: PA_TYPE.ENC_TIMESTAMP, value: encodeDer(writeEncryptedData(enc)) };
}

function* exchange(
  req: AsRequest,
  send: KdcSend,
  padata: PaData[],
  etypes: readonly number[],
  nonce: number,
): HostTask<KdcRep> {
  const request = encodeKdcReq({ msgType: MSG_TYPE.AS_REQ, padata, body: buildBody(req, etypes, nonce) });
  return readKdcReply(yield* reply(send(req.kdc, request)), MSG_TYPE.AS_REP, "AS exchange");
}

/** Obtains a TGT for `req.client`. Throws {@link KdcError} for the KDC's refusals. */
export function requestTicketGrantingTicket(req: AsRequest): Promise<AsResult> {
  return runTask(asExchange(req, sendToKdc));
}

/**
 * The AS exchange as a host task over `send` (asynchronous or blocking KDC round trips).
 * Throws {@link KdcError} for the KDC's refusals.
 */
export function* asExchange(req: AsRequest, send: KdcSend): HostTask<AsResult> {
  const etypes = req.etypes ?? SUPPORTED_ENCTYPES.map((e) => e.etype);
  const now = req.now ?? (() => new Date());
  const nonce = randomInt(0, 0x7fffffff);
  let preauthenticated = false;
  let rep: KdcRep;
  let chosen: EtypeInfo2Entry | undefined;
  try {
    rep = yield* exchange(req, send, [], etypes, nonce);
    chosen = chooseEtypeInfo(rep.padata, etypes);
  } catch (e) {
    if (!(e instanceof KdcError) || e.errorCode !== 25 || !e.krbError.eData) throw e;
    const methods = decodeMethodData(e.krbError.eData);
    chosen = chooseEtypeInfo(methods, etypes);
    if (!chosen)
      throw new KerberosError(
        "ERR_KRB_UNSUPPORTED",
        "the KDC offered no etype this client supports (ETYPE-INFO2)",
      );
    const key = clientKey(req, chosen.etype, chosen.salt ?? defaultSalt(req.client), chosen.s2kparams);
    const padata = [encryptedTimestamp(key, now())];
    const cookie = findPaData(methods, PA_TYPE.FX_COOKIE);
    if (cookie) padata.push(cookie);
    rep = yield* exchange(req, send, padata, etypes, nonce);
    preauthenticated = true;
  }
  const etype = rep.encPart.etype;
  const info = chosen?.etype === etype ? chosen : chooseEtypeInfo(rep.padata, [etype]);
  const salt = info?.salt ?? defaultSalt(req.client);
  const key = clientKey(req, etype, salt, info?.s2kparams);
  const encPart = decodeEncKdcRepPart(
    encryptionType(etype).decrypt(key.value, KEY_USAGE.AS_REP_ENC_PART, rep.encPart.cipher),
  );
  checkReply(req, rep, encPart, nonce);
  return {
    credential: {
      client: { realm: rep.crealm, name: rep.cname },
      server: { realm: encPart.srealm, name: encPart.sname },
      ticket: rep.ticket,
      sessionKey: encPart.key,
      flags: encPart.flags,
      authTime: encPart.authTime,
      startTime: encPart.startTime ?? encPart.authTime,
      endTime: encPart.endTime,
      renewTill: encPart.renewTill,
    },
    clientKey: key,
    salt,
    preauthenticated,
    encPart,
  };
}

function checkReply(req: AsRequest, rep: KdcRep, part: EncKdcRepPart, nonce: number): void {
  const fail = (why: string) => new KerberosError("ERR_KRB_PROTOCOL", `AS-REP rejected: ${why}`);
  if (part.nonce !== nonce) throw fail(`nonce ${part.nonce} is not the request's ${nonce}`);
  if (!samePrincipal({ realm: rep.crealm, name: rep.cname }, req.client))
    throw fail(`issued to ${formatPrincipal({ realm: rep.crealm, name: rep.cname })}`);
  const tgs = {
    realm: req.client.realm,
    name: { nameType: NAME_TYPE.SRV_INST, components: ["krbtgt", req.client.realm] },
  };
  if (!samePrincipal({ realm: part.srealm, name: part.sname }, tgs))
    throw fail(`server is ${formatPrincipal({ realm: part.srealm, name: part.sname })}`);
  if (!findEncryptionType(part.key.etype)) throw fail(`session key etype ${part.key.etype} is not supported`);
}
