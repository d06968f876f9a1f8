/**
 * Drives the SSPI-shaped API over a real socket the way a ported C program would: the
 * handshake loop of sspi.md §4.5 (accumulate, ISC/ASC, send, EXTRA, INCOMPLETE), then
 * EncryptMessage/DecryptMessage with the Schannel buffer layouts.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  type AddressInfo,
  connect as netConnect,
  createServer as netCreateServer,
  type Socket,
} from "node:net";
import {
  ApplyControlToken,
  ASC_REQ_ALLOCATE_MEMORY,
  ASC_REQ_CONFIDENTIALITY,
  ASC_REQ_EXTENDED_ERROR,
  ASC_REQ_STREAM,
  box,
  CredHandle,
  CtxtHandle,
  DecryptMessage,
  EncryptMessage,
  FreeContextBuffer,
  handleStatistics,
  ISC_REQ_ALLOCATE_MEMORY,
  ISC_REQ_CONFIDENTIALITY,
  ISC_REQ_EXTENDED_ERROR,
  ISC_REQ_STREAM,
  QueryContextAttributes,
  SEC_E_INCOMPLETE_MESSAGE,
  SEC_E_OK,
  SEC_I_CONTINUE_NEEDED,
  SECBUFFER_ALERT,
  SECBUFFER_DATA,
  SECBUFFER_EMPTY,
  SECBUFFER_EXTRA,
  SECBUFFER_STREAM_HEADER,
  SECBUFFER_STREAM_TRAILER,
  SECBUFFER_TOKEN,
  SECPKG_ATTR_STREAM_SIZES,
  type SECURITY_STATUS,
  type SecBuffer,
  type SecBufferDesc,
  type SecHandle,
  type SspiAsyncContext,
  SspiCreateAsyncContext,
  SspiGetLastErrorInfo,
  SspiInitializeSecurityContextAsync,
  SspiSetAsyncNotifyCallback,
  secBuffer,
  secBufferDesc,
  shutdownToken,
  promises as sspi,
  statusName,
} from "../../src/index.js";

/** Buffers what a socket receives; `more()` waits for the next chunk (false at end). */
export class SocketReader {
  private chunks: Buffer[] = [];
  private waiter: (() => void) | null = null;
  ended = false;

  constructor(readonly socket: Socket) {
    socket.on("data", (d: Buffer) => {
      this.chunks.push(d);
      this.wake();
    });
    socket.on("end", () => {
      this.ended = true;
      this.wake();
    });
    socket.on("close", () => {
      this.ended = true;
      this.wake();
    });
    socket.on("error", () => {
      this.ended = true;
      this.wake();
    });
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  /** Puts bytes back in front of what was received (after peeking at them). */
  unread(bytes: Uint8Array): void {
    this.chunks.unshift(Buffer.from(bytes));
  }

  /** Takes everything received so far (may be empty). */
  take(): Uint8Array {
    const all = Buffer.concat(this.chunks);
    this.chunks = [];
    return all;
  }

  /** Resolves true when new bytes arrived, false at end of stream. */
  async more(timeoutMs = 10_000): Promise<boolean> {
    if (this.chunks.length > 0) return true;
    if (this.ended) return false;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("timed out waiting for the peer")), timeoutMs);
      this.waiter = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    return this.chunks.length > 0;
  }
}

export interface HandshakeOutcome {
  status: SECURITY_STATUS;
  handle: CtxtHandle;
  /** Bytes received after the handshake (application or post-handshake records). */
  leftover: Uint8Array;
  /** Alert the last call reported in SECBUFFER_ALERT, if any. */
  alert: number[] | null;
  /** ISC/ASC calls made. */
  calls: number;
}

function outputDesc(): SecBufferDesc {
  return secBufferDesc(secBuffer(SECBUFFER_TOKEN), secBuffer(SECBUFFER_ALERT, 2), secBuffer(SECBUFFER_EMPTY));
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  return a.byteLength === 0 ? b : b.byteLength === 0 ? a : Buffer.concat([a, b]);
}

