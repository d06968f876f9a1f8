/**
 * Record-layer figures: 16 KiB throughput, 100-byte latency and the AES-GCM ceiling.
 *
 * - Ours: `EncryptMessage` (in place, `[STREAM_HEADER, DATA, STREAM_TRAILER, EMPTY]`) on the
 *   client context, then `DecryptMessage` (in place, `[DATA, EMPTY×3]`) of that record on the
 *   server context: synchronous, on this thread, one record per call.
 * - Native throughput: a TLSSocket pair over loopback TCP, the client writing 16 KiB chunks
 *   (honouring backpressure) until the server's `'data'` counted every byte.
 * - Native latency: one 100-byte `write` on the client TLSSocket until the server TLSSocket's
 *   `'data'`, over a cross-wired in-memory Duplex pair (no TCP), one message at a time.
 * - Cipher limit: AES-GCM seal (`createCipheriv`) + open (`createDecipheriv`) of the same
 *   plaintext with a fresh nonce per record, nothing else.
 *
 * @module
 */
import { type CipherGCMTypes, createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { once } from "node:events";
import type { ConnectionOptions, TlsOptions } from "node:tls";
import {
  box,
  DecryptMessage,
  EncryptMessage,
  QueryContextAttributes,
  SEC_E_OK,
  SECBUFFER_DATA,
  SECBUFFER_EMPTY,
  SECBUFFER_STREAM_HEADER,
  SECBUFFER_STREAM_TRAILER,
  SECPKG_ATTR_STREAM_SIZES,
  type SecHandle,
  secBuffer,
  secBufferDesc,
} from "../src/index.js";
import type { OurPair } from "./pairs.js";
import { nativeConnect, nativeDuplexPair, nativeServer } from "./pairs.js";
import { median, now, within } from "./stats.js";

interface Sizes {
  cbHeader: number;
  cbTrailer: number;
  cbMaximumMessage: number;
}

function streamSizes(handle: SecHandle): Sizes {
  const sizes = box<Sizes>({ cbHeader: 0, cbTrailer: 0, cbMaximumMessage: 0 });
  const status = QueryContextAttributes(handle, SECPKG_ATTR_STREAM_SIZES, sizes as never);
  if (status !== SEC_E_OK) throw new Error(`QueryContextAttributes(STREAM_SIZES): 0x${status.toString(16)}`);
  return sizes.value;
}

/**
 * One EncryptMessage→DecryptMessage round trip of `plaintext` between the pair's contexts,
 * reusing one record buffer. Returns a function doing one round (throws on a failure).
 */
export function ourRecordRound(pair: OurPair, size: number): () => void {
  const sizes = streamSizes(pair.client.handle);
  const plaintext = randomBytes(size);
  const record = new Uint8Array(sizes.cbHeader + size + sizes.cbTrailer);
  const header = record.subarray(0, sizes.cbHeader);
  const data = record.subarray(sizes.cbHeader, sizes.cbHeader + size);
  const trailer = record.subarray(sizes.cbHeader + size);
  const sender = pair.client.handle;
  const receiver = pair.server.handle;
  return () => {
    data.set(plaintext);
    const enc = secBufferDesc(
      { BufferType: SECBUFFER_STREAM_HEADER, cbBuffer: header.byteLength, pvBuffer: header },
      { BufferType: SECBUFFER_DATA, cbBuffer: size, pvBuffer: data },
      { BufferType: SECBUFFER_STREAM_TRAILER, cbBuffer: trailer.byteLength, pvBuffer: trailer },
      secBuffer(SECBUFFER_EMPTY),
    );
    let status = EncryptMessage(sender, 0, enc, 0);
    if (status !== SEC_E_OK) throw new Error(`EncryptMessage: 0x${(status >>> 0).toString(16)}`);
    const length = enc.pBuffers[0]!.cbBuffer + size + enc.pBuffers[2]!.cbBuffer;
    const dec = secBufferDesc(
      secBuffer(SECBUFFER_DATA, record.subarray(0, length)),
      secBuffer(SECBUFFER_EMPTY),
      secBuffer(SECBUFFER_EMPTY),
      secBuffer(SECBUFFER_EMPTY),
    );
    status = DecryptMessage(receiver, dec, 0, null);
    if (status !== SEC_E_OK) throw new Error(`DecryptMessage: 0x${(status >>> 0).toString(16)}`);
    if (dec.pBuffers[1]!.cbBuffer !== size) throw new Error("DecryptMessage: wrong plaintext length");
  };
}

/** MB/s (10^6 bytes of plaintext per second) of our 16 KiB round trips. */
export function ourThroughput(pair: OurPair, durationMs: number, maxRecords: number): number {
  const size = 16384;
  const round = ourRecordRound(pair, size);
  for (let i = 0; i < 50; i++) round(); // warm-up
  const start = now();
  let records = 0;
  while (records < maxRecords && now() - start < durationMs) {
    for (let i = 0; i < 16; i++) round();
    records += 16;
  }
  return (records * size) / 1e6 / ((now() - start) / 1000);
}

/** p50 µs of our 100-byte EncryptMessage+DecryptMessage. */
export function ourLatency(pair: OurPair, durationMs: number, maxMessages: number): number {
  const round = ourRecordRound(pair, 100);
  for (let i = 0; i < 200; i++) round();
  const samples: number[] = [];
  const start = now();
  while (samples.length < maxMessages && now() - start < durationMs) {
    const t = process.hrtime.bigint();
    round();
    samples.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  return median(samples);
}

/** MB/s of 16 KiB writes through a native TLSSocket pair over loopback TCP. */
export async function nativeThroughput(
  serverOptions: TlsOptions,
  clientOptions: ConnectionOptions,
  durationMs: number,
  maxBytes: number,
): Promise<{ mbps: number; suite: string }> {
  const server = await nativeServer(serverOptions);
  try {
    const accepted = once(server.server, "secureConnection");
    const client = await nativeConnect(server.port, clientOptions);
    const [peer] = (await within(accepted, 10_000, "native server socket")) as [import("node:tls").TLSSocket];
    const chunk = randomBytes(16384);
    let received = 0;
    let sent = 0;
    let stopSending = false;
    const start = now();
    const done = new Promise<void>((resolve) => {
      peer.on("data", (d: Buffer) => {
        received += d.byteLength;
        if (stopSending && received >= sent) resolve();
      });
    });
    // write until the time or byte budget is spent, honouring backpressure
    while (!stopSending) {
      while (sent < maxBytes && now() - start < durationMs) {
        sent += chunk.byteLength;
        if (!client.write(chunk)) break;
      }
      if (sent >= maxBytes || now() - start >= durationMs) stopSending = true;
      else await within(once(client, "drain"), 10_000, "native drain");
    }
    if (received < sent) await within(done, 30_000, "native throughput drain");
    const elapsed = now() - start;
    const suite = client.getCipher().standardName;
    client.destroy();
    return { mbps: sent / 1e6 / (elapsed / 1000), suite };
  } finally {
    await server.close();
  }
}

/** p50 µs of one 100-byte write to the peer's `'data'` over an in-memory Duplex pair. */
export async function nativeLatency(
  serverOptions: TlsOptions,
  clientOptions: ConnectionOptions,
  durationMs: number,
  maxMessages: number,
): Promise<number> {
  const pair = await nativeDuplexPair(serverOptions, clientOptions);
  try {
    const message = randomBytes(100);
    let wake: (() => void) | null = null;
    let got = 0;
    pair.server.on("data", (d: Buffer) => {
      got += d.byteLength;
      if (got >= 100) {
        got -= 100;
        const w = wake;
        wake = null;
        w?.();
      }
    });
    const one = async (): Promise<number> => {
      const arrived = new Promise<void>((resolve) => {
        wake = resolve;
      });
      const t = process.hrtime.bigint();
      pair.client.write(message);
      await arrived;
      return Number(process.hrtime.bigint() - t) / 1000;
    };
    for (let i = 0; i < 200; i++) await within(one(), 5_000, "native 100-byte message");
    const samples: number[] = [];
    const start = now();
    while (samples.length < maxMessages && now() - start < durationMs)
      samples.push(await within(one(), 5_000, "native 100-byte message"));
    return median(samples);
  } finally {
    pair.destroy();
  }
}

/** MB/s of AES-GCM seal+open of 16 KiB with Node's cipher objects alone (the ceiling). */
export function cipherLimit(
  cipher: CipherGCMTypes,
  keyLength: number,
  durationMs: number,
  maxRecords: number,
): number {
  const size = 16384;
  const key = randomBytes(keyLength);
  const iv = randomBytes(12);
  const aad = randomBytes(5);
  const plaintext = randomBytes(size);
  const round = (sequence: number) => {
    iv.writeUInt32BE(sequence >>> 0, 8);
    const c = createCipheriv(cipher, key, iv, { authTagLength: 16 });
    c.setAAD(aad);
    const sealed = c.update(plaintext);
    c.final();
    const tag = c.getAuthTag();
    const d = createDecipheriv(cipher, key, iv, { authTagLength: 16 });
    d.setAAD(aad);
    d.setAuthTag(tag);
    d.update(sealed);
    d.final();
  };
  for (let i = 0; i < 50; i++) round(i);
  const start = now();
  let records = 0;
  while (records < maxRecords && now() - start < durationMs) {
    for (let i = 0; i < 16; i++) round(records + i);
    records += 16;
  }
  return (records * size) / 1e6 / ((now() - start) / 1000);
}
