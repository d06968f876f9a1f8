/**
 * Authenticator [APPLICATION 2] (RFC 4120 §5.5.1): who the client is, when it made the request,
 * an optional checksum (for GSS: the RFC 4121 0x8003 checksum), subkey and sequence number.
 *
 * @module
 */
import type { PrincipalName } from "../principal.js";
import {
  type AuthorizationDataEntry,
  type Checksum,
  type EncryptionKey,
  readAuthorizationData,
  readChecksum,
  readEncryptionKey,
  readPrincipalName,
  writeAuthorizationData,
  writeChecksum,
  writeEncryptionKey,
  writePrincipalName,
} from "./basic-types.js";
import { MSG_TYPE } from "./constants.js";
import {
  DerFields,
  expectInteger,
  optionalField,
  parseDer,
  readInteger,
  readString,
  readTime,
  unwrapApplication,
} from "./der-read.js";
import { application, encodeDer, generalString, integer, kerberosTime, taggedSequence } from "./der-write.js";

export interface Authenticator {
  readonly crealm: string;
  readonly cname: PrincipalName;
  readonly cksum?: Checksum | undefined;
  /** Microseconds (0..999999) of the client's time. */
  readonly cusec: number;
  readonly ctime: Date;
  readonly subkey?: EncryptionKey | undefined;
  readonly seqNumber?: number | undefined;
  readonly authorizationData?: readonly AuthorizationDataEntry[] | undefined;
}

const WHAT = "Authenticator";

export function encodeAuthenticator(a: Authenticator): Uint8Array {
  return encodeDer(
    application(
      MSG_TYPE.AUTHENTICATOR,
      taggedSequence([
        [0, integer(5)],
        [1, generalString(a.crealm)],
        [2, writePrincipalName(a.cname)],
        [3, a.cksum && writeChecksum(a.cksum)],
        [4, integer(a.cusec)],
        [5, kerberosTime(a.ctime)],
        [6, a.subkey && writeEncryptionKey(a.subkey)],
        [7, a.seqNumber === undefined ? undefined : integer(a.seqNumber)],
        [8, a.authorizationData && writeAuthorizationData(a.authorizationData)],
      ]),
    ),
  );
}

export function decodeAuthenticator(bytes: Uint8Array): Authenticator {
  const f = new DerFields(unwrapApplication(parseDer(bytes, WHAT), MSG_TYPE.AUTHENTICATOR, WHAT), WHAT);
  expectInteger(f.required(0, "authenticator-vno"), 5, WHAT, "authenticator-vno");
  return {
    crealm: readString(f.required(1, "crealm"), WHAT),
    cname: readPrincipalName(f.required(2, "cname"), WHAT),
    cksum: optionalField(f.optional(3), (n) => readChecksum(n, WHAT)),
    cusec: readInteger(f.required(4, "cusec"), WHAT),
    ctime: readTime(f.required(5, "ctime"), WHAT),
    subkey: optionalField(f.optional(6), (n) => readEncryptionKey(n, WHAT)),
    seqNumber: optionalField(f.optional(7), (n) => readInteger(n, WHAT)),
    authorizationData: optionalField(f.optional(8), (n) => readAuthorizationData(n, WHAT)),
  };
}
