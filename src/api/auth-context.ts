/**
 * `AuthContext`: one authentication (Negotiate, Kerberos or NTLM) as promises, beside
 * `TlsContext`. A client and a server exchange tokens with {@link AuthContext.step} until both
 * are `done`; then the context names the client and the package chosen, holds the session key,
 * and signs ({@link AuthContext.signature}) and seals ({@link AuthContext.wrap}) messages.
 *
 * ```ts
 * const client = new AuthContext(clientCredentials, { target: "HTTP/www.example.com" });
 * const server = new AuthContext(serverCredentials);
 * let fromServer: Uint8Array | undefined;
 * for (;;) {
 *   const c = await client.step(fromServer);
 *   if (c.token === null) break;
 *   const s = await server.step(c.token);
 *   fromServer = s.token ?? undefined;
 *   if (s.done && fromServer === undefined) break;
 * }
 * ```
 *
 * Every step is the asynchronous `InitializeSecurityContext` / `AcceptSecurityContext` (a KDC
 * round trip never blocks the loop). Secure by default: the client asks for mutual
 * authentication, and a context whose package authenticates the server (Kerberos, Negotiate
 * choosing Kerberos) is not `done` until the server's reply proved it; channel bindings bind the
 * authentication to a TLS connection ({@link channelBindingsOf}).
 *
 * @module
 */
import * as sspi from "../async/promises.js";
import {
  SECPKG_ATTR_NAMES,
  SECPKG_ATTR_NATIVE_NAMES,
  SECPKG_ATTR_NEGOTIATION_INFO,
  SECPKG_ATTR_PACKAGE_INFO,
  SECPKG_ATTR_SESSION_KEY,
  SECPKG_ATTR_SIZES,
} from "../sspi/attributes.js";
import {
  SECBUFFER_DATA,
  SECBUFFER_PADDING,
  SECBUFFER_STREAM,
  SECBUFFER_TOKEN,
} from "../sspi/buffer-types.js";
import { channelBindingsBuffer, type SEC_CHANNEL_BINDINGS } from "../sspi/channel-bindings.js";
import {
  ASC_REQ_CONFIDENTIALITY,
  ASC_REQ_CONNECTION,
  ASC_REQ_INTEGRITY,
  ASC_REQ_MUTUAL_AUTH,
  ASC_REQ_REPLAY_DETECT,
  ASC_REQ_SEQUENCE_DETECT,
  ISC_REQ_CONFIDENTIALITY,
  ISC_REQ_CONNECTION,
  ISC_REQ_INTEGRITY,
  ISC_REQ_MUTUAL_AUTH,
  ISC_REQ_REPLAY_DETECT,
  ISC_REQ_SEQUENCE_DETECT,
  ISC_RET_MUTUAL_AUTH,
} from "../sspi/context-flags.js";
import {
  DecryptMessage,
  EncryptMessage,
  MakeSignature,
  QueryContextAttributes,
  VerifySignature,
} from "../sspi/context-functions.js";
import { CtxtHandle, SecIsValidHandle } from "../sspi/handles.js";
import { FreeContextBuffer } from "../sspi/package-registry.js";
import {
  FAILED,
  SEC_E_INVALID_HANDLE,
  SEC_E_INVALID_TOKEN,
  SEC_E_MUTUAL_AUTH_FAILED,
  SEC_E_OK,
  SEC_I_COMPLETE_NEEDED,
  SEC_I_CONTINUE_NEEDED,
  type SECURITY_STATUS,
} from "../sspi/status.js";
import { box, type SecBufferDesc, type SecPkgInfo, secBuffer, secBufferDesc } from "../sspi/types.js";
import type { AuthCredentials } from "./auth-credentials.js";
import { AuthError } from "./auth-error.js";
import { copyBytes } from "./bytes.js";

/** Options of an {@link AuthContext}. */
export interface AuthContextOptions {
  /**
   * Client: the service principal name of the server, e.g. `HTTP/www.example.com` (Kerberos
   * needs it; NTLM sends it as MsvAvTargetName).
   */
  target?: string;
  /**
   * Client: require the server to prove itself where the package can (Kerberos' AP-REP;
   * default true). NTLM cannot, so it is not required of it.
   */
  mutualAuth?: boolean;
  /** The TLS connection's bindings ({@link channelBindingsOf}), passed on every step. */
  channelBindings?: SEC_CHANNEL_BINDINGS | null;
}

