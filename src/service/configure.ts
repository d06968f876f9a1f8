/**
 * `configureSecurityService`: the one documented call that sizes this isolate's security
 * service.
 *
 * @module
 */

import { recordError } from "../sspi/last-error.js";
import { SEC_E_INVALID_PARAMETER, SEC_E_OK, type SECURITY_STATUS } from "../sspi/status.js";
import { applyServiceSettings, type ServiceSettings, serviceSettings } from "./security-service.js";

/** Options of {@link configureSecurityService}; omitted fields keep their current value. */
export interface SecurityServiceOptions {
  /**
   * Asynchronous handshake steps pending at once, queued for the libuv pool or running on it
   * (default 8,192). One more fails at once: its SSPI call completes with
   * `SEC_E_INSUFFICIENT_MEMORY` ("security service queue full …"), its input not consumed. A
   * pending step pins its context mid-handshake (about 40–60 KiB of OpenSSL state) and its input
   * flight, so the default bounds that memory at roughly 512 MiB; a burst of 2,000 concurrent
   * handshakes completes without shedding. The pool's size is libuv's (`UV_THREADPOOL_SIZE`,
   * default 4), set in the environment before the process starts.
   */
  queueDepth?: number;
}

/**
 * Options of the first engine that no longer exist: passing one is a programming error
 * (TypeError), never silently ignored.
 */
const RETIRED_OPTIONS: Readonly<Record<string, string>> = {
  workers:
    "the TLS worker pool is gone: handshake steps run on the libuv pool (size it with UV_THREADPOOL_SIZE)",
  engine: "there is one TLS engine (the native one): nothing to choose",
  blockingTimeoutMs: "blocking Schannel calls run on the calling thread: there is no worker to wait for",
};

/**
 * Configures the security service of this isolate (each `worker_threads` thread that loads
 * async-sspi has its own). Call it once, at startup, before the first AcquireCredentialsHandle.
 *
 * Calling it again is allowed and applies to **new credentials only**: credentials already
 * acquired, and every context created from them, stay on the host they were acquired on.
 *
 * @returns `SEC_E_OK`; `SEC_E_INVALID_PARAMETER` (nothing changes) when `queueDepth` is not an
 *   integer ≥ 1 or `options` not an object. {@link SspiGetLastErrorInfo} says which.
 * @throws TypeError for an option that no longer exists (`workers`, `engine`,
 *   `blockingTimeoutMs`), naming it and why.
 */
export function configureSecurityService(options: SecurityServiceOptions): SECURITY_STATUS {
  const invalid = (reason: string): SECURITY_STATUS => {
    recordError({ operation: "configureSecurityService", status: SEC_E_INVALID_PARAMETER, reason });
    return SEC_E_INVALID_PARAMETER;
  };
  if (typeof options !== "object" || options === null) return invalid("options must be an object");
  for (const [name, why] of Object.entries(RETIRED_OPTIONS))
    if (name in options)
      throw new TypeError(`configureSecurityService: the option "${name}" no longer exists: ${why}`);
  const next: ServiceSettings = serviceSettings();
  if (options.queueDepth !== undefined) {
    if (!Number.isInteger(options.queueDepth) || options.queueDepth < 1)
      return invalid("queueDepth must be an integer ≥ 1");
    next.queueDepth = options.queueDepth;
  }
  applyServiceSettings(next);
  return SEC_E_OK;
}

/**
 * The security service's configuration in effect.
 *
 * @returns `{ queueDepth }`.
 */
export function securityServiceConfiguration(): ServiceSettings {
  return serviceSettings();
}
