/**
 * The per-security-context TLS handshake driver: OpenSSL through Node's `tls`, fed token by token
 * over an in-memory Duplex (reference/node-tls-engine.md §3).
 *
 * One `step(input)` is one InitializeSecurityContext/AcceptSecurityContext call:
 * 1. the input is framed by its record headers here (OpenSSL sends no alert for non-TLS bytes and
 *    gives no signal for a partial record);
 * 2. complete records are pushed one per `push()`, stopping at `'secure'`/`'secureConnect'` (the
 *    rest is SECBUFFER_EXTRA);
 * 3. the step settles with the quiet-rounds rule (two quiet `setImmediate` rounds);
 * 4. certificate checks are decided here, not by Node (Node would end the connection silently):
 *    on failure the engine's own next flight is withheld and a fatal alert, framed under the keys
 *    the local side has reached, is returned instead, so the peer never waits.
 *
 * Server sockets are standalone `TLSSocket`s rather than `tls.Server.emit('connection', duplex)`:
 * the driver needs the socket before the first byte is pushed (to attach the key log, `'secure'`
 * and error listeners), and `tls.Server` only hands it out at `'secureConnection'`; `tls.Server`
 * would also destroy a connection with an untrusted client certificate without an alert. The two
 * standalone pitfalls are handled: post-handshake TLS errors are taken from `'_tlsError'` as well
 * as `'error'`, and the client certificate result is read with the handle's `verifyError()` (what
 * `tls.Server` itself uses), see {@link checkClientCertificate}.
 *
 * @module
 */
import { isIP } from "node:net";
import { type ConnectionOptions, connect, TLSSocket } from "node:tls";
import { alertName, TLS1_ALERT_FATAL, TLS1_ALERT_UNEXPECTED_MESSAGE } from "../../sspi/schannel-constants.js";
import {
  formatStatus,
  SEC_E_CONTEXT_EXPIRED,
  SEC_E_INCOMPLETE_MESSAGE,
  SEC_E_INTERNAL_ERROR,
  SEC_E_INVALID_HANDLE,
  SEC_E_OK,
  SEC_E_UNSUPPORTED_FUNCTION,
  SEC_I_CONTINUE_NEEDED,
  type SECURITY_STATUS,
} from "../../sspi/status.js";
import { parseClientHello } from "../records/client-hello.js";
import {
  CONTENT_TYPE_APPLICATION_DATA,
  CONTENT_TYPE_HANDSHAKE,
  RECORD_HEADER_LENGTH,
  type RecordHeaderError,
  splitRecords,
} from "../records/record-header.js";
import { findServerHello, type ServerHelloInfo } from "../records/server-hello.js";
import { countRecords, findPlaintextAlert } from "./alert-record.js";
import { buildAlertRecord } from "./alert-writer.js";
import { findCertificateRequest } from "./certificate-request.js";
import type { CachedSession, EngineCredential } from "./engine-credential.js";
import { type EngineFailure, failureFromEngineError, failureFromRecordHeader } from "./engine-errors.js";
import type {
  ClientContextOptions,
  EngineContextOptions,
  EngineStepResult,
  PostHandshakeResult,
  ServerContextOptions,
} from "./engine-types.js";
import { buildHandshakeSummary } from "./handshake-summary.js";
import { type KeylogSecrets, recordKeylogLine, zeroKeylogSecrets } from "./keylog.js";
import { concatBytes, MemoryDuplex } from "./memory-duplex.js";
import {
  type CertificateVerdict,
  checkClientCertificate,
  checkServerCertificate,
  peerCertificateChain,
} from "./peer-certificates.js";
import { drainInput, type SettleProbe, settle } from "./settle.js";

type EngineState = "new" | "handshaking" | "established" | "failed" | "closed";

const EMPTY = new Uint8Array(0);

