/**
 * `AbortSignal` support: the `AbortError` the API rejects with, and racing an operation that
 * cannot itself be cancelled against a signal.
 *
 * @module
 */

/** The error a cancelled operation rejects with: `name` `"AbortError"`, `code` `"ABORT_ERR"`, like Node's own. */
export class AbortError extends Error {
  override readonly name = "AbortError";
  readonly code = "ABORT_ERR";

  /** @param cause the signal's `reason`. */
  constructor(message = "The operation was aborted", cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
  }
}

/** The `AbortError` for an aborted `signal` (its `reason` becomes the `cause`). */
export function abortError(signal: AbortSignal, what = "The operation"): AbortError {
  return new AbortError(`${what} was aborted`, signal.reason);
}

/**
 * Waits for `operation` unless `signal` aborts first.
 *
 * @param onAbort runs once when the signal wins (the operation keeps running; use it to tear
 *   down what it belongs to).
 * @returns the operation's value; rejects with its error, or with an {@link AbortError} when
 *   the signal aborts first (also when it is already aborted).
 */
export function raceAbort<T>(
  operation: Promise<T>,
  signal: AbortSignal | undefined,
  onAbort: () => void,
  what?: string,
): Promise<T> {
  if (signal === undefined) return operation;
  if (signal.aborted) {
    onAbort();
    return Promise.reject(abortError(signal, what));
  }
  return new Promise<T>((resolve, reject) => {
    const abort = () => {
      onAbort();
      reject(abortError(signal, what));
    };
    signal.addEventListener("abort", abort, { once: true });
    operation.then(
      (value) => {
        signal.removeEventListener("abort", abort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", abort);
        reject(error);
      },
    );
  });
}
