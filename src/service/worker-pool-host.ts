/**
 * The security service as a pool of worker threads (DESIGN.md layer 3, the LSA analogue): TLS
 * engines run off the caller's event loop, so a storm of handshakes cannot stall it.
 *
 * - **Workers.** N `worker_threads` (default `max(1, availableParallelism() - 1)`), each running
 *   an {@link InThreadEngineHost} (`engine-worker.js`). A worker is `unref()`ed while it has no
 *   request in flight, so an idle pool never keeps the process alive; {@link dispose} terminates
 *   them.
 * - **Contexts** are pinned to one worker, chosen least-loaded (in-flight requests plus live
 *   contexts; ties round-robin). Steps of one context run in call order in that worker.
 * - **Credentials.** A server credential is built lazily **in every worker that gets one of its
 *   contexts** (so one server certificate uses the whole pool), from the configuration the caller
 *   passed in; the pool adds shared random ticket keys when the configuration has none, so a
 *   ticket issued by one worker resumes on any other. A client credential is **pinned** to the
 *   worker that built it, because the client's session cache (resumption) lives in that worker's
 *   engine credential. Either way the key objects, SecureContexts and sessions stay in the
 *   workers; only ids, statuses, tokens and handshake summaries come back.
 * - **Backpressure.** At most `queueDepth` requests (default 256) are in flight per worker; one
 *   more fails at once with `SEC_E_INSUFFICIENT_MEMORY` ("security service queue full …") without
 *   reaching the worker. Releasing calls (free, delete) are never refused.
 * - **Crash recovery.** A worker that dies (uncaught exception, `process.exit`, heap exhaustion,
 *   or a blocking call that got no reply within `blockingTimeoutMs`) fails its in-flight requests
 *   with `SEC_E_INTERNAL_ERROR` ("security service worker died: …"); its contexts are dead (steps
 *   answer `SEC_E_INTERNAL_ERROR`, delete still `SEC_E_OK`); a replacement worker starts at once
 *   and rebuilds credentials lazily. Other workers' contexts are untouched.
 * - **Blocking calls** ({@link WorkerPoolHost.blocking}): the same methods answering in the call.
 *   The request goes over the worker's port like any other (so it stays ordered with earlier
 *   asynchronous requests) and the worker writes the reply into a `SharedArrayBuffer` that the
 *   caller waits on with `Atomics.wait`. The worker never needs the blocked thread.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { availableParallelism } from "node:os";
import { type ResourceLimits, Worker } from "node:worker_threads";
import {
  SEC_E_INSUFFICIENT_MEMORY,
  SEC_E_INTERNAL_ERROR,
  SEC_E_INVALID_HANDLE,
  SEC_E_OK,
  SEC_E_WRONG_CREDENTIAL_HANDLE,
  type SECURITY_STATUS,
} from "../sspi/status.js";
import type { BlockingCapableHost, BlockingEngineHost } from "./blocking-host.js";
import type {
  AcquireCredentialResult,
  CreateContextResult,
  EngineCertificateSource,
  EngineContextOptions,
  EngineCredentialConfig,
  EngineStepResult,
  PostHandshakeResult,
} from "./engine-host.js";
import {
  type CrashKind,
  type EngineWorkerData,
  type HostMethod,
  ReplyChannel,
  type WorkerRequest,
  type WorkerResponse,
} from "./host-protocol.js";
import { type HostTask, type Reply, reply, runTask, runTaskBlocking } from "./host-task.js";

/** Options of a {@link WorkerPoolHost}. */
export interface WorkerPoolOptions {
  /** Worker threads (≥ 1). Default `max(1, availableParallelism() - 1)`. */
  workers?: number;
  /** Requests in flight per worker before new ones fail with `SEC_E_INSUFFICIENT_MEMORY`. Default 256. */
  queueDepth?: number;
  /**
   * How long a blocking call waits for its worker before it declares the worker dead and fails
   * with `SEC_E_INTERNAL_ERROR`. Default 30 000 ms. (A worker that exits or throws wakes the
   * caller at once; only a hung or out-of-memory worker runs into this.)
   */
  blockingTimeoutMs?: number;
  /** Heap limits of each worker (`worker_threads` `resourceLimits`); default: Node's. */
  resourceLimits?: ResourceLimits;
}