/** A TLS handshake engine for one security context. */
export class TlsEngine {
  private socket: TLSSocket | null = null;
  private readonly duplex = new MemoryDuplex();
  private readonly secrets: KeylogSecrets = {};
  private readonly received: Uint8Array[] = [];
  private readonly sent: Uint8Array[] = [];
  private state: EngineState = "new";
  private secure = false;
  private secureAt = -1;
  private engineError: unknown;
  private verdict: CertificateVerdict | undefined;
  private rejected = false;
  private readonly newSessions: Uint8Array[] = [];
  /** Client: the session offered in the ClientHello (from the cache or the options). */
  private offered: CachedSession | undefined;
  /** Client: the server chain of this connection (a resumed one: the chain kept with the session). */
  private peerChain: Uint8Array[] = [];
  private pendingCallbacks = 0;
  private lastFailure: EngineStepResult | undefined;
  private busy = false;
  private readonly probe: SettleProbe = {
    writes: () => this.duplex.writeCount,
    pendingCallbacks: () => this.pendingCallbacks,
    readableLength: () => this.duplex.readableLength,
    finished: () => this.duplex.destroyed,
  };

  /**
   * @param credential - an acquired credential of the same role as `options`.
   * @throws TypeError when the roles differ (the host checks this first).
   */
  constructor(
    private readonly credential: EngineCredential,
    readonly options: EngineContextOptions,
  ) {
    if (credential.config.role !== options.role) throw new TypeError("credential and context roles differ");
  }

  /** The role of this engine. */
  get role(): "client" | "server" {
    return this.options.role;
  }

  /** True once the handshake completed successfully (and the context was not closed). */
  get isEstablished(): boolean {
    return this.state === "established";
  }

  /**
   * Runs one handshake step.
   *
   * @param input - the caller's accumulated input (`SECBUFFER_TOKEN`); empty on the client's first call.
   * @returns the status and output token:
   *   - `SEC_I_CONTINUE_NEEDED`: send `output`, read more; `input.length - consumed` bytes are EXTRA;
   *   - `SEC_E_OK`: handshake complete, `handshake` holds the summary; send `output` if not empty;
   *     the unconsumed bytes are post-handshake records for the record layer;
   *   - `SEC_E_INCOMPLETE_MESSAGE`: no complete record; `missing` bytes needed; nothing consumed;
   *   - errors, with the alert to send in `output` and `alert`/`reason` set:
   *     `SEC_E_ILLEGAL_MESSAGE` (not TLS, unexpected or malformed messages, fatal alert received),
   *     `SEC_E_UNTRUSTED_ROOT`, `SEC_E_CERT_EXPIRED`, `SEC_E_WRONG_PRINCIPAL`, `SEC_E_CERT_UNKNOWN`
   *     (certificate checks), `SEC_E_MUTUAL_AUTH_FAILED` (required client certificate missing),
   *     `SEC_E_ALGORITHM_MISMATCH` (no common version, suite or group),
   *     `SEC_E_APPLICATION_PROTOCOL_MISMATCH`, `SEC_E_MESSAGE_ALTERED` (bad record MAC, bad
   *     Finished); after a failure every later step returns the same status with no output;
   *   - `SEC_E_UNSUPPORTED_FUNCTION` on an established context (renegotiation is not supported),
   *     `SEC_E_CONTEXT_EXPIRED` after `close()`/`destroy()`, `SEC_E_INTERNAL_ERROR` when a step is
   *     already running.
   */
  async step(input: Uint8Array): Promise<EngineStepResult> {
    if (this.busy) return simple(SEC_E_INTERNAL_ERROR, "a step is already running on this context");
    if (this.state === "failed" && this.lastFailure !== undefined)
      return { ...this.lastFailure, output: EMPTY, consumed: 0, missing: 0 };
    if (this.state === "closed") return simple(SEC_E_CONTEXT_EXPIRED, "the context was closed");
    if (this.state === "established")
      return simple(SEC_E_UNSUPPORTED_FUNCTION, "the handshake is complete; renegotiation is not supported");
    this.busy = true;
    try {
      return await this.runStep(input);
    } catch (error) {
      return this.fail(
        { status: SEC_E_INTERNAL_ERROR, reason: `engine failure: ${String(error)}` },
        EMPTY,
        0,
      );
    } finally {
      this.busy = false;
    }
  }

