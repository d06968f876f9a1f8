/**
 * The per-security-context TLS engine on the native addon: one OpenSSL SSL over memory BIOs.
 *
 * A step is one `SSL_do_handshake` (`plan` decides whether OpenSSL is needed at all, the host runs
 * the step on the libuv pool or synchronously, `finish` turns OpenSSL's result into the
 * {@link EngineStepResult} the first engine returns). Output is what the write BIO held;
 * SECBUFFER_EXTRA is what OpenSSL left unread; SEC_E_INCOMPLETE_MESSAGE comes from record framing
 * here. Certificates are checked in OpenSSL's verify callback, so a rejecting client sends its
 * alert and nothing of its second flight.
 *
 * @module
 */
import { isIP } from "node:net";
import {
  TLS1_ALERT_BAD_CERTIFICATE,
  TLS1_ALERT_FATAL,
  TLS1_ALERT_UNEXPECTED_MESSAGE,
} from "../../sspi/schannel-constants.js";
import {
  SEC_E_CONTEXT_EXPIRED,
  SEC_E_INCOMPLETE_MESSAGE,
  SEC_E_INTERNAL_ERROR,
  SEC_E_OK,
  SEC_E_UNSUPPORTED_FUNCTION,
  SEC_E_WRONG_PRINCIPAL,
  SEC_I_CONTINUE_NEEDED,
  SEC_I_INCOMPLETE_CREDENTIALS,
  type SECURITY_STATUS,
} from "../../sspi/status.js";
import { countRecords, plaintextAlertRecord } from "../engine/alert-record.js";
import { type EngineFailure, failureFromRecordHeader } from "../engine/engine-errors.js";
import type {
  CertificateCheck,
  ClientContextOptions,
  EngineContextOptions,
  EngineStepResult,
  EngineTlsVersion,
  HandshakeSummary,
  ServerContextOptions,
} from "../engine/engine-types.js";
import { groupName } from "../engine/handshake-messages.js";
import { type KeylogSecrets, zeroKeylogSecrets } from "../engine/keylog.js";
import {
  CONTENT_TYPE_APPLICATION_DATA,
  CONTENT_TYPE_HANDSHAKE,
  MAX_CIPHERTEXT_LENGTH,
  parseRecordHeader,
  RECORD_HEADER_LENGTH,
  type RecordHeaderError,
  splitRecords,
} from "../records/record-header.js";
import type {
  NativeAddon,
  NativeContext,
  NativeContextOptions,
  NativeSession,
  NativeStepResult,
} from "./addon-types.js";
import { handshakeSecrets, recordKeylog } from "./engine-secrets.js";
import { alpnWire, type NativeEngineCredential, type ValidationMode } from "./native-credential.js";
import { NativeRecordLayer } from "./native-records.js";
import { decodeSessionBlob, encodeSessionBlob, openSession } from "./session-blob.js";
import { failureOfStep } from "./step-failure.js";
import { certificateVerdict, settledVerifyResult } from "./verify-codes.js";

/** What a step needs: an answer without OpenSSL, or OpenSSL run over `input`. */
export type StepPlan = { run: false; result: EngineStepResult } | { run: true; input: Uint8Array };

type Phase = "new" | "handshake" | "established" | "failed" | "closed";

const EMPTY = new Uint8Array(0);

/** A TLS engine for one security context on the native addon. */
export class NativeTlsEngine {
  readonly native: NativeContext;
  private phase: Phase = "new";
  private readonly secrets: KeylogSecrets = {};
  private lastFailure: EngineStepResult | undefined;
  private headerError: RecordHeaderError | undefined;
  /** The planned step holds one incomplete record whose length only TLS 1.2 allows: its missing bytes. */
  private waitingFor = 0;
  /** Client: the target the session cache is keyed by, and how the server is validated. */
  private readonly target: string;
  private readonly mode: ValidationMode | null;
  /** Client: where the offered session came from (a cached one is forgotten when it fails). */
  private readonly offered: "none" | "cache" | "imported";
  /** Client: the server certificate was validated by this handshake (sessions may be cached). */
  private validated = false;

