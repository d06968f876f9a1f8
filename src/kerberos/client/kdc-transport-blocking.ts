/**
 * KDC round trips for the blocking SSPI calls: the calling thread blocks in `Atomics.wait` while
 * a worker thread (started on first use, never keeping the process alive) does the network I/O
 * with the same code as the asynchronous calls. The wait is bounded: the transport's own timeouts
 * (UDP, then TCP) plus a margin; then the call fails with `ERR_KRB_TRANSPORT`.
 *
 * @module
 */
import { Worker } from "node:worker_threads";
import { ReplyChannel } from "../../service/reply-channel.js";
import { KerberosError } from "../errors.js";
import type { KdcAddress, KdcSend } from "./kdc-transport.js";
import type { KdcWorkerRequest } from "./kdc-worker.js";

interface KdcWorker {
  readonly worker: Worker;
  readonly channel: ReplyChannel;
  dead: string | null;
}

let current: KdcWorker | undefined;
let nextId = 1;

function kdcWorker(): KdcWorker {
  if (current && current.dead === null) return current;
  const channel = ReplyChannel.create();
  const worker = new Worker(new URL("./kdc-worker.js", import.meta.url), {
    workerData: { replyBuffer: channel.buffer },
  });
  worker.unref();
  const started: KdcWorker = { worker, channel, dead: null };
  worker.on("error", (e) => {
    started.dead = `KDC worker failed: ${e.message}`;
  });
  worker.on("exit", (code) => {
    started.dead ??= `KDC worker exited with code ${code}`;
  });
  current = started;
  return started;
}

/** The longest a blocked caller waits for one round trip to `kdc`. */
function waitLimit(kdc: KdcAddress): number {
  const attempt = kdc.timeoutMs ?? 5000;
  return (kdc.transport === "auto" ? 2 * attempt : attempt) + 2000;
}

/** {@link KdcSend} answering in the call (the thread blocks on a worker). */
export const sendToKdcBlocking: KdcSend = (kdc, request) => {
  const w = kdcWorker();
  const id = nextId++;
  const message: KdcWorkerRequest = { id, kdc, request };
  w.worker.postMessage(message);
  const limit = waitLimit(kdc);
  const reply = w.channel.wait(id, limit, () => w.dead);
  if (reply.ok) return reply.value as Uint8Array;
  const why = "timedOut" in reply ? `no reply within ${limit} ms` : reply.error;
  throw new KerberosError(
    "ERR_KRB_TRANSPORT",
    why.startsWith("KDC ") ? why : `KDC ${kdc.host}:${kdc.port}: ${why}`,
  );
};