  private async runStep(input: Uint8Array): Promise<EngineStepResult> {
    if (this.state === "new" && this.options.role === "client") {
      this.startClient(this.options);
      await settle(this.probe);
      if (this.engineError !== undefined) return this.failFromEngine(0);
      this.state = "handshaking";
      return this.result(SEC_I_CONTINUE_NEEDED, this.takeOutput(), 0);
    }
    const split = splitRecords(input);
    if (split.records.length === 0) {
      if (split.error !== undefined) return this.failFromHeader(split.error, 0);
      const missing = split.missing > 0 ? split.missing : RECORD_HEADER_LENGTH;
      return { status: SEC_E_INCOMPLETE_MESSAGE, output: EMPTY, consumed: 0, missing };
    }
    if (this.state === "new") {
      this.startServer(this.options as ServerContextOptions, input);
      this.state = "handshaking";
    }
    let consumed = 0;
    for (const r of split.records) {
      const record = input.subarray(r.offset, r.offset + r.length);
      this.received.push(record.slice());
      this.duplex.feed(record);
      consumed += r.length;
      await drainInput(this.probe);
      if (this.secure || this.engineError !== undefined || this.duplex.destroyed) break;
    }
    await settle(this.probe);
    if (this.engineError !== undefined) return this.failFromEngine(consumed);
    if (this.rejected) return this.failFromVerdict(consumed);
    if (this.secure) return this.complete(consumed);
    if (split.error !== undefined && consumed === split.consumed)
      return this.failFromHeader(split.error, consumed);
    if (this.duplex.destroyed || this.socket?.destroyed)
      return this.fail(
        { status: SEC_E_INTERNAL_ERROR, reason: "the engine closed without an error" },
        EMPTY,
        consumed,
      );
    return this.result(SEC_I_CONTINUE_NEEDED, this.takeOutput(), consumed);
  }

  /**
   * Client: pushes post-handshake records (NewSessionTicket records re-sealed under the engine's
   * read key, in order) into the established engine.
   *
   * @returns `SEC_E_OK` with the sessions the engine produced and cached (none unless our own
   *   validation accepted the certificate); `SEC_E_INVALID_HANDLE` when this is
   *   not an established client engine; `SEC_E_INCOMPLETE_MESSAGE` when `records` holds no complete
   *   record; an engine error status (for example `SEC_E_MESSAGE_ALTERED`) when OpenSSL rejects them.
   */
  async deliverPostHandshake(records: Uint8Array): Promise<PostHandshakeResult> {
    if (this.options.role !== "client" || this.state !== "established" || this.socket === null || this.busy)
      return {
        status: SEC_E_INVALID_HANDLE,
        sessions: [],
        consumed: 0,
        reason: "not an established client engine",
      };
    const split = splitRecords(records);
    if (split.records.length === 0) return { status: SEC_E_INCOMPLETE_MESSAGE, sessions: [], consumed: 0 };
    this.busy = true;
    try {
      for (const r of split.records) {
        this.duplex.feed(records.subarray(r.offset, r.offset + r.length));
        await drainInput(this.probe);
      }
      await settle(this.probe);
      this.takeRaw();
      const sessions = this.keepSessions(this.newSessions.splice(0));
      if (this.engineError !== undefined) {
        const failure = failureFromEngineError(this.engineError);
        return { status: failure.status, sessions, consumed: split.consumed, reason: failure.reason };
      }
      return { status: SEC_E_OK, sessions, consumed: split.consumed };
    } finally {
      this.busy = false;
    }
  }

  /**
   * Ends the connection through the engine: `close_notify` under the engine's current write key.
   * Valid only while the engine still owns the write direction (no record written by the direct
   * record layer since the handshake); otherwise the record layer must produce the alert.
   *
   * @returns the close_notify record(s), or an empty array when the engine is not established.
   */
  async close(): Promise<Uint8Array> {
    if (this.state !== "established" || this.socket === null || this.socket.destroyed) {
      this.destroy();
      return EMPTY;
    }
    this.socket.end();
    await settle(this.probe);
    const output = this.takeOutput();
    this.destroy();
    return output;
  }

