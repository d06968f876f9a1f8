/**
 * The one error type the Negotiate package throws inside a step: an SSPI status and a reason
 * safe to show, turned into the step's result at the package boundary.
 *
 * @module
 */
import type { SECURITY_STATUS } from "../sspi/status.js";

export class NegotiateError extends Error {
  override readonly name = "NegotiateError";

  constructor(
    readonly status: SECURITY_STATUS,
    readonly reason: string,
  ) {
    super(reason);
  }
}