  /**
   * @throws TypeError when the credential and context roles differ (the host checks first), or
   *   what the addon throws for options it rejects.
   */
  constructor(
    addon: NativeAddon,
    private readonly credential: NativeEngineCredential,
    readonly options: EngineContextOptions,
  ) {
    if (credential.config.role !== options.role) throw new TypeError("credential and context roles differ");
    const nativeOptions: NativeContextOptions = {};
    let imported: NativeSession | undefined;
    if (options.role === "client") {
      this.target = options.cacheKey ?? options.serverName ?? "";
      this.mode = options.manualValidation ? null : options.noServerNameCheck ? "no-name-check" : "full";
      const name = options.serverName;
      nativeOptions.enforce = !options.manualValidation;
      if (name !== null && isIP(name) === 0) nativeOptions.serverName = name;
      if (name !== null && !options.noServerNameCheck) {
        if (isIP(name) === 0) nativeOptions.verifyHost = name;
        else nativeOptions.verifyIp = name;
      }
      const alpn = alpnWire(options.alpn ?? credential.config.alpn);
      if (alpn !== undefined) nativeOptions.alpn = alpn;
      imported =
        this.mode === null || options.session === undefined
          ? undefined
          : importSession(addon, credential, options.session, this.target, this.mode);
      const session =
        imported ?? (this.mode === null ? undefined : credential.cachedSession(this.target, this.mode));
      this.offered = imported !== undefined ? "imported" : session !== undefined ? "cache" : "none";
      if (session !== undefined) nativeOptions.session = session;
    } else {
      this.target = "";
      this.mode = null;
      this.offered = "none";
      nativeOptions.enforce = true;
      nativeOptions.requestCertificate = !options.requestClientCertificate
        ? 0
        : options.clientCertificateOptional === true
          ? 1
          : 2;
    }
    try {
      this.native = new addon.Context(credential.native, nativeOptions);
    } finally {
      imported?.free(); // the SSL holds its own reference
    }
  }

  /** The role of this engine. */
  get role(): "client" | "server" {
    return this.options.role;
  }

  /**
   * Decides what one ISC/ASC call needs (statuses as `TlsEngine.step`): an immediate answer
   * (`SEC_E_INCOMPLETE_MESSAGE` with the missing count, the repeated failure of a failed engine,
   * `SEC_E_CONTEXT_EXPIRED`, `SEC_E_UNSUPPORTED_FUNCTION`) or one OpenSSL step over `input`.
   */
  plan(input: Uint8Array): StepPlan {
    this.headerError = undefined;
    if (this.phase === "failed" && this.lastFailure !== undefined)
      return { run: false, result: { ...this.lastFailure, output: EMPTY, consumed: 0, missing: 0 } };
    if (this.phase === "closed")
      return { run: false, result: simple(SEC_E_CONTEXT_EXPIRED, "the context was closed") };
    if (this.phase === "established")
      return {
        run: false,
        result: simple(
          SEC_E_UNSUPPORTED_FUNCTION,
          "the handshake is complete; renegotiation is not supported",
        ),
      };
    if (this.phase === "new" && this.options.role === "client") {
      this.phase = "handshake";
      return { run: true, input: EMPTY };
    }
    this.waitingFor = 0;
    const split = splitRecords(input);
    if (split.records.length === 0) {
      if (split.error === undefined) {
        const missing = split.missing > 0 ? split.missing : RECORD_HEADER_LENGTH;
        const header = parseRecordHeader(input);
        if (header === null || header.length <= MAX_CIPHERTEXT_LENGTH)
          return {
            run: false,
            result: { status: SEC_E_INCOMPLETE_MESSAGE, output: EMPTY, consumed: 0, missing },
          };
        // Beyond TLS 1.3's limit but within TLS 1.2's: OpenSSL decides by the version it
        // negotiated (record_overflow from the header, or nothing read: wait for the body).
        this.waitingFor = missing;
      } else {
        this.headerError = split.error;
      }
    }
    this.phase = "handshake";
    return { run: true, input };
  }

