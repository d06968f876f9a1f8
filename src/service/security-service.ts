/**
 * The security service of this isolate: the engine host the Schannel package sends its
 * credentials and handshakes to.
 *
 * By default a {@link WorkerPoolHost} (`max(1, availableParallelism() - 1)` workers), created on
 * first use, so the caller's thread never runs a handshake step. `configureSecurityService({
 * workers: 0 })` selects the {@link InThreadEngineHost} instead (at most one engine step per
 * macrotask on the caller's thread). Blocking SSPI calls always run on a worker: with the
 * in-thread host they use a one-worker pool started on their first use
 * ({@link blockingSecurityService}).
 *
 * A credential keeps the host it was acquired on for its whole life (its contexts too), so
 * replacing the service affects new credentials only.
 *
 * @module
 */
import { type BlockingCapableHost, blockingFaceOf } from "./blocking-host.js";
import type { EngineHost } from "./engine-host.js";
import { InThreadEngineHost } from "./in-thread-host.js";
import { NativeEngineHost } from "./native-host.js";
import { DEFAULT_QUEUE_DEPTH, defaultWorkerCount, WorkerPoolHost } from "./worker-pool-host.js";

/** The effective configuration (see `configureSecurityService`). */
export interface ServiceSettings {
  /** Worker threads for asynchronous calls; 0: the in-thread host. */
  workers: number;
  /** Requests in flight per worker before `SEC_E_INSUFFICIENT_MEMORY`. */
  queueDepth: number;
  /** How long a blocking call waits for a silent worker. */
  blockingTimeoutMs: number;
  /** The TLS engine: `node` (Node's `tls`, the default) or `native` (the addon over OpenSSL). */
  engine: "node" | "native";
}

/** The engine named by `ASYNC_SSPI_ENGINE` (`native` or the default `node`). */
function engineFromEnvironment(): "node" | "native" {
  return process.env.ASYNC_SSPI_ENGINE === "native" ? "native" : "node";
}

let settings: ServiceSettings | null = null;
let host: EngineHost | null = null;
let blockingPool: WorkerPoolHost | null = null;

/** The configuration in effect (defaults until `configureSecurityService` is called). */
export function serviceSettings(): ServiceSettings {
  settings ??= {
    workers: defaultWorkerCount(),
    queueDepth: DEFAULT_QUEUE_DEPTH,
    blockingTimeoutMs: 30_000,
    engine: engineFromEnvironment(),
  };
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
 * @returns the current host (a worker pool unless configured with `workers: 0` or replaced with
 *   {@link setSecurityService}).
 */
export function securityService(): EngineHost {
  if (host === null) {
    const { workers, queueDepth, blockingTimeoutMs, engine } = serviceSettings();
    host =
      engine === "native"
        ? new NativeEngineHost()
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
