/**
 * SPNEGO tokens (RFC 4178 §4.2, MS-SPNG §2.2): the initiator's first token, a GSS
 * InitialContextToken `[APPLICATION 0] { OID 1.3.6.1.5.5.2, [0] NegTokenInit }`, and every later
 * token of either side, a bare `[1] NegTokenResp`.
 *
 * ```
 * NegTokenInit ::= SEQUENCE {                 NegTokenResp ::= SEQUENCE {
 *   mechTypes    [0] MechTypeList,              negState      [0] ENUMERATED OPTIONAL,
 *   reqFlags     [1] ContextFlags OPTIONAL,     supportedMech [1] MechType OPTIONAL,
 *   mechToken    [2] OCTET STRING OPTIONAL,     responseToken [2] OCTET STRING OPTIONAL,
 *   mechListMIC  [3] OCTET STRING OPTIONAL }    mechListMIC   [3] OCTET STRING OPTIONAL }
 * ```
 *
 * Windows' NegTokenInit2 (MS-SPNG §2.2.1) has `negHints [3]` and moves `mechListMIC` to `[4]`;
 * both layouts are read, hints ignored (as clients do). Decoding keeps the exact DER of
 * `mechTypes`: the mechListMIC is computed over those bytes as they were sent.
 *
 * @module
 */
import * as asn1js from "asn1js";
import {
  contentOf,
  DerFields,
  type DerNode,
  expectTag,
  parseDer,
  readOctets,
  sequenceItems,
  TAG_CLASS,
  UNIVERSAL,
} from "../kerberos/asn1/der-read.js";
import {
  type DerValue,
  encodeDer,
  explicit,
  octets,
  sequenceOf,
  taggedSequence,
} from "../kerberos/asn1/der-write.js";
import { SEC_E_INVALID_TOKEN } from "../sspi/status.js";
import { SPNEGO_OID } from "./mechanisms.js";
import { NegotiateError } from "./negotiate-error.js";

/** `negState` (RFC 4178 §4.2.2). */
export const NEG_STATE = {
  ACCEPT_COMPLETED: 0,
  ACCEPT_INCOMPLETE: 1,
  REJECT: 2,
  REQUEST_MIC: 3,
} as const;
export type NegState = (typeof NEG_STATE)[keyof typeof NEG_STATE];

export interface NegTokenInit {
  readonly kind: "init";
  /** The mechanism OIDs, the initiator's preferred first. */
  readonly mechTypes: readonly string[];
  /** The DER of the MechTypeList exactly as sent (what mechListMIC covers). */
  readonly mechTypesDer: Uint8Array;
  /** The optimistic token of the first mechanism. */
  readonly mechToken?: Uint8Array;
  readonly mechListMIC?: Uint8Array;
}

export interface NegTokenResp {
  readonly kind: "resp";
  readonly negState?: NegState;
  readonly supportedMech?: string;
  readonly responseToken?: Uint8Array;
  readonly mechListMIC?: Uint8Array;
}

export type NegotiationToken = NegTokenInit | NegTokenResp;

/** The DER MechTypeList (`SEQUENCE OF OBJECT IDENTIFIER`) of `oids`. */
export function encodeMechTypes(oids: readonly string[]): Uint8Array {
  return encodeDer(sequenceOf(oids.map(oid)));
}

/** The initiator's first token: InitialContextToken framing around `[0] NegTokenInit`. */
export function encodeNegTokenInit(token: Omit<NegTokenInit, "kind" | "mechTypesDer">): Uint8Array {
  const body = taggedSequence([
    [0, sequenceOf(token.mechTypes.map(oid))],
    [2, token.mechToken && octets(token.mechToken)],
    [3, token.mechListMIC && octets(token.mechListMIC)],
  ]);
  return encodeDer(
    new asn1js.Constructed({
      idBlock: { tagClass: TAG_CLASS.APPLICATION, tagNumber: 0 },
      value: [oid(SPNEGO_OID), explicit(0, body)],
    }),
  );
}

/** A later token: `[1] NegTokenResp`. */
export function encodeNegTokenResp(token: Omit<NegTokenResp, "kind">): Uint8Array {
  const body = taggedSequence([
    [0, token.negState === undefined ? undefined : new asn1js.Enumerated({ value: token.negState })],
    [1, token.supportedMech === undefined ? undefined : oid(token.supportedMech)],
    [2, token.responseToken && octets(token.responseToken)],
    [3, token.mechListMIC && octets(token.mechListMIC)],
  ]);
  return encodeDer(explicit(1, body));
}

