/**
 * The Schannel security package: TLS 1.2 and 1.3 clients (`SECPKG_CRED_OUTBOUND`) and servers
 * (`SECPKG_CRED_INBOUND`) on OpenSSL through Node's `tls`, selected by the names "Schannel",
 * "Microsoft Unified Security Protocol Provider" and "Default TLS SSP".
 *
 * @module
 */

import { X509Certificate } from "node:crypto";
import { type AnyEngineHost, blockingFaceOf } from "../service/blocking-host.js";
import { type HostTask, reply, runTask, runTaskBlocking } from "../service/host-task.js";
import { securityService } from "../service/security-service.js";
import {
  SECPKG_ATTR_CIPHER_STRENGTHS,
  SECPKG_ATTR_KEYING_MATERIAL_INFO,
  SECPKG_ATTR_SESSION_TICKET_KEYS,
  SECPKG_ATTR_SUPPORTED_ALGS,
  SECPKG_ATTR_SUPPORTED_PROTOCOLS,
  SECPKG_ATTR_TLS_SESSION_EX,
} from "../sspi/attributes.js";
import { bufferKind, SECBUFFER_TOKEN } from "../sspi/buffer-types.js";
import { copyBytes } from "../sspi/bytes.js";
import {
  SECPKG_FLAG_ACCEPT_WIN32_NAME,
  SECPKG_FLAG_CONNECTION,
  SECPKG_FLAG_EXTENDED_ERROR,
  SECPKG_FLAG_IMPERSONATION,
  SECPKG_FLAG_INTEGRITY,
  SECPKG_FLAG_MULTI_REQUIRED,
  SECPKG_FLAG_MUTUAL_AUTH,
  SECPKG_FLAG_PRIVACY,
  SECPKG_FLAG_STREAM,
} from "../sspi/package-constants.js";
import {
  DEFAULT_TLS_SSP_NAME,
  SCHANNEL_NAME,
  SP_PROT_TLS1_2_CLIENT,
  SP_PROT_TLS1_2_SERVER,
  SP_PROT_TLS1_3_CLIENT,
  SP_PROT_TLS1_3_SERVER,
  UNISP_NAME,
  UNISP_RPC_ID,
} from "../sspi/schannel-constants.js";
import type {
  AcquireCredentialsRequest,
  AcquireCredentialsResult,
  BlockingPackageOperations,
  ContextRequest,
  ContextResult,
  Outcome,
  PackageObject,
  SecurityPackage,
} from "../sspi/security-package.js";
import {
  SEC_E_CONTEXT_EXPIRED,
  SEC_E_INCOMPLETE_MESSAGE,
  SEC_E_INVALID_PARAMETER,
  SEC_E_INVALID_TOKEN,
  SEC_E_OK,
  SEC_E_QOP_NOT_SUPPORTED,
  SEC_E_UNSUPPORTED_FUNCTION,
  SEC_E_WRONG_CREDENTIAL_HANDLE,
} from "../sspi/status.js";
import { TIMESTAMP_NEVER, timeStampFromDate } from "../sspi/timestamp.js";
import type { Box, SecBufferDesc, SecPkgInfo } from "../sspi/types.js";
import { CIPHER_SUITES } from "./cipher-suites.js";
import {
  parseKeyingMaterialInfo,
  queryEstablishedAttribute,
  type SecPkgContext_TlsSessionEx,
} from "./context-attributes.js";
import { parseControlToken } from "./control-tokens.js";
import { decryptMessage, encryptMessage } from "./message-protection.js";
import {
  type CredentialPolicy,
  credentialPolicy,
  SUPPORTED_GROUPS,
  zeroKeyMaterial,
} from "./sch-credentials.js";
import { SchannelContext } from "./schannel-context.js";
import {
  engineConfig,
  releaseIfUnused,
  releaseIfUnusedTask,
  type SchannelCredential,
} from "./schannel-credential.js";
import { parseSessionTicketKeys } from "./session-ticket-keys.js";

/** Schannel's `cbMaxToken` on Windows (24 KiB): enough for any handshake flight we produce. */
export const SCHANNEL_MAX_TOKEN = 0x6000;

