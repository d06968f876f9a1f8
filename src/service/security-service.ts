/**
 * The security service of this isolate: the engine host the Schannel package sends its
 * credentials and handshakes to.
 *
 * By default the {@link NativeEngineHost}, created on first use: the native engine's steps run on
 * the libuv pool (blocking calls: synchronously on the calling thread), so the caller's event
 * loop never runs a handshake step. Only with the first engine selected explicitly
 * (`configureSecurityService({ engine: "node-tls" })` or `ASYNC_SSPI_ENGINE=node-tls`) is it a
 * {@link WorkerPoolHost} (`max(1, availableParallelism() - 1)` workers), or with `workers: 0` the
 * {@link InThreadEngineHost} (at most one engine step per macrotask on the caller's thread), whose
 * blocking calls use a one-worker pool started on their first use ({@link blockingSecurityService}).
 * There is no fallback between engines: where the addon cannot load, the native host reports
 * Schannel unavailable.
 *
 * A credential keeps the host it was acquired on for its whole life (its contexts too), so
 * replacing the service affects new credentials only.
 *
 * @module
 */
import { type BlockingCapableHost, blockingFaceOf } from "./blocking-host.js";
import type { EngineHost } from "./engine-host.js";
import { InThreadEngineHost } from "./in-thread-host.js";
import { DEFAULT_NATIVE_QUEUE_DEPTH, NativeEngineHost } from "./native-host.js";
import { DEFAULT_QUEUE_DEPTH, defaultWorkerCount, WorkerPoolHost } from "./worker-pool-host.js";

/** The effective configuration (see `configureSecurityService`). */
export interface ServiceSettings {
  /** Worker threads for asynchronous calls; 0: the in-thread host. */
  workers: number;
  /**
   * Before `SEC_E_INSUFFICIENT_MEMORY`: with the native engine, asynchronous handshake steps
   * pending at once (default 8,192); with `node-tls`, requests in flight per worker (default 256).
   */
  queueDepth: number;
  /** How long a blocking call waits for a silent worker. */
  blockingTimeoutMs: number;
  /** The TLS engine: `native` (the addon over OpenSSL, the default) or `node-tls` (Node's `tls`, the first engine, only when asked for). */
  engine: TlsEngineName;
}

/** The TLS engines: the native one (the default) and the first one, selectable only explicitly. */
export type TlsEngineName = "native" | "node-tls";

/**
 * The engine named by `ASYNC_SSPI_ENGINE`: `node-tls` selects the first engine explicitly;
 * anything else (or nothing) is the native engine. Never a fallback: where the addon cannot
 * load, the native engine reports Schannel unavailable.
 */
function engineFromEnvironment(): TlsEngineName {
  return process.env.ASYNC_SSPI_ENGINE === "node-tls" ? "node-tls" : "native";
}

/** The default `queueDepth` of an engine. */
export function defaultQueueDepth(engine: TlsEngineName): number {
  return engine === "native" ? DEFAULT_NATIVE_QUEUE_DEPTH : DEFAULT_QUEUE_DEPTH;
}

let settings: ServiceSettings | null = null;
let host: EngineHost | null = null;
let blockingPool: WorkerPoolHost | null = null;

/** The configuration in effect (defaults until `configureSecurityService` is called). */
export function serviceSettings(): ServiceSettings {
  if (settings === null) {
    const engine = engineFromEnvironment();
    settings = {
      workers: defaultWorkerCount(),
      queueDepth: defaultQueueDepth(engine),
      blockingTimeoutMs: 30_000,
      engine,
    };
  }
  return { ...settings };
}

/** @internal Replaces the settings; the next `securityService()` builds a host from them. */
export function applyServiceSettings(next: ServiceSettings): void {
  settings = { ...next };
  const previous = host;
  host = null;
  if (previous instanceof WorkerPoolHost) previous.retire();
  if (blockingPool !== null && next.workers > 0) {
    blockingPool.retire();
    blockingPool = null;
  }
}

/**
 * The engine host new credentials are acquired on, created on first use from
 * {@link serviceSettings}.
 *
 * @returns the current host (the native host unless `node-tls` was selected, or replaced with
 *   {@link setSecurityService}).
 */
export function securityService(): EngineHost {
  if (host === null) {
    const { workers, queueDepth, blockingTimeoutMs, engine } = serviceSettings();
    host =
      engine === "native"
        ? new NativeEngineHost(undefined, { queueDepth })
        : workers === 0
          ? new InThreadEngineHost()
          : new WorkerPoolHost({ workers, queueDepth, blockingTimeoutMs });
  }
  return host;
}

/**
 * The host blocking calls acquire credentials on: the security service when it can block (the
 * worker pool), otherwise a one-worker pool started on first use (for example with `workers: 0`).
 *
 * @returns a host with a blocking face.
 */
export function blockingSecurityService(): BlockingCapableHost {
  const current = securityService();
  if (blockingFaceOf(current) !== null) return current as BlockingCapableHost;
  if (blockingPool === null) {
    const { queueDepth, blockingTimeoutMs } = serviceSettings();
    blockingPool = new WorkerPoolHost({ workers: 1, queueDepth, blockingTimeoutMs });
  }
  return blockingPool;
}

/**
 * Replaces the engine host (tests, or a custom host). Credentials and contexts created on the
 * previous host keep using it until they are freed; the previous host is not disposed.
 */
export function setSecurityService(next: EngineHost): void {
  host = next;
}
