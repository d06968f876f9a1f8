/**
 * A Schannel security context: one TLS connection from the first ISC/ASC to delete.
 *
 * Its state is one of four phases ({@link ContextState}): **handshake** (each ISC/ASC is one
 * engine step behind the security service) → **established** (EncryptMessage/DecryptMessage run
 * on OpenSSL's records, synchronously on the caller's thread; ISC/ASC only return what OpenSSL
 * wrote on its own: KeyUpdates, alerts, close_notify) → **closing** (close_notify or a fatal
 * alert was queued by ApplyControlToken; reading goes on) or **dead** (a fatal error on either
 * side, in any phase: nothing more is read or written).
 *
 * @module
 */

import type { AnyEngineHost } from "../service/blocking-host.js";
import { type HostTask, reply, runTask } from "../service/host-task.js";
import {
  SECBUFFER_ALERT,
  SECBUFFER_APPLICATION_PROTOCOLS,
  SECBUFFER_TLS_SESSION_EX,
  SECBUFFER_TOKEN,
} from "../sspi/buffer-types.js";
import { copyBytes } from "../sspi/bytes.js";
import {
  ASC_REQ_EXTENDED_ERROR,
  ASC_REQ_MUTUAL_AUTH,
  ASC_RET_CONFIDENTIALITY,
  ASC_RET_EXTENDED_ERROR,
  ASC_RET_MUTUAL_AUTH,
  ASC_RET_REPLAY_DETECT,
  ASC_RET_SEQUENCE_DETECT,
  ASC_RET_STREAM,
  ISC_REQ_DELEGATE,
  ISC_REQ_EXTENDED_ERROR,
  ISC_REQ_MANUAL_CRED_VALIDATION,
  ISC_REQ_PROMPT_FOR_CREDS,
  ISC_REQ_USE_SUPPLIED_CREDS,
  ISC_RET_CONFIDENTIALITY,
  ISC_RET_EXTENDED_ERROR,
  ISC_RET_MANUAL_CRED_VALIDATION,
  ISC_RET_MUTUAL_AUTH,
  ISC_RET_REPLAY_DETECT,
  ISC_RET_SEQUENCE_DETECT,
  ISC_RET_STREAM,
} from "../sspi/context-flags.js";
import { TLS1_ALERT_FATAL } from "../sspi/schannel-constants.js";
import type { ContextRequest, ContextResult, Outcome, OutputData } from "../sspi/security-package.js";
import {
  FAILED,
  SEC_E_INCOMPLETE_MESSAGE,
  SEC_E_INTERNAL_ERROR,
  SEC_E_INVALID_TOKEN,
  SEC_E_OK,
  SEC_E_UNSUPPORTED_FUNCTION,
  SEC_I_CONTEXT_EXPIRED,
  SEC_I_CONTINUE_NEEDED,
  SEC_I_INCOMPLETE_CREDENTIALS,
} from "../sspi/status.js";
import { TIMESTAMP_NEVER } from "../sspi/timestamp.js";
import type { SecPkgInfo } from "../sspi/types.js";
import { parseApplicationProtocols } from "./application-protocols.js";
import { cipherSuiteByIanaName, cipherSuiteByOpensslName } from "./cipher-suites.js";
import type { EstablishedSnapshot } from "./context-attributes.js";
import type { ControlToken } from "./control-tokens.js";
import type { HandshakeSummary } from "./engine/engine-types.js";
import { findCertificateRequest12 } from "./engine/handshake-messages.js";
import type { NativeRecordLayer } from "./native/native-records.js";
import { sessionBlobError } from "./native/session-blob.js";
import { releaseIfUnusedTask, type SchannelCredential } from "./schannel-credential.js";

const EMPTY = new Uint8Array(0);

/** An established connection: OpenSSL's records and what the attributes answer from. */
export interface Connection {
  readonly records: NativeRecordLayer;
  readonly snapshot: EstablishedSnapshot;
}

/** The state of a context, one shape per phase. */
export type ContextState =
  | {
      readonly phase: "handshake";
      /** The engine behind the security service, once the first call created it. */
      readonly engineId: number | null;
      /** A shutdown or alert requested during the handshake, for the next ISC/ASC. */
      readonly control: ControlToken | null;
    }
  | { readonly phase: "established"; readonly engineId: number; readonly connection: Connection }
  | {
      readonly phase: "closing";
      readonly engineId: number | null;
      /** Null when the handshake was abandoned (shutdown requested before it completed). */
      readonly connection: Connection | null;
      readonly why: string;
    }
  | {
      readonly phase: "dead";
      readonly engineId: number | null;
      readonly connection: Connection | null;
      readonly reason: string;
    };