/**
 * Reads any SPNEGO token: a framed or bare NegTokenInit, or a NegTokenResp (bare, or framed as
 * some old implementations send it).
 *
 * @throws NegotiateError `SEC_E_INVALID_TOKEN` naming what is wrong.
 */
export function decodeNegotiationToken(bytes: Uint8Array): NegotiationToken {
  try {
    let node = parseDer(bytes, "SPNEGO token");
    if (node.idBlock.tagClass === TAG_CLASS.APPLICATION) {
      expectTag(node, TAG_CLASS.APPLICATION, 0, true, "SPNEGO token");
      const [mech, inner, ...rest] = children(node);
      if (mech === undefined || inner === undefined || rest.length > 0)
        throw invalid("the InitialContextToken holds no mechanism and token");
      if (readOid(mech) !== SPNEGO_OID)
        throw invalid(`the token is for mechanism ${readOid(mech)}, not SPNEGO`);
      node = inner;
    }
    if (node.idBlock.tagClass !== TAG_CLASS.CONTEXT || !node.idBlock.isConstructed)
      throw invalid("not a NegotiationToken ([0] NegTokenInit or [1] NegTokenResp)");
    const [body, ...rest] = children(node);
    if (body === undefined || rest.length > 0) throw invalid("the NegotiationToken holds no single value");
    if (node.idBlock.tagNumber === 0) return decodeInit(body);
    if (node.idBlock.tagNumber === 1) return decodeResp(body);
    throw invalid(`NegotiationToken choice [${node.idBlock.tagNumber}] is unknown`);
  } catch (e) {
    if (e instanceof NegotiateError) throw e;
    // the DER reader's errors already say "malformed <what>: <why>"
    throw new NegotiateError(SEC_E_INVALID_TOKEN, e instanceof Error ? e.message : "malformed SPNEGO token");
  }
}

function decodeInit(node: DerNode): NegTokenInit {
  const what = "NegTokenInit";
  const fields = new DerFields(node, what);
  const list = fields.required(0, "mechTypes");
  const mechTypes = sequenceItems(list, what).map(readOid);
  if (mechTypes.length === 0) throw invalid("NegTokenInit lists no mechanism");
  const mechToken = fields.optional(2);
  // NegTokenInit: mechListMIC [3]; NegTokenInit2: negHints [3] (a SEQUENCE) and mechListMIC [4]
  const third = fields.optional(3);
  const mic = third?.idBlock.tagNumber === UNIVERSAL.OCTET_STRING ? third : fields.optional(4);
  return {
    kind: "init",
    mechTypes,
    mechTypesDer: new Uint8Array(list.valueBeforeDecodeView),
    ...(mechToken && { mechToken: readOctets(mechToken, what) }),
    ...(mic && { mechListMIC: readOctets(mic, what) }),
  };
}

function decodeResp(node: DerNode): NegTokenResp {
  const what = "NegTokenResp";
  const fields = new DerFields(node, what);
  const state = fields.optional(0);
  const mech = fields.optional(1);
  const response = fields.optional(2);
  const mic = fields.optional(3);
  return {
    kind: "resp",
    ...(state && { negState: readNegState(state) }),
    ...(mech && { supportedMech: readOid(mech) }),
    ...(response && { responseToken: readOctets(response, what) }),
    ...(mic && { mechListMIC: readOctets(mic, what) }),
  };
}

function readNegState(node: DerNode): NegState {
  expectTag(node, TAG_CLASS.UNIVERSAL, UNIVERSAL.ENUMERATED, false, "negState");
  const c = contentOf(node);
  if (c.length !== 1 || c[0]! > NEG_STATE.REQUEST_MIC) throw invalid("negState is not 0 to 3");
  return c[0] as NegState;
}

function readOid(node: DerNode): string {
  expectTag(node, TAG_CLASS.UNIVERSAL, UNIVERSAL.OID, false, "MechType");
  return (node as asn1js.ObjectIdentifier).valueBlock.toString();
}

function oid(value: string): DerValue {
  return new asn1js.ObjectIdentifier({ value });
}

/** The values inside a constructed node. */
function children(node: DerNode): DerNode[] {
  const value = (node.valueBlock as unknown as { value?: unknown }).value;
  return Array.isArray(value) ? (value as DerNode[]) : [];
}

function invalid(reason: string): NegotiateError {
  return new NegotiateError(SEC_E_INVALID_TOKEN, `malformed SPNEGO token: ${reason}`);
}