/** The default pool size: one worker per core, minus the caller's thread. */
export function defaultWorkerCount(): number {
  return Math.max(1, availableParallelism() - 1);
}

/** Default {@link WorkerPoolOptions.queueDepth}. */
export const DEFAULT_QUEUE_DEPTH = 256;

const EMPTY = new Uint8Array(0);
const DIED = "security service worker died";

/** A request the service refused or could not answer. */
class ServiceFailure extends Error {
  constructor(
    readonly status: SECURITY_STATUS,
    message: string,
  ) {
    super(message);
  }
}

function failureOf(err: unknown): ServiceFailure {
  return err instanceof ServiceFailure
    ? err
    : new ServiceFailure(SEC_E_INTERNAL_ERROR, err instanceof Error ? err.message : String(err));
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: ServiceFailure) => void;
}

interface Slot {
  readonly index: number;
  worker: Worker;
  /** Incremented with every replacement; ids minted by an older worker are dead. */
  generation: number;
  life: Int32Array;
  alive: boolean;
  lastError: string | null;
  /** Asynchronous requests in flight. */
  readonly pending: Map<number, Pending>;
  /** Pool context ids living in this worker. */
  readonly contexts: Set<number>;
  refed: boolean;
  /** A test crash was requested: stay referenced until the worker is gone. */
  crashing: boolean;
}

interface CredentialPlacement {
  generation: number;
  /** Engine credential ids in that worker (normally one). */
  engineIds: number[];
  /** An asynchronous acquisition in flight. */
  acquiring: Promise<AcquireCredentialResult> | null;
}

interface PoolCredential {
  readonly id: number;
  readonly config: EngineCredentialConfig;
  /** Client credentials: the worker they are pinned to. */
  readonly home: number | null;
  readonly placements: Map<number, CredentialPlacement>;
}

interface PoolContext {
  readonly slot: number;
  readonly generation: number;
  readonly engineId: number;
  /** Why the context is dead (its worker died), or null. */
  dead: string | null;
}

/** Test and diagnostics view of one worker. */
export interface WorkerPoolSlotInfo {
  index: number;
  threadId: number;
  generation: number;
  inFlight: number;
  contexts: number;
}

/** Engine host running the TLS engines in worker threads; see the module comment. */
export class WorkerPoolHost implements BlockingCapableHost {
  /** The pool size. */
  readonly workers: number;
  /** Requests in flight per worker before refusal. */
  readonly queueDepth: number;
  /** See {@link WorkerPoolOptions.blockingTimeoutMs}. */
  readonly blockingTimeoutMs: number;
  private readonly resourceLimits: ResourceLimits | undefined;
  /**
   * The same pool answering synchronously: the calling thread blocks in `Atomics.wait` until the
   * worker replies. Statuses as the asynchronous methods. Never use it on a server's event loop.
   */
  readonly blocking: BlockingEngineHost;

  private readonly slots: Slot[] = [];
  private readonly channel = ReplyChannel.create();
  private readonly credentials = new Map<number, PoolCredential>();
  private readonly contexts = new Map<number, PoolContext>();
  private readonly deathWatchers: Array<(reason: string) => void> = [];
  private nextId = 1;
  private nextRequest = 1;
  private rotation = 0;
  private disposed = false;
  private retired = false;

