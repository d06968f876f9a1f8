/**
 * Handshakes per second, client and server both in this process, `concurrency` handshakes in
 * flight, for a bounded time and count.
 *
 * - Ours: {@link ourHandshake} (in-memory token passing; the engines run in the security
 *   service's workers), both contexts deleted after each handshake.
 * - Native: `tls.connect` ↔ `tls.createServer` over loopback TCP, the client socket destroyed
 *   after `'secureConnect'`.
 *
 * @module
 */
import type { ConnectionOptions, TLSSocket } from "node:tls";
import type { TlsVersion } from "../src/api/index.js";
import { type OurCredentials, ourCredentials, type ServerIdentity } from "./fixtures.js";
import { nativeConnect, nativeServer, ourHandshake } from "./pairs.js";
import { closedLoop, within } from "./stats.js";

export interface RateOptions {
  concurrency: number;
  durationMs: number;
  maxCount: number;
}

export interface RateResult {
  perSecond: number;
  count: number;
  /** Fraction of handshakes that resumed a session (0 for full handshakes). */
  resumedFraction: number;
  suite: string;
}

/** Our side of one rate cell, on credentials acquired once for the cell. */
export async function ourRate(
  id: ServerIdentity,
  version: TlsVersion,
  resumed: boolean,
  options: RateOptions,
): Promise<RateResult> {
  const creds: OurCredentials = await ourCredentials(id, version, resumed);
  try {
    let suite = "";
    let reused = 0;
    const once = async () => {
      const pair = await within(ourHandshake(creds), 30_000, "our handshake");
      if (suite === "") suite = pair.client.cipherSuite; // an attribute query parses the certificate: once
      if (pair.client.resumed) reused++;
      await pair.close();
    };
    if (resumed) await once(); // seeds the client's session cache
    reused = 0;
    const { count, elapsedMs } = await closedLoop(
      options.concurrency,
      options.durationMs,
      options.maxCount,
      once,
    );
    return {
      perSecond: (count * 1000) / elapsedMs,
      count,
      resumedFraction: count ? reused / count : 0,
      suite,
    };
  } finally {
    await creds.close();
  }
}

/** The native side of one rate cell. */
export async function nativeRate(
  serverOptions: import("node:tls").TlsOptions,
  clientOptions: ConnectionOptions,
  resumed: boolean,
  options: RateOptions,
): Promise<RateResult> {
  const server = await nativeServer(serverOptions);
  try {
    let session: Buffer | undefined;
    let suite = "";
    let reused = 0;
    const connect = async (waitForSession: boolean) => {
      const socket: TLSSocket = await within(
        nativeConnect(server.port, session ? { ...clientOptions, session } : clientOptions),
        30_000,
        "native handshake",
      );
      if (suite === "") suite = socket.getCipher().standardName;
      if (socket.isSessionReused()) reused++;
      if (waitForSession) {
        await within(
          new Promise<void>((resolve) =>
            socket.once("session", (s: Buffer) => {
              session = s;
              resolve();
            }),
          ),
          10_000,
          "native session ticket",
        );
      }
      socket.destroy();
    };
    if (resumed) await connect(true);
    reused = 0;
    const { count, elapsedMs } = await closedLoop(
      options.concurrency,
      options.durationMs,
      options.maxCount,
      () => connect(false),
    );
    return {
      perSecond: (count * 1000) / elapsedMs,
      count,
      resumedFraction: count ? reused / count : 0,
      suite,
    };
  } finally {
    await server.close();
  }
}
