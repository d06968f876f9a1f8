/**
 * Sending one request to a KDC and reading its reply (RFC 4120 §7.2): TCP frames the message with
 * a 4-byte big-endian length; UDP sends it as one datagram. `auto` tries UDP first and retries over
 * TCP when the KDC answers KRB_ERR_RESPONSE_TOO_BIG (52) or does not answer, as MIT does; requests
 * larger than the UDP preference limit go straight to TCP. Every wait is bounded;
 * failures are `ERR_KRB_TRANSPORT` errors.
 *
 * @module
 */
import { createSocket } from "node:dgram";
import { connect } from "node:net";
import { decodeKrbError } from "../asn1/krb-error.js";
import { KerberosError } from "../errors.js";

export interface KdcAddress {
  readonly host: string;
  readonly port: number;
  /** Default "tcp". */
  readonly transport?: "tcp" | "udp" | "auto";
  /** Per-attempt timeout in milliseconds (default 5000). */
  readonly timeoutMs?: number;
  /** With "auto": requests larger than this go straight to TCP (krb5.conf's udp_preference_limit, default 1465). */
  readonly udpPreferenceLimit?: number;
}

/**
 * One KDC round trip: a promise of the reply (the asynchronous calls, {@link sendToKdc}) or the
 * reply itself (the blocking calls, which wait on a worker). Failures are `ERR_KRB_TRANSPORT`.
 */
export type KdcSend = (kdc: KdcAddress, request: Uint8Array) => Uint8Array | Promise<Uint8Array>;

/** The largest reply accepted over TCP (Windows' MaxTokenSize is 48,000; PACs make tickets big). */
const MAX_REPLY = 1 << 20;
/** RFC 4120 §7.5.9: the reply does not fit a datagram, retry over TCP. */
const KRB_ERR_RESPONSE_TOO_BIG = 52;

function transportError(kdc: KdcAddress, what: string, cause?: unknown): KerberosError {
  return new KerberosError("ERR_KRB_TRANSPORT", `KDC ${kdc.host}:${kdc.port}: ${what}`, { cause });
}

/** Sends `request` over TCP and resolves with the reply. */
export function sendTcp(kdc: KdcAddress, request: Uint8Array): Promise<Uint8Array> {
  const timeoutMs = kdc.timeoutMs ?? 5000;
  return new Promise((resolve, reject) => {
    const socket = connect({ host: kdc.host, port: kdc.port });
    let received = Buffer.alloc(0);
    let settled = false;
    const finish = (error: KerberosError | null, reply?: Uint8Array) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(reply!);
    };
    const timer = setTimeout(() => finish(transportError(kdc, `no reply within ${timeoutMs} ms`)), timeoutMs);
    socket.on("connect", () => {
      const length = Buffer.alloc(4);
      length.writeUInt32BE(request.length);
      socket.write(Buffer.concat([length, request]));
    });
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 4) return;
      const length = received.readUInt32BE(0);
      if (length & 0x80000000 || length > MAX_REPLY)
        finish(transportError(kdc, `reply length ${length} refused`));
      else if (received.length >= 4 + length) finish(null, new Uint8Array(received.subarray(4, 4 + length)));
    });
    socket.on("error", (e) => finish(transportError(kdc, `connection failed (${e.message})`, e)));
    socket.on("close", () => finish(transportError(kdc, "connection closed before a complete reply")));
  });
}

/** Sends `request` as one UDP datagram and resolves with the first reply datagram. */
export function sendUdp(kdc: KdcAddress, request: Uint8Array): Promise<Uint8Array> {
  const timeoutMs = kdc.timeoutMs ?? 5000;
  return new Promise((resolve, reject) => {
    const socket = createSocket(kdc.host.includes(":") ? "udp6" : "udp4");
    let settled = false;
    const finish = (error: KerberosError | null, reply?: Uint8Array) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.close();
      if (error) reject(error);
      else resolve(reply!);
    };
    const timer = setTimeout(
      () => finish(transportError(kdc, `no UDP reply within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.on("message", (msg) => finish(null, new Uint8Array(msg)));
    socket.on("error", (e) => finish(transportError(kdc, `UDP failed (${e.message})`, e)));
    socket.send(request, kdc.port, kdc.host);
  });
}

/** True when `reply` is a KRB-ERROR with KRB_ERR_RESPONSE_TOO_BIG. */
function isResponseTooBig(reply: Uint8Array): boolean {
  if (reply[0] !== 0x7e) return false;
  try {
    return decodeKrbError(reply).errorCode === KRB_ERR_RESPONSE_TOO_BIG;
  } catch {
    return false;
  }
}

/** Sends `request` to the KDC with its configured transport. */
export async function sendToKdc(kdc: KdcAddress, request: Uint8Array): Promise<Uint8Array> {
  const transport = kdc.transport ?? "tcp";
  if (transport === "tcp") return sendTcp(kdc, request);
  if (transport === "udp") return sendUdp(kdc, request);
  if (request.length > (kdc.udpPreferenceLimit ?? 1465)) return sendTcp(kdc, request);
  const reply = await sendUdp(kdc, request).catch(() => undefined);
  if (reply && !isResponseTooBig(reply)) return reply;
  return sendTcp(kdc, request);
}