  /** Releases the engine: destroys the socket and the duplex and zeroes the key log secrets. */
  destroy(): void {
    if (this.state !== "failed") this.state = "closed";
    this.socket?.destroy();
    this.duplex.destroy();
    zeroKeylogSecrets(this.secrets);
  }

  /**
   * Client: the session cache key, the validation mode and the target name. A session validated
   * without the name check (or never validated) can then never answer a request that checks more.
   */
  private cacheKey(): string {
    const o = this.options as ClientContextOptions;
    const mode = o.manualValidation ? "manual" : o.noServerNameCheck ? "no-name-check" : "full";
    return `${mode}\u0000${o.cacheKey ?? o.serverName ?? ""}`;
  }

  /**
   * Client: caches `sessions` when our own validation accepted the server certificate, and
   * returns them. Otherwise (manual validation, a rejected or unchecked certificate) they are
   * zeroed, the entry of this key is deleted, and nothing is returned.
   */
  private keepSessions(sessions: Uint8Array[]): Uint8Array[] {
    const o = this.options as ClientContextOptions;
    const accepted = !o.manualValidation && !this.rejected && this.verdict?.status === SEC_E_OK;
    if (!accepted) {
      for (const s of sessions) s.fill(0);
      this.credential.forgetSession(this.cacheKey());
      return [];
    }
    for (const s of sessions) this.credential.storeSession(this.cacheKey(), s, this.peerChain);
    return sessions;
  }

  private startClient(options: ClientContextOptions): void {
    const name = options.serverName;
    const connectOptions: ConnectionOptions = {
      socket: this.duplex,
      secureContext: this.credential.defaultContext,
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
    };
    if (name !== null && isIP(name) === 0) connectOptions.servername = name;
    const alpn = options.alpn ?? this.credential.config.alpn;
    if (alpn !== undefined && alpn.length > 0) connectOptions.ALPNProtocols = alpn;
    this.offered =
      options.session !== undefined
        ? { session: options.session, peerCertificates: [] }
        : options.manualValidation
          ? undefined
          : this.credential.cachedSession(this.cacheKey());
    if (this.offered !== undefined) connectOptions.session = Buffer.from(this.offered.session);
    let socket: TLSSocket;
    try {
      socket = connect(connectOptions);
    } catch {
      delete connectOptions.session;
      this.credential.forgetSession(this.cacheKey());
      socket = connect(connectOptions);
    }
    this.socket = socket;
    this.attachCommon(socket);
    socket.on("session", (s: Buffer) => this.newSessions.push(new Uint8Array(s)));
    socket.on("secureConnect", () => {
      this.secure = true;
      this.secureAt = this.duplex.writtenBytes;
      const resumed = socket.isSessionReused();
      this.peerChain = resumed ? (this.offered?.peerCertificates ?? []) : peerCertificateChain(socket);
      this.verdict = checkServerCertificate(socket, name, !options.noServerNameCheck, this.peerChain[0]);
      this.rejected = !options.manualValidation && this.verdict.status !== SEC_E_OK;
    });
  }