/**
 * Runs a whole handshake as client (`initiator`) or server (`acceptor`) over `reader.socket`.
 * `firstInput` is an optional extra input buffer for the first call (ALPN).
 */
export async function handshake(
  role: "initiator" | "acceptor",
  reader: SocketReader,
  credential: SecHandle,
  options: { target?: string | null; flags?: number; firstInput?: SecBuffer } = {},
): Promise<HandshakeOutcome> {
  const handle = new CtxtHandle();
  const attr = box(0);
  const flags =
    options.flags ??
    (role === "initiator"
      ? ISC_REQ_CONFIDENTIALITY | ISC_REQ_STREAM | ISC_REQ_EXTENDED_ERROR | ISC_REQ_ALLOCATE_MEMORY
      : ASC_REQ_CONFIDENTIALITY | ASC_REQ_STREAM | ASC_REQ_EXTENDED_ERROR | ASC_REQ_ALLOCATE_MEMORY);
  let acc: Uint8Array = new Uint8Array(0);
  let first = true;
  let status: SECURITY_STATUS = SEC_I_CONTINUE_NEEDED;
  let alert: number[] | null = null;
  let calls = 0;
  if (role === "acceptor") {
    assert.ok(await reader.more(), "the client sent nothing");
    acc = reader.take();
  }
  for (;;) {
    const input =
      role === "initiator" && first
        ? options.firstInput
          ? secBufferDesc(options.firstInput)
          : null
        : secBufferDesc(secBuffer(SECBUFFER_TOKEN, acc), secBuffer(SECBUFFER_EMPTY));
    const output = outputDesc();
    const previous = first ? null : handle;
    status =
      role === "initiator"
        ? await sspi.InitializeSecurityContext(
            credential,
            previous,
            options.target ?? null,
            flags,
            0,
            0,
            input,
            0,
            handle,
            output,
            attr,
            null,
          )
        : await sspi.AcceptSecurityContext(credential, previous, input, flags, 0, handle, output, attr, null);
    calls++;
    first = false;
    const token = output.pBuffers[0]!;
    if (token.cbBuffer > 0 && token.pvBuffer) {
      if (!reader.socket.destroyed)
        reader.socket.write(Buffer.from(token.pvBuffer.subarray(0, token.cbBuffer)));
      FreeContextBuffer(token.pvBuffer);
    }
    const alertBuffer = output.pBuffers[1]!;
    alert =
      alertBuffer.cbBuffer === 2 && alertBuffer.pvBuffer ? [...alertBuffer.pvBuffer.subarray(0, 2)] : null;
    const extra = input && input.cBuffers >= 2 ? input.pBuffers[1] : undefined;
    if (status !== SEC_E_INCOMPLETE_MESSAGE) {
      acc =
        extra?.BufferType === SECBUFFER_EXTRA
          ? acc.slice(acc.byteLength - extra.cbBuffer)
          : new Uint8Array(0);
    }
    if (status === SEC_E_OK) return { status, handle, leftover: concat(acc, reader.take()), alert, calls };
    if (status !== SEC_I_CONTINUE_NEEDED && status !== SEC_E_INCOMPLETE_MESSAGE)
      return { status, handle, leftover: acc, alert, calls };
    if (acc.byteLength > 0 && status === SEC_I_CONTINUE_NEEDED) continue;
    if (!(await reader.more())) return { status, handle, leftover: acc, alert, calls };
    acc = concat(acc, reader.take());
  }
}

/** EncryptMessage of `plaintext` (≤ cbMaximumMessage), returning the record bytes. */
export function encrypt(handle: SecHandle, plaintext: Uint8Array): Uint8Array {
  const { status, record } = tryEncrypt(handle, plaintext);
  assert.equal(status, SEC_E_OK, "EncryptMessage");
  return record;
}

