/**
 * async-sspi: Microsoft's asynchronous SSPI for Node.js.
 *
 * - The SSPI surface: statuses, flags, buffer types, handles, `SecBuffer`/`SecBufferDesc`,
 *   package functions and the synchronous per-message and attribute functions.
 * - Asynchronous contexts and the `Sspi*Async` entry points, plus their promise forms
 *   (`promises.*`).
 *
 * @packageDocumentation
 */
import "./schannel/register.js";

export * from "./sspi/status.js";
export * from "./sspi/buffer-types.js";
export * from "./sspi/context-flags.js";
export * from "./sspi/attributes.js";
export * from "./sspi/package-constants.js";
export * from "./sspi/schannel-constants.js";
export * from "./sspi/types.js";
export * from "./sspi/timestamp.js";
export * from "./sspi/handles.js";
export type {
  AcquireCredentialsRequest,
  AcquireCredentialsResult,
  ContextRequest,
  ContextResult,
  FailureDetails,
  InputBuffer,
  Outcome,
  OutputData,
  PackageObject,
  SecurityPackage,
} from "./sspi/security-package.js";
export {
  EnumerateSecurityPackages,
  FreeContextBuffer,
  QuerySecurityPackageInfo,
  registerSecurityPackage,
  unregisterSecurityPackage,
} from "./sspi/package-registry.js";
export { handleStatistics } from "./sspi/handle-table.js";
export { SspiGetLastErrorInfo, type SspiErrorInfo } from "./sspi/last-error.js";
export { SspiError } from "./sspi/sspi-error.js";
export {
  ApplyControlToken,
  DecryptMessage,
  EncryptMessage,
  QueryContextAttributes,
  QueryCredentialsAttributes,
  SetContextAttributes,
  SetCredentialsAttributes,
} from "./sspi/context-functions.js";
export {
  asyncContextStatistics,
  SspiAsyncContext,
  type SspiAsyncNotifyCallback,
  SspiAsyncContextRequiresNotify,
  SspiCreateAsyncContext,
  SspiFreeAsyncContext,
  SspiGetAsyncCallStatus,
  SspiReinitAsyncContext,
  SspiSetAsyncNotifyCallback,
} from "./async/async-context.js";
export {
  SspiAcceptSecurityContextAsync,
  SspiAcquireCredentialsHandleAsync,
  SspiDeleteSecurityContextAsync,
  SspiFreeCredentialsHandleAsync,
  SspiInitializeSecurityContextAsync,
} from "./async/entry-points.js";
export * as promises from "./async/promises.js";
export type {
  CRYPTO_SETTINGS,
  SCH_CREDENTIALS,
  SchannelCertificate,
  TLS_PARAMETERS,
} from "./schannel/sch-credentials.js";
export { applicationProtocolsBuffer, parseApplicationProtocols } from "./schannel/application-protocols.js";
export {
  alertToken,
  keyUpdateToken,
  SCHANNEL_KEY_UPDATE,
  sessionToken,
  shutdownToken,
} from "./schannel/control-tokens.js";
export type { CertContext, SecPkgContext_KeyingMaterialInfo } from "./schannel/context-attributes.js";
export {
  CALG_AES_128,
  CALG_AES_256,
  CALG_ECDH_EPHEM,
  CALG_SHA_256,
  CALG_SHA_384,
} from "./schannel/context-attributes.js";
export { SCHANNEL_MAX_TOKEN } from "./schannel/schannel-package.js";
export {
  type ClientHelloInfo,
  type HelloParseFailure,
  parseClientHello,
} from "./schannel/records/client-hello.js";
export { formatRecordTrace, describeRecords, type RecordDescription } from "./schannel/records/describe.js";
