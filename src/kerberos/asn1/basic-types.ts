/**
 * RFC 4120 §5.2 building blocks shared by every message: PrincipalName, EncryptedData,
 * EncryptionKey, Checksum, PA-DATA, HostAddress and AuthorizationData — the TypeScript shapes and
 * their DER readers and writers.
 *
 * @module
 */
import { malformed } from "../errors.js";
import type { PrincipalName } from "../principal.js";
import { DerFields, type DerNode, readInteger, readOctets, readString, sequenceItems } from "./der-read.js";
import { type DerValue, generalString, integer, octets, sequenceOf, taggedSequence } from "./der-write.js";

/** EncryptedData: ciphertext made with `etype` (and the key version `kvno` when given). */
export interface EncryptedData {
  readonly etype: number;
  readonly kvno?: number | undefined;
  readonly cipher: Uint8Array;
}

/** EncryptionKey (keytype, keyvalue). */
export interface EncryptionKey {
  readonly etype: number;
  readonly value: Uint8Array;
}

/** Checksum (cksumtype, checksum). */
export interface Checksum {
  readonly type: number;
  readonly value: Uint8Array;
}

/** PA-DATA (padata-type, padata-value). */
export interface PaData {
  readonly type: number;
  readonly value: Uint8Array;
}

/** HostAddress (addr-type, address). */
export interface HostAddress {
  readonly type: number;
  readonly address: Uint8Array;
}

/** One AuthorizationData element (ad-type, ad-data). */
export interface AuthorizationDataEntry {
  readonly type: number;
  readonly data: Uint8Array;
}

export function readPrincipalName(node: DerNode, what: string): PrincipalName {
  const f = new DerFields(node, `${what} PrincipalName`);
  const nameType = readInteger(f.required(0, "name-type"), what);
  const components = sequenceItems(f.required(1, "name-string"), what).map((n) => readString(n, what));
  if (components.length === 0) throw malformed(what, "PrincipalName without components");
  return { nameType, components };
}

export function writePrincipalName(p: PrincipalName): DerValue {
  return taggedSequence([
    [0, integer(p.nameType)],
    [1, sequenceOf(p.components.map(generalString))],
  ]);
}

export function readEncryptedData(node: DerNode, what: string): EncryptedData {
  const f = new DerFields(node, `${what} EncryptedData`);
  const kvnoNode = f.optional(1);
  return {
    etype: readInteger(f.required(0, "etype"), what),
    kvno: kvnoNode ? readInteger(kvnoNode, what) : undefined,
    cipher: readOctets(f.required(2, "cipher"), what),
  };
}

export function writeEncryptedData(e: EncryptedData): DerValue {
  return taggedSequence([
    [0, integer(e.etype)],
    [1, e.kvno === undefined ? undefined : integer(e.kvno)],
    [2, octets(e.cipher)],
  ]);
}

export function readEncryptionKey(node: DerNode, what: string): EncryptionKey {
  const f = new DerFields(node, `${what} EncryptionKey`);
  return {
    etype: readInteger(f.required(0, "keytype"), what),
    value: readOctets(f.required(1, "keyvalue"), what),
  };
}

export function writeEncryptionKey(k: EncryptionKey): DerValue {
  return taggedSequence([
    [0, integer(k.etype)],
    [1, octets(k.value)],
  ]);
}

export function readChecksum(node: DerNode, what: string): Checksum {
  const f = new DerFields(node, `${what} Checksum`);
  return {
    type: readInteger(f.required(0, "cksumtype"), what),
    value: readOctets(f.required(1, "checksum"), what),
  };
}

export function writeChecksum(c: Checksum): DerValue {
  return taggedSequence([
    [0, integer(c.type)],
    [1, octets(c.value)],
  ]);
}

export function readPaDataList(node: DerNode, what: string): PaData[] {
  return sequenceItems(node, what).map((item) => {
    const f = new DerFields(item, `${what} PA-DATA`);
    return {
      type: readInteger(f.required(1, "padata-type"), what),
      value: readOctets(f.required(2, "padata-value"), what),
    };
  });
}

export function writePaDataList(list: readonly PaData[]): DerValue {
  return sequenceOf(
    list.map((p) =>
      taggedSequence([
        [1, integer(p.type)],
        [2, octets(p.value)],
      ]),
    ),
  );
}

export function readHostAddresses(node: DerNode, what: string): HostAddress[] {
  return sequenceItems(node, what).map((item) => {
    const f = new DerFields(item, `${what} HostAddress`);
    return {
      type: readInteger(f.required(0, "addr-type"), what),
      address: readOctets(f.required(1, "address"), what),
    };
  });
}

export function writeHostAddresses(list: readonly HostAddress[]): DerValue {
  return sequenceOf(
    list.map((a) =>
      taggedSequence([
        [0, integer(a.type)],
        [1, octets(a.address)],
      ]),
    ),
  );
}

export function readAuthorizationData(node: DerNode, what: string): AuthorizationDataEntry[] {
  return sequenceItems(node, what).map((item) => {
    const f = new DerFields(item, `${what} AuthorizationData`);
    return {
      type: readInteger(f.required(0, "ad-type"), what),
      data: readOctets(f.required(1, "ad-data"), what),
    };
  });
}

export function writeAuthorizationData(list: readonly AuthorizationDataEntry[]): DerValue {
  return sequenceOf(
    list.map((a) =>
      taggedSequence([
        [0, integer(a.type)],
        [1, octets(a.data)],
      ]),
    ),
  );
}