  /** Turns OpenSSL's result of the planned step into the step result. */
  finish(raw: NativeStepResult): EngineStepResult {
    recordKeylog(raw.keylog, this.secrets);
    switch (raw.outcome) {
      case "want-read":
        this.dropSessions(raw);
        if (this.waitingFor > 0 && raw.consumed === 0 && raw.output.byteLength === 0)
          return { status: SEC_E_INCOMPLETE_MESSAGE, output: EMPTY, consumed: 0, missing: this.waitingFor };
        if (this.headerError !== undefined && raw.consumed === 0)
          // An invalid header OpenSSL waits behind (a length it would still accept): refuse it
          // here, or the caller would call again with the same bytes forever.
          return this.fail(failureFromRecordHeader(this.headerError), raw);
        return { status: SEC_I_CONTINUE_NEEDED, output: raw.output, consumed: raw.consumed, missing: 0 };
      case "want-x509-lookup":
        return {
          status: SEC_I_INCOMPLETE_CREDENTIALS,
          output: raw.output,
          consumed: raw.consumed,
          missing: 0,
          reason: "the server asked for a client certificate",
        };
      case "done":
        return this.complete(raw);
      default:
        this.dropSessions(raw);
        return this.fail(
          failureOfStep(raw, this.options.role === "client" ? "server" : "client", this.headerError),
          raw,
        );
    }
  }

  /**
   * The record layer of the established connection: OpenSSL's, on the caller's thread. Sessions
   * from TLS 1.3 tickets read by it go to the session cache when this handshake was validated.
   *
   * @returns the layer, or null when the handshake has not completed (or the engine failed).
   */
  recordLayer(): NativeRecordLayer | null {
    if (this.phase !== "established") return null;
    const sizes = this.native.streamSizes();
    if (sizes === null) return null;
    const tls13 = this.native.info().versionNumber === 0x0304;
    return new NativeRecordLayer(
      this.native,
      {
        cbHeader: sizes.header,
        cbTrailer: sizes.trailer,
        cbMaximumMessage: sizes.maximumMessage,
        cBuffers: 4,
        cbBlockSize: sizes.blockSize,
      },
      tls13,
      () => (this.options.role === "client" ? this.keepSessions(this.native.takeSessions()) : NO_SESSIONS),
    );
  }

  /**
   * Ends the connection through OpenSSL: close_notify under its current write key, then releases
   * the engine.
   *
   * @returns the close_notify record, or an empty array when the engine is not established.
   */
  close(): Uint8Array {
    let output = EMPTY;
    if (this.phase === "established" && !this.native.isDead() && this.native.shutdown()) {
      output = new Uint8Array(this.native.pendingOutput());
      this.native.takeOutput(output);
    }
    this.destroy();
    return output;
  }

  /** Releases the SSL and zeroes the logged secrets. */
  destroy(): void {
    if (this.phase !== "failed") this.phase = "closed";
    this.native.free();
    zeroKeylogSecrets(this.secrets);
  }

