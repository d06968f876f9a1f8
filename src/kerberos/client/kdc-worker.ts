/**
 * The worker behind {@link sendToKdcBlocking}: it runs the asynchronous KDC round trip
 * ({@link sendToKdc}) on its own event loop and writes the reply into the shared reply channel
 * the blocked caller waits on.
 *
 * @module
 */
import { parentPort, workerData } from "node:worker_threads";
import { ReplyChannel } from "../../service/reply-channel.js";
import type { KdcAddress } from "./kdc-transport.js";
import { sendToKdc } from "./kdc-transport.js";

/** One request from the blocked caller. */
export interface KdcWorkerRequest {
  readonly id: number;
  readonly kdc: KdcAddress;
  readonly request: Uint8Array;
}

const port = parentPort;
if (port === null) throw new Error("kdc-worker.js must run in a worker thread");
const channel = new ReplyChannel((workerData as { replyBuffer: SharedArrayBuffer }).replyBuffer);

port.on("message", (m: KdcWorkerRequest) => {
  sendToKdc(m.kdc, m.request).then(
    (reply) => channel.write(m.id, { ok: true, value: reply }),
    (e: unknown) => channel.write(m.id, { ok: false, error: e instanceof Error ? e.message : String(e) }),
  );
});