export class SchannelPackage implements SecurityPackage {
  readonly info: Readonly<SecPkgInfo> = Object.freeze({
    fCapabilities:
      SECPKG_FLAG_INTEGRITY |
      SECPKG_FLAG_PRIVACY |
      SECPKG_FLAG_CONNECTION |
      SECPKG_FLAG_MULTI_REQUIRED |
      SECPKG_FLAG_EXTENDED_ERROR |
      SECPKG_FLAG_IMPERSONATION |
      SECPKG_FLAG_ACCEPT_WIN32_NAME |
      SECPKG_FLAG_STREAM |
      SECPKG_FLAG_MUTUAL_AUTH,
    wVersion: 1,
    wRPCID: UNISP_RPC_ID,
    cbMaxToken: SCHANNEL_MAX_TOKEN,
    Name: SCHANNEL_NAME,
    Comment: "TLS 1.2 and 1.3 (Schannel role) on the OpenSSL Node exports",
  });
  readonly aliases = [UNISP_NAME, DEFAULT_TLS_SSP_NAME] as const;

  /**
   * Unavailable exactly when the security service's engine cannot run here (the native addon did
   * not load): never a fallback to another engine.
   */
  unavailableReason(): string | null {
    return securityService().unavailableReason ?? null;
  }

  prepareCredentials(
    _principal: string | null,
    credentialUse: number,
    authData: unknown,
  ): Outcome & { authData?: unknown } {
    const { policy, ...outcome } = credentialPolicy(authData, credentialUse);
    return policy ? { ...outcome, authData: policy } : outcome;
  }

  /**
   * The blocking establishing operations: the native host runs the handshake step synchronously
   * on the calling thread (its blocking face). Credentials and contexts are the same objects as
   * the asynchronous calls', so a context can be continued either way. A custom host without a
   * blocking face (set with `setSecurityService`) cannot be used by them (`SEC_E_UNSUPPORTED_FUNCTION`).
   */
  readonly blocking: BlockingPackageOperations = {
    acquireCredentials: (request) => runTaskBlocking(this.acquireTask(request, true)),
    freeCredentials: (credential) => runTaskBlocking(this.freeTask(credential, true)),
    processContext: (request) => runTaskBlocking(this.processTask(request, true)),
    deleteContext: (context) => runTaskBlocking(this.deleteTask(context, true)),
  };

  acquireCredentials(request: AcquireCredentialsRequest): Promise<AcquireCredentialsResult> {
    return runTask(this.acquireTask(request, false));
  }

  private *acquireTask(
    request: AcquireCredentialsRequest,
    blocking: boolean,
  ): HostTask<AcquireCredentialsResult> {
    const policy = request.authData as CredentialPolicy;
    // Blocking calls run the host's steps on the calling thread (its blocking face).
    const host = securityService();
    const face: AnyEngineHost | null = blocking ? blockingFaceOf(host) : host;
    if (face === null) {
      zeroKeyMaterial(policy.certificates);
      return {
        status: SEC_E_UNSUPPORTED_FUNCTION,
        reason: "the security service in use has no blocking face",
        expiry: 0n,
      };
    }
    const acquired = yield* reply(face.acquireCredential(engineConfig(policy)));
    // The security service has its own copy now (or refused it): none stays on this thread.
    zeroKeyMaterial(policy.certificates);
    policy.certificates = [];
    if (
      acquired.status !== SEC_E_OK ||
      acquired.credentialId === undefined ||
      acquired.summary === undefined
    ) {
      return {
        status: acquired.status,
        reason: acquired.reason ?? "the security service refused the credential",
        expiry: 0n,
      };
    }
    const credential: SchannelCredential = {
      role: policy.role,
      policy,
      host,
      engineCredentialId: acquired.credentialId,
      summary: acquired.summary,
      liveContexts: 0,
      freed: false,
    };
    return { status: SEC_E_OK, credential, expiry: credentialExpiry(credential) };
  }

  freeCredentials(credential: PackageObject): Promise<Outcome> {
    return runTask(this.freeTask(credential, false));
  }

  private *freeTask(credential: PackageObject, blocking: boolean): HostTask<Outcome> {
    const c = credential as SchannelCredential;
    c.freed = true;
    const face = blocking ? blockingFaceOf(c.host) : c.host;
    // A credential on a host without a blocking face (a custom host) is released in the background.
    if (face === null) void releaseIfUnused(c);
    else yield* releaseIfUnusedTask(c, face);
    return { status: SEC_E_OK };
  }

  processContext(request: ContextRequest): Promise<ContextResult> {
    return runTask(this.processTask(request, false));
  }

