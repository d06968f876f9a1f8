/**
 * The blocking face of an engine host: the {@link EngineHost} methods answering in the call. The
 * native host runs a TLS step synchronously on the calling thread; a host whose step waits on the
 * network blocks the caller (`Atomics.wait`) while a worker does the work. Code written as a host
 * task (`host-task.ts`) runs over either face.
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

/** An engine host that also answers blocking calls (the native host). */
export interface BlockingCapableHost extends EngineHost {
  /** The same host (same credentials and contexts) answering synchronously. */
  readonly blocking: BlockingEngineHost;
}

/**
 * The blocking face of `host`, if it has one.
 *
 * @returns the {@link BlockingEngineHost}, or null (a custom host without one).
 */
export function blockingFaceOf(host: EngineHost): BlockingEngineHost | null {
  const face = (host as Partial<BlockingCapableHost>).blocking;
  return typeof face === "object" && face !== null ? face : null;
}
