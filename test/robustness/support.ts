/**
 * Shared pieces of the robustness suites (test/robustness): fast-check budgets and seeds read
 * from the environment, TLS record surgery for mutated transcripts, one-call ISC/ASC helpers
 * that work on the first call too, alert checks, and bounded cases.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  type AddressInfo,
  connect as netConnect,
  createServer as netCreateServer,
  type Socket,
} from "node:net";
import fc from "fast-check";
import {
  ApplyControlToken,
  ASC_REQ_ALLOCATE_MEMORY,
  ASC_REQ_CONFIDENTIALITY,
  ASC_REQ_EXTENDED_ERROR,
  ASC_REQ_STREAM,
  box,
  type CredHandle,
  CtxtHandle,
  FAILED,
  FreeContextBuffer,
  handleStatistics,
  ISC_REQ_ALLOCATE_MEMORY,
  ISC_REQ_CONFIDENTIALITY,
  ISC_REQ_EXTENDED_ERROR,
  ISC_REQ_STREAM,
  type SCH_CREDENTIALS,
  SCH_CREDENTIALS_VERSION,
  SEC_E_INCOMPLETE_MESSAGE,
  SEC_E_INVALID_HANDLE,
  SEC_E_OK,
  SEC_I_CONTEXT_EXPIRED,
  SEC_I_CONTINUE_NEEDED,
  SEC_I_RENEGOTIATE,
  SECBUFFER_ALERT,
  SECBUFFER_EMPTY,
  SECBUFFER_EXTRA,
  SECBUFFER_MISSING,
  SECBUFFER_TOKEN,
  type SECURITY_STATUS,
  SP_PROT_TLS1_2,
  SP_PROT_TLS1_3,
  secBuffer,
  secBufferDesc,
  shutdownToken,
  promises as sspi,
  statusName,
} from "../../src/index.js";
import { withTimeout } from "../support/peers.js";
import {
  continueHandshake,
  decryptOnce,
  decryptUntilStatus,
  encrypt,
  receive,
  SocketReader,
  sendCloseNotify,
} from "../support/sspi-driver.js";

export { withTimeout };

export const ISC_FLAGS =
  ISC_REQ_CONFIDENTIALITY | ISC_REQ_STREAM | ISC_REQ_EXTENDED_ERROR | ISC_REQ_ALLOCATE_MEMORY;
export const ASC_FLAGS =
  ASC_REQ_CONFIDENTIALITY | ASC_REQ_STREAM | ASC_REQ_EXTENDED_ERROR | ASC_REQ_ALLOCATE_MEMORY;

/** Longest a single fuzz case may take (a hang fails the case, it never stalls the suite). */
export const CASE_TIMEOUT_MS = 15_000;

export type Version = "TLSv1.2" | "TLSv1.3";
export const VERSIONS: Version[] = ["TLSv1.3", "TLSv1.2"];

/** `grbitDisabledProtocols` that leaves only `version` enabled. */
export const disableOther = (version: Version): number =>
  version === "TLSv1.3" ? SP_PROT_TLS1_2 : SP_PROT_TLS1_3;

// ---------------------------------------------------------------------------------------------
// Budgets and seeds
// ---------------------------------------------------------------------------------------------

/**
 * The fast-check parameters of one property: `FUZZ_RUNS` (else `defaultRuns`, the budget inside
 * `npm test`) and `FUZZ_SEED` (else a fresh seed). The seed is always known, so a failure can be
 * replayed with `FUZZ_SEED=<seed> FUZZ_RUNS=<runs> npm run fuzz`.
 */
export function fuzzParameters(defaultRuns: number): { numRuns: number; seed: number } {
  const runs = Number(process.env.FUZZ_RUNS);
  const seed = Number(process.env.FUZZ_SEED);
  return {
    numRuns: Number.isInteger(runs) && runs > 0 ? runs : defaultRuns,
    seed: Number.isInteger(seed) ? seed : (Date.now() ^ (Math.random() * 0x7fff_ffff)) | 0,
  };
}