/** What one {@link AuthContext.step} returned. */
export interface AuthStepResult {
  /** The token for the peer, or null when there is nothing to send. */
  token: Uint8Array | null;
  /** True when this side is authenticated (the peer may still need `token`). */
  done: boolean;
}

/** The names of an established context. */
export interface AuthNames {
  /** The authenticated client, e.g. `alice@EXAMPLE.COM` or `TESTDOM\alice`. */
  client: string;
  /** The server's name as the package knows it (SPN, NetBIOS name), or null. */
  server: string | null;
}

type Phase =
  | { kind: "new" }
  | { kind: "continuing" }
  | { kind: "established"; flags: number }
  | { kind: "failed"; error: AuthError }
  | { kind: "closed" };

/** Packages whose server proves itself (the AP-REP); "Negotiate" depends on what it chose. */
const MUTUAL_PACKAGES = new Set(["kerberos"]);

/** Message sizes (`SECPKG_ATTR_SIZES`). */
interface Sizes {
  cbMaxSignature: number;
  cbBlockSize: number;
  cbSecurityTrailer: number;
}

/** One authentication, client or server by its credentials' role. */
export class AuthContext {
  readonly credentials: AuthCredentials;
  readonly role: "client" | "server";
  /** The underlying handle, for the SSPI-shaped functions (invalid before the first step). */
  readonly handle: CtxtHandle = new CtxtHandle();
  readonly #target: string | null;
  readonly #mutualAuth: boolean;
  readonly #bindings: SEC_CHANNEL_BINDINGS | null;
  #phase: Phase = { kind: "new" };
  #queue: Promise<unknown> = Promise.resolve();
  #sizes: Sizes | null = null;

  /**
   * Creates a context; nothing happens until the first {@link step}.
   *
   * @throws {AuthError} `SEC_E_INVALID_HANDLE` when the credentials are closed.
   */
  constructor(credentials: AuthCredentials, options: AuthContextOptions = {}) {
    credentials.assertOpen("InitializeSecurityContext");
    this.credentials = credentials;
    this.role = credentials.role;
    this.#target = options.target ?? null;
    this.#mutualAuth = options.mutualAuth ?? true;
    this.#bindings = options.channelBindings ?? null;
  }

