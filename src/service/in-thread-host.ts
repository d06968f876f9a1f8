/**
 * The engine host that runs TLS engines on the caller's own thread, for environments where worker
 * threads are unwanted. Every engine operation goes through one {@link StepScheduler}: at most one
 * engine step starts per macrotask, and operations of one context run in call order.
 *
 * @module
 */
import { EngineCredential } from "../schannel/engine/engine-credential.js";
import type { EngineStepResult, PostHandshakeResult } from "../schannel/engine/engine-types.js";
import { TlsEngine } from "../schannel/engine/tls-engine.js";
import {
  SEC_E_INTERNAL_ERROR,
  SEC_E_INVALID_HANDLE,
  SEC_E_OK,
  SEC_E_WRONG_CREDENTIAL_HANDLE,
  type SECURITY_STATUS,
} from "../sspi/status.js";
import type {
  AcquireCredentialResult,
  CreateContextResult,
  EngineContextOptions,
  EngineCredentialConfig,
  EngineHost,
} from "./engine-host.js";
import { StepScheduler } from "./step-scheduler.js";

interface ContextEntry {
  engine: TlsEngine;
  /** The last queued operation of this context; the next one starts after it. */
  tail: Promise<unknown>;
}

const EMPTY = new Uint8Array(0);

const operations = { steps: 0, credentials: 0 };

/**
 * Engine work done by in-thread hosts on this thread: handshake steps run and credentials
 * built. The hook that shows a worker pool keeps handshakes off the caller's thread (both stay 0
 * there while every engine runs in the pool).
 *
 * @returns a snapshot of the counters.
 */
export function engineOperationsOnThisThread(): { steps: number; credentials: number } {
  return { ...operations };
}

/** Runs engines in this thread, one engine step per macrotask. */
export class InThreadEngineHost implements EngineHost {
  private readonly credentials = new Map<number, EngineCredential>();
  private readonly contexts = new Map<number, ContextEntry>();
  private readonly scheduler = new StepScheduler();
  private nextId = 1;
  private disposed = false;

  /** {@inheritDoc EngineHost.acquireCredential} */
  async acquireCredential(config: EngineCredentialConfig): Promise<AcquireCredentialResult> {
    if (this.disposed) return { status: SEC_E_INTERNAL_ERROR, reason: "engine host disposed" };
    return this.scheduler.run(async () => {
      operations.credentials++;
      const { result, credential } = EngineCredential.acquire(config);
      if (credential === undefined) return { ...result };
      const credentialId = this.nextId++;
      this.credentials.set(credentialId, credential);
      return { ...result, credentialId };
    });
  }

  /** {@inheritDoc EngineHost.freeCredential} */
  async freeCredential(credentialId: number): Promise<SECURITY_STATUS> {
    const credential = this.credentials.get(credentialId);
    if (credential === undefined) return SEC_E_INVALID_HANDLE;
    this.credentials.delete(credentialId);
    credential.dispose();
    return SEC_E_OK;
  }

  /** {@inheritDoc EngineHost.createContext} */
  async createContext(credentialId: number, options: EngineContextOptions): Promise<CreateContextResult> {
    if (this.disposed) return { status: SEC_E_INTERNAL_ERROR, reason: "engine host disposed" };
    const credential = this.credentials.get(credentialId);
    if (credential === undefined) return { status: SEC_E_INVALID_HANDLE, reason: "unknown credential" };
    if (credential.config.role !== options.role)
      return {
        status: SEC_E_WRONG_CREDENTIAL_HANDLE,
        reason: `a ${options.role} context needs a ${options.role} credential`,
      };
    const contextId = this.nextId++;
    this.contexts.set(contextId, { engine: new TlsEngine(credential, options), tail: Promise.resolve() });
    return { status: SEC_E_OK, contextId };
  }

  /** {@inheritDoc EngineHost.step} */
  async step(contextId: number, input: Uint8Array): Promise<EngineStepResult> {
    const entry = this.contexts.get(contextId);
    if (entry === undefined)
      return {
        status: SEC_E_INVALID_HANDLE,
        output: EMPTY,
        consumed: 0,
        missing: 0,
        reason: "unknown context",
      };
    const copy = input.slice();
    return this.enqueue(entry, () => {
      operations.steps++;
      return entry.engine.step(copy);
    });
  }

  /** {@inheritDoc EngineHost.deliverPostHandshake} */
  async deliverPostHandshake(contextId: number, records: Uint8Array): Promise<PostHandshakeResult> {
    const entry = this.contexts.get(contextId);
    if (entry === undefined)
      return { status: SEC_E_INVALID_HANDLE, sessions: [], consumed: 0, reason: "unknown context" };
    const copy = records.slice();
    return this.enqueue(entry, () => entry.engine.deliverPostHandshake(copy));
  }

  /** {@inheritDoc EngineHost.close} */
  async close(contextId: number): Promise<Uint8Array> {
    const entry = this.contexts.get(contextId);
    if (entry === undefined) return EMPTY;
    this.contexts.delete(contextId);
    return this.enqueue(entry, () => entry.engine.close());
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
    this.scheduler.clear(new Error("engine host disposed"));
    for (const entry of this.contexts.values()) entry.engine.destroy();
    this.contexts.clear();
    for (const credential of this.credentials.values()) credential.dispose();
    this.credentials.clear();
  }

  /** Number of live contexts (for tests and diagnostics). */
  get contextCount(): number {
    return this.contexts.size;
  }

  private enqueue<T>(entry: ContextEntry, operation: () => Promise<T>): Promise<T> {
    const run = entry.tail.catch(() => undefined).then(() => this.scheduler.run(operation));
    entry.tail = run;
    return run;
  }
}