/**
 * Runs an async property with {@link fuzzParameters}; on failure the thrown error names the seed,
 * the run count and the replay command (fast-check adds the counterexample and its path).
 */
export async function checkProperty<T>(
  name: string,
  arbitrary: fc.Arbitrary<T>,
  predicate: (value: T) => Promise<void>,
  defaultRuns: number,
): Promise<void> {
  const { numRuns, seed } = fuzzParameters(defaultRuns);
  try {
    await fc.assert(fc.asyncProperty(arbitrary, predicate), { numRuns, seed, endOnFailure: true });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(
      `${name}: property failed (seed ${seed}, ${numRuns} runs; replay with FUZZ_SEED=${seed} FUZZ_RUNS=${numRuns} npm run fuzz)\n${message}`,
      { cause: error },
    );
  }
}

// ---------------------------------------------------------------------------------------------
// TLS records
// ---------------------------------------------------------------------------------------------

export interface RawRecord {
  type: number;
  version: number;
  body: Uint8Array;
}

/** Splits bytes at their record headers (trusting the length fields); a partial tail is dropped. */
export function parseRecords(bytes: Uint8Array): RawRecord[] {
  const out: RawRecord[] = [];
  let offset = 0;
  while (offset + 5 <= bytes.length) {
    const length = (bytes[offset + 3]! << 8) | bytes[offset + 4]!;
    if (offset + 5 + length > bytes.length) break;
    out.push({
      type: bytes[offset]!,
      version: (bytes[offset + 1]! << 8) | bytes[offset + 2]!,
      body: bytes.slice(offset + 5, offset + 5 + length),
    });
    offset += 5 + length;
  }
  return out;
}

/** One record's bytes; `length` overrides the length field (for oversized-length cases). */
export function recordBytes(
  type: number,
  body: Uint8Array,
  version = 0x0303,
  length = body.length,
): Uint8Array {
  const out = new Uint8Array(5 + body.length);
  out[0] = type;
  out[1] = version >> 8;
  out[2] = version & 0xff;
  out[3] = (length >> 8) & 0xff;
  out[4] = length & 0xff;
  out.set(body, 5);
  return out;
}

export function joinRecords(records: readonly RawRecord[]): Uint8Array {
  return Buffer.concat(records.map((r) => recordBytes(r.type, r.body, r.version)));
}

/** A mutation of a transcript flight, with a label for counterexamples. */
export interface Mutation {
  label: string;
  apply(flight: Uint8Array): Uint8Array;
}

const pick = <T>(items: readonly T[], index: number): T | undefined =>
  items.length === 0 ? undefined : items[index % items.length];

/**
 * Mutations of a valid flight: bit flips, truncation, duplication and reordering of records,
 * oversized length fields, wrong content types, zero-length records, records over 2^14,
 * inserted garbage. Indices are taken modulo the flight's size, so every value applies.
 */
