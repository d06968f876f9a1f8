/**
 * `configureSecurityService`: the one documented call that sizes this isolate's security
 * service.
 *
 * @module
 */

import { recordError } from "../sspi/last-error.js";
import { SEC_E_INVALID_PARAMETER, SEC_E_OK, type SECURITY_STATUS } from "../sspi/status.js";
import {
  applyServiceSettings,
  defaultQueueDepth,
  type ServiceSettings,
  serviceSettings,
  type TlsEngineName,
} from "./security-service.js";

/** Options of {@link configureSecurityService}; omitted fields keep their current value. */
export interface SecurityServiceOptions {
  /**
   * With `engine: "node-tls"` only: worker threads running the TLS engines of asynchronous calls. Default
   * `max(1, availableParallelism() - 1)`. `0` selects the in-thread host: engines run on this
   * thread, at most one engine step per macrotask (blocking calls then use a one-worker pool
   * started on their first use).
   */
  workers?: number;
  /**
   * The bound before shedding. One more fails at once: its SSPI call completes with
   * `SEC_E_INSUFFICIENT_MEMORY` ("security service queue full …"), its input not consumed.
   *
   * - Native engine (the default): asynchronous handshake steps pending at once, queued for the
   *   libuv pool or running on it (default 8,192). A pending step pins its context mid-handshake
   *   (about 40–60 KiB of OpenSSL state) and its input flight, so the default bounds that memory
   *   at roughly 512 MiB; a burst of 2,000 concurrent handshakes completes without shedding.
   * - `node-tls`: requests in flight per worker (default 256).
   *
   * Changing `engine` without giving `queueDepth` moves a default bound to the new engine's.
   */
  queueDepth?: number;
  /**
   * How long (ms) a blocking call waits for a worker that neither answers nor exits (a hung or
   * out-of-memory worker) before it fails with `SEC_E_INTERNAL_ERROR`. Default 30 000.
   */
  blockingTimeoutMs?: number;
  /**
   * The TLS engine: `"native"` (the default: the addon over the OpenSSL node exports) or
   * `"node-tls"` (the first engine, Node's `tls` over an in-memory Duplex, kept selectable only
   * explicitly for the transition; also `ASYNC_SSPI_ENGINE=node-tls`). There is no automatic
   * fallback: where the addon cannot load, the Schannel package is unavailable and says why.
   * With `"native"`, steps run on the libuv pool and blocking calls on the calling thread;
   * `workers` is not used.
   */
  engine?: TlsEngineName;
}

/**
 * Configures the security service of this isolate (each `worker_threads` thread that loads
 * async-sspi has its own). Call it once, at startup, before the first AcquireCredentialsHandle.
 *
 * Calling it again is allowed and applies to **new credentials only**: credentials already
 * acquired, and every context created from them, stay on the host they were acquired on until
 * they are freed and deleted; a replaced worker pool shuts its workers down after its last
 * credential is freed and its last context deleted.
 *
 * By default (without this call) the service is the native engine's host: handshake steps run
 * on the libuv pool, so the caller's event loop never runs one.
 *
 * @returns `SEC_E_OK`; `SEC_E_INVALID_PARAMETER` (nothing changes) when `workers` is not an
 *   integer ≥ 0, `queueDepth` not an integer ≥ 1, `blockingTimeoutMs` not a number > 0, or
 *   `options` not an object. {@link SspiGetLastErrorInfo} says which.
 */
export function configureSecurityService(options: SecurityServiceOptions): SECURITY_STATUS {
  const invalid = (reason: string): SECURITY_STATUS => {
    recordError({ operation: "configureSecurityService", status: SEC_E_INVALID_PARAMETER, reason });
    return SEC_E_INVALID_PARAMETER;
  };
  if (typeof options !== "object" || options === null) return invalid("options must be an object");
  const next: ServiceSettings = serviceSettings();
  if (options.workers !== undefined) {
    if (!Number.isInteger(options.workers) || options.workers < 0)
      return invalid("workers must be an integer ≥ 0");
    next.workers = options.workers;
  }
  if (options.queueDepth !== undefined) {
    if (!Number.isInteger(options.queueDepth) || options.queueDepth < 1)
      return invalid("queueDepth must be an integer ≥ 1");
    next.queueDepth = options.queueDepth;
  }
  if (options.blockingTimeoutMs !== undefined) {
    if (typeof options.blockingTimeoutMs !== "number" || !(options.blockingTimeoutMs > 0))
      return invalid("blockingTimeoutMs must be a number > 0");
    next.blockingTimeoutMs = options.blockingTimeoutMs;
  }
  if (options.engine !== undefined) {
    if (options.engine !== "native" && options.engine !== "node-tls")
      return invalid('engine must be "native" or "node-tls"');
    // An engine change without an explicit queueDepth takes the new engine's default bound.
    if (options.queueDepth === undefined && next.queueDepth === defaultQueueDepth(next.engine))
      next.queueDepth = defaultQueueDepth(options.engine);
    next.engine = options.engine;
  }
  applyServiceSettings(next);
  return SEC_E_OK;
}

/**
 * The security service's configuration in effect.
 *
 * @returns `{ workers, queueDepth, blockingTimeoutMs }` (`workers: 0` means the in-thread host).
 */
export function securityServiceConfiguration(): ServiceSettings {
  return serviceSettings();
}
