/**
 * TLS credentials: {@link acquireTlsCredentials} acquires a Schannel `CredHandle` from options in
 * TypeScript terms (the mapping is in `credential-options.ts`) and wraps it in
 * {@link TlsCredentials}.
 *
 * ```ts
 * await using credentials = await acquireTlsCredentials({ role: "client", trustedRoots: [caPem] });
 * ```
 *
 * @module
 */
import "../schannel/register.js";
import * as sspi from "../async/promises.js";
import { applicationProtocolsBuffer } from "../schannel/application-protocols.js";
import { CredHandle } from "../sspi/handles.js";
import { SCHANNEL_NAME } from "../sspi/schannel-constants.js";
import { SspiError } from "../sspi/sspi-error.js";
import { SEC_E_INVALID_HANDLE, SEC_E_INVALID_PARAMETER, SEC_E_OK } from "../sspi/status.js";
import { schCredentials, type TlsCredentialsOptions } from "./credential-options.js";
import { CREDENTIAL_NAMES, fromNodeOptions, type NodeTlsOptions } from "./node-options.js";
import { failureOf, usageError } from "./tls-error.js";

/** `SCH_CREDENTIALS` field names a package reason may mention, and the options the caller wrote. */
const FIELD_NAMES: Array<[RegExp, string]> = [
  [/\bpTlsParameters\[\d+\]\.rgstrAlpnIds\b/g, "alpn"],
  [/\bpaCred\[(\d+)\]/g, "certificates[$1]"],
  [/\bpaCred\b/g, "certificates (cert/key/pfx)"],
  [/\bhRootStore\b/g, "trustedRoots (ca)"],
  [/\brgstrAlpnIds\b/g, "alpn"],
  [/\bgrbitDisabledProtocols\b/g, "versions"],
  [/\bdwSessionLifespan\b/g, "sessionLifetimeMs"],
];

/** The package's failure, with the SSPI field names replaced by the options' names. */
function inOurTerms(error: SspiError): SspiError {
  if (error.reason === null || !FIELD_NAMES.some(([field]) => error.reason!.search(field) >= 0)) return error;
  let reason = error.reason;
  for (const [field, option] of FIELD_NAMES) reason = reason.replace(field, option);
  return SspiError.from(error.operation, error.status, { reason });
}

/**
 * Acquired TLS credentials: a Schannel `CredHandle` for one role. Any number of contexts may
 * use them at once. Free them with {@link TlsCredentials.close} or `await using`; contexts
 * still open keep working (the package releases the credential after the last one closes).
 */
export class TlsCredentials {
  /** The underlying handle, for the SSPI-shaped functions (`QueryCredentialsAttributes`, …). */
  readonly handle: CredHandle;
  /** `"client"` or `"server"`. */
  readonly role: "client" | "server";
  /** Client: the ALPN ids contexts offer by default (null: none). Server: the ids accepted. */
  readonly alpn: readonly string[] | null;
  #closed = false;

  /** @internal Use {@link acquireTlsCredentials}. */
  constructor(handle: CredHandle, role: "client" | "server", alpn: readonly string[] | null) {
    this.handle = handle;
    this.role = role;
    this.alpn = alpn;
  }

  /** True after {@link close}. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * @internal Throws the `SEC_E_INVALID_HANDLE` `SspiError` contexts report for closed credentials.
   */
  assertOpen(operation: string): void {
    if (this.#closed) throw usageError(operation, SEC_E_INVALID_HANDLE, "the TlsCredentials were closed");
  }

  /**
   * Frees the handle (`FreeCredentialsHandle`). Idempotent.
   *
   * @returns when the handle is freed; never rejects (the only failure, `SEC_E_INVALID_HANDLE`,
   *   cannot happen for a handle this object owns).
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await sspi.FreeCredentialsHandle(this.handle);
  }

  /** Same as {@link close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Acquires TLS credentials (`AcquireCredentialsHandle` on the Schannel package with the
 * `SCH_CREDENTIALS` the options map to).
 *
 * @returns the credentials.
 * @throws {SspiError} with the SSPI status and the package's reason:
 *   `SEC_E_INVALID_PARAMETER` (malformed options: role, versions, ALPN ids, root certificates,
 *   ticket keys, lifetime); `SEC_E_NO_CREDENTIALS` (a server without certificates);
 *   `SEC_E_UNKNOWN_CREDENTIALS` (a certificate entry that is neither key pair nor PFX, or that
 *   cannot be loaded: bad PEM/DER, wrong passphrase, key not matching the certificate);
 *   `SEC_E_ALGORITHM_MISMATCH` (versions, suites and groups leave nothing to negotiate);
 *   `SEC_E_UNSUPPORTED_FUNCTION`; `SEC_E_INTERNAL_ERROR` (the security service failed).
 */
export async function acquireTlsCredentials(
  given: TlsCredentialsOptions & NodeTlsOptions,
): Promise<TlsCredentials> {
  const op = "AcquireCredentialsHandle";
  const options = fromNodeOptions(given, CREDENTIAL_NAMES, "acquireTlsCredentials", given?.role ?? "client");
  const mapped = schCredentials(options);
  if ("error" in mapped) throw usageError(op, SEC_E_INVALID_PARAMETER, mapped.error);
  const alpn =
    options.alpn === undefined ? null : typeof options.alpn === "string" ? [options.alpn] : [...options.alpn];
  if (alpn !== null && options.role === "client") {
    try {
      applicationProtocolsBuffer(alpn);
    } catch (e) {
      throw usageError(op, SEC_E_INVALID_PARAMETER, `alpn: ${(e as Error).message}`);
    }
  }
  const handle = new CredHandle();
  const status = await sspi.AcquireCredentialsHandle(
    null,
    SCHANNEL_NAME,
    mapped.credentialUse,
    null,
    mapped.authData,
    null,
    null,
    handle,
    null,
  );
  if (status !== SEC_E_OK) throw inOurTerms(failureOf(op, status));
  return new TlsCredentials(handle, options.role, alpn);
}