export function mutationArbitrary(): fc.Arbitrary<Mutation> {
  const index = fc.nat({ max: 1 << 20 });
  return fc.oneof(
    fc.tuple(index, fc.integer({ min: 0, max: 7 })).map(([i, bit]) => ({
      label: `flip bit ${bit} of byte #${i}`,
      apply: (f: Uint8Array) => {
        const out = f.slice();
        if (out.length > 0) out[i % out.length]! ^= 1 << bit;
        return out;
      },
    })),
    fc
      .array(fc.tuple(index, fc.integer({ min: 1, max: 255 })), { minLength: 2, maxLength: 16 })
      .map((flips) => ({
        label: `xor ${flips.length} bytes ${JSON.stringify(flips)}`,
        apply: (f: Uint8Array) => {
          const out = f.slice();
          for (const [i, x] of flips) if (out.length > 0) out[i % out.length]! ^= x;
          return out;
        },
      })),
    index.map((i) => ({
      label: `truncate at #${i}`,
      apply: (f: Uint8Array) => f.slice(0, f.length === 0 ? 0 : i % f.length),
    })),
    index.map((i) => ({
      label: `duplicate record #${i}`,
      apply: (f: Uint8Array) => {
        const rs = parseRecords(f);
        const r = pick(rs, i);
        if (!r) return f;
        rs.splice(i % rs.length, 0, r);
        return joinRecords(rs);
      },
    })),
    fc.tuple(index, index).map(([i, j]) => ({
      label: `swap records #${i} and #${j}`,
      apply: (f: Uint8Array) => {
        const rs = parseRecords(f);
        if (rs.length < 2) return f.slice().reverse();
        const a = i % rs.length;
        const b = j % rs.length === a ? (a + 1) % rs.length : j % rs.length;
        [rs[a], rs[b]] = [rs[b]!, rs[a]!];
        return joinRecords(rs);
      },
    })),
    fc.tuple(index, fc.integer({ min: 0x4101, max: 0xffff })).map(([i, length]) => ({
      label: `length field of record #${i} set to ${length}`,
      apply: (f: Uint8Array) => {
        const rs = parseRecords(f);
        const at = i % Math.max(1, rs.length);
        return Buffer.concat(
          rs.map((r, k) => recordBytes(r.type, r.body, r.version, k === at ? length : r.body.length)),
        );
      },
    })),
    fc.tuple(index, fc.integer({ min: 0, max: 255 })).map(([i, type]) => ({
      label: `content type of record #${i} set to ${type}`,
      apply: (f: Uint8Array) => {
        const rs = parseRecords(f);
        const r = pick(rs, i);
        if (r) r.type = type;
        return joinRecords(rs);
      },
    })),
    fc.tuple(index, fc.constantFrom(20, 21, 22, 23)).map(([i, type]) => ({
      label: `zero-length record of type ${type} before record #${i}`,
      apply: (f: Uint8Array) => {
        const rs = parseRecords(f);
        rs.splice(i % (rs.length + 1), 0, { type, version: 0x0303, body: new Uint8Array(0) });
        return joinRecords(rs);
      },
    })),
    fc
      .tuple(index, fc.integer({ min: 16_385, max: 16_384 + 2_100 }), fc.constantFrom(21, 22, 23))
      .map(([i, size, type]) => ({
        label: `record of type ${type} with ${size} bytes before record #${i}`,
        apply: (f: Uint8Array) => {
          const rs = parseRecords(f);
          const body = new Uint8Array(size).fill(0x42);
          body[0] = 1; // a ClientHello-looking first byte for handshake records
          rs.splice(i % (rs.length + 1), 0, { type, version: 0x0303, body });
          return joinRecords(rs);
        },
      })),
    fc.tuple(index, fc.uint8Array({ minLength: 1, maxLength: 64 })).map(([i, junk]) => ({
      label: `insert ${junk.length} bytes at #${i}`,
      apply: (f: Uint8Array) => {
        const at = i % (f.length + 1);
        return Buffer.concat([f.subarray(0, at), junk, f.subarray(at)]);
      },
    })),
  );
}

/** Record types a fatal alert is sent in: a plaintext alert, or any record sealed under keys. */
export function lastRecordType(token: Uint8Array): number | null {
  const rs = parseRecords(token);
  return rs.length === 0 ? null : rs[rs.length - 1]!.type;
}

// ---------------------------------------------------------------------------------------------
// One establishing call, first or later
// ---------------------------------------------------------------------------------------------

export interface CallResult {
  status: SECURITY_STATUS;
  /** The output token (copied; the allocated buffer was freed). */
  token: Uint8Array;
  /** `[level, description]` from the SECBUFFER_ALERT output, if any. */
  alert: [number, number] | null;
  /** Unconsumed input bytes (SECBUFFER_EXTRA). */
  extra: number;
  /** SECBUFFER_MISSING count on SEC_E_INCOMPLETE_MESSAGE. */
  missing: number;
}

/**
 * One ISC/ASC call. `handle` is created on the first call (`first: true`: phContext null, the
 * credential given); later calls pass it as phContext. `input` null means no input descriptor.
 */