export class SchannelContext {
  readonly role: "client" | "server";
  readonly credential: SchannelCredential;
  state: ContextState = { phase: "handshake", engineId: null, control: null };
  private deleted = false;
  /**
   * Client: the result withheld behind SEC_I_INCOMPLETE_CREDENTIALS, returned by the next call.
   * The engine has already answered the CertificateRequest anonymously, so the next call can
   * only continue without one.
   */
  private withheld: (Partial<ContextResult> & Outcome) | null = null;
  private incompleteCredentialsReported = false;
  /** Client: the issuers a server's CertificateRequest named (before the handshake completes). */
  requestedIssuers: Uint8Array[] | null = null;
  /** Client: the newest exported resumable session, and how many arrived (`SECPKG_ATTR_TLS_SESSION_EX`). */
  session: { latest: Uint8Array | null; received: number } = { latest: null, received: 0 };

  /** The phase (`handshake`, `established`, `closing`, `dead`). */
  get phase(): ContextState["phase"] {
    return this.state.phase;
  }

  /** The connection once established (also while closing, and after a failure that followed). */
  get connection(): Connection | null {
    return this.state.phase === "handshake" ? null : this.state.connection;
  }

  /** What the attributes answer from, once established. */
  get snapshot(): EstablishedSnapshot | null {
    return this.connection?.snapshot ?? null;
  }

  private get engineId(): number | null {
    return this.state.engineId;
  }

  constructor(
    credential: SchannelCredential,
    private readonly packageInfo: SecPkgInfo,
  ) {
    this.role = credential.role;
    this.credential = credential;
    credential.liveContexts++;
  }

  /** One ISC/ASC call. */
  process(request: ContextRequest, created: boolean): Promise<ContextResult> {
    return runTask(this.processTask(request, created, this.credential.host));
  }

  /**
   * One ISC/ASC call as a host task over `host`: the credential's host (asynchronous) or its
   * blocking face (the blocking SSPI functions).
   */
  *processTask(request: ContextRequest, created: boolean, host: AnyEngineHost): HostTask<ContextResult> {
    const result = (r: Partial<ContextResult> & Outcome): ContextResult => ({
      outputs: [],
      extra: 0,
      missing: 0,
      contextAttr: this.returnFlags(request),
      expiry: TIMESTAMP_NEVER,
      ...(created && { context: this }),
      ...r,
    });
    if (
      request.role === "initiator" &&
      (request.contextReq & (ISC_REQ_DELEGATE | ISC_REQ_PROMPT_FOR_CREDS)) !== 0
    ) {
      return result({
        status: SEC_E_UNSUPPORTED_FUNCTION,
        reason: "ISC_REQ_DELEGATE and ISC_REQ_PROMPT_FOR_CREDS are not supported by Schannel",
      });
    }
    if (request.contextReqHigh !== 0n) {
      return result({
        status: SEC_E_UNSUPPORTED_FUNCTION,
        reason: "request flags at bit 32 and above (TLS message mode) are not supported",
      });
    }
    const token = request.input.find((b) => b.type === SECBUFFER_TOKEN)?.data ?? EMPTY;
    if (this.withheld !== null) {
      const withheld = this.withheld;
      this.withheld = null;
      return result(withheld);
    }
    const state = this.state;
    if (state.phase === "handshake") {
      if (state.control !== null) return result(yield* this.handshakeControlStep(host));
      return result(yield* this.handshakeStep(request, token, created, host));
    }
    const output = state.connection?.records.takePendingOutput() ?? EMPTY;
    if (output.byteLength > 0)
      return result({ status: SEC_E_OK, outputs: [{ type: SECBUFFER_TOKEN, data: output }] });
    if (state.phase === "closing") return result({ status: SEC_I_CONTEXT_EXPIRED, reason: state.why });
    if (state.phase === "dead")
      return result({ status: SEC_I_CONTEXT_EXPIRED, reason: `the connection failed: ${state.reason}` });
    // Established with nothing to send: any input is application or post-handshake records,
    // which belong to DecryptMessage; hand them back as EXTRA.
    return result({ status: SEC_E_OK, extra: token.byteLength });
  }