  /**
   * Starts the workers (they load `engine-worker.js` next to this module).
   *
   * @throws RangeError for `workers` < 1 or `queueDepth` < 1 (not integers).
   */
  constructor(options: WorkerPoolOptions = {}) {
    this.workers = options.workers ?? defaultWorkerCount();
    this.queueDepth = options.queueDepth ?? DEFAULT_QUEUE_DEPTH;
    this.blockingTimeoutMs = options.blockingTimeoutMs ?? 30_000;
    this.resourceLimits = options.resourceLimits;
    if (!Number.isInteger(this.workers) || this.workers < 1)
      throw new RangeError("workers must be an integer ≥ 1");
    if (!Number.isInteger(this.queueDepth) || this.queueDepth < 1)
      throw new RangeError("queueDepth must be an integer ≥ 1");
    for (let index = 0; index < this.workers; index++) {
      const slot = { index, generation: 0, pending: new Map(), contexts: new Set() } as unknown as Slot;
      this.start(slot);
      this.slots.push(slot);
    }
    const task = <T>(t: HostTask<T>): T => runTaskBlocking(t);
    this.blocking = {
      acquireCredential: (config) => task(this.acquireTask(config, true)),
      freeCredential: (id) => this.free(id),
      createContext: (id, options) => task(this.createTask(id, options, true)),
      step: (id, input) => task(this.stepTask(id, input, true)),
      close: (id) => task(this.closeTask(id, true)),
      deleteContext: (id) => this.remove(id),
    };
  }

  /** {@inheritDoc EngineHost.acquireCredential} */
  acquireCredential(config: EngineCredentialConfig): Promise<AcquireCredentialResult> {
    return runTask(this.acquireTask(config, false));
  }

  /** {@inheritDoc EngineHost.freeCredential} */
  async freeCredential(credentialId: number): Promise<SECURITY_STATUS> {
    return this.free(credentialId);
  }

  /** {@inheritDoc EngineHost.createContext} */
  createContext(credentialId: number, options: EngineContextOptions): Promise<CreateContextResult> {
    return runTask(this.createTask(credentialId, options, false));
  }

  /**
   * {@inheritDoc EngineHost.step}
   *
   * Also `SEC_E_INSUFFICIENT_MEMORY` when the context's worker has `queueDepth` requests in
   * flight, and `SEC_E_INTERNAL_ERROR` when its worker died (now or earlier) or the pool is
   * disposed.
   */
  step(contextId: number, input: Uint8Array): Promise<EngineStepResult> {
    return runTask(this.stepTask(contextId, input, false));
  }

  /** {@inheritDoc EngineHost.deliverPostHandshake} */
  deliverPostHandshake(contextId: number, records: Uint8Array): Promise<PostHandshakeResult> {
    return runTask(this.deliverTask(contextId, records, false));
  }

  /** {@inheritDoc EngineHost.close} */
  close(contextId: number): Promise<Uint8Array> {
    return runTask(this.closeTask(contextId, false));
  }

  /**
   * {@inheritDoc EngineHost.deleteContext}
   *
   * Returns at once: the worker releases the engine after the context's earlier requests. A
   * context whose worker died is deleted with `SEC_E_OK` too.
   */
  async deleteContext(contextId: number): Promise<SECURITY_STATUS> {
    return this.remove(contextId);
  }