/** EncryptMessage of `plaintext`, returning its status and (with SEC_E_OK) the record bytes. */
export function tryEncrypt(
  handle: SecHandle,
  plaintext: Uint8Array,
): { status: SECURITY_STATUS; record: Uint8Array } {
  const sizes = box<{ cbHeader: number; cbTrailer: number; cbMaximumMessage: number }>({
    cbHeader: 0,
    cbTrailer: 0,
    cbMaximumMessage: 0,
  });
  assert.equal(QueryContextAttributes(handle, SECPKG_ATTR_STREAM_SIZES, sizes as never), SEC_E_OK);
  const { cbHeader, cbTrailer } = sizes.value;
  const record = new Uint8Array(cbHeader + plaintext.byteLength + cbTrailer);
  record.set(plaintext, cbHeader);
  const desc = secBufferDesc(
    { BufferType: SECBUFFER_STREAM_HEADER, cbBuffer: cbHeader, pvBuffer: record.subarray(0, cbHeader) },
    {
      BufferType: SECBUFFER_DATA,
      cbBuffer: plaintext.byteLength,
      pvBuffer: record.subarray(cbHeader, cbHeader + plaintext.byteLength),
    },
    {
      BufferType: SECBUFFER_STREAM_TRAILER,
      cbBuffer: cbTrailer,
      pvBuffer: record.subarray(cbHeader + plaintext.byteLength),
    },
    secBuffer(SECBUFFER_EMPTY),
  );
  const status = EncryptMessage(handle, 0, desc, 0);
  if (status !== SEC_E_OK) return { status, record: new Uint8Array(0) };
  return {
    status,
    record: record.subarray(
      0,
      desc.pBuffers[0]!.cbBuffer + desc.pBuffers[1]!.cbBuffer + desc.pBuffers[2]!.cbBuffer,
    ),
  };
}

export interface DecryptOutcome {
  status: SECURITY_STATUS;
  plaintext: Uint8Array;
  /** Unprocessed bytes (to feed to the next call). */
  rest: Uint8Array;
}

/** One DecryptMessage call on `bytes`. */
export function decryptOnce(handle: SecHandle, bytes: Uint8Array): DecryptOutcome {
  const data = bytes.slice();
  const desc = secBufferDesc(
    secBuffer(SECBUFFER_DATA, data),
    secBuffer(SECBUFFER_EMPTY),
    secBuffer(SECBUFFER_EMPTY),
    secBuffer(SECBUFFER_EMPTY),
  );
  const status = DecryptMessage(handle, desc, 0, null);
  if (status === SEC_E_INCOMPLETE_MESSAGE) return { status, plaintext: new Uint8Array(0), rest: bytes };
  const plain = desc.pBuffers.find((b) => b.BufferType === SECBUFFER_DATA);
  const extra = desc.pBuffers.find((b) => b.BufferType === SECBUFFER_EXTRA);
  return {
    status,
    plaintext: plain?.pvBuffer?.slice(0, plain.cbBuffer) ?? new Uint8Array(0),
    rest: extra?.pvBuffer?.slice(0, extra.cbBuffer) ?? new Uint8Array(0),
  };
}

/**
 * Reads and decrypts until `expected` plaintext bytes arrived; returns the plaintext and every
 * status seen (besides SEC_E_OK / SEC_E_INCOMPLETE_MESSAGE).
 */
export async function receive(
  handle: SecHandle,
  reader: SocketReader,
  expected: number,
  pending: Uint8Array = new Uint8Array(0),
) {
  const parts: Uint8Array[] = [];
  let got = 0;
  let buffer = pending;
  const statuses: SECURITY_STATUS[] = [];
  while (got < expected) {
    if (buffer.byteLength === 0 || decryptIncomplete(buffer)) {
      if (!(await reader.more())) break;
      buffer = concat(buffer, reader.take());
      continue;
    }
    const r = decryptOnce(handle, buffer);
    if (r.status === SEC_E_INCOMPLETE_MESSAGE) {
      if (!(await reader.more())) break;
      buffer = concat(buffer, reader.take());
      continue;
    }
    if (r.status !== SEC_E_OK) statuses.push(r.status);
    if (r.status < 0) break;
    parts.push(r.plaintext);
    got += r.plaintext.byteLength;
    buffer = r.rest;
  }
  return { plaintext: Buffer.concat(parts), statuses, rest: buffer };
}

