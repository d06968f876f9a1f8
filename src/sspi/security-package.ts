/**
 * The security-package provider interface. A package (Schannel, NTLM; Negotiate and Kerberos
 * later) implements this; the SSPI surface does everything generic around it:
 * handle tables, argument validation and copying at queue time, `SECBUFFER_FLAGS`, the
 * rewriting of caller buffers at completion (`EXTRA`, `MISSING`, allocated or caller-supplied
 * output, `SEC_E_BUFFER_TOO_SMALL` with the output held for the retry), async completion and
 * error details. A package therefore never sees a caller's `SecBufferDesc` in the establishing
 * calls: it gets copies of the input bytes and returns its outputs as data, so it can run its
 * engines anywhere (this thread or a worker pool).
 *
 * The per-message functions (`EncryptMessage`, `DecryptMessage`, `MakeSignature`,
 * `VerifySignature`) are synchronous and work in place on the caller's buffers, which the
 * surface has validated.
 *
 * @module
 */
import type { SECURITY_STATUS } from "./status.js";
import type { Box, SecBufferDesc, SecPkgInfo, TimeStamp } from "./types.js";

/** A failure's details, kept per handle and per async context ({@link SspiGetLastErrorInfo}). */
export interface FailureDetails {
  /** The engine's readable reason: "certificate chain ends in an untrusted root". */
  reason?: string;
  /** TLS alert description this side sent to the peer. */
  alertSent?: number;
  /** TLS alert description received from the peer. */
  alertReceived?: number;
}

/** What every package operation returns: a status and, on failure, why. */
export interface Outcome extends FailureDetails {
  status: SECURITY_STATUS;
}

/** A package's credential or context state: opaque to the surface. */
export type PackageObject = object;

/** The validated, copied arguments of AcquireCredentialsHandle, prepared at queue time. */
export interface AcquireCredentialsRequest {
  principal: string | null;
  credentialUse: number;
  /** The package's own copy of `pAuthData`, from {@link SecurityPackage.prepareCredentials}. */
  authData: unknown;
}

/** The result of acquiring a credential. */
export interface AcquireCredentialsResult extends Outcome {
  /** Present exactly when `status` is `SEC_E_OK`. */
  credential?: PackageObject;
  expiry: TimeStamp;
}

/** One input buffer of ISC/ASC, copied at queue time. */
export interface InputBuffer {
  /** The buffer type without attribute bits. */
  readonly type: number;
  readonly readOnly: boolean;
  /** A copy of the buffer's `cbBuffer` bytes (empty for `SECBUFFER_EMPTY`). */
  readonly data: Uint8Array;
}

/** The validated, copied arguments of one InitializeSecurityContext/AcceptSecurityContext call. */
export interface ContextRequest {
  readonly role: "initiator" | "acceptor";
  readonly credential: PackageObject | null;
  /** The context from `phContext`; null on the first call. */
  readonly context: PackageObject | null;
  /** `pszTargetName` (initiator only). */
  readonly targetName: string | null;
  /** `fContextReq` as an unsigned 32-bit number. */
  readonly contextReq: number;
  /** Request flags at bit 32 and above, from a `SECBUFFER_FLAGS` input buffer (0n if none). */
  readonly contextReqHigh: bigint;
  readonly targetDataRep: number;
  /** The input buffers in the caller's order, without `SECBUFFER_FLAGS`. */
  readonly input: readonly InputBuffer[];
  /** Types (without attribute bits) of the caller's output buffers, in order. */
  readonly outputTypes: readonly number[];
}

/** One output of ISC/ASC; the surface places it in the caller's buffer of the same type. */
export interface OutputData {
  readonly type: number;
  readonly data: Uint8Array;
}

/** The result of one ISC/ASC call. */
export interface ContextResult extends Outcome {
  /** The context: required on the first call (even on failure, if one was created). */
  context?: PackageObject;
  /** Outputs (`SECBUFFER_TOKEN` bytes to send, `SECBUFFER_ALERT`, …). */
  outputs: OutputData[];
  /** How many trailing bytes of the input token were not consumed (reported as `SECBUFFER_EXTRA`). */
  extra: number;
  /** With `SEC_E_INCOMPLETE_MESSAGE`: bytes still needed (reported as `SECBUFFER_MISSING`). */
  missing: number;
  /** `ISC_RET_*`/`ASC_RET_*` bits (low 32). */
  contextAttr: number;
  expiry: TimeStamp;
}

