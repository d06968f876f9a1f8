/**
 * A Schannel security context: one TLS connection from the first ISC/ASC to delete.
 *
 * Phases: **handshake** (each ISC/ASC is one engine step behind the security service) →
 * **established** (the traffic secrets moved here; EncryptMessage/DecryptMessage run on the
 * direct record layer; ISC/ASC only return control output: close_notify, alerts, KeyUpdates) →
 * **closed** (close_notify sent) or **failed**.
 *
 * @module
 */

import { type AnyEngineHost, blockingFaceOf } from "../service/blocking-host.js";
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
import type { EstablishedSnapshot } from "./context-attributes.js";
import type { ControlToken } from "./control-tokens.js";
import type { HandshakeSummary } from "./engine/engine-types.js";
import { findCertificateRequest12 } from "./engine/handshake-messages.js";
import { sessionBlobError } from "./native/session-blob.js";
import { cipherSuiteByIanaName, cipherSuiteByOpensslName } from "./record/cipher-suites.js";
import { type DirectRecordLayer, tls12RecordLayer, tls13RecordLayer } from "./record/record-layer.js";
import { fromTls13TrafficSecret, type RecordProtection } from "./record/record-protection.js";
import {
  CONTENT_TYPE_HANDSHAKE as CONTENT_HANDSHAKE,
  MAX_PLAINTEXT_LENGTH,
} from "./records/record-header.js";
import { releaseIfUnusedTask, type SchannelCredential } from "./schannel-credential.js";

/** How long a TLS 1.3 client engine waits for more session tickets after the first one. */
const TICKET_GRACE_MS = 2000;

const EMPTY = new Uint8Array(0);

type Phase = "handshake" | "established" | "closed" | "failed";

