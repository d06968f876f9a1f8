/**
 * The table behind `CredHandle`/`CtxtHandle` values: handle numbers → live entries. Handles
 * that become unreachable while their entry is still live are reclaimed (the package frees the
 * credential or deletes the context) through a `FinalizationRegistry`, and counted.
 *
 * @module
 */
import { randomInt } from "node:crypto";
import type { SecHandle } from "./handles.js";
import type { ContextResult, FailureDetails, PackageObject, SecurityPackage } from "./security-package.js";
import type { SECURITY_STATUS } from "./status.js";

/** What went wrong in the last failed call on a handle or async context. */
export interface ErrorInfo extends FailureDetails {
  status: SECURITY_STATUS;
  /** The SSPI function that failed, e.g. `"InitializeSecurityContext"`. */
  operation: string;
}

interface EntryBase {
  readonly id: number;
  readonly tag: number;
  readonly pkg: SecurityPackage;
  /** Set once a free/delete was queued: the handle is no longer usable. */
  closing: boolean;
  lastError: ErrorInfo | null;
  /** Identity used to unregister from the finalization registry. */
  readonly token: object;
}

export interface CredentialEntry extends EntryBase {
  readonly kind: "credential";
  readonly credential: PackageObject;
}

export interface ContextEntry extends EntryBase {
  readonly kind: "context";
  readonly role: "initiator" | "acceptor";
  context: PackageObject;
  readonly credential: CredentialEntry | null;
  /** An ISC/ASC call is in flight on this context. */
  busy: boolean;
  /** Completes when the in-flight call (if any) has completed. */
  idle: Promise<void>;
  /** A result whose output did not fit the caller's buffer, returned again on the retry. */
  held: ContextResult | null;
}

export type HandleEntry = CredentialEntry | ContextEntry;
type NewEntry<E extends HandleEntry> = Omit<E, "id" | "tag" | "token" | "closing" | "lastError">;

const entries = new Map<number, HandleEntry>();
let nextId = 1;

const statistics = {
  reclaimedCredentials: 0,
  reclaimedContexts: 0,
};

const reclaimer = new FinalizationRegistry<{ id: number; tag: number }>(({ id, tag }) => {
  const entry = entries.get(id);
  if (entry === undefined || entry.tag !== tag || entry.closing) return;
  entry.closing = true;
  entries.delete(id);
  if (entry.kind === "credential") {
    statistics.reclaimedCredentials++;
    entry.pkg.freeCredentials(entry.credential).catch(() => {});
  } else {
    statistics.reclaimedContexts++;
    entry.idle.then(() => entry.pkg.deleteContext(entry.context)).catch(() => {});
  }
});

/**
 * Creates a live entry and writes its handle values into `handle`. The entry is reclaimed if
 * `handle` becomes unreachable before the entry is released.
 */
export function allocateHandle<E extends HandleEntry>(fields: NewEntry<E>, handle: SecHandle): E {
  const id = nextId++;
  const tag = randomInt(1, 0x7fff_ffff);
  const entry = { ...fields, id, tag, token: {}, closing: false, lastError: null } as unknown as E;
  entries.set(id, entry);
  handle.dwLower = id;
  handle.dwUpper = tag;
  reclaimer.register(handle, { id, tag }, entry.token);
  return entry;
}

/** Points another handle object at an existing entry (it keeps the entry alive too). */
export function attachHandle(entry: HandleEntry, handle: SecHandle): void {
  if (handle.dwLower === entry.id && handle.dwUpper === entry.tag) return;
  handle.dwLower = entry.id;
  handle.dwUpper = entry.tag;
  reclaimer.register(handle, { id: entry.id, tag: entry.tag }, entry.token);
}

/** The live, usable entry of `kind` that `handle` names, or undefined (stale, foreign, wrong kind, closing). */
export function lookupHandle<K extends HandleEntry["kind"]>(
  handle: unknown,
  kind: K,
): Extract<HandleEntry, { kind: K }> | undefined {
  if (typeof handle !== "object" || handle === null) return undefined;
  const { dwLower, dwUpper } = handle as Partial<SecHandle>;
  if (typeof dwLower !== "number" || typeof dwUpper !== "number") return undefined;
  const entry = entries.get(dwLower);
  if (entry === undefined || entry.tag !== dwUpper || entry.kind !== kind || entry.closing) return undefined;
  return entry as Extract<HandleEntry, { kind: K }>;
}

/** The entry `handle` names even if it is closing (for error details), or undefined. */
export function peekHandle(handle: unknown): HandleEntry | undefined {
  if (typeof handle !== "object" || handle === null) return undefined;
  const { dwLower, dwUpper } = handle as Partial<SecHandle>;
  if (typeof dwLower !== "number") return undefined;
  const entry = entries.get(dwLower);
  return entry !== undefined && entry.tag === dwUpper ? entry : undefined;
}

/** Removes a released entry: its handle values become stale. */
export function releaseHandle(entry: HandleEntry): void {
  entry.closing = true;
  entries.delete(entry.id);
  reclaimer.unregister(entry.token);
}

/** Counts of live handles and of handles reclaimed because they became unreachable unreleased. */
export function handleStatistics(): {
  liveCredentials: number;
  liveContexts: number;
  reclaimedCredentials: number;
  reclaimedContexts: number;
} {
  let liveCredentials = 0;
  let liveContexts = 0;
  for (const e of entries.values()) {
    if (e.kind === "credential") liveCredentials++;
    else liveContexts++;
  }
  return { liveCredentials, liveContexts, ...statistics };
}