  private *processTask(request: ContextRequest, blocking: boolean): HostTask<ContextResult> {
    let context = request.context as SchannelContext | null;
    const created = context === null;
    if (context === null) {
      const credential = request.credential as SchannelCredential;
      const wanted = request.role === "initiator" ? "client" : "server";
      if (credential.role !== wanted) {
        return {
          status: SEC_E_WRONG_CREDENTIAL_HANDLE,
          reason: `${request.role === "initiator" ? "InitializeSecurityContext" : "AcceptSecurityContext"} needs a ${wanted} (${wanted === "client" ? "SECPKG_CRED_OUTBOUND" : "SECPKG_CRED_INBOUND"}) credential`,
          outputs: [],
          extra: 0,
          missing: 0,
          contextAttr: 0,
          expiry: 0n,
        };
      }
    }
    const credential = context?.credential ?? (request.credential as SchannelCredential);
    let host: AnyEngineHost = credential.host;
    if (blocking) {
      const face = blockingFaceOf(credential.host);
      if (face === null) {
        return {
          status: SEC_E_UNSUPPORTED_FUNCTION,
          reason:
            "this credential's security service has no blocking face: use the asynchronous calls with it",
          outputs: [],
          extra: 0,
          missing: 0,
          contextAttr: 0,
          expiry: 0n,
        };
      }
      host = face;
    }
    context ??= new SchannelContext(credential, this.info);
    return yield* context.processTask(request, created, host);
  }

  deleteContext(context: PackageObject): Promise<Outcome> {
    return (context as SchannelContext).delete();
  }

  private *deleteTask(context: PackageObject, blocking: boolean): HostTask<Outcome> {
    const ctx = context as SchannelContext;
    const face = blocking ? blockingFaceOf(ctx.credential.host) : ctx.credential.host;
    if (face === null) {
      // No blocking face (a custom host): release in the background, answer at once.
      void ctx.delete();
      return { status: SEC_E_OK };
    }
    return yield* ctx.deleteTask(face);
  }

  queryContextAttributes(context: PackageObject, attribute: number, pBuffer: Box<unknown>): Outcome {
    const ctx = context as SchannelContext;
    if (attribute === SECPKG_ATTR_TLS_SESSION_EX) {
      if (ctx.role !== "client")
        return { status: SEC_E_UNSUPPORTED_FUNCTION, reason: "sessions are exported by TLS clients" };
      const { latest, received } = ctx.session;
      const value: SecPkgContext_TlsSessionEx = {
        cbSession: latest?.byteLength ?? 0,
        pbSession: latest === null ? null : copyBytes(latest),
        cSessionsReceived: received,
      };
      pBuffer.value = value;
      return { status: SEC_E_OK };
    }
    return queryEstablishedAttribute(ctx.snapshot, attribute, pBuffer, ctx.requestedIssuers);
  }

  setContextAttributes(context: PackageObject, attribute: number, value: unknown): Outcome {
    const ctx = context as SchannelContext;
    if (attribute !== SECPKG_ATTR_KEYING_MATERIAL_INFO) {
      return {
        status: SEC_E_UNSUPPORTED_FUNCTION,
        reason: `attribute 0x${attribute.toString(16)} cannot be set on Schannel contexts`,
      };
    }
    const info = parseKeyingMaterialInfo(value);
    if ("error" in info) return { status: SEC_E_INVALID_PARAMETER, reason: info.error };
    if (ctx.snapshot === null)
      return { status: SEC_E_INCOMPLETE_MESSAGE, reason: "the handshake has not completed" };
    ctx.snapshot.keyingMaterialInfo = info;
    return { status: SEC_E_OK };
  }

  /**
   * `SECPKG_ATTR_SESSION_TICKET_KEYS` on a server credential ({@link parseSessionTicketKeys}):
   * rotates its ticket keys in place, for the contexts it already has and those to come.
   */
  setCredentialsAttributes(credential: PackageObject, attribute: number, value: unknown): Outcome {
    const c = credential as SchannelCredential;
    if (attribute !== SECPKG_ATTR_SESSION_TICKET_KEYS)
      return {
        status: SEC_E_UNSUPPORTED_FUNCTION,
        reason: `attribute 0x${attribute.toString(16)} cannot be set on Schannel credentials`,
      };
    const parsed = parseSessionTicketKeys(value);
    if ("error" in parsed) return { status: SEC_E_INVALID_PARAMETER, reason: parsed.error };
    if (c.host.setTicketKeys === undefined)
      return {
        status: SEC_E_UNSUPPORTED_FUNCTION,
        reason: "session ticket keys can be rotated on the native engine only",
      };
    const result = c.host.setTicketKeys(c.engineCredentialId, parsed.keys);
    for (const key of parsed.keys) {
      key.hmac.fill(0);
      key.aes.fill(0);
    }
    return result;
  }