export async function establishingCall(
  role: "initiator" | "acceptor",
  cred: CredHandle,
  handle: CtxtHandle,
  first: boolean,
  input: Uint8Array | null,
  target: string | null = "server.test",
): Promise<CallResult> {
  const inDesc =
    input === null ? null : secBufferDesc(secBuffer(SECBUFFER_TOKEN, input), secBuffer(SECBUFFER_EMPTY));
  const out = secBufferDesc(
    secBuffer(SECBUFFER_TOKEN),
    secBuffer(SECBUFFER_ALERT, 2),
    secBuffer(SECBUFFER_EMPTY),
  );
  const status =
    role === "initiator"
      ? await sspi.InitializeSecurityContext(
          first ? cred : null,
          first ? null : handle,
          target,
          ISC_FLAGS,
          0,
          0,
          inDesc,
          0,
          handle,
          out,
          box(0),
          null,
        )
      : await sspi.AcceptSecurityContext(
          first ? cred : null,
          first ? null : handle,
          inDesc,
          ASC_FLAGS,
          0,
          handle,
          out,
          box(0),
          null,
        );
  const t = out.pBuffers[0]!;
  let token: Uint8Array = new Uint8Array(0);
  if (t.cbBuffer > 0 && t.pvBuffer) {
    token = Buffer.from(t.pvBuffer.subarray(0, t.cbBuffer));
    FreeContextBuffer(t.pvBuffer);
  }
  const a = out.pBuffers[1]!;
  const alert: [number, number] | null =
    a.cbBuffer === 2 && a.pvBuffer ? [a.pvBuffer[0]!, a.pvBuffer[1]!] : null;
  const second = inDesc?.pBuffers[1];
  return {
    status,
    token,
    alert,
    extra: second?.BufferType === SECBUFFER_EXTRA ? second.cbBuffer : 0,
    missing: second?.BufferType === SECBUFFER_MISSING ? second.cbBuffer : 0,
  };
}

/**
 * Feeds `chunks` (bytes as they arrive from the wire) to a context with the sspi.md §4.5 loop:
 * accumulate, call, keep EXTRA, wait for more on INCOMPLETE. Stops at the first status that is
 * neither CONTINUE nor INCOMPLETE, or when the chunks run out. Returns the last result, every
 * output token, and the bytes left over.
 */
export async function feedChunks(
  role: "initiator" | "acceptor",
  cred: CredHandle,
  handle: CtxtHandle,
  first: boolean,
  chunks: readonly Uint8Array[],
): Promise<{ last: CallResult | null; tokens: Uint8Array[]; leftover: Uint8Array; calls: number }> {
  let acc: Uint8Array = new Uint8Array(0);
  const tokens: Uint8Array[] = [];
  let last: CallResult | null = null;
  let calls = 0;
  let isFirst = first;
  let next = 0;
  for (;;) {
    if (acc.length === 0 || last?.status === SEC_E_INCOMPLETE_MESSAGE) {
      const chunk = chunks[next++];
      if (chunk === undefined) return { last, tokens, leftover: acc, calls };
      acc = Buffer.concat([acc, chunk]);
    }
    last = await establishingCall(role, cred, handle, isFirst, acc);
    calls++;
    isFirst = false; // the first call creates the context whatever its status (async-contexts.md)
    if (last.token.length > 0) tokens.push(last.token);
    if (last.status === SEC_E_INCOMPLETE_MESSAGE) {
      assert.ok(last.missing > 0 || acc.length < 5, "INCOMPLETE names the missing bytes");
      continue;
    }
    acc = last.extra > 0 ? acc.slice(acc.length - last.extra) : new Uint8Array(0);
    if (last.status !== SEC_I_CONTINUE_NEEDED) return { last, tokens, leftover: acc, calls };
  }
}