  private *handshakeStep(
    request: ContextRequest,
    token: Uint8Array,
    created: boolean,
    host: AnyEngineHost,
  ): HostTask<Partial<ContextResult> & Outcome> {
    if (created) {
      const opened = yield* this.openEngine(request, host);
      if (opened.status !== SEC_E_OK) {
        this.state = {
          phase: "dead",
          engineId: null,
          connection: null,
          reason: opened.reason ?? "no engine",
        };
        return opened;
      }
    } else if (this.engineId === null) {
      return { status: SEC_E_INTERNAL_ERROR, reason: "the engine of this context is gone" };
    }
    const engineId = this.engineId!;
    const r = yield* reply(host.step(engineId, token));
    this.receiveSessions(r.sessions);
    const outputs: OutputData[] = [];
    if (r.output.byteLength > 0) outputs.push({ type: SECBUFFER_TOKEN, data: r.output });
    if (r.alert?.direction === "sent")
      outputs.push({ type: SECBUFFER_ALERT, data: Uint8Array.of(r.alert.level, r.alert.description) });
    const outcome: Partial<ContextResult> & Outcome = {
      status: r.status,
      outputs,
      extra: r.status === SEC_E_INCOMPLETE_MESSAGE ? 0 : Math.max(0, token.byteLength - r.consumed),
      missing: r.missing,
      ...(r.reason !== undefined && { reason: r.reason }),
      ...(r.alert?.direction === "sent" && { alertSent: r.alert.description }),
      ...(r.alert?.direction === "received" && { alertReceived: r.alert.description }),
    };
    if (this.role === "client") {
      const issuers =
        r.status === SEC_E_OK
          ? r.handshake?.clientCertificateRequested
            ? r.handshake.acceptableIssuers
            : null
          : r.status === SEC_I_CONTINUE_NEEDED
            ? findCertificateRequest12(token)
            : null;
      if (issuers !== null) this.requestedIssuers = issuers;
      if (
        issuers !== null &&
        this.credential.summary.certificates.length === 0 &&
        (request.contextReq & ISC_REQ_USE_SUPPLIED_CREDS) === 0 &&
        !this.incompleteCredentialsReported
      ) {
        this.incompleteCredentialsReported = true;
        if (r.status === SEC_E_OK && r.handshake) this.establish(r.handshake);
        this.withheld = outcome;
        return {
          status: SEC_I_INCOMPLETE_CREDENTIALS,
          extra: token.byteLength,
          reason:
            "the server asked for a client certificate and this credential has none: call again (with ISC_REQ_USE_SUPPLIED_CREDS) to continue without one; SECPKG_ATTR_ISSUER_LIST_EX lists the issuers it accepts",
        };
      }
    }
    if (r.status === SEC_E_OK && r.handshake) {
      const established = this.establish(r.handshake);
      if (established.status !== SEC_E_OK) return { ...outcome, ...established };
    } else if (FAILED(r.status) && r.status !== SEC_E_INCOMPLETE_MESSAGE) {
      this.state = { phase: "dead", engineId, connection: null, reason: r.reason ?? "the handshake failed" };
      yield* this.releaseEngine(host);
    }
    return outcome;
  }