  private complete(raw: NativeStepResult): EngineStepResult {
    const info = this.native.info();
    const protocol = info.version as EngineTlsVersion;
    const tls13 = protocol === "TLSv1.3";
    const role = this.options.role;
    const peerCertificates = this.native.peerChain().map(plainBytes);
    let check: CertificateCheck;
    if (role === "client") {
      const options = this.options as ClientContextOptions;
      const verdict = certificateVerdict(
        raw.verifyResult !== 0 ? settledVerifyResult(raw.verifyResult, raw.verifyDepth) : info.verifyResult,
      );
      let { verifyError, status } = verdict;
      if (status === SEC_E_OK && info.resumed && this.mode === "full" && options.serverName !== null) {
        // A resumed session proves the certificate of the first handshake: check its name again.
        if (!this.native.checkPeerName(options.serverName, isIP(options.serverName) !== 0)) {
          verifyError = "HOSTNAME_MISMATCH";
          status = SEC_E_WRONG_PRINCIPAL;
        }
      }
      check = { verifyError, status, enforced: !options.manualValidation };
      if (check.enforced && status !== SEC_E_OK) return this.rejectAfterCompletion(raw, check);
      this.validated = check.enforced;
    } else {
      const options = this.options as ServerContextOptions;
      const verdict =
        peerCertificates.length === 0
          ? { verifyError: null, status: SEC_E_OK }
          : certificateVerdict(info.verifyResult);
      check = {
        verifyError: verdict.verifyError,
        status: verdict.status,
        enforced: options.requestClientCertificate,
      };
    }
    const sessions = [...raw.sessions];
    if (role === "client" && info.resumed && !tls13 && sessions.length === 0) {
      // TLS 1.2: a ticket renewed during a resumption updates this SSL's own session.
      const current = this.native.session();
      if (current !== null) sessions.push(current);
    }
    const exported = this.keepSessions(sessions);
    const requested = role === "client" && raw.certificateRequested;
    const summary: HandshakeSummary = {
      role,
      protocol,
      cipher: info.cipher ?? "",
      cipherStandardName: info.cipherStandardName ?? info.cipher ?? "",
      cipherSuite: info.cipherId ?? 0,
      group: info.group ?? (info.groupCodepoint !== undefined ? groupName(info.groupCodepoint) : null),
      alpn: info.alpn,
      serverName: role === "client" ? (this.options as ClientContextOptions).serverName : info.serverName,
      peerCertificates,
      localCertificate: plainBytesOrNull(this.native.localCertificate()),
      resumed: info.resumed,
      sessionId: info.sessionId,
      certificateCheck: check,
      clientCertificateRequested: requested,
      acceptableIssuers: requested ? this.native.certificateAuthorities() : [],
      writeSequence: tls13
        ? role === "server"
          ? countRecords(raw.output, CONTENT_TYPE_APPLICATION_DATA)
          : 0
        : 1,
      readSequence: tls13 ? 0 : 1,
    };
    if (!tls13) {
      // tls-unique: the first Finished on the wire — this side's when it is the client of a full
      // handshake or the server of a resumption, else the peer's.
      const first =
        (role === "client") !== info.resumed ? this.native.finished() : this.native.peerFinished();
      if (first !== null) summary.tlsUnique = first;
    }
    if (this.credential.config.keylog !== false)
      summary.secrets = handshakeSecrets(this.secrets, info.clientRandom, info.serverRandom);
    this.phase = "established";
    return {
      status: SEC_E_OK,
      output: raw.output,
      consumed: raw.consumed,
      missing: 0,
      handshake: summary,
      sessions: exported,
    };
  }

  /**
   * Client: OpenSSL completed, but the resumed session's name no longer matches. The Finished it
   * wrote is withheld; a fatal bad_certificate alert is sent instead and the session forgotten.
   */
  private rejectAfterCompletion(raw: NativeStepResult, check: CertificateCheck): EngineStepResult {
    for (const session of raw.sessions) session.free();
    return this.fail(
      {
        status: check.status,
        alert: { description: TLS1_ALERT_BAD_CERTIFICATE, direction: "sent" },
        reason: `server certificate rejected on resumption: ${check.verifyError}`,
      },
      { ...raw, output: plaintextAlertRecord(TLS1_ALERT_BAD_CERTIFICATE), sessions: [] },
      true,
    );
  }

