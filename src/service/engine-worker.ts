/**
 * The entry point of a security-service worker: an {@link InThreadEngineHost} (the same engines,
 * one engine step per macrotask) behind the {@link WorkerRequest} protocol. Credentials and
 * private keys acquired here never leave this thread; replies carry ids, statuses, tokens and, at
 * `SEC_E_OK`, the handshake summary.
 *
 * @module
 */
import { parentPort, workerData } from "node:worker_threads";
import {
  type EngineWorkerData,
  ReplyChannel,
  type WorkerRequest,
  type WorkerResponse,
} from "./host-protocol.js";
import { InThreadEngineHost } from "./in-thread-host.js";

const port = parentPort;
if (port === null) throw new Error("engine-worker.js must run in a worker thread");

const host = new InThreadEngineHost();
const data = workerData as EngineWorkerData;
const channel = new ReplyChannel(data.replyBuffer);
const life = new Int32Array(data.lifeBuffer);
/** Blocking requests this worker has not answered yet (their caller is waiting in `Atomics.wait`). */
const blockingInFlight = new Set<number>();

// A worker that dies by an exception or process.exit still runs 'exit' handlers: wake a caller
// blocked on us, so it fails at once instead of at its timeout.
process.on("exit", (code) => {
  Atomics.store(life, 0, 1);
  for (const id of blockingInFlight)
    channel.write(id, { ok: false, error: `security service worker died: exit code ${code}` });
  channel.wake();
});

// Replies are cloned, not transferred: the engine keeps using the buffers behind its step
// output (transferring them detached the engine's own write buffer), and a copy of a handshake
// flight costs microseconds.

async function serve(request: Extract<WorkerRequest, { kind: "call" }>): Promise<void> {
  if (request.blocking) blockingInFlight.add(request.id);
  let response: WorkerResponse;
  try {
    const method = host[request.method] as (...args: unknown[]) => Promise<unknown>;
    response = { id: request.id, ok: true, value: await method.apply(host, request.args) };
  } catch (err) {
    response = { id: request.id, ok: false, error: err instanceof Error ? err.message : String(err) };
  }
  if (request.blocking) {
    blockingInFlight.delete(request.id);
    channel.write(request.id, response);
  } else {
    port!.postMessage(response);
  }
}

function crash(how: "throw" | "exit" | "oom"): void {
  if (how === "exit") process.exit(3);
  if (how === "throw")
    setImmediate(() => {
      throw new Error("debug crash requested");
    });
  if (how === "oom") {
    const hog: unknown[] = [];
    for (;;) hog.push(new Array(1 << 20).fill(hog.length));
  }
}

port.on("message", (request: WorkerRequest) => {
  if (request.kind === "crash") crash(request.how);
  else void serve(request);
});