  /**
   * @param firstInput - the caller's first bytes: when they hold the whole ClientHello, its SNI picks
   *   the SecureContext up front, so OpenSSL never has to switch contexts.
   */
  private startServer(options: ServerContextOptions, firstInput: Uint8Array): void {
    const config = this.credential.config;
    const require = options.requestClientCertificate && options.clientCertificateOptional !== true;
    const hello = parseClientHello(firstInput);
    const initial = this.credential.contextForServerName(
      "error" in hello ? null : (hello.serverName ?? null),
    );
    const socket = new TLSSocket(this.duplex, {
      isServer: true,
      secureContext: initial,
      requestCert: options.requestClientCertificate,
      // With requestCert this sets SSL_VERIFY_FAIL_IF_NO_PEER_CERT: OpenSSL itself sends
      // certificate_required (TLS 1.3) / handshake_failure (TLS 1.2) to a client without one.
      rejectUnauthorized: require,
      ...(config.alpn !== undefined && config.alpn.length > 0 ? { ALPNProtocols: config.alpn } : {}),
      SNICallback: (servername, callback) => {
        this.pendingCallbacks++;
        try {
          // Switching to the context the socket already has is skipped: on Node 24 (OpenSSL 3.5) a
          // context handed to the SNI callback keeps only its last-set certificate (measured: an
          // RSA + ECDSA credential lost its RSA certificate), on Node 20 it keeps all of them.
          const selected = this.credential.contextForServerName(servername || null);
          callback(null, selected === initial ? undefined : selected);
        } catch (error) {
          callback(error as Error, undefined);
        } finally {
          this.pendingCallbacks--;
        }
      },
    });
    this.socket = socket;
    this.attachCommon(socket);
    socket.on("secure", () => {
      this.secure = true;
      this.secureAt = this.duplex.writtenBytes;
      if (options.requestClientCertificate) {
        this.verdict = checkClientCertificate(socket, !require);
        this.rejected = this.verdict.status !== SEC_E_OK;
      }
    });
  }

  private attachCommon(socket: TLSSocket): void {
    const onError = (error: unknown) => {
      if (this.engineError === undefined && !this.rejected) this.engineError = error;
    };
    socket.on("error", onError);
    socket.on("_tlsError", onError);
    socket.on("keylog", (line: Buffer) => recordKeylogLine(line, this.secrets));
    this.duplex.on("error", () => {});
  }

  /** Bytes taken from the duplex so far (engine output, excluding alerts built here). */
  private taken = 0;

  /** @returns the engine output not taken yet, without recording it as sent. */
  private takeRaw(): Uint8Array {
    const output = this.duplex.takeOutput();
    this.taken += output.length;
    return output;
  }

  private takeOutput(): Uint8Array {
    const output = this.takeRaw();
    if (output.length > 0) this.sent.push(output);
    return output;
  }

  private serverHello(extra: Uint8Array = EMPTY): ServerHelloInfo | undefined {
    const stream =
      this.options.role === "client" ? concatBytes(this.received) : concatBytes([...this.sent, extra]);
    return findServerHello(stream);
  }

  private alertContext(pendingOutput: Uint8Array) {
    return {
      role: this.options.role,
      serverHello: this.serverHello(pendingOutput),
      secrets: this.secrets,
      sent: concatBytes([...this.sent, pendingOutput]),
    };
  }

  private complete(consumed: number): EngineStepResult {
    const socket = this.socket!;
    const outputStart = this.taken;
    const output = this.takeOutput();
    const afterSecure = output.subarray(Math.max(0, this.secureAt - outputStart));
    const hello = this.serverHello();
    const tls13 = socket.getProtocol() === "TLSv1.3";
    const role = this.options.role;
    let requested = { requested: false, issuers: [] as Uint8Array[] };
    if (role === "client")
      requested = findCertificateRequest(concatBytes(this.received), hello, this.secrets);
    const verdict = this.verdict ?? { verifyError: null, status: SEC_E_OK };
    const enforced =
      role === "client"
        ? !(this.options as ClientContextOptions).manualValidation
        : (this.options as ServerContextOptions).requestClientCertificate;
    const summary = buildHandshakeSummary(socket, {
      role,
      serverHello: hello,
      serverFlight: role === "client" ? concatBytes(this.received) : concatBytes(this.sent),
      secrets: this.secrets,
      exportSecrets: this.credential.config.keylog !== false,
      serverName:
        role === "client" ? (this.options as ClientContextOptions).serverName : socket.servername || null,
      certificateCheck: { verifyError: verdict.verifyError, status: verdict.status, enforced },
      clientCertificateRequested: requested.requested,
      acceptableIssuers: requested.issuers,
      writeSequence: tls13
        ? role === "server"
          ? countRecords(afterSecure, CONTENT_TYPE_APPLICATION_DATA)
          : 0
        : 1,
      readSequence: tls13 ? 0 : 1,
    });
    if (role === "client") summary.peerCertificates = this.peerChain.map((c) => c.slice());
    this.state = "established";
    const sessions = role === "client" ? this.keepSessions(this.newSessions.splice(0)) : [];
    const result: EngineStepResult = { status: SEC_E_OK, output, consumed, missing: 0, handshake: summary };
    if (sessions.length > 0) result.sessions = sessions;
    return result;
  }

