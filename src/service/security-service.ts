/**
 * The security service of this isolate: the engine host the Schannel package sends its
 * credentials and handshakes to — the {@link NativeEngineHost}, created on first use. Its
 * asynchronous steps run `SSL_do_handshake` on the libuv pool, so the caller's event loop never
 * runs one; the blocking SSPI functions run the same step synchronously on the calling thread;
 * records (EncryptMessage/DecryptMessage) are OpenSSL's, on the caller's thread. There is one
 * engine and no fallback: where the addon cannot load, the host reports Schannel unavailable.
 *
 * A credential keeps the host it was acquired on for its whole life (its contexts too), so
 * replacing the service affects new credentials only.
 *
 * @module
 */
import type { EngineHost } from "./engine-host.js";
import { DEFAULT_NATIVE_QUEUE_DEPTH, NativeEngineHost } from "./native-host.js";

/** The effective configuration (see `configureSecurityService`). */
export interface ServiceSettings {
  /**
   * Asynchronous handshake steps pending at once (queued for the libuv pool or running on it)
   * before `SEC_E_INSUFFICIENT_MEMORY` (default 8,192).
   */
  queueDepth: number;
}

let settings: ServiceSettings | null = null;
let host: EngineHost | null = null;

/** The configuration in effect (defaults until `configureSecurityService` is called). */
export function serviceSettings(): ServiceSettings {
  settings ??= { queueDepth: DEFAULT_NATIVE_QUEUE_DEPTH };
  return { ...settings };
}

/** @internal Replaces the settings; the next `securityService()` builds a host from them. */
export function applyServiceSettings(next: ServiceSettings): void {
  settings = { ...next };
  host = null;
}

/**
 * The engine host new credentials are acquired on, created on first use from
 * {@link serviceSettings}.
 *
 * @returns the current host (the native host, unless replaced with {@link setSecurityService}).
 */
export function securityService(): EngineHost {
  host ??= new NativeEngineHost(undefined, { queueDepth: serviceSettings().queueDepth });
  return host;
}

/**
 * Replaces the engine host (tests, or a custom host). Credentials and contexts created on the
 * previous host keep using it until they are freed; the previous host is not disposed.
 */
export function setSecurityService(next: EngineHost): void {
  host = next;
}
