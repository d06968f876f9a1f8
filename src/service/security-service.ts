/**
 * The security service of this isolate: the engine host the Schannel package sends its
 * credentials and handshakes to. Today the in-thread host (at most one engine step per
 * macrotask); the worker-pool host plugs in here.
 *
 * @module
 */
import type { EngineHost } from "./engine-host.js";
import { InThreadEngineHost } from "./in-thread-host.js";

let host: EngineHost | null = null;

/** The engine host in use, created on first use. */
export function securityService(): EngineHost {
  host ??= new InThreadEngineHost();
  return host;
}

/**
 * Replaces the engine host (tests, or a custom host). Credentials and contexts created on the
 * previous host keep using it until they are freed.
 */
export function setSecurityService(next: EngineHost): void {
  host = next;
}