  private *openEngine(request: ContextRequest, host: AnyEngineHost): HostTask<Outcome> {
    const { engineCredentialId, policy } = this.credential;
    let alpn: string[] | undefined;
    const alpnBuffer = request.input.find((b) => b.type === SECBUFFER_APPLICATION_PROTOCOLS);
    if (alpnBuffer) {
      const parsed = parseApplicationProtocols(alpnBuffer.data);
      if (!Array.isArray(parsed))
        return { status: SEC_E_INVALID_TOKEN, reason: `SECBUFFER_APPLICATION_PROTOCOLS: ${parsed.error}` };
      alpn = parsed;
    }
    const session = request.input.find((b) => b.type === SECBUFFER_TLS_SESSION_EX)?.data;
    if (session !== undefined && this.role === "client") {
      const problem = sessionBlobError(session);
      if (problem !== null)
        return { status: SEC_E_INVALID_TOKEN, reason: `SECBUFFER_TLS_SESSION_EX: ${problem}` };
    }
    const created = yield* reply(
      host.createContext(
        engineCredentialId,
        this.role === "client"
          ? {
              role: "client",
              serverName: request.targetName,
              ...(alpn !== undefined && { alpn }),
              ...(session !== undefined && { session: copyBytes(session) }),
              manualValidation:
                policy.manualValidation || (request.contextReq & ISC_REQ_MANUAL_CRED_VALIDATION) !== 0,
              noServerNameCheck: policy.noServerNameCheck,
            }
          : { role: "server", requestClientCertificate: (request.contextReq & ASC_REQ_MUTUAL_AUTH) !== 0 },
      ),
    );
    if (created.status !== SEC_E_OK || created.contextId === undefined) {
      return { status: created.status, reason: created.reason ?? "the security service refused the context" };
    }
    this.state = { phase: "handshake", engineId: created.contextId, control: null };
    return { status: SEC_E_OK };
  }

  /** The handshake completed: records from now on are OpenSSL's, on this thread. */
  private establish(summary: HandshakeSummary): Outcome {
    const engineId = this.engineId;
    const suite =
      cipherSuiteByOpensslName(summary.cipher) ?? cipherSuiteByIanaName(summary.cipherStandardName);
    const records = engineId === null ? null : (this.credential.host.recordLayer?.(engineId) ?? null);
    if (suite === undefined || records === null) {
      const reason = `no record layer for ${summary.cipher}`;
      this.state = { phase: "dead", engineId, connection: null, reason };
      void runTask(this.releaseEngine(this.credential.host));
      return { status: SEC_E_INTERNAL_ERROR, reason };
    }
    records.sessionListener = (sessions) => this.receiveSessions(sessions);
    const secrets = summary.secrets;
    if (secrets !== undefined) {
      this.credential.policy.keyLog?.(keyLogLines(summary).join("\n"));
      for (const s of Object.values(secrets)) if (s instanceof Uint8Array) s.fill(0);
    }
    const snapshot: EstablishedSnapshot = {
      summary: { ...summary, secrets: undefined },
      suite,
      packageInfo: this.packageInfo,
      streamSizes: records.streamSizes,
      exportKeyingMaterial: (label, context, length) => records.exportKeyingMaterial(label, context, length),
      keyingMaterialInfo: null,
    };
    this.state = { phase: "established", engineId: engineId!, connection: { records, snapshot } };
    return { status: SEC_E_OK };
  }

  /** After EncryptMessage/DecryptMessage: a fatal error on either side ends the context both ways. */
  afterRecords(): void {
    const state = this.state;
    if ((state.phase === "established" || state.phase === "closing") && state.connection?.records.failed)
      this.state = {
        phase: "dead",
        engineId: state.engineId,
        connection: state.connection,
        reason: "a fatal alert was sent or received",
      };
  }

  /** Client: keeps the newest exported session the engine produced. */
  private receiveSessions(sessions: Uint8Array[] | undefined): void {
    if (sessions === undefined || sessions.length === 0) return;
    this.session = {
      latest: sessions[sessions.length - 1]!,
      received: this.session.received + sessions.length,
    };
  }

  private *releaseEngine(host: AnyEngineHost): HostTask<void> {
    const id = this.engineId;
    if (id === null) return;
    const state = this.state;
    this.state =
      state.phase === "established"
        ? { phase: "dead", engineId: null, connection: state.connection, reason: "the context was deleted" }
        : { ...state, engineId: null };
    yield* reply(host.deleteContext(id));
  }

  /** ApplyControlToken. */
  applyControl(token: ControlToken): Outcome {
    const state = this.state;
    if (state.phase === "closing" || state.phase === "dead") return { status: SEC_E_OK };
    if (token.type === "renegotiate")
      return { status: SEC_E_UNSUPPORTED_FUNCTION, reason: "renegotiation is not supported" };
    if (token.type === "session") return { status: SEC_E_OK };
    if (state.phase === "handshake") {
      if (token.type === "key-update")
        return {
          status: SEC_E_UNSUPPORTED_FUNCTION,
          reason: "KeyUpdate needs an established TLS 1.3 connection",
        };
      this.state = { ...state, control: token };
      return { status: SEC_E_OK };
    }
    const records = state.connection.records;
    const done =
      token.type === "shutdown"
        ? records.closeNotify()
        : token.type === "alert"
          ? records.alert(token.alertType, token.alertNumber)
          : records.keyUpdate(token.requestPeerUpdate);
    if (!done.ok) return { status: done.status, reason: done.reason };
    if (token.type === "shutdown" || (token.type === "alert" && token.alertType === TLS1_ALERT_FATAL))
      this.state = {
        phase: "closing",
        engineId: state.engineId,
        connection: state.connection,
        why: token.type === "shutdown" ? "close_notify was sent" : "a fatal alert was sent",
      };
    return { status: SEC_E_OK };
  }

