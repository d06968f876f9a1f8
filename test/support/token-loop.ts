/**
 * The ISC/ASC loop every token-based package runs, for any two ends that step with a token and
 * say their status: client first with no token, then each side's output to the other, until a
 * call produces no token (both sides are then done, or the last one failed), a call fails, or
 * a bounded number of legs passed.
 *
 * @module
 */
import { SEC_E_OK, SEC_I_CONTINUE_NEEDED, type SECURITY_STATUS } from "../../src/sspi/status.js";

/** One side of the loop (SspiNtlmEnd in test/ntlm/support/sspi-ntlm.ts fits). */
export interface TokenEnd {
  step(token: Uint8Array | null): Promise<{ status: SECURITY_STATUS; output: Uint8Array }>;
}

export interface LoopLeg {
  readonly side: "client" | "server";
  readonly status: SECURITY_STATUS;
  readonly output: Uint8Array;
}

export interface LoopOptions {
  /** Rewrites the token of leg `leg` (0 = the client's first) before the other side sees it. */
  alter?: (leg: number, token: Uint8Array) => Uint8Array;
  /** At most this many calls (default 10). */
  maxLegs?: number;
}

/**
 * Runs the loop.
 *
 * @returns every call's side, status and output, in order; the last one is where it stopped.
 */
export async function tokenLoop(
  client: TokenEnd,
  server: TokenEnd,
  options: LoopOptions = {},
): Promise<LoopLeg[]> {
  const legs: LoopLeg[] = [];
  const alter = options.alter ?? ((_: number, t: Uint8Array) => t);
  let token: Uint8Array | null = null;
  for (let leg = 0; leg < (options.maxLegs ?? 10); leg++) {
    const side = leg % 2 === 0 ? "client" : "server";
    const { status, output } = await (side === "client" ? client : server).step(token);
    legs.push({ side, status, output });
    if ((status !== SEC_E_OK && status !== SEC_I_CONTINUE_NEEDED) || output.length === 0) break;
    token = alter(leg, output);
  }
  return legs;
}
