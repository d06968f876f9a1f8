/**
 * The storm's load generator (a worker thread): `count` concurrent native TLS 1.3 clients to
 * 127.0.0.1:`port`, each waiting for the server to end the connection after its handshake.
 * Posts `{ ok, failed, elapsedMs }`.
 *
 * @module
 */
import { connect } from "node:tls";
import { parentPort, workerData } from "node:worker_threads";

interface StormClientsData {
  port: number;
  count: number;
  ca: string;
  timeoutMs: number;
}

const { port, count, ca, timeoutMs } = workerData as StormClientsData;

function one(): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (ok: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    let secure = false;
    const socket = connect(
      {
        host: "127.0.0.1",
        port,
        ca,
        servername: "localhost",
        minVersion: "TLSv1.3",
        maxVersion: "TLSv1.3",
        ciphers: "TLS_AES_128_GCM_SHA256",
      },
      () => {
        secure = true;
      },
    );
    socket.on("data", () => {});
    socket.on("end", () => finish(secure));
    socket.on("close", () => finish(secure));
    socket.on("error", () => finish(false));
  });
}

parentPort!.on("message", async (message: string) => {
  if (message !== "go") return;
  const start = performance.now();
  const results = await Promise.all(Array.from({ length: count }, one));
  const ok = results.filter(Boolean).length;
  parentPort!.postMessage({ ok, failed: count - ok, elapsedMs: performance.now() - start });
});
parentPort!.postMessage("ready");