/**
 * DecryptMessage one whole record at a time: each `next()` reads from the socket until a whole
 * record is buffered (after `leftover`), decrypts it and returns its status name and plaintext.
 */
export function recordByRecord(
  handle: SecHandle,
  reader: SocketReader,
  leftover: Uint8Array,
): () => Promise<{ status: string; plaintext: Buffer }> {
  let pending = leftover;
  return async () => {
    while (decryptIncomplete(pending)) {
      assert.ok(await reader.more(), "the server closed the connection");
      pending = concat(pending, reader.take());
    }
    const r = decryptOnce(handle, pending);
    pending = r.rest;
    return { status: statusName(r.status) ?? String(r.status), plaintext: Buffer.from(r.plaintext) };
  };
}

function decryptIncomplete(buffer: Uint8Array): boolean {
  if (buffer.byteLength < 5) return true;
  const length = ((buffer[3] ?? 0) << 8) | (buffer[4] ?? 0);
  return buffer.byteLength < 5 + length;
}

// ---------------------------------------------------------------------------------------------
// Additions for the SSPI-level Schannel suites (sspi-*.test.ts). The functions above are unchanged.
// ---------------------------------------------------------------------------------------------

/** AcquireCredentialsHandle("Schannel"): the status and the handle (valid only on SEC_E_OK). */
export async function acquireCredential(
  use: number,
  auth: unknown,
): Promise<{ status: SECURITY_STATUS; cred: CredHandle }> {
  const cred = new CredHandle();
  const status = await sspi.AcquireCredentialsHandle(
    null,
    "Schannel",
    use,
    null,
    auth,
    null,
    null,
    cred,
    null,
  );
  return { status, cred };
}

/** {@link acquireCredential} that must succeed. */
export async function acquireOk(use: number, auth: unknown): Promise<CredHandle> {
  const { status, cred } = await acquireCredential(use, auth);
  assert.equal(status, SEC_E_OK, `AcquireCredentialsHandle: ${SspiGetLastErrorInfo(cred)?.message}`);
  return cred;
}