export class SchannelContext {
  readonly role: "client" | "server";
  readonly credential: SchannelCredential;
  phase: Phase = "handshake";
  /** The engine behind the security service, while it lives. */
  engineId: number | null = null;
  /** Set at SEC_E_OK: what the attributes answer from. */
  snapshot: EstablishedSnapshot | null = null;
  records: DirectRecordLayer | null = null;
  /** Output that the next ISC/ASC returns (close_notify, alerts, KeyUpdates). */
  private readonly control: Uint8Array[] = [];
  /** A shutdown or alert requested during the handshake, for the next ISC/ASC. */
  private handshakeControl: ControlToken | null = null;
  /** TLS 1.3 client: re-seals tickets under the engine's own read key so OpenSSL keeps the session. */
  private ticketFeed: RecordProtection | null = null;
  private ticketTimer: NodeJS.Timeout | null = null;
  /** Deliveries to the engine still running (delete waits for them). */
  private deliveries: Promise<unknown> = Promise.resolve();
  private deleted = false;
  /**
   * Client: the result withheld behind SEC_I_INCOMPLETE_CREDENTIALS, returned by the next call.
   * The engine has already answered the CertificateRequest anonymously (Node gives no way to
   * supply a certificate later), so the next call can only continue without one.
   */
  private withheld: (Partial<ContextResult> & Outcome) | null = null;
  private incompleteCredentialsReported = false;
  /** Client: the issuers a server's CertificateRequest named (before the handshake completes). */
  requestedIssuers: Uint8Array[] | null = null;
  /** Client: the newest exported resumable session, and how many arrived (`SECPKG_ATTR_TLS_SESSION_EX`). */
  session: { latest: Uint8Array | null; received: number } = { latest: null, received: 0 };
  /** Ticket deliveries queued on the asynchronous face and not yet answered. */
  private pendingDeliveries = 0;

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
    if (this.phase === "handshake") {
      if (this.handshakeControl !== null) return result(yield* this.handshakeControlStep(host));
      return result(yield* this.handshakeStep(request, token, created, host));
    }
    const output = this.takeControlOutput();
    if (output.byteLength > 0)
      return result({ status: SEC_E_OK, outputs: [{ type: SECBUFFER_TOKEN, data: output }] });
    if (this.phase === "closed")
      return result({ status: SEC_I_CONTEXT_EXPIRED, reason: "close_notify was sent" });
    if (this.phase === "failed")
      return result({ status: SEC_I_CONTEXT_EXPIRED, reason: "the connection failed" });
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
        this.phase = "failed";
        return opened;
      }
    } else if (this.engineId === null) {
      return { status: SEC_E_INTERNAL_ERROR, reason: "the engine of this context is gone" };
    }
    const r = yield* reply(host.step(this.engineId!, token));
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
      this.phase = "failed";
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
    this.engineId = created.contextId;
    return { status: SEC_E_OK };
  }

  /** Moves the connection to the direct record layer. */
  private establish(summary: HandshakeSummary): Outcome {
    const suite =
      cipherSuiteByOpensslName(summary.cipher) ?? cipherSuiteByIanaName(summary.cipherStandardName);
    const secrets = summary.secrets;
    if (suite === undefined || secrets === undefined) {
      this.phase = "failed";
      void this.releaseEngineLater();
      return { status: SEC_E_INTERNAL_ERROR, reason: `no record layer for ${summary.cipher}` };
    }
    const sequences = { read: BigInt(summary.readSequence), write: BigInt(summary.writeSequence) };
    if (summary.protocol === "TLSv1.3") {
      this.records = tls13RecordLayer(
        suite,
        this.role,
        { client: secrets.clientTrafficSecret0!, server: secrets.serverTrafficSecret0! },
        sequences,
      );
      if (this.role === "client" && !this.credential.policy.disableResumption) {
        this.ticketFeed = fromTls13TrafficSecret(suite, secrets.serverTrafficSecret0!, sequences.read);
      }
    } else {
      this.records = tls12RecordLayer(
        suite,
        this.role,
        secrets.masterSecret!,
        secrets.clientRandom,
        secrets.serverRandom,
        sequences,
      );
    }
    this.credential.policy.keyLog?.(keyLogLines(summary).join("\n"));
    this.snapshot = {
      summary: { ...summary, secrets: undefined },
      suite,
      packageInfo: this.packageInfo,
      exporter: {
        ...(secrets.exporterSecret && { exporterSecret: copyBytes(secrets.exporterSecret) }),
        ...(secrets.masterSecret && { masterSecret: copyBytes(secrets.masterSecret) }),
        clientRandom: copyBytes(secrets.clientRandom),
        serverRandom: copyBytes(secrets.serverRandom),
      },
      keyingMaterialInfo: null,
    };
    for (const s of Object.values(secrets)) if (s instanceof Uint8Array) s.fill(0);
    this.phase = "established";
    if (this.ticketFeed === null) void this.releaseEngineLater();
    else this.armTicketTimer(10 * TICKET_GRACE_MS);
    return { status: SEC_E_OK };
  }

  /**
   * DecryptMessage found TLS 1.3 tickets: hand them to the engine so OpenSSL stores the session.
   * A ticket message larger than a record (legal: the ticket alone may be 64 KiB) is re-sealed in
   * several records, as the server fragmented it. Never throws: a ticket that cannot be re-sealed
   * is dropped (the connection itself is unaffected; only that resumption is lost).
   */
  deliverTickets(tickets: Uint8Array[]): void {
    if (this.ticketFeed === null || this.engineId === null) return;
    const engineId = this.engineId;
    const records: Uint8Array[] = [];
    try {
      for (const ticket of tickets) {
        for (let offset = 0; offset < ticket.byteLength; offset += MAX_PLAINTEXT_LENGTH)
          records.push(
            this.ticketFeed.seal(CONTENT_HANDSHAKE, ticket.subarray(offset, offset + MAX_PLAINTEXT_LENGTH)),
          );
      }
    } catch {
      return;
    }
    const bytes = Buffer.concat(records);
    const blocking = blockingFaceOf(this.credential.host);
    if (blocking?.inThread === true && this.pendingDeliveries === 0) {
      // Nothing else queued on the engine and no thread to wait for: deliver now, so the
      // session is there when DecryptMessage returns.
      this.receiveSessions(blocking.deliverPostHandshake(engineId, bytes).sessions);
    } else {
      this.pendingDeliveries++;
      this.deliveries = this.deliveries
        .then(() => this.credential.host.deliverPostHandshake(engineId, bytes))
        .then((r) => this.receiveSessions(r.sessions))
        .catch(() => {})
        .finally(() => this.pendingDeliveries--);
    }
    this.armTicketTimer(TICKET_GRACE_MS);
  }

  /** Client: keeps the newest exported session the engine produced. */
  private receiveSessions(sessions: Uint8Array[] | undefined): void {
    if (sessions === undefined || sessions.length === 0) return;
    this.session = {
      latest: sessions[sessions.length - 1]!,
      received: this.session.received + sessions.length,
    };
  }

  private armTicketTimer(ms: number): void {
    if (this.ticketTimer) clearTimeout(this.ticketTimer);
    this.ticketTimer = setTimeout(() => void this.releaseEngineLater(), ms);
    this.ticketTimer.unref();
  }

  /** Releases the engine in the background (asynchronous host), whatever face the call used. */
  private releaseEngineLater(): Promise<void> {
    return runTask(this.releaseEngine(this.credential.host));
  }

  private *releaseEngine(host: AnyEngineHost): HostTask<void> {
    if (this.ticketTimer) clearTimeout(this.ticketTimer);
    this.ticketTimer = null;
    this.ticketFeed?.destroy();
    this.ticketFeed = null;
    const id = this.engineId;
    this.engineId = null;
    if (id !== null) {
      // The asynchronous face waits for ticket deliveries in flight. The blocking face cannot
      // (they need this thread's event loop); the pool keeps one context's requests in order, so
      // the delete still follows every delivery already sent.
      if (host === this.credential.host) yield* reply(this.deliveries);
      yield* reply(host.deleteContext(id));
    }
  }

  /** ApplyControlToken. */
  applyControl(token: ControlToken): Outcome {
    if (this.phase === "closed" || this.phase === "failed") {
      return { status: SEC_E_OK };
    }
    if (token.type === "renegotiate")
      return { status: SEC_E_UNSUPPORTED_FUNCTION, reason: "renegotiation is not supported" };
    if (token.type === "session") return { status: SEC_E_OK };
    if (this.phase === "handshake" || this.records === null) {
      if (token.type === "key-update")
        return {
          status: SEC_E_UNSUPPORTED_FUNCTION,
          reason: "KeyUpdate needs an established TLS 1.3 connection",
        };
      this.handshakeControl = token;
      return { status: SEC_E_OK };
    }
    const sealed =
      token.type === "shutdown"
        ? this.records.closeNotify()
        : token.type === "alert"
          ? this.records.alert(token.alertType, token.alertNumber)
          : this.records.initiateKeyUpdate(token.requestPeerUpdate);
    if (!sealed.ok) return { status: sealed.status, reason: sealed.reason };
    this.control.push(sealed.record);
    if (token.type === "shutdown" || (token.type === "alert" && token.alertType === TLS1_ALERT_FATAL))
      this.phase = "closed";
    return { status: SEC_E_OK };
  }

  /** A shutdown or alert requested before the handshake completed: the engine writes it. */
  private *handshakeControlStep(host: AnyEngineHost): HostTask<Outcome & { outputs: OutputData[] }> {
    this.handshakeControl = null;
    const bytes = this.engineId === null ? EMPTY : yield* reply(host.close(this.engineId));
    this.engineId = null;
    this.phase = "closed";
    return {
      status: SEC_E_OK,
      outputs: bytes.byteLength > 0 ? [{ type: SECBUFFER_TOKEN, data: bytes }] : [],
    };
  }

  private takeControlOutput(): Uint8Array {
    const parts = this.control.splice(0);
    const pending = this.records?.takePendingOutput();
    if (pending) parts.unshift(pending);
    return parts.length === 0 ? EMPTY : parts.length === 1 ? parts[0]! : Buffer.concat(parts);
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
    yield* this.releaseEngine(host);
    this.records?.destroy();
    this.records = null;
    if (this.snapshot) {
      for (const v of Object.values(this.snapshot.exporter)) if (v instanceof Uint8Array) v.fill(0);
    }
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