  private fail(failure: EngineFailure, raw: NativeStepResult, alertBuilt = false): EngineStepResult {
    let output = raw.output;
    const openSslSent = raw.alerts.some((a) => a.direction === "sent");
    if (!alertBuilt && holdsPlaintextHandshake(output)) {
      // A flight OpenSSL wrote before failing on later input in the same step must not reach the
      // peer (it could complete on it). The peer has read nothing of it, so its read state is
      // still plaintext: send only the alert, in plaintext.
      const description =
        failure.alert?.direction === "sent" ? failure.alert.description : TLS1_ALERT_UNEXPECTED_MESSAGE;
      failure.alert = { description, direction: "sent" };
      output = plaintextAlertRecord(description);
    } else if (failure.alert?.direction === "sent" && !openSslSent && !alertBuilt) {
      if (output.length === 0 && !raw.keysDerived) {
        // OpenSSL sends no alert for this error: before any key exists a plaintext alert is
        // exact, so the peer never waits.
        output = plaintextAlertRecord(failure.alert.description);
      } else {
        delete failure.alert; // never report an alert that was not sent
      }
    }
    const result: EngineStepResult = {
      status: failure.status,
      output,
      consumed: raw.consumed,
      missing: 0,
      reason: failure.reason,
    };
    if (failure.alert !== undefined) result.alert = { level: TLS1_ALERT_FATAL, ...failure.alert };
    this.phase = "failed";
    this.lastFailure = { ...result };
    if (this.offered === "cache" && this.mode !== null) this.credential.forgetSession(this.target, this.mode);
    zeroKeylogSecrets(this.secrets);
    return result;
  }

  /**
   * Client: caches the sessions of a validated handshake in the credential and returns them
   * exported ({@link encodeSessionBlob}); frees them otherwise (manual validation: never kept).
   */
  private keepSessions(sessions: NativeSession[]): Uint8Array[] {
    const exported: Uint8Array[] = [];
    for (const session of sessions) {
      if (!this.validated || this.mode === null) {
        session.free();
        continue;
      }
      if (!this.credential.config.disableResumption && session.isResumable())
        exported.push(
          encodeSessionBlob({
            mode: this.mode,
            trustId: this.credential.trustId,
            target: this.target,
            der: session.toDER(),
          }),
        );
      this.credential.storeSession(this.target, this.mode, session);
    }
    return exported;
  }

  private dropSessions(raw: NativeStepResult): void {
    for (const session of raw.sessions) session.free();
  }
}

/**
 * Client: the session of an exported blob, when it was validated under the same rules as this
 * context (validation mode, target name, trusted roots); undefined otherwise (a full handshake).
 *
 * @throws TypeError for a blob that is not a session (the API checks blobs before, see
 *   {@link checkSessionBlob}).
 */
function importSession(
  addon: NativeAddon,
  credential: NativeEngineCredential,
  bytes: Uint8Array,
  target: string,
  mode: ValidationMode,
): NativeSession | undefined {
  const blob = decodeSessionBlob(bytes);
  if ("error" in blob) throw new TypeError(`session: ${blob.error}`);
  if (credential.config.disableResumption) return undefined;
  if (blob.mode !== mode || blob.target !== target) return undefined;
  if (!Buffer.from(blob.trustId).equals(credential.trustId)) return undefined;
  const session = openSession(addon, blob.der);
  if ("error" in session) throw new TypeError(`session: ${session.error}`);
  if (session.isResumable()) return session;
  session.free();
  return undefined;
}

/** True when `output` holds a plaintext handshake record (a flight, not just an alert). */
function holdsPlaintextHandshake(output: Uint8Array): boolean {
  return splitRecords(output).records.some((r) => r.contentType === CONTENT_TYPE_HANDSHAKE);
}

/** A plain Uint8Array view of the addon's bytes (what the summary's consumers compare against). */
function plainBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function plainBytesOrNull(bytes: Uint8Array | null): Uint8Array | null {
  return bytes === null ? null : plainBytes(bytes);
}

function simple(status: SECURITY_STATUS, reason: string): EngineStepResult {
  return { status, output: EMPTY, consumed: 0, missing: 0, reason };
}

const NO_SESSIONS: Uint8Array[] = [];

/** @returns a status result for a step that cannot run (a step of this context already runs). */
export function busyResult(): EngineStepResult {
  return simple(SEC_E_INTERNAL_ERROR, "a step is already running on this context");
}
