/**
 * The engine host of the native engine: credentials are SSL_CTXs and contexts are SSLs of the
 * addon. An asynchronous step runs its `SSL_do_handshake` on a libuv pool thread and completes on
 * this thread's event loop; the blocking face runs the same step synchronously on the calling
 * thread (no worker, no `Atomics.wait`). Steps of one context run in call order; a context is
 * never touched by two threads at once.
 *
 * The one engine host (`security-service.ts`). Established contexts hand their records to
 * {@link NativeEngineHost.recordLayer}: OpenSSL's, used synchronously on the caller's thread.
 * Where the addon cannot load, every credential fails with `SEC_E_SECPKG_NOT_FOUND` and the
 * loader's reason.
 *
 * @module
 */
import type { NativeAddon, NativeContext, NativeStepResult } from "../schannel/native/addon-types.js";
import { loadNativeEngine } from "../schannel/native/load-native-engine.js";
import { NativeEngineCredential } from "../schannel/native/native-credential.js";
import { NativeTlsEngine } from "../schannel/native/native-engine.js";
import type { NativeRecordLayer } from "../schannel/native/native-records.js";
import type { TicketKeyMaterial } from "../schannel/session-ticket-keys.js";
import {
  SEC_E_INSUFFICIENT_MEMORY,
  SEC_E_INTERNAL_ERROR,
  SEC_E_INVALID_HANDLE,
  SEC_E_INVALID_PARAMETER,
  SEC_E_OK,
  SEC_E_SECPKG_NOT_FOUND,
  SEC_E_UNSUPPORTED_FUNCTION,
  SEC_E_WRONG_CREDENTIAL_HANDLE,
  type SECURITY_STATUS,
} from "../sspi/status.js";
import type { BlockingCapableHost, BlockingEngineHost } from "./blocking-host.js";
import type {
  AcquireCredentialResult,
  CreateContextResult,
  EngineContextOptions,
  EngineCredentialConfig,
  EngineStepResult,
} from "./engine-host.js";

interface ContextEntry {
  engine: NativeTlsEngine;
  /** The last queued operation of this context; the next one starts after it. */
  tail: Promise<unknown>;
}

const EMPTY = new Uint8Array(0);

/**
 * Default bound on the asynchronous handshake steps the native host holds at once (queued for the
 * libuv pool or running on it). A pending step holds its context mid-handshake (about 40–60 KiB
 * of OpenSSL state with its buffers) and a copy of its input (one flight, a few KiB), so the
 * default bounds what a burst can pin at roughly 8,192 × 64 KiB ≈ 512 MiB; a burst of thousands
 * of concurrent handshakes completes without shedding.
 */
export const DEFAULT_NATIVE_QUEUE_DEPTH = 8192;

/** Options of {@link NativeEngineHost}. */
export interface NativeHostOptions {
  /**
   * Asynchronous steps pending at once (queued or running); one more completes at once with
   * `SEC_E_INSUFFICIENT_MEMORY` ("security service queue full …"), its input unconsumed.
   * Default {@link DEFAULT_NATIVE_QUEUE_DEPTH}.
   */
  queueDepth?: number;
}

function unknownContext(): EngineStepResult {
  return { status: SEC_E_INVALID_HANDLE, output: EMPTY, consumed: 0, missing: 0, reason: "unknown context" };
}