  private failFromVerdict(consumed: number): EngineStepResult {
    const verdict = this.verdict!;
    const outputStart = this.taken;
    const pending = this.takeRaw();
    const kept = pending.subarray(0, Math.max(0, this.secureAt - outputStart));
    const description = verdict.alert ?? 46;
    const alert = buildAlertRecord(this.alertContext(kept), description);
    const who = this.options.role === "client" ? "server" : "client";
    return this.fail(
      {
        status: verdict.status,
        alert: { description, direction: "sent" },
        reason: `${who} certificate rejected: ${verdict.verifyError} (${formatStatus(verdict.status)}, alert ${alertName(description)})`,
      },
      concatBytes([kept, alert]),
      consumed,
    );
  }

  private failFromEngine(consumed: number): EngineStepResult {
    const failure = failureFromEngineError(this.engineError);
    let output = this.takeRaw();
    const flushed = findPlaintextAlert(output);
    if (failure.alert?.direction !== "received") {
      if (flushed !== undefined) {
        failure.alert = { description: flushed.description, direction: "sent" };
      } else if (holdsPlaintextHandshake(output)) {
        // A flight OpenSSL wrote before failing on later input must not reach the peer (it could
        // complete on it): send only the alert, under the keys the peer already knows.
        failure.alert ??= { description: TLS1_ALERT_UNEXPECTED_MESSAGE, direction: "sent" };
        output = buildAlertRecord(this.alertContext(EMPTY), failure.alert.description);
      } else if (output.length === 0 && failure.alert !== undefined) {
        output = buildAlertRecord(this.alertContext(EMPTY), failure.alert.description);
      }
    }
    return this.fail(failure, output, consumed);
  }

  private failFromHeader(error: RecordHeaderError, consumed: number): EngineStepResult {
    const failure = failureFromRecordHeader(error);
    const pending = this.takeRaw();
    const alert = buildAlertRecord(this.alertContext(pending), failure.alert!.description);
    return this.fail(failure, concatBytes([pending, alert]), consumed);
  }

  private fail(
    failure: Omit<EngineFailure, "alert"> & Partial<EngineFailure>,
    output: Uint8Array,
    consumed: number,
  ) {
    const result: EngineStepResult = {
      status: failure.status,
      output,
      consumed,
      missing: 0,
      reason: failure.reason,
    };
    if (failure.alert !== undefined) result.alert = { level: TLS1_ALERT_FATAL, ...failure.alert };
    if (output.length > 0) this.sent.push(output);
    this.state = "failed";
    this.lastFailure = { ...result };
    if (this.options.role === "client") this.credential.forgetSession(this.cacheKey());
    this.socket?.destroy();
    this.duplex.destroy();
    zeroKeylogSecrets(this.secrets);
    return result;
  }

  private result(status: SECURITY_STATUS, output: Uint8Array, consumed: number): EngineStepResult {
    return { status, output, consumed, missing: 0 };
  }
}

function simple(status: SECURITY_STATUS, reason: string): EngineStepResult {
  return { status, output: EMPTY, consumed: 0, missing: 0, reason };
}

/** True when `output` holds a plaintext handshake record (a flight, not just an alert). */
function holdsPlaintextHandshake(output: Uint8Array): boolean {
  return splitRecords(output).records.some((r) => r.contentType === CONTENT_TYPE_HANDSHAKE);
}
