/**
 * What RFC 4121 per-message tokens need from an established context: the context key (acceptor
 * subkey, else initiator subkey, else ticket session key — RFC 4121 §2), our role, and whether the
 * key is the acceptor's subkey. Token flags and key usages follow from these.
 *
 * @module
 */

import type { EncryptionType, KerberosKey } from "../crypto/encryption-type.js";
import { KEY_USAGE } from "../crypto/key-usage.js";
import { encryptionType } from "../crypto/registry.js";
import { KerberosError } from "../errors.js";

export interface PerMessageContext {
  readonly key: KerberosKey;
  /** True on the acceptor (server) side. */
  readonly isAcceptor: boolean;
  /** True when `key` is the acceptor's subkey from the AP-REP (token flag AcceptorSubkey). */
  readonly acceptorSubkey: boolean;
}

/** RFC 4121 §4.2.2 token flags. */
export const TOKEN_FLAGS = { SENT_BY_ACCEPTOR: 0x01, SEALED: 0x02, ACCEPTOR_SUBKEY: 0x04 } as const;

/** The etypes RFC 4121 tokens are defined for here (rc4-hmac uses RFC 4757's own format). */
export const RFC4121_ETYPES: ReadonlySet<number> = new Set([17, 18, 19, 20]);

export function tokenEncryptionType(key: KerberosKey): EncryptionType {
  if (!RFC4121_ETYPES.has(key.etype))
    throw new KerberosError(
      "ERR_KRB_UNSUPPORTED",
      `RFC 4121 tokens are not implemented for etype ${key.etype}`,
    );
  return encryptionType(key.etype);
}

/** Flags of a token we send. */
export function ourFlags(ctx: PerMessageContext): number {
  return (
    (ctx.isAcceptor ? TOKEN_FLAGS.SENT_BY_ACCEPTOR : 0) |
    (ctx.acceptorSubkey ? TOKEN_FLAGS.ACCEPTOR_SUBKEY : 0)
  );
}

/** Checks the direction and subkey flags of a received token; `ERR_KRB_PROTOCOL` otherwise. */
export function checkPeerFlags(ctx: PerMessageContext, flags: number, what: string): void {
  const fromAcceptor = (flags & TOKEN_FLAGS.SENT_BY_ACCEPTOR) !== 0;
  if (fromAcceptor === ctx.isAcceptor)
    throw new KerberosError(
      "ERR_KRB_PROTOCOL",
      `${what} was sent by the ${fromAcceptor ? "acceptor" : "initiator"}, like us (reflected?)`,
    );
  if (((flags & TOKEN_FLAGS.ACCEPTOR_SUBKEY) !== 0) !== ctx.acceptorSubkey)
    throw new KerberosError("ERR_KRB_PROTOCOL", `${what} AcceptorSubkey flag does not match the context key`);
}

/** Key usage for a Wrap (seal) or MIC (sign) token sent by the acceptor or the initiator. */
export function tokenUsage(kind: "seal" | "sign", sentByAcceptor: boolean): number {
  if (kind === "seal") return sentByAcceptor ? KEY_USAGE.KG_ACCEPTOR_SEAL : KEY_USAGE.KG_INITIATOR_SEAL;
  return sentByAcceptor ? KEY_USAGE.KG_ACCEPTOR_SIGN : KEY_USAGE.KG_INITIATOR_SIGN;
}