  /**
   * Fails every request in flight with `SEC_E_INTERNAL_ERROR`, terminates the workers and waits
   * for them to exit. Later calls fail with `SEC_E_INTERNAL_ERROR`.
   */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const exits: Array<Promise<number>> = [];
    for (const slot of this.slots) {
      slot.alive = false;
      this.failSlot(slot, "security service disposed");
      exits.push(slot.worker.terminate());
    }
    this.credentials.clear();
    await Promise.all(exits);
  }

  /**
   * Stops taking new credentials' work for good: the pool disposes itself once its last
   * credential is freed and its last context deleted (at once if it has none). Used when the
   * security service is reconfigured.
   */
  retire(): void {
    this.retired = true;
    this.disposeIfDone();
  }

  private disposeIfDone(): void {
    if (this.retired && this.credentials.size === 0 && this.contexts.size === 0) void this.dispose();
  }

  /** Per-worker state, for tests and diagnostics. */
  slotInfo(): WorkerPoolSlotInfo[] {
    return this.slots.map((s) => ({
      index: s.index,
      threadId: s.worker.threadId,
      generation: s.generation,
      inFlight: s.pending.size,
      contexts: s.contexts.size,
    }));
  }

  /** The worker a context lives in, or undefined for an unknown id (tests and diagnostics). */
  workerOfContext(contextId: number): number | undefined {
    return this.contexts.get(contextId)?.slot;
  }

  /**
   * **Test only.** Makes worker `index` die the given way (`throw`: an uncaught exception;
   * `exit`: `process.exit(3)`; `oom`: heap exhaustion) and waits until it has been replaced.
   *
   * @returns the death reason the worker's pending calls failed with.
   */
  crashWorkerForTesting(index: number, how: CrashKind): Promise<string> {
    const slot = this.slots[index];
    if (slot === undefined) return Promise.reject(new RangeError(`no worker ${index}`));
    const died = new Promise<string>((resolve) => this.deathWatchers.push(resolve));
    const request: WorkerRequest = { kind: "crash", id: this.nextRequest++, how };
    slot.crashing = true; // keeps the process alive until the death is seen
    this.updateRef(slot);
    slot.worker.postMessage(request);
    return died;
  }

  // ---- tasks: one body for the asynchronous and the blocking path ----

  private *acquireTask(config: EngineCredentialConfig, blocking: boolean): HostTask<AcquireCredentialResult> {
    // The pool keeps its own copy of the key material (to build the credential in other workers
    // later); it is zeroed when the credential is freed or refused.
    const prepared: EngineCredentialConfig = {
      ...config,
      certificates: config.certificates.map(ownKeyMaterial),
      ...(config.role === "server" &&
        !config.disableResumption &&
        config.ticketKeys === undefined && { ticketKeys: new Uint8Array(randomBytes(48)) }),
    };
    try {
      const slot = this.pickSlot();
      const result = yield* reply(
        this.send<AcquireCredentialResult>(slot, "acquireCredential", [prepared], blocking),
      );
      if (result.status !== SEC_E_OK || result.credentialId === undefined) {
        zeroKeyMaterial(prepared);
        return result;
      }
      const id = this.nextId++;
      const placements = new Map<number, CredentialPlacement>();
      placements.set(slot.index, {
        generation: slot.generation,
        engineIds: [result.credentialId],
        acquiring: null,
      });
      this.credentials.set(id, {
        id,
        config: prepared,
        home: config.role === "client" ? slot.index : null,
        placements,
      });
      return { ...result, credentialId: id };
    } catch (err) {
      zeroKeyMaterial(prepared);
      const failure = failureOf(err);
      return { status: failure.status, reason: failure.message };
    }
  }

  private free(credentialId: number): SECURITY_STATUS {
    const credential = this.credentials.get(credentialId);
    if (credential === undefined) return SEC_E_INVALID_HANDLE;
    this.credentials.delete(credentialId);
    zeroKeyMaterial(credential.config);
    for (const [index, placement] of credential.placements) {
      const slot = this.slots[index]!;
      if (slot.generation !== placement.generation || !slot.alive) continue;
      for (const engineId of placement.engineIds) this.release(slot, "freeCredential", engineId);
      placement.engineIds = [];
    }
    this.disposeIfDone();
    return SEC_E_OK;
  }

  /** The engine credential id of `credential` in `slot`, built there if needed. */
  private *credentialIn(credential: PoolCredential, slot: Slot, blocking: boolean): HostTask<number> {
    let placement = credential.placements.get(slot.index);
    if (placement === undefined || placement.generation !== slot.generation) {
      placement = { generation: slot.generation, engineIds: [], acquiring: null };
      credential.placements.set(slot.index, placement);
    }
    if (placement.engineIds.length > 0) return placement.engineIds[0]!;
    let result: AcquireCredentialResult;
    if (placement.acquiring !== null && !blocking) {
      result = yield* reply(placement.acquiring);
    } else {
      const sent = this.send<AcquireCredentialResult>(
        slot,
        "acquireCredential",
        [credential.config],
        blocking,
      );
      if (sent instanceof Promise) {
        const acquiring = sent.finally(() => {
          if (placement.acquiring === acquiring) placement.acquiring = null;
        });
        placement.acquiring = acquiring;
        result = yield* reply(acquiring);
      } else {
        result = sent;
      }
      if (
        result.status === SEC_E_OK &&
        result.credentialId !== undefined &&
        placement.generation === slot.generation
      ) {
        // Freed meanwhile: release it at once (a replaced worker took its credentials with it).
        if (this.credentials.get(credential.id) === credential) placement.engineIds.push(result.credentialId);
        else this.release(slot, "freeCredential", result.credentialId);
      }
    }
    if (placement.engineIds.length > 0) return placement.engineIds[0]!;
    throw new ServiceFailure(
      result.status === SEC_E_OK ? SEC_E_INTERNAL_ERROR : result.status,
      result.reason ?? "",
    );
  }

  private *createTask(
    credentialId: number,
    options: EngineContextOptions,
    blocking: boolean,
  ): HostTask<CreateContextResult> {
    const credential = this.credentials.get(credentialId);
    if (this.disposed) return { status: SEC_E_INTERNAL_ERROR, reason: "security service disposed" };
    if (credential === undefined) return { status: SEC_E_INVALID_HANDLE, reason: "unknown credential" };
    if (credential.config.role !== options.role)
      return {
        status: SEC_E_WRONG_CREDENTIAL_HANDLE,
        reason: `a ${options.role} context needs a ${options.role} credential`,
      };
    try {
      const slot = credential.home !== null ? this.slots[credential.home]! : this.pickSlot();
      const engineCredentialId = yield* this.credentialIn(credential, slot, blocking);
      const generation = slot.generation;
      const result = yield* reply(
        this.send<CreateContextResult>(slot, "createContext", [engineCredentialId, options], blocking),
      );
      if (result.status !== SEC_E_OK || result.contextId === undefined) return result;
      if (slot.generation !== generation) throw new ServiceFailure(SEC_E_INTERNAL_ERROR, `${DIED}`);
      const id = this.nextId++;
      this.contexts.set(id, { slot: slot.index, generation, engineId: result.contextId, dead: null });
      slot.contexts.add(id);
      return { status: SEC_E_OK, contextId: id };
    } catch (err) {
      const failure = failureOf(err);
      return { status: failure.status, reason: failure.message };
    }
  }

  /** The live context's worker, or the failure to report. */
  private locate(contextId: number): { slot: Slot; context: PoolContext } | ServiceFailure {
    const context = this.contexts.get(contextId);
    if (context === undefined) return new ServiceFailure(SEC_E_INVALID_HANDLE, "unknown context");
    if (context.dead !== null) return new ServiceFailure(SEC_E_INTERNAL_ERROR, context.dead);
    if (this.disposed) return new ServiceFailure(SEC_E_INTERNAL_ERROR, "security service disposed");
    return { slot: this.slots[context.slot]!, context };
  }

  private *stepTask(contextId: number, input: Uint8Array, blocking: boolean): HostTask<EngineStepResult> {
    try {
      const found = this.locate(contextId);
      if (found instanceof ServiceFailure) throw found;
      return yield* reply(
        this.send<EngineStepResult>(found.slot, "step", [found.context.engineId, input], blocking),
      );
    } catch (err) {
      const failure = failureOf(err);
      return { status: failure.status, output: EMPTY, consumed: 0, missing: 0, reason: failure.message };
    }
  }

  private *deliverTask(
    contextId: number,
    records: Uint8Array,
    blocking: boolean,
  ): HostTask<PostHandshakeResult> {
    try {
      const found = this.locate(contextId);
      if (found instanceof ServiceFailure) throw found;
      return yield* reply(
        this.send<PostHandshakeResult>(
          found.slot,
          "deliverPostHandshake",
          [found.context.engineId, records],
          blocking,
        ),
      );
    } catch (err) {
      const failure = failureOf(err);
      return { status: failure.status, sessions: [], consumed: 0, reason: failure.message };
    }
  }

  private *closeTask(contextId: number, blocking: boolean): HostTask<Uint8Array> {
    const found = this.locate(contextId);
    this.forget(contextId);
    if (found instanceof ServiceFailure) return EMPTY;
    try {
      return yield* reply(
        this.send<Uint8Array>(found.slot, "close", [found.context.engineId], blocking, true),
      );
    } catch {
      return EMPTY;
    } finally {
      this.disposeIfDone();
    }
  }

  private remove(contextId: number): SECURITY_STATUS {
    const context = this.contexts.get(contextId);
    if (context === undefined) return SEC_E_INVALID_HANDLE;
    this.forget(contextId);
    const slot = this.slots[context.slot]!;
    if (context.dead === null && slot.alive && slot.generation === context.generation)
      this.release(slot, "deleteContext", context.engineId);
    this.disposeIfDone();
    return SEC_E_OK;
  }

  private forget(contextId: number): void {
    const context = this.contexts.get(contextId);
    if (context === undefined) return;
    this.contexts.delete(contextId);
    this.slots[context.slot]?.contexts.delete(contextId);
  }

  // ---- transport ----

  /** Starts a worker for `slot` (its current generation) and routes its events to the slot. */
  private start(slot: Slot): void {
    const lifeBuffer = new SharedArrayBuffer(4);
    const workerData: EngineWorkerData = { replyBuffer: this.channel.buffer, lifeBuffer };
    const worker = new Worker(new URL("./engine-worker.js", import.meta.url), {
      workerData,
      // Chosen explicitly, never inherited: --input-type, --eval, --import … break or re-run in a worker.
      execArgv: process.execArgv.filter((flag) =>
        /^--(enable-source-maps|max-old-space-size=|max-semi-space-size=|stack-size=|no-warnings)/.test(flag),
      ),
      ...(this.resourceLimits !== undefined && { resourceLimits: this.resourceLimits }),
    });
    worker.unref();
    slot.worker = worker;
    slot.life = new Int32Array(lifeBuffer);
    slot.lastError = null;
    slot.alive = true;
    slot.refed = false;
    slot.crashing = false;
    const generation = slot.generation;
    const current = () => slot.generation === generation;
    worker.on("message", (response: WorkerResponse) => {
      if (current()) this.settle(slot, response);
    });
    worker.on("error", (err) => {
      if (current()) slot.lastError = err.message;
    });
    worker.on("messageerror", (err) => {
      if (current()) slot.lastError = `unreadable message: ${err.message}`;
    });
    worker.on("exit", (code) => {
      if (current()) this.died(slot, generation, slot.lastError ?? `exit code ${code}`);
    });
  }

  private pickSlot(): Slot {
    if (this.disposed) throw new ServiceFailure(SEC_E_INTERNAL_ERROR, "security service disposed");
    let best: Slot | undefined;
    for (let i = 0; i < this.slots.length; i++) {
      const slot = this.slots[(this.rotation + i) % this.slots.length]!;
      if (best === undefined || load(slot) < load(best)) best = slot;
    }
    this.rotation = (this.rotation + 1) % this.slots.length;
    return best!;
  }

  /**
   * Sends one request. Asynchronous: a promise of the value. Blocking: the value, after waiting in
   * `Atomics.wait`. Throws (or rejects with) a {@link ServiceFailure} when the queue is full
   * (unless `unlimited`), the worker died, or the pool is disposed.
   */
  private send<T>(
    slot: Slot,
    method: HostMethod,
    args: unknown[],
    blocking: boolean,
    unlimited = false,
  ): Reply<T> {
    if (this.disposed) throw new ServiceFailure(SEC_E_INTERNAL_ERROR, "security service disposed");
    if (!unlimited && slot.pending.size >= this.queueDepth) {
      throw new ServiceFailure(
        SEC_E_INSUFFICIENT_MEMORY,
        `security service queue full: ${slot.pending.size} requests in flight on worker ${slot.index} (queueDepth ${this.queueDepth})`,
      );
    }
    if (Atomics.load(slot.life, 0) !== 0) {
      // The worker exited and its 'exit' event has not been seen yet: ids the caller holds belong
      // to it, so fail now rather than send them to its replacement.
      const cause = slot.lastError ?? "exited";
      this.died(slot, slot.generation, cause);
      throw new ServiceFailure(SEC_E_INTERNAL_ERROR, `${DIED}: ${cause}`);
    }
    const id = this.nextRequest++;
    const request: WorkerRequest = { kind: "call", id, method, args, blocking };
    if (!blocking) {
      return new Promise<T>((resolve, reject) => {
        slot.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        this.updateRef(slot);
        slot.worker.postMessage(request);
      });
    }
    const generation = slot.generation;
    slot.worker.postMessage(request);
    const answer = this.channel.wait(id, this.blockingTimeoutMs, () =>
      Atomics.load(slot.life, 0) !== 0 ? `${DIED}: ${slot.lastError ?? "exited"}` : null,
    );
    if (answer.ok) return answer.value as T;
    const reason =
      "timedOut" in answer
        ? `no reply from worker ${slot.index} within ${this.blockingTimeoutMs} ms`
        : answer.error.replace(`${DIED}: `, "");
    if ("timedOut" in answer || answer.error.startsWith(DIED)) {
      this.died(slot, generation, reason);
      throw new ServiceFailure(SEC_E_INTERNAL_ERROR, `${DIED}: ${reason}`);
    }
    throw new ServiceFailure(SEC_E_INTERNAL_ERROR, answer.error);
  }

  /** A releasing request (free, delete): never refused, its answer not awaited. */
  private release(slot: Slot, method: "freeCredential" | "deleteContext", engineId: number): void {
    const sent = this.send<unknown>(slot, method, [engineId], false, true) as Promise<unknown>;
    sent.catch(() => undefined);
  }

  private settle(slot: Slot, response: WorkerResponse): void {
    const pending = slot.pending.get(response.id);
    if (pending === undefined) return;
    slot.pending.delete(response.id);
    this.updateRef(slot);
    if (response.ok) pending.resolve(response.value);
    else pending.reject(new ServiceFailure(SEC_E_INTERNAL_ERROR, response.error));
  }

  /** Keeps the process alive exactly while a worker has asynchronous requests in flight. */
  private updateRef(slot: Slot): void {
    const busy = slot.pending.size > 0 || slot.crashing;
    if (busy === slot.refed) return;
    slot.refed = busy;
    if (busy) slot.worker.ref();
    else slot.worker.unref();
  }

  private failSlot(slot: Slot, reason: string): void {
    const pending = [...slot.pending.values()];
    slot.pending.clear();
    this.updateRef(slot);
    for (const id of slot.contexts) {
      const context = this.contexts.get(id);
      if (context) context.dead = reason;
    }
    slot.contexts.clear();
    for (const p of pending) p.reject(new ServiceFailure(SEC_E_INTERNAL_ERROR, reason));
  }

  /** Handles the death of `slot`'s worker of `generation` (once) and starts its replacement. */
  private died(slot: Slot, generation: number, cause: string): void {
    if (this.disposed || slot.generation !== generation || !slot.alive) return;
    const reason = `${DIED}: ${cause}`;
    slot.alive = false;
    const old = slot.worker;
    this.failSlot(slot, reason);
    slot.generation++;
    old.unref();
    void old.terminate().catch(() => undefined);
    this.start(slot);
    for (const watcher of this.deathWatchers.splice(0)) watcher(reason);
  }
}

function load(slot: Slot): number {
  return slot.pending.size + slot.contexts.size;
}

/** A copy of `source` whose key bytes (`privateKey`, `pfx`) the pool owns. */
function ownKeyMaterial(source: EngineCertificateSource): EngineCertificateSource {
  if ("pfx" in source) return { ...source, pfx: new Uint8Array(source.pfx) };
  return typeof source.privateKey === "string"
    ? { ...source }
    : { ...source, privateKey: new Uint8Array(source.privateKey) };
}

/** Zeroes the key bytes the pool owns in `config` (strings cannot be zeroed; they are dropped with it). */
function zeroKeyMaterial(config: EngineCredentialConfig): void {
  for (const c of config.certificates) {
    if ("pfx" in c) c.pfx.fill(0);
    else if (c.privateKey instanceof Uint8Array) c.privateKey.fill(0);
  }
}