  get #operation(): string {
    return this.role === "client" ? "InitializeSecurityContext" : "AcceptSecurityContext";
  }

  /** True once this side is authenticated. */
  get done(): boolean {
    return this.#phase.kind === "established";
  }

  /** Client: true once the server proved its identity (`ISC_RET_MUTUAL_AUTH`: Kerberos' AP-REP). */
  get mutuallyAuthenticated(): boolean {
    return this.#phase.kind === "established" && (this.#phase.flags & ISC_RET_MUTUAL_AUTH) !== 0;
  }

  /**
   * One step: the client's first call takes no token; every other call takes the peer's.
   *
   * @returns the token to send (null: nothing) and whether this side is done.
   * @throws {AuthError} with the package's status and reason, e.g. `SEC_E_LOGON_DENIED` (wrong
   *   password, unknown user), `SEC_E_BAD_BINDINGS` (channel bindings missing or not matching),
   *   `SEC_E_INVALID_TOKEN` (a malformed token), `SEC_E_NO_CREDENTIALS`, `SEC_E_TARGET_UNKNOWN`,
   *   `SEC_E_TIME_SKEW`, `SEC_E_NO_AUTHENTICATING_AUTHORITY` (KDC unreachable),
   *   `SEC_E_MUTUAL_AUTH_FAILED` (the server did not prove itself); `SEC_E_INVALID_HANDLE` when
   *   the context is closed or already failed. A failed context is unusable.
   */
  step(token?: Uint8Array | null): Promise<AuthStepResult> {
    return this.#exclusive(() => this.#step(token ?? null));
  }

  async #step(token: Uint8Array | null): Promise<AuthStepResult> {
    const op = this.#operation;
    const phase = this.#phase;
    if (phase.kind === "failed") throw phase.error;
    if (phase.kind === "closed")
      throw AuthError.refused(op, SEC_E_INVALID_HANDLE, "the AuthContext was closed");
    if (phase.kind === "established") {
      if (token === null) return { token: null, done: true };
      throw this.#failWith(
        AuthError.refused(op, SEC_E_INVALID_TOKEN, "the authentication is already complete"),
      );
    }
    if (phase.kind === "new") this.credentials.assertOpen(op);
    if (token === null && !(this.role === "client" && phase.kind === "new"))
      throw this.#failWith(AuthError.refused(op, SEC_E_INVALID_TOKEN, "this step needs the peer's token"));
    const first = phase.kind === "new";
    const input = this.#input(token);
    const output = secBufferDesc(secBuffer(SECBUFFER_TOKEN, this.credentials.maxToken));
    const attributes = box(0);
    const status =
      this.role === "client"
        ? await sspi.InitializeSecurityContext(
            first ? this.credentials.handle : null,
            first ? null : this.handle,
            this.#target,
            ISC_REQ_CONNECTION |
              ISC_REQ_INTEGRITY |
              ISC_REQ_CONFIDENTIALITY |
              ISC_REQ_SEQUENCE_DETECT |
              ISC_REQ_REPLAY_DETECT |
              (this.#mutualAuth ? ISC_REQ_MUTUAL_AUTH : 0),
            0,
            0,
            input,
            0,
            this.handle,
            output,
            attributes,
            null,
          )
        : await sspi.AcceptSecurityContext(
            first ? this.credentials.handle : null,
            first ? null : this.handle,
            input,
            ASC_REQ_CONNECTION |
              ASC_REQ_INTEGRITY |
              ASC_REQ_CONFIDENTIALITY |
              ASC_REQ_SEQUENCE_DETECT |
              ASC_REQ_REPLAY_DETECT |
              ASC_REQ_MUTUAL_AUTH,
            0,
            this.handle,
            output,
            attributes,
            null,
          );
    if (this.#phase.kind === "closed")
      throw AuthError.refused(op, SEC_E_INVALID_HANDLE, "the AuthContext was closed during the step");
    if (FAILED(status)) throw this.#failWith(AuthError.of(op, status, this.handle, this.credentials.handle));
    const out = output.pBuffers[0]!;
    const produced =
      out.cbBuffer > 0 && out.pvBuffer ? copyBytes(out.pvBuffer.subarray(0, out.cbBuffer)) : null;
    if (status === SEC_I_CONTINUE_NEEDED) {
      this.#phase = { kind: "continuing" };
      return { token: produced, done: false };
    }
    if (status !== SEC_E_OK && status !== SEC_I_COMPLETE_NEEDED)
      throw this.#failWith(AuthError.of(op, status as SECURITY_STATUS, this.handle));
    this.#phase = { kind: "established", flags: attributes.value };
    if (this.role === "client" && this.#mutualAuth && (attributes.value & ISC_RET_MUTUAL_AUTH) === 0) {
      const chosen = this.package.toLowerCase();
      if (MUTUAL_PACKAGES.has(chosen))
        throw this.#failWith(
          AuthError.refused(
            op,
            SEC_E_MUTUAL_AUTH_FAILED,
            `${this.package} completed without authenticating the server`,
          ),
        );
    }
    return { token: produced, done: true };
  }

  #input(token: Uint8Array | null): SecBufferDesc | null {
    const buffers = [
      ...(token !== null ? [secBuffer(SECBUFFER_TOKEN, token)] : []),
      ...(this.#bindings ? [channelBindingsBuffer(this.#bindings)] : []),
    ];
    return buffers.length > 0 ? secBufferDesc(...buffers) : null;
  }

  #failWith(error: AuthError): AuthError {
    if (this.#phase.kind !== "closed") {
      this.#phase = { kind: "failed", error };
      this.#delete();
    }
    return error;
  }

  /**
   * The package chosen: for Negotiate, the package it negotiated (`"Kerberos"` or `"NTLM"`),
   * else the credentials' package.
   */
  get package(): string {
    if (SecIsValidHandle(this.handle)) {
      const info = box<{ PackageInfo: SecPkgInfo } | null>(null);
      if (
        QueryContextAttributes(this.handle, SECPKG_ATTR_NEGOTIATION_INFO, info) === SEC_E_OK &&
        info.value
      ) {
        const name = info.value.PackageInfo.Name;
        FreeContextBuffer(info.value.PackageInfo);
        return name;
      }
      const plain = box<{ PackageInfo: SecPkgInfo } | null>(null);
      if (QueryContextAttributes(this.handle, SECPKG_ATTR_PACKAGE_INFO, plain) === SEC_E_OK && plain.value) {
        const name = plain.value.PackageInfo.Name;
        FreeContextBuffer(plain.value.PackageInfo);
        return name;
      }
    }
    return this.credentials.package;
  }

  /**
   * The client's and server's names (`SECPKG_ATTR_NAMES`, `SECPKG_ATTR_NATIVE_NAMES`).
   *
   * @throws {AuthError} `SEC_E_INVALID_HANDLE` before the context is established.
   */
  get names(): AuthNames {
    this.#assertEstablished("QueryContextAttributes");
    const names = box<{ sUserName: string } | null>(null);
    const status = QueryContextAttributes(this.handle, SECPKG_ATTR_NAMES, names);
    if (status !== SEC_E_OK || !names.value)
      throw AuthError.of("QueryContextAttributes", status, this.handle);
    const native = box<{ sClientName?: string; sServerName?: string } | null>(null);
    const server =
      QueryContextAttributes(this.handle, SECPKG_ATTR_NATIVE_NAMES, native) === SEC_E_OK
        ? (native.value?.sServerName ?? null)
        : null;
    return { client: names.value.sUserName, server };
  }

  /**
   * The session key (`SECPKG_ATTR_SESSION_KEY`), a copy.
   *
   * @throws {AuthError} `SEC_E_INVALID_HANDLE` before the context is established.
   */
  get sessionKey(): Uint8Array {
    this.#assertEstablished("QueryContextAttributes");
    const key = box<{ SessionKey: Uint8Array; SessionKeyLength: number } | null>(null);
    const status = QueryContextAttributes(this.handle, SECPKG_ATTR_SESSION_KEY, key);
    if (status !== SEC_E_OK || !key.value) throw AuthError.of("QueryContextAttributes", status, this.handle);
    const copy = copyBytes(key.value.SessionKey.subarray(0, key.value.SessionKeyLength));
    FreeContextBuffer(key.value.SessionKey);
    return copy;
  }

  /**
   * Signs `data` (`MakeSignature`).
   *
   * @returns the signature (send it with the data).
   * @throws {AuthError} `SEC_E_INVALID_HANDLE` before the context is established, and the
   *   package's statuses (e.g. `SEC_E_UNSUPPORTED_FUNCTION` without integrity).
   */
  signature(data: Uint8Array): Uint8Array {
    const sizes = this.#messageSizes("MakeSignature");
    const message = secBufferDesc(
      secBuffer(SECBUFFER_TOKEN, sizes.cbMaxSignature),
      secBuffer(SECBUFFER_DATA, copyBytes(data)),
    );
    const status = MakeSignature(this.handle, 0, message, 0);
    if (status !== SEC_E_OK) throw AuthError.of("MakeSignature", status, this.handle);
    const token = message.pBuffers[0]!;
    return copyBytes(token.pvBuffer!.subarray(0, token.cbBuffer));
  }

  /**
   * Verifies the peer's `signature` over `data` (`VerifySignature`).
   *
   * @throws {AuthError} `SEC_E_MESSAGE_ALTERED` (tampered data or signature),
   *   `SEC_E_OUT_OF_SEQUENCE` (a replayed or reordered message), `SEC_E_INVALID_HANDLE` before
   *   the context is established.
   */
  verifySignature(data: Uint8Array, signature: Uint8Array): void {
    this.#messageSizes("VerifySignature");
    const message = secBufferDesc(
      secBuffer(SECBUFFER_TOKEN, copyBytes(signature)),
      secBuffer(SECBUFFER_DATA, copyBytes(data)),
    );
    const status = VerifySignature(this.handle, message, 0, box(0));
    if (status !== SEC_E_OK) throw AuthError.of("VerifySignature", status, this.handle);
  }

  /**
   * Seals `data` (`EncryptMessage`): one message, Windows' `TOKEN`, `DATA` and `PADDING` buffers
   * back to back — for Kerberos a whole RFC 4121 Wrap token (RFC 4757 for rc4-hmac) that any GSS
   * peer unwraps; for NTLM the 16-byte signature followed by the sealed data. What
   * {@link unwrap} takes.
   *
   * @throws {AuthError} `SEC_E_INVALID_HANDLE` before the context is established, and the
   *   package's statuses (e.g. `SEC_E_UNSUPPORTED_FUNCTION` without confidentiality).
   */
  wrap(data: Uint8Array): Uint8Array {
    const sizes = this.#messageSizes("EncryptMessage");
    const message = secBufferDesc(
      secBuffer(SECBUFFER_TOKEN, sizes.cbSecurityTrailer),
      secBuffer(SECBUFFER_DATA, copyBytes(data)),
      secBuffer(SECBUFFER_PADDING, sizes.cbBlockSize),
    );
    const status = EncryptMessage(this.handle, 0, message, 0);
    if (status !== SEC_E_OK) throw AuthError.of("EncryptMessage", status, this.handle);
    const parts = message.pBuffers.map((b) =>
      b.pvBuffer ? b.pvBuffer.subarray(0, b.cbBuffer) : new Uint8Array(0),
    );
    return new Uint8Array(Buffer.concat(parts));
  }

  /**
   * Unseals a message {@link wrap} produced (or a peer's: for Kerberos any GSS Wrap token, passed
   * as `SECBUFFER_STREAM`; for NTLM the signature followed by the sealed data).
   *
   * @returns the plaintext.
   * @throws {AuthError} `SEC_E_MESSAGE_ALTERED` (tampered), `SEC_E_OUT_OF_SEQUENCE`,
   *   `SEC_E_INVALID_TOKEN` (shorter than the trailer), `SEC_E_INVALID_HANDLE` before the
   *   context is established.
   */
  unwrap(message: Uint8Array): Uint8Array {
    const sizes = this.#messageSizes("DecryptMessage");
    if (this.package.toLowerCase() === "kerberos") {
      // A whole Wrap token (any RRC/EC the sender chose): SECBUFFER_STREAM in, plaintext in DATA.
      const stream = secBufferDesc(
        secBuffer(SECBUFFER_STREAM, copyBytes(message)),
        secBuffer(SECBUFFER_DATA),
      );
      const status = DecryptMessage(this.handle, stream, 0, box(0));
      if (status !== SEC_E_OK) throw AuthError.of("DecryptMessage", status, this.handle);
      const plain = stream.pBuffers[1]!;
      return copyBytes(plain.pvBuffer!.subarray(0, plain.cbBuffer));
    }
    if (message.byteLength < sizes.cbSecurityTrailer)
      throw AuthError.refused(
        "DecryptMessage",
        SEC_E_INVALID_TOKEN,
        `the message is shorter than the ${sizes.cbSecurityTrailer}-byte security trailer`,
      );
    const buffers = secBufferDesc(
      secBuffer(SECBUFFER_TOKEN, copyBytes(message.subarray(0, sizes.cbSecurityTrailer))),
      secBuffer(SECBUFFER_DATA, copyBytes(message.subarray(sizes.cbSecurityTrailer))),
    );
    const status = DecryptMessage(this.handle, buffers, 0, box(0));
    if (status !== SEC_E_OK) throw AuthError.of("DecryptMessage", status, this.handle);
    const data = buffers.pBuffers[1]!;
    return copyBytes(data.pvBuffer!.subarray(0, data.cbBuffer));
  }

  #assertEstablished(operation: string): void {
    if (this.#phase.kind === "failed") throw this.#phase.error;
    if (this.#phase.kind !== "established")
      throw AuthError.refused(
        operation,
        SEC_E_INVALID_HANDLE,
        this.#phase.kind === "closed" ? "the AuthContext was closed" : "the authentication has not completed",
      );
  }

  #messageSizes(operation: string): Sizes {
    this.#assertEstablished(operation);
    if (this.#sizes === null) {
      const sizes = box<Sizes | null>(null);
      const status = QueryContextAttributes(this.handle, SECPKG_ATTR_SIZES, sizes);
      if (status !== SEC_E_OK || !sizes.value)
        throw AuthError.of("QueryContextAttributes", status, this.handle);
      this.#sizes = sizes.value;
    }
    return this.#sizes;
  }

  #exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work, work);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #delete(): void {
    if (SecIsValidHandle(this.handle)) void sspi.DeleteSecurityContext(this.handle);
  }

  /** Deletes the context (`DeleteSecurityContext`) after a step in flight settles. Idempotent. */
  async close(): Promise<void> {
    await this.#queue;
    if (this.#phase.kind === "closed") return;
    this.#phase = { kind: "closed" };
    if (SecIsValidHandle(this.handle)) await sspi.DeleteSecurityContext(this.handle);
  }

  /** Same as {@link close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
