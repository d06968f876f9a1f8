/**
 * The blocking face of an engine host: the {@link EngineHost} methods answering in the call,
 * with the calling thread blocked (`Atomics.wait`) while a worker does the work. Only a host whose
 * engines run on other threads can offer it: a host running engines on the caller's own thread
 * would wait for itself.
 *
 * @module
 */
import type { SECURITY_STATUS } from "../sspi/status.js";
import type {
  AcquireCredentialResult,
  CreateContextResult,
  EngineContextOptions,
  EngineCredentialConfig,
  EngineHost,
  EngineStepResult,
} from "./engine-host.js";

/** {@link EngineHost} with every method answering synchronously; statuses as there. */
export interface BlockingEngineHost {
  /** As {@link EngineHost.acquireCredential}. */
  acquireCredential(config: EngineCredentialConfig): AcquireCredentialResult;
  /** As {@link EngineHost.freeCredential}. */
  freeCredential(credentialId: number): SECURITY_STATUS;
  /** As {@link EngineHost.createContext}. */
  createContext(credentialId: number, options: EngineContextOptions): CreateContextResult;
  /** As {@link EngineHost.step}. */
  step(contextId: number, input: Uint8Array): EngineStepResult;
  /** As {@link EngineHost.close}. */
  close(contextId: number): Uint8Array;
  /** As {@link EngineHost.deleteContext}. */
  deleteContext(contextId: number): SECURITY_STATUS;
}

/** Either face of a host: code written as a host task (`host-task.ts`) runs over both. */
export type AnyEngineHost = EngineHost | BlockingEngineHost;

/** An engine host that also answers blocking calls (the worker pool). */
export interface BlockingCapableHost extends EngineHost {
  /** The same host (same credentials and contexts) answering synchronously. */
  readonly blocking: BlockingEngineHost;
}

/**
 * The blocking face of `host`, if it has one.
 *
 * @returns the {@link BlockingEngineHost}, or null (for example for the in-thread host).
 */
export function blockingFaceOf(host: EngineHost): BlockingEngineHost | null {
  const face = (host as Partial<BlockingCapableHost>).blocking;
  return typeof face === "object" && face !== null ? face : null;
}