/** A TCP connection to 127.0.0.1:`port`, wrapped in a {@link SocketReader}. */
export async function connectReader(port: number): Promise<SocketReader> {
  const socket = netConnect(port, "127.0.0.1");
  socket.on("error", () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  return new SocketReader(socket);
}

/** A raw TCP listener on 127.0.0.1 whose connections are taken one at a time with `next()`. */
export interface Listener {
  port: number;
  /** The next accepted connection (bounded wait). */
  next(timeoutMs?: number): Promise<SocketReader>;
  close(): Promise<void>;
}

export async function listen(): Promise<Listener> {
  const queue: Socket[] = [];
  const waiters: Array<(s: Socket) => void> = [];
  const open = new Set<Socket>();
  const server = netCreateServer((socket) => {
    socket.on("error", () => {});
    open.add(socket);
    socket.on("close", () => open.delete(socket));
    const w = waiters.shift();
    if (w) w(socket);
    else queue.push(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    async next(timeoutMs = 10_000) {
      const ready = queue.shift();
      if (ready) return new SocketReader(ready);
      let timer: NodeJS.Timeout | undefined;
      const socket = await new Promise<Socket>((resolve, reject) => {
        timer = setTimeout(() => reject(new Error("no connection arrived")), timeoutMs);
        waiters.push(resolve);
      }).finally(() => clearTimeout(timer));
      return new SocketReader(socket);
    },
    async close() {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * One ISC (initiator) or ASC (acceptor) call on an existing context with `input` as the TOKEN
 * (or no input at all), returning the status and the output token (copied, buffer freed).
 */
export async function contextCall(
  role: "initiator" | "acceptor",
  cred: SecHandle,
  handle: CtxtHandle,
  input: Uint8Array | null = null,
  flags?: number,
): Promise<{ status: SECURITY_STATUS; token: Uint8Array; extra: number; alert: number[] | null }> {
  const inDesc =
    input === null ? null : secBufferDesc(secBuffer(SECBUFFER_TOKEN, input), secBuffer(SECBUFFER_EMPTY));
  const out = outputDesc();
  const f =
    flags ??
    (role === "initiator"
      ? ISC_REQ_CONFIDENTIALITY | ISC_REQ_STREAM | ISC_REQ_EXTENDED_ERROR | ISC_REQ_ALLOCATE_MEMORY
      : ASC_REQ_CONFIDENTIALITY | ASC_REQ_STREAM | ASC_REQ_EXTENDED_ERROR | ASC_REQ_ALLOCATE_MEMORY);
  const status =
    role === "initiator"
      ? await sspi.InitializeSecurityContext(
          cred,
          handle,
          null,
          f,
          0,
          0,
          inDesc,
          0,
          handle,
          out,
          box(0),
          null,
        )
      : await sspi.AcceptSecurityContext(cred, handle, inDesc, f, 0, handle, out, box(0), null);
  const tokenBuffer = out.pBuffers[0]!;
  let token: Uint8Array = new Uint8Array(0);
  if (tokenBuffer.cbBuffer > 0 && tokenBuffer.pvBuffer) {
    token = Buffer.from(tokenBuffer.pvBuffer.subarray(0, tokenBuffer.cbBuffer));
    FreeContextBuffer(tokenBuffer.pvBuffer);
  }
  const alertBuffer = out.pBuffers[1]!;
  const alert =
    alertBuffer.cbBuffer === 2 && alertBuffer.pvBuffer ? [...alertBuffer.pvBuffer.subarray(0, 2)] : null;
  const extraBuffer = inDesc?.pBuffers[1];
  const extra = extraBuffer?.BufferType === SECBUFFER_EXTRA ? extraBuffer.cbBuffer : 0;
  return { status, token, extra, alert };
}

/**
 * Schannel shutdown (sspi.md §4.8): ApplyControlToken(SCHANNEL_SHUTDOWN), then ISC/ASC with no
 * input; writes the close_notify record to the socket and returns it.
 */
export async function sendCloseNotify(
  role: "initiator" | "acceptor",
  cred: SecHandle,
  handle: CtxtHandle,
  socket: Socket,
): Promise<Uint8Array> {
  assert.equal(ApplyControlToken(handle, secBufferDesc(shutdownToken())), SEC_E_OK, "ApplyControlToken");
  const r = await contextCall(role, cred, handle);
  assert.equal(r.status, SEC_E_OK, "the shutdown call");
  assert.ok(r.token.byteLength > 0, "a close_notify record");
  if (!socket.destroyed) socket.write(r.token);
  return r.token;
}

/**
 * Decrypts what arrives until DecryptMessage returns a status other than SEC_E_OK and
 * SEC_E_INCOMPLETE_MESSAGE (or the stream ends): returns that status, the plaintext before it
 * and the unprocessed bytes.
 */
export async function decryptUntilStatus(
  handle: SecHandle,
  reader: SocketReader,
  pending: Uint8Array = new Uint8Array(0),
): Promise<{ status: SECURITY_STATUS | null; plaintext: Buffer; rest: Uint8Array }> {
  let rest = pending;
  const parts: Uint8Array[] = [];
  for (;;) {
    if (rest.byteLength === 0 || decryptIncomplete(rest)) {
      if (!(await reader.more())) return { status: null, plaintext: Buffer.concat(parts), rest };
      rest = concat(rest, reader.take());
      continue;
    }
    const r = decryptOnce(handle, rest);
    rest = r.rest;
    parts.push(r.plaintext);
    if (r.status !== SEC_E_OK) return { status: r.status, plaintext: Buffer.concat(parts), rest };
  }
}

/**
 * True when `name` runs (`<name> version`). When it does not: fails under `CI=true`, otherwise
 * skips the test with the reason.
 */
export function requireBinary(t: { skip(message?: string): void }, name = "openssl"): boolean {
  const probe = spawnSync(name, ["version"], { stdio: "ignore", timeout: 10_000 });
  if (probe.status === 0) return true;
  const reason = `${name} is not installed (or does not run)`;
  if (process.env.CI === "true") assert.fail(`${reason}; required when CI=true`);
  t.skip(reason);
  return false;
}

/** Resource kinds a leaked socket, server, subprocess or timer shows up as. */
const LEAKABLE = new Set(["TCPSocketWrap", "TCPServerWrap", "Timeout", "ProcessWrap", "PipeWrap"]);

function countResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) {
    if (LEAKABLE.has(r)) counts.set(r, (counts.get(r) ?? 0) + 1);
  }
  return counts;
}

/**
 * Records the live handle counts and active resources; `verify()` (call it in `after`) asserts
 * both returned to the baseline: handles at once, resources within a bounded wait for sockets
 * and subprocess pipes to finish closing.
 */
export function leakCheck(): { verify(): Promise<void> } {
  const handles = handleStatistics();
  const resources = countResources();
  return {
    async verify() {
      const now = handleStatistics();
      assert.equal(now.liveCredentials, handles.liveCredentials, "credential handles left open");
      assert.equal(now.liveContexts, handles.liveContexts, "context handles left open");
      const grown = () =>
        [...countResources()]
          .filter(([kind, n]) => n > (resources.get(kind) ?? 0))
          .map(([k, n]) => `${k}×${n}`);
      for (let i = 0; i < 100 && grown().length > 0; i++) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(grown(), [], "sockets, servers, subprocesses or timers left behind");
    },
  };
}

/**
 * Continues a handshake on an existing context (after calls the test made itself): same loop as
 * {@link handshake}, starting with `pending` input (may be empty: then it first sends nothing and
 * reads).
 */
export async function continueHandshake(
  role: "initiator" | "acceptor",
  reader: SocketReader,
  credential: SecHandle,
  handle: CtxtHandle,
  pending: Uint8Array = new Uint8Array(0),
): Promise<HandshakeOutcome> {
  let acc = pending;
  let calls = 0;
  for (;;) {
    if (acc.byteLength === 0) {
      if (!(await reader.more()))
        return { status: SEC_I_CONTINUE_NEEDED, handle, leftover: acc, alert: null, calls };
      acc = reader.take();
    }
    const r = await contextCall(role, credential, handle, acc);
    calls++;
    if (r.token.byteLength > 0 && !reader.socket.destroyed) reader.socket.write(r.token);
    if (r.status === SEC_E_INCOMPLETE_MESSAGE) {
      if (!(await reader.more())) return { status: r.status, handle, leftover: acc, alert: r.alert, calls };
      acc = concat(acc, reader.take());
      continue;
    }
    acc = acc.slice(acc.byteLength - r.extra);
    if (r.status === SEC_E_OK)
      return { status: r.status, handle, leftover: concat(acc, reader.take()), alert: r.alert, calls };
    if (r.status !== SEC_I_CONTINUE_NEEDED)
      return { status: r.status, handle, leftover: acc, alert: r.alert, calls };
  }
}

/** A first ClientHello queued with `SspiInitializeSecurityContextAsync` (target `server.test`). */
export interface QueuedClientHello {
  asyncContext: SspiAsyncContext;
  handle: CtxtHandle;
  /** Resolves when the notify callback ran. */
  done: Promise<void>;
  /** The queueing status. */
  queued: number;
}

/** Queues the first InitializeSecurityContext of `handle` on `cred` asynchronously. */
export function queueClientHello(cred: CredHandle, handle = new CtxtHandle()): QueuedClientHello {
  const asyncContext = SspiCreateAsyncContext();
  const done = new Promise<void>((resolve) => SspiSetAsyncNotifyCallback(asyncContext, () => resolve()));
  const queued = SspiInitializeSecurityContextAsync(
    asyncContext,
    cred,
    null,
    "server.test",
    ISC_REQ_ALLOCATE_MEMORY,
    0,
    0,
    null,
    0,
    handle,
    secBufferDesc(secBuffer(SECBUFFER_TOKEN)),
    box(0),
    null,
  );
  return { asyncContext, handle, done, queued };
}
