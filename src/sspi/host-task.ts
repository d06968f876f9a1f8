/**
 * One body of code for both kinds of security-service call: a **host task** is a generator that
 * yields every service reply it waits for. Driven by {@link runTask} it awaits promises (the
 * asynchronous path); driven by {@link runTaskBlocking} every reply is already a value (the
 * blocking host answered through `Atomics.wait`) and the task finishes inside the call.
 *
 * This is how the blocking SSPI functions reuse the asynchronous code instead of forking it: a
 * JavaScript `await` always yields to the event loop, which a thread blocked in an SSPI call
 * cannot do, whereas `yield* reply(value)` continues synchronously when `value` is not a promise.
 *
 * @module
 */

/** A reply from a service call: a promise (asynchronous host) or the value itself (blocking host). */
export type Reply<T> = T | Promise<T>;

/** A task that may wait on service replies; see the module comment. */
export type HostTask<T> = Generator<Promise<unknown>, T, unknown>;

/**
 * Waits for a reply inside a host task: `const r = yield* reply(host.step(id, token))`.
 *
 * @returns the reply's value (synchronously when it is not a promise).
 */
export function* reply<T>(value: Reply<T>): HostTask<T> {
  if (value instanceof Promise) return (yield value) as T;
  return value;
}

/**
 * Runs a task on the event loop, awaiting every promise it yields.
 *
 * @returns a promise of the task's result; it rejects when the task throws or a yielded promise
 *   rejects and the task does not catch it.
 */
export async function runTask<T>(task: HostTask<T>): Promise<T> {
  let step = task.next();
  while (!step.done) {
    let value: unknown;
    try {
      value = await step.value;
    } catch (err) {
      step = task.throw(err);
      continue;
    }
    step = task.next(value);
  }
  return step.value;
}

/** Thrown by {@link runTaskBlocking} when a task waits on a promise (a non-blocking host). */
export class WouldWaitError extends Error {
  constructor() {
    super("a blocking call reached a service that only answers asynchronously");
    this.name = "WouldWaitError";
  }
}

/**
 * Runs a task to completion inside this call. Every service reply must already be a value.
 *
 * @returns the task's result.
 * @throws {@link WouldWaitError} when the task yields a promise (the task is closed first, so its
 *   `finally` blocks run); whatever the task throws.
 */
export function runTaskBlocking<T>(task: HostTask<T>): T {
  const step = task.next();
  if (!step.done) {
    step.value.catch(() => undefined);
    task.return(undefined as T);
    throw new WouldWaitError();
  }
  return step.value;
}