/** Splits `bytes` at the given offsets (sorted, deduplicated, inside the bytes). */
export function splitAt(bytes: Uint8Array, offsets: readonly number[]): Uint8Array[] {
  const cuts = [...new Set(offsets.map((o) => o % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const c of cuts) {
    if (c > from) out.push(bytes.subarray(from, c));
    from = Math.max(from, c);
  }
  if (from < bytes.length) out.push(bytes.subarray(from));
  return out;
}

/** True for an alert record: plaintext or TLS 1.2-sealed type 21, or a TLS 1.3 sealed 2-byte alert (19 bytes). */
export function isAlertRecord(r: RawRecord): boolean {
  if (r.type === 21) return r.body.length === 2 ? r.body[0] === 2 : r.body.length <= 26;
  return r.type === 23 && r.body.length === 19;
}

/**
 * Checks the TLS rule for a failed establishing call: the output token ends with a fatal alert
 * record (plaintext, or sealed under the keys reached), and a SECBUFFER_ALERT report, when there
 * is one, is fatal and matches a plaintext alert record.
 */
export function assertFatalAlert(result: CallResult, what: string): void {
  assert.ok(FAILED(result.status), `${what}: a failure status`);
  const rs = parseRecords(result.token);
  const last = rs[rs.length - 1];
  assert.ok(
    last !== undefined && isAlertRecord(last),
    `${what}: the output token ends with a fatal alert record (records: ${rs.map((r) => `${r.type}:${r.body.length}`).join(" ") || "none"})`,
  );
  if (result.alert !== null) {
    assert.equal(result.alert[0], 2, `${what}: the alert reported is fatal`);
    if (last.type === 21 && last.body.length === 2)
      assert.deepEqual([...last.body], result.alert, `${what}: the alert record is the alert reported`);
  }
}

/**
 * The signature of a known library bug (reported, see docs/robustness.md): a failed step that had
 * already produced handshake output returns that output without the alert.
 */
export function isMissingAlertAfterOutput(result: CallResult): boolean {
  if (!FAILED(result.status) || result.status === SEC_E_INCOMPLETE_MESSAGE) return false;
  const rs = parseRecords(result.token);
  const last = rs[rs.length - 1];
  return last !== undefined && !isAlertRecord(last) && rs.some((r) => r.type === 22 || r.type === 23);
}

/**
 * A flight as the handshake transcript sees it: zero-length records dropped and repeated
 * change_cipher_spec records collapsed; on TLS 1.3 every compatibility CCS dropped (RFC 8446 §5).
 */
export function canonicalFlight(bytes: Uint8Array, version: Version): Uint8Array {
  const out: RawRecord[] = [];
  for (const r of parseRecords(bytes)) {
    if (r.body.length === 0) continue;
    if (version === "TLSv1.3" && r.type === 20 && r.body.length === 1 && r.body[0] === 1) continue;
    const prev = out[out.length - 1];
    if (r.type === 20 && prev?.type === 20 && Buffer.compare(prev.body, r.body) === 0) continue;
    out.push(r);
  }
  return joinRecords(out);
}

/** Deletes a context if it is live; SEC_E_INVALID_HANDLE (never created or already deleted) is fine. */
export async function deleteIfLive(handle: CtxtHandle): Promise<void> {
  const status = await sspi.DeleteSecurityContext(handle);
  assert.ok(
    status === SEC_E_OK || status === SEC_E_INVALID_HANDLE,
    `DeleteSecurityContext: ${statusName(status)}`,
  );
}

/** Asserts that no context or credential handle beyond `baseline` is live. */
export function assertHandlesAt(baseline: ReturnType<typeof handleStatistics>, what: string): void {
  const now = handleStatistics();
  assert.equal(now.liveContexts, baseline.liveContexts, `${what}: contexts left live`);
  assert.equal(now.liveCredentials, baseline.liveCredentials, `${what}: credentials left live`);
}

export function newHandle(): CtxtHandle {
  return new CtxtHandle();
}

/** Server and client SCH_CREDENTIALS for the `server.test` certificate of `caPem`, one version. */
export function versionedAuth(
  base: { server: SCH_CREDENTIALS; client: SCH_CREDENTIALS },
  version: Version,
): { server: SCH_CREDENTIALS; client: SCH_CREDENTIALS } {
  const tls = [{ grbitDisabledProtocols: disableOther(version) }];
  return {
    server: { ...base.server, dwVersion: SCH_CREDENTIALS_VERSION, pTlsParameters: tls },
    client: { ...base.client, dwVersion: SCH_CREDENTIALS_VERSION, pTlsParameters: tls },
  };
}

// ---------------------------------------------------------------------------------------------
// Loopback TCP: an SSPI echo server and an SSPI client with scripted aborts
// ---------------------------------------------------------------------------------------------

/** A {@link SocketReader} whose waits are longer (loaded runs queue many engine steps). */
export class PatientReader extends SocketReader {
  constructor(
    socket: Socket,
    private readonly waitMs = 60_000,
  ) {
    super(socket);
  }
  override more(timeoutMs = this.waitMs): Promise<boolean> {
    return super.more(timeoutMs);
  }
}

/** Where a scripted connection stops early (null: runs to a clean shutdown). */
export type AbortStep =
  | "client-delete-after-hello"
  | "client-destroy-after-hello"
  | "server-delete-after-first-step"
  | "client-destroy-after-handshake"
  | "client-destroy-mid-data"
  | null;

export const ABORT_STEPS: Exclude<AbortStep, null>[] = [
  "client-delete-after-hello",
  "client-destroy-after-hello",
  "server-delete-after-first-step",
  "client-destroy-after-handshake",
  "client-destroy-mid-data",
];

export interface EchoServerStats {
  connections: number;
  completed: number;
  failed: number;
  /** Connections that ended before the handshake finished (peer gone, scripted abort). */
  abandoned: number;
  /** Failure statuses by name. */
  statuses: Map<string, number>;
  /** Failed handshakes whose output had no alert (the reported missing-alert bug). */
  missingAlert: number;
  echoed: number;
  /** The first step's result by client port: a status name, with ":missing-alert" for the known bug. */
  firstStep: Map<number, string>;
}

export interface EchoServer {
  port: number;
  stats: EchoServerStats;
  /** Scripted server-side aborts, by the client's local port. */
  plans: Map<number, AbortStep>;
  /** Waits until every connection handler finished, then closes the listener. */
  close(): Promise<void>;
}

/**
 * An SSPI (AcceptSecurityContext) echo server on 127.0.0.1: handshake, then every decrypted
 * byte is encrypted back; a close_notify is answered with one. A failed handshake sends its
 * output (the alert) and ends the connection. Every context is deleted and every socket closed.
 */
export async function sspiEchoServer(
  cred: CredHandle,
  options: { backlog?: number; waitMs?: number } = {},
): Promise<EchoServer> {
  const stats: EchoServerStats = {
    connections: 0,
    completed: 0,
    failed: 0,
    abandoned: 0,
    statuses: new Map(),
    missingAlert: 0,
    echoed: 0,
    firstStep: new Map(),
  };
  const plans = new Map<number, AbortStep>();
  const running = new Set<Promise<void>>();
  const sockets = new Set<Socket>();
  const server = netCreateServer({ allowHalfOpen: true }, (socket) => {
    stats.connections++;
    sockets.add(socket);
    socket.on("error", () => {});
    const job = serveConnection(cred, socket, stats, plans, options.waitMs ?? 60_000)
      .catch(() => {
        stats.abandoned++;
      })
      .then(() => closeGracefully(socket))
      .finally(() => {
        sockets.delete(socket);
        running.delete(job);
      });
    running.add(job);
  });
  await new Promise<void>((resolve) =>
    server.listen({ port: 0, host: "127.0.0.1", backlog: options.backlog ?? 511 }, resolve),
  );
  return {
    port: (server.address() as AddressInfo).port,
    stats,
    plans,
    async close() {
      await Promise.allSettled([...running]);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Ends a socket after its pending writes (an alert) are flushed; destroys it after 5 s at most. */
async function closeGracefully(socket: Socket): Promise<void> {
  if (socket.destroyed) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => socket.destroy(), 5_000);
    socket.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
    socket.end();
    socket.resume(); // drain what the peer still sends so its FIN arrives
  });
}

async function serveConnection(
  cred: CredHandle,
  socket: Socket,
  stats: EchoServerStats,
  plans: Map<number, AbortStep>,
  waitMs: number,
): Promise<void> {
  const reader = new PatientReader(socket, waitMs);
  const handle = new CtxtHandle();
  let created = false;
  try {
    if (!(await reader.more())) {
      stats.abandoned++;
      return;
    }
    // First ASC: accumulate until the ClientHello is complete.
    let acc = reader.take();
    let first: CallResult;
    for (;;) {
      first = await establishingCall("acceptor", cred, handle, !created, acc);
      created = true;
      if (first.status !== SEC_E_INCOMPLETE_MESSAGE) break;
      if (!(await reader.more())) {
        stats.abandoned++;
        return;
      }
      acc = Buffer.concat([acc, reader.take()]);
    }
    if (first.token.length > 0 && !socket.destroyed) socket.write(first.token);
    const name = statusName(first.status) ?? String(first.status);
    stats.firstStep.set(
      socket.remotePort ?? -1,
      isMissingAlertAfterOutput(first) ? `${name}:missing-alert` : name,
    );
    if (first.status !== SEC_I_CONTINUE_NEEDED) return countFailure(first, stats, socket);
    if (plans.get(socket.remotePort ?? -1) === "server-delete-after-first-step") {
      stats.abandoned++;
      return;
    }
    const pending = first.extra > 0 ? acc.slice(acc.length - first.extra) : new Uint8Array(0);
    const hs = await continueHandshake("acceptor", reader, cred, handle, pending);
    if (hs.status === SEC_I_CONTINUE_NEEDED || hs.status === SEC_E_INCOMPLETE_MESSAGE) {
      stats.abandoned++;
      return;
    }
    if (hs.status !== SEC_E_OK) {
      stats.failed++;
      stats.statuses.set(
        statusName(hs.status) ?? String(hs.status),
        (stats.statuses.get(statusName(hs.status) ?? "") ?? 0) + 1,
      );
      socket.end();
      return;
    }
    stats.completed++;
    await echoLoop(handle, cred, reader, hs.leftover, stats);
  } finally {
    if (created) await deleteIfLive(handle);
  }
}

function countFailure(result: CallResult, stats: EchoServerStats, socket: Socket): void {
  stats.failed++;
  const name = statusName(result.status) ?? String(result.status);
  stats.statuses.set(name, (stats.statuses.get(name) ?? 0) + 1);
  if (isMissingAlertAfterOutput(result)) stats.missingAlert++;
  socket.end();
}

async function echoLoop(
  handle: CtxtHandle,
  cred: CredHandle,
  reader: SocketReader,
  pending: Uint8Array,
  stats: EchoServerStats,
): Promise<void> {
  let rest = pending;
  for (;;) {
    if (rest.length < 5 || rest.length < 5 + ((rest[3]! << 8) | rest[4]!)) {
      if (!(await reader.more())) return;
      rest = Buffer.concat([rest, reader.take()]);
      continue;
    }
    const r = decryptOnce(handle, Uint8Array.from(rest));
    if (r.status === SEC_E_INCOMPLETE_MESSAGE) continue;
    rest = r.rest;
    if (r.status === SEC_I_CONTEXT_EXPIRED) {
      // The peer's close_notify: answer with ours and end.
      if (ApplyControlToken(handle, secBufferDesc(shutdownToken())) === SEC_E_OK) {
        const close = await establishingCall("acceptor", cred, handle, false, null);
        if (close.token.length > 0 && !reader.socket.destroyed) reader.socket.write(close.token);
      }
      reader.socket.end();
      return;
    }
    if (r.status !== SEC_E_OK && r.status !== SEC_I_RENEGOTIATE) return;
    if (r.plaintext.length > 0 && !reader.socket.destroyed) {
      stats.echoed += r.plaintext.length;
      reader.socket.write(encrypt(handle, r.plaintext));
    }
  }
}

export interface ClientOutcome {
  /** "ok" (echo verified and closed), "aborted" (scripted), or the failure status name. */
  result: string;
  bytes: number;
}

/**
 * One SSPI client connection to `port`: handshake, `payload` sent in records of up to 16 KiB,
 * the echo read back and compared by SHA-256, close_notify both ways. `abort` stops it early.
 * Every context is deleted and the socket destroyed, whatever happens.
 */
export async function sspiClient(
  port: number,
  cred: CredHandle,
  payload: Uint8Array,
  abort: AbortStep,
  plans: Map<number, AbortStep> | null,
  waitMs = 60_000,
): Promise<ClientOutcome> {
  const socket = netConnect({ port, host: "127.0.0.1" });
  socket.on("error", () => {});
  const handle = new CtxtHandle();
  let created = false;
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    if (plans && socket.localPort !== undefined) plans.set(socket.localPort, abort);
    const reader = new PatientReader(socket, waitMs);
    const hello = await establishingCall("initiator", cred, handle, true, null);
    created = true;
    if (hello.status !== SEC_I_CONTINUE_NEEDED) return { result: statusName(hello.status) ?? "?", bytes: 0 };
    socket.write(hello.token);
    if (abort === "client-delete-after-hello") {
      await deleteIfLive(handle);
      return { result: "aborted", bytes: 0 };
    }
    if (abort === "client-destroy-after-hello") return { result: "aborted", bytes: 0 };
    const outcome = await clientAfterHello(reader, cred, handle, payload, abort);
    // The server dropped the connection after its first flight: whatever the client saw is the abort.
    if (abort === "server-delete-after-first-step" && outcome.result !== "ok")
      return { result: "aborted", bytes: 0 };
    return outcome;
  } finally {
    socket.destroy();
    if (created) await deleteIfLive(handle);
  }
}

async function clientAfterHello(
  reader: SocketReader,
  cred: CredHandle,
  handle: CtxtHandle,
  payload: Uint8Array,
  abort: AbortStep,
): Promise<ClientOutcome> {
  const socket = reader.socket;
  const hs = await continueHandshake("initiator", reader, cred, handle);
  if (hs.status !== SEC_E_OK) return { result: statusName(hs.status) ?? String(hs.status), bytes: 0 };
  if (abort === "client-destroy-after-handshake") return { result: "aborted", bytes: 0 };
  const digest = createHash("sha256").update(payload).digest("hex");
  const half = abort === "client-destroy-mid-data" ? payload.length >> 1 : payload.length;
  for (let off = 0; off < half; off += 16_384)
    socket.write(encrypt(handle, payload.subarray(off, Math.min(half, off + 16_384))));
  if (abort === "client-destroy-mid-data") return { result: "aborted", bytes: half };
  const echo = await receive(handle, reader, payload.length, hs.leftover);
  if (echo.plaintext.length < payload.length && echo.statuses.length === 0 && reader.ended)
    return { result: "closed by peer", bytes: 0 };
  if (createHash("sha256").update(echo.plaintext).digest("hex") !== digest)
    return {
      result: `echo differs (${echo.plaintext.length}/${payload.length} bytes, ${echo.statuses.map(statusName)})`,
      bytes: 0,
    };
  await sendCloseNotify("initiator", cred, handle, socket);
  const end = await decryptUntilStatus(handle, reader, echo.rest);
  if (end.status !== SEC_I_CONTEXT_EXPIRED)
    return { result: `no close_notify back (${statusName(end.status ?? 0)})`, bytes: payload.length };
  return { result: "ok", bytes: payload.length };
}

/** Runs `jobs` with at most `limit` in flight. */
export async function pool<T>(count: number, limit: number, job: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, count) }, async () => {
    while (next < count) {
      const i = next++;
      results[i] = await job(i);
    }
  });
  await Promise.all(workers);
  return results;
}

/** A small deterministic PRNG (mulberry32) for reproducible abort plans. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