/** Runs one native step on the libuv pool. */
function stepOnPool(context: NativeContext, input: Uint8Array): Promise<NativeStepResult> {
  return new Promise((resolve, reject) => {
    context.step(input, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

/** The native engine host (asynchronous face plus {@link blocking}). */
export class NativeEngineHost implements BlockingCapableHost {
  private readonly credentials = new Map<number, NativeEngineCredential>();
  private readonly contexts = new Map<number, ContextEntry>();
  private nextId = 1;
  private disposed = false;
  private pendingSteps = 0;
  private readonly queueDepth: number;
  readonly blocking: BlockingEngineHost;

  /**
   * @param addon - the loaded addon, or the reason it could not load.
   * @param options - the queue bound.
   */
  constructor(
    private readonly addon:
      | { ok: true; addon: NativeAddon }
      | { ok: false; reason: string } = loadNativeEngine(),
    options: NativeHostOptions = {},
  ) {
    this.queueDepth = options.queueDepth ?? DEFAULT_NATIVE_QUEUE_DEPTH;
    this.blocking = {
      acquireCredential: (config) => this.acquireNow(config),
      freeCredential: (id) => this.freeCredentialNow(id),
      createContext: (id, options) => this.createContextNow(id, options),
      step: (id, input) => this.stepNow(id, input),
      close: (id) => this.closeNow(id),
      deleteContext: (id) => this.deleteNow(id),
    };
  }

  /** {@inheritDoc EngineHost.acquireCredential} */
  async acquireCredential(config: EngineCredentialConfig): Promise<AcquireCredentialResult> {
    return this.acquireNow(config);
  }

  /** {@inheritDoc EngineHost.freeCredential} */
  async freeCredential(credentialId: number): Promise<SECURITY_STATUS> {
    return this.freeCredentialNow(credentialId);
  }

  /** {@inheritDoc EngineHost.createContext} */
  async createContext(credentialId: number, options: EngineContextOptions): Promise<CreateContextResult> {
    return this.createContextNow(credentialId, options);
  }

  /** {@inheritDoc EngineHost.step} */
  async step(contextId: number, input: Uint8Array): Promise<EngineStepResult> {
    const entry = this.contexts.get(contextId);
    if (entry === undefined) return unknownContext();
    if (this.pendingSteps >= this.queueDepth)
      return {
        status: SEC_E_INSUFFICIENT_MEMORY,
        output: EMPTY,
        consumed: 0,
        missing: 0,
        reason: `security service queue full: ${this.pendingSteps} handshake steps pending (queueDepth ${this.queueDepth})`,
      };
    this.pendingSteps++;
    const copy = input.slice();
    const run = this.enqueue(entry, async () => {
      const plan = entry.engine.plan(copy);
      if (!plan.run) return plan.result;
      return entry.engine.finish(await stepOnPool(entry.engine.native, plan.input));
    });
    try {
      return await run;
    } finally {
      this.pendingSteps--;
    }
  }

  /** Asynchronous steps queued or running now (for tests and diagnostics). */
  get pendingStepCount(): number {
    return this.pendingSteps;
  }

  /** {@inheritDoc EngineHost.recordLayer} */
  recordLayer(contextId: number): NativeRecordLayer | null {
    const entry = this.contexts.get(contextId);
    if (entry === undefined || entry.engine.native.isBusy()) return null;
    return entry.engine.recordLayer();
  }

  /** {@inheritDoc EngineHost.close} */
  async close(contextId: number): Promise<Uint8Array> {
    const entry = this.contexts.get(contextId);
    if (entry === undefined) return EMPTY;
    this.contexts.delete(contextId);
    return this.enqueue(entry, async () => entry.engine.close());
  }

  /** {@inheritDoc EngineHost.deleteContext} */
  async deleteContext(contextId: number): Promise<SECURITY_STATUS> {
    const entry = this.contexts.get(contextId);
    if (entry === undefined) return SEC_E_INVALID_HANDLE;
    this.contexts.delete(contextId);
    await entry.tail.catch(() => undefined);
    entry.engine.destroy();
    return SEC_E_OK;
  }

  /** {@inheritDoc EngineHost.dispose} */
  async dispose(): Promise<void> {
    this.disposed = true;
    const entries = [...this.contexts.values()];
    this.contexts.clear();
    for (const entry of entries) {
      await entry.tail.catch(() => undefined);
      entry.engine.destroy();
    }
    for (const credential of this.credentials.values()) credential.dispose();
    this.credentials.clear();
  }

  /** {@inheritDoc EngineHost.setTicketKeys} */
  setTicketKeys(
    credentialId: number,
    keys: TicketKeyMaterial[],
  ): { status: SECURITY_STATUS; reason?: string } {
    const credential = this.credentials.get(credentialId);
    if (credential === undefined) return { status: SEC_E_INVALID_HANDLE, reason: "unknown credential" };
    if (credential.config.role !== "server")
      return {
        status: SEC_E_UNSUPPORTED_FUNCTION,
        reason: "session ticket keys belong to a server credential",
      };
    if (credential.config.disableResumption === true)
      return {
        status: SEC_E_UNSUPPORTED_FUNCTION,
        reason: "this credential disabled resumption (no tickets)",
      };
    try {
      credential.native.setTicketKeys(keys);
    } catch (error) {
      return { status: SEC_E_INVALID_PARAMETER, reason: (error as Error).message };
    }
    return { status: SEC_E_OK };
  }

  /** {@inheritDoc EngineHost.unavailableReason} */
  get unavailableReason(): string | null {
    return this.addon.ok ? null : this.addon.reason;
  }

  /** Number of live contexts (for tests and diagnostics). */
  get contextCount(): number {
    return this.contexts.size;
  }

  private acquireNow(config: EngineCredentialConfig): AcquireCredentialResult {
    if (this.disposed) return { status: SEC_E_INTERNAL_ERROR, reason: "engine host disposed" };
    if (!this.addon.ok) return { status: SEC_E_SECPKG_NOT_FOUND, reason: this.addon.reason };
    const { result, credential } = NativeEngineCredential.acquire(this.addon.addon, config);
    if (credential === undefined) return { ...result };
    const credentialId = this.nextId++;
    this.credentials.set(credentialId, credential);
    return { ...result, credentialId };
  }

  private freeCredentialNow(credentialId: number): SECURITY_STATUS {
    const credential = this.credentials.get(credentialId);
    if (credential === undefined) return SEC_E_INVALID_HANDLE;
    this.credentials.delete(credentialId);
    credential.dispose();
    return SEC_E_OK;
  }

  private createContextNow(credentialId: number, options: EngineContextOptions): CreateContextResult {
    if (this.disposed || !this.addon.ok)
      return { status: SEC_E_INTERNAL_ERROR, reason: "engine host disposed" };
    const credential = this.credentials.get(credentialId);
    if (credential === undefined) return { status: SEC_E_INVALID_HANDLE, reason: "unknown credential" };
    if (credential.config.role !== options.role)
      return {
        status: SEC_E_WRONG_CREDENTIAL_HANDLE,
        reason: `a ${options.role} context needs a ${options.role} credential`,
      };
    let engine: NativeTlsEngine;
    try {
      engine = new NativeTlsEngine(this.addon.addon, credential, options);
    } catch (error) {
      return {
        status: SEC_E_INTERNAL_ERROR,
        reason: `the engine refused the context: ${(error as Error).message}`,
      };
    }
    const contextId = this.nextId++;
    this.contexts.set(contextId, { engine, tail: Promise.resolve() });
    return { status: SEC_E_OK, contextId };
  }

  private stepNow(contextId: number, input: Uint8Array): EngineStepResult {
    const entry = this.contexts.get(contextId);
    if (entry === undefined) return unknownContext();
    if (entry.engine.native.isBusy())
      return {
        status: SEC_E_INTERNAL_ERROR,
        output: EMPTY,
        consumed: 0,
        missing: 0,
        reason: "a step is already running on this context",
      };
    const plan = entry.engine.plan(input);
    if (!plan.run) return plan.result;
    return entry.engine.finish(entry.engine.native.stepSync(plan.input));
  }

  private closeNow(contextId: number): Uint8Array {
    const entry = this.contexts.get(contextId);
    if (entry === undefined || entry.engine.native.isBusy()) return EMPTY;
    this.contexts.delete(contextId);
    return entry.engine.close();
  }

  private deleteNow(contextId: number): SECURITY_STATUS {
    const entry = this.contexts.get(contextId);
    if (entry === undefined) return SEC_E_INVALID_HANDLE;
    this.contexts.delete(contextId);
    if (entry.engine.native.isBusy()) {
      void entry.tail.catch(() => undefined).then(() => entry.engine.destroy());
    } else {
      entry.engine.destroy();
    }
    return SEC_E_OK;
  }

  private enqueue<T>(entry: ContextEntry, operation: () => Promise<T>): Promise<T> {
    const run = entry.tail.catch(() => undefined).then(operation);
    entry.tail = run;
    return run;
  }
}