  queryCredentialsAttributes(credential: PackageObject, attribute: number, pBuffer: Box<unknown>): Outcome {
    const c = credential as SchannelCredential;
    const client = c.role === "client";
    switch (attribute) {
      case SECPKG_ATTR_SUPPORTED_PROTOCOLS: {
        let bits = 0;
        if (c.policy.minVersion === "TLSv1.2") bits |= client ? SP_PROT_TLS1_2_CLIENT : SP_PROT_TLS1_2_SERVER;
        if (c.policy.maxVersion === "TLSv1.3") bits |= client ? SP_PROT_TLS1_3_CLIENT : SP_PROT_TLS1_3_SERVER;
        pBuffer.value = { grbitProtocol: bits };
        return { status: SEC_E_OK };
      }
      case SECPKG_ATTR_SUPPORTED_ALGS: {
        const names = new Set([...c.policy.cipherSuites13, ...c.policy.ciphers12]);
        const suites = CIPHER_SUITES.filter((s) => names.has(s.opensslName));
        pBuffer.value = {
          cSupportedAlgs: suites.length,
          palgSupportedAlgs: suites.map((s) => s.id),
          suites: suites.map((s) => ({
            id: s.id,
            ianaName: s.ianaName,
            opensslName: s.opensslName,
            version: s.version,
          })),
          groups: SUPPORTED_GROUPS.filter((g) => c.policy.groups.includes(g.name)).map((g) => g.name),
        };
        return { status: SEC_E_OK };
      }
      case SECPKG_ATTR_CIPHER_STRENGTHS:
        pBuffer.value = { dwMinimumCipherStrength: 128, dwMaximumCipherStrength: 256 };
        return { status: SEC_E_OK };
      default:
        return {
          status: SEC_E_UNSUPPORTED_FUNCTION,
          reason: `credential attribute 0x${attribute.toString(16)} is not supported`,
        };
    }
  }

  applyControlToken(context: PackageObject, input: SecBufferDesc): Outcome {
    const token = input.pBuffers
      .slice(0, input.cBuffers)
      .find((b) => bufferKind(b.BufferType) === SECBUFFER_TOKEN);
    if (!token?.pvBuffer)
      return { status: SEC_E_INVALID_TOKEN, reason: "ApplyControlToken needs a SECBUFFER_TOKEN buffer" };
    const parsed = parseControlToken(token.pvBuffer.subarray(0, token.cbBuffer));
    if ("error" in parsed) return { status: SEC_E_INVALID_TOKEN, reason: parsed.error };
    return (context as SchannelContext).applyControl(parsed);
  }

  encryptMessage(
    context: PackageObject,
    fQOP: number,
    message: SecBufferDesc,
    messageSeqNo: number,
  ): Outcome {
    const ctx = context as SchannelContext;
    if (messageSeqNo !== 0) return SEQ_NO_NOT_ZERO;
    if (fQOP !== 0) return { status: SEC_E_QOP_NOT_SUPPORTED, reason: "fQOP must be 0" };
    const connection = ctx.connection;
    if (connection === null) return notEstablished(ctx);
    const outcome = encryptMessage(connection.records, message);
    // SEC_E_OK means OpenSSL wrote the record: the connection is alive.
    if (outcome.status !== SEC_E_OK) ctx.afterRecords();
    return outcome;
  }

  decryptMessage(
    context: PackageObject,
    message: SecBufferDesc,
    pfQOP: Box<number> | null,
    messageSeqNo: number,
  ): Outcome {
    const ctx = context as SchannelContext;
    if (messageSeqNo !== 0) return SEQ_NO_NOT_ZERO;
    const connection = ctx.connection;
    if (connection === null) return notEstablished(ctx);
    const outcome = decryptMessage(connection.records, message);
    // A fatal error or the peer's fatal alert ends the context in both directions (SEC_E_OK:
    // OpenSSL read the record, the connection is alive).
    if (outcome.status !== SEC_E_OK) ctx.afterRecords();
    if (pfQOP) pfQOP.value = 0;
    return outcome;
  }
}

/** Schannel's `MessageSeqNo` must be 0. */
const SEQ_NO_NOT_ZERO: Outcome = { status: SEC_E_QOP_NOT_SUPPORTED, reason: "MessageSeqNo must be 0" };

function notEstablished(ctx: SchannelContext): Outcome {
  return ctx.phase === "handshake"
    ? { status: SEC_E_INCOMPLETE_MESSAGE, reason: "the handshake has not completed" }
    : {
        status: SEC_E_CONTEXT_EXPIRED,
        reason: `the connection is ${ctx.phase === "closing" ? "closed" : "dead"}`,
      };
}

function credentialExpiry(credential: SchannelCredential): bigint {
  const ders = credential.summary.certificates.map((c) => c.der).filter((d): d is Uint8Array => d !== null);
  if (ders.length === 0) return TIMESTAMP_NEVER;
  const earliest = Math.min(...ders.map((d) => Date.parse(new X509Certificate(d).validTo)));
  return timeStampFromDate(new Date(earliest));
}