  /** A shutdown or alert requested before the handshake completed: the engine writes it. */
  private *handshakeControlStep(host: AnyEngineHost): HostTask<Outcome & { outputs: OutputData[] }> {
    const id = this.engineId;
    const bytes = id === null ? EMPTY : yield* reply(host.close(id));
    this.state = { phase: "closing", engineId: null, connection: null, why: "close_notify was sent" };
    return {
      status: SEC_E_OK,
      outputs: bytes.byteLength > 0 ? [{ type: SECBUFFER_TOKEN, data: bytes }] : [],
    };
  }

  private returnFlags(request: ContextRequest): number {
    const peerCertificate = (this.snapshot?.summary.peerCertificates.length ?? 0) > 0;
    if (request.role === "initiator") {
      let flags = ISC_RET_CONFIDENTIALITY | ISC_RET_SEQUENCE_DETECT | ISC_RET_REPLAY_DETECT | ISC_RET_STREAM;
      if (request.contextReq & ISC_REQ_EXTENDED_ERROR) flags |= ISC_RET_EXTENDED_ERROR;
      const manual =
        this.credential.policy.manualValidation ||
        (request.contextReq & ISC_REQ_MANUAL_CRED_VALIDATION) !== 0;
      if (manual) flags |= ISC_RET_MANUAL_CRED_VALIDATION;
      else if (peerCertificate) flags |= ISC_RET_MUTUAL_AUTH;
      return flags >>> 0;
    }
    let flags = ASC_RET_CONFIDENTIALITY | ASC_RET_SEQUENCE_DETECT | ASC_RET_REPLAY_DETECT | ASC_RET_STREAM;
    if (request.contextReq & ASC_REQ_EXTENDED_ERROR) flags |= ASC_RET_EXTENDED_ERROR;
    if ((request.contextReq & ASC_REQ_MUTUAL_AUTH) !== 0 && peerCertificate) flags |= ASC_RET_MUTUAL_AUTH;
    return flags >>> 0;
  }

  /** DeleteSecurityContext: releases the engine and zeroes every secret. */
  delete(): Promise<Outcome> {
    return runTask(this.deleteTask(this.credential.host));
  }

  /** {@link delete} as a host task over `host` (the credential's host or its blocking face). */
  *deleteTask(host: AnyEngineHost): HostTask<Outcome> {
    if (this.deleted) return { status: SEC_E_OK };
    this.deleted = true;
    this.connection?.records.destroy();
    yield* this.releaseEngine(host);
    this.credential.liveContexts--;
    yield* releaseIfUnusedTask(this.credential, host);
    return { status: SEC_E_OK };
  }
}

/** NSS key-log lines for a completed handshake (SSLKEYLOGFILE format). */
export function keyLogLines(summary: HandshakeSummary): string[] {
  const s = summary.secrets;
  if (!s) return [];
  const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
  const random = hex(s.clientRandom);
  const lines: string[] = [];
  const add = (label: string, secret: Uint8Array | undefined) => {
    if (secret) lines.push(`${label} ${random} ${hex(secret)}`);
  };
  if (summary.protocol === "TLSv1.2") add("CLIENT_RANDOM", s.masterSecret);
  add("CLIENT_HANDSHAKE_TRAFFIC_SECRET", s.clientHandshakeTrafficSecret);
  add("SERVER_HANDSHAKE_TRAFFIC_SECRET", s.serverHandshakeTrafficSecret);
  add("CLIENT_TRAFFIC_SECRET_0", s.clientTrafficSecret0);
  add("SERVER_TRAFFIC_SECRET_0", s.serverTrafficSecret0);
  add("EXPORTER_SECRET", s.exporterSecret);
  return lines;
}