/**
 * The establishing operations answering in the call, for the blocking SSPI functions: the calling
 * thread blocks while the package's service works. Same results as the asynchronous ones.
 */
export interface BlockingPackageOperations {
  acquireCredentials(request: AcquireCredentialsRequest): AcquireCredentialsResult;
  freeCredentials(credential: PackageObject): Outcome;
  processContext(request: ContextRequest): ContextResult;
  deleteContext(context: PackageObject): Outcome;
}

/**
 * A security package. The establishing operations are asynchronous and take and return plain
 * data; the per-message and attribute operations are synchronous. Optional methods that are
 * absent answer `SEC_E_UNSUPPORTED_FUNCTION`.
 */
export interface SecurityPackage {
  /** What `EnumerateSecurityPackages` reports. `Name` is the canonical name. */
  readonly info: Readonly<SecPkgInfo>;
  /** Other names that select this package (matched case-insensitively, like `Name`). */
  readonly aliases: readonly string[];
  /**
   * Why the package cannot be used in this process (one sentence), or null when it can. An
   * unavailable package is left out of `EnumerateSecurityPackages`, unknown to
   * `QuerySecurityPackageInfo`, and `AcquireCredentialsHandle` fails with `SEC_E_SECPKG_NOT_FOUND`
   * and this reason. Absent: always available.
   */
  unavailableReason?(): string | null;

  /**
   * Validates and copies `pAuthData` when AcquireCredentialsHandle is queued (the caller may
   * reuse its objects right after). Returns `SEC_E_OK` with the package's copy, or a failure.
   */
  prepareCredentials(
    principal: string | null,
    credentialUse: number,
    authData: unknown,
  ): Outcome & { authData?: unknown };
  acquireCredentials(request: AcquireCredentialsRequest): Promise<AcquireCredentialsResult>;
  freeCredentials(credential: PackageObject): Promise<Outcome>;

  /** One InitializeSecurityContext (initiator) or AcceptSecurityContext (acceptor) step. */
  processContext(request: ContextRequest): Promise<ContextResult>;
  deleteContext(context: PackageObject): Promise<Outcome>;
  /**
   * The blocking forms of the four establishing operations (the blocking SSPI functions use
   * them; without them those answer `SEC_E_UNSUPPORTED_FUNCTION`).
   */
  readonly blocking?: BlockingPackageOperations;

  queryCredentialsAttributes?(credential: PackageObject, attribute: number, pBuffer: Box<unknown>): Outcome;
  setCredentialsAttributes?(credential: PackageObject, attribute: number, value: unknown): Outcome;
  queryContextAttributes?(context: PackageObject, attribute: number, pBuffer: Box<unknown>): Outcome;
  setContextAttributes?(context: PackageObject, attribute: number, value: unknown): Outcome;
  applyControlToken?(context: PackageObject, input: SecBufferDesc): Outcome;
  /**
   * The per-message functions get the caller's validated descriptor and work in place.
   * `messageSeqNo` is the caller's `MessageSeqNo` (unsigned); each package says what it accepts.
   */
  encryptMessage?(
    context: PackageObject,
    fQOP: number,
    message: SecBufferDesc,
    messageSeqNo: number,
  ): Outcome;
  decryptMessage?(
    context: PackageObject,
    message: SecBufferDesc,
    pfQOP: Box<number> | null,
    messageSeqNo: number,
  ): Outcome;
  makeSignature?(context: PackageObject, fQOP: number, message: SecBufferDesc, messageSeqNo: number): Outcome;
  verifySignature?(
    context: PackageObject,
    message: SecBufferDesc,
    pfQOP: Box<number> | null,
    messageSeqNo: number,
  ): Outcome;
  /**
   * Called by the Negotiate package after it made (`"sent"`) or verified (`"verified"`) SPNEGO's
   * mechListMIC with this package's `makeSignature` / `verifySignature`: NTLM re-keys that
   * direction's RC4 handle (MS-SPNG §3.2.5.1), so the first application message is sealed as if
   * the MIC had never been made. Absent: nothing to do.
   */
  afterMechListMic?(context: PackageObject, direction: "sent" | "verified"): void;
}
