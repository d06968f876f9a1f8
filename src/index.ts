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
import "./ntlm/register.js";
import "./kerberos/register.js";
import "./negotiate/register.js";

export * from "./api/index.js";
export {
  asyncContextStatistics,
  SspiAsyncContext,
  SspiAsyncContextRequiresNotify,
  type SspiAsyncNotifyCallback,
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
export type { ReplayCache } from "./kerberos/ap/replay-cache.js";
export type { KerberosAcceptorCredentials } from "./kerberos/package/acceptor-credential.js";
export type { KerberosClientCredentials } from "./kerberos/package/client-credential.js";
export { KERB_ATTR_AUTHORIZATION_DATA } from "./kerberos/package/context-attributes.js";
export type { KerberosConfigOptions } from "./kerberos/package/kerberos-config.js";
export { KERB_WRAP_NO_ENCRYPT } from "./kerberos/package/message-buffers.js";
export { KERBEROS_MAX_TOKEN, MICROSOFT_KERBEROS_NAME } from "./kerberos/package/package-info.js";
export type { NegotiateAuthData } from "./negotiate/negotiate-credential.js";
export { NEGOSSP_NAME, NEGOTIATE_MAX_TOKEN } from "./negotiate/package-info.js";
export type { NtlmAcceptorCredentials } from "./ntlm/package/acceptor-credentials.js";
export {
  type SEC_WINNT_AUTH_IDENTITY,
  SEC_WINNT_AUTH_IDENTITY_ANSI,
  SEC_WINNT_AUTH_IDENTITY_UNICODE,
} from "./ntlm/package/auth-identity.js";
export { NTLM_MAX_TOKEN, NTLMSP_NAME } from "./ntlm/package/package-info.js";
export type { ChannelBindingPolicy } from "./ntlm/server.js";
export type { NtHashLookup } from "./ntlm/user-store.js";
export { applicationProtocolsBuffer, parseApplicationProtocols } from "./schannel/application-protocols.js";
export type {
  CertContext,
  SecPkgContext_KeyingMaterialInfo,
  SecPkgContext_TlsSessionEx,
} from "./schannel/context-attributes.js";
export {
  CALG_AES_128,
  CALG_AES_256,
  CALG_ECDH_EPHEM,
  CALG_SHA_256,
  CALG_SHA_384,
} from "./schannel/context-attributes.js";
export {
  alertToken,
  keyUpdateToken,
  SCHANNEL_KEY_UPDATE,
  sessionToken,
  shutdownToken,
} from "./schannel/control-tokens.js";
export { type ClientHelloInfo, parseClientHello } from "./schannel/records/client-hello.js";
export { describeRecords, formatRecordTrace, type RecordDescription } from "./schannel/records/describe.js";
export type { HelloParseFailure } from "./schannel/records/handshake-reader.js";
export type {
  CRYPTO_SETTINGS,
  SCH_CREDENTIALS,
  SchannelCertificate,
  TLS_PARAMETERS,
} from "./schannel/sch-credentials.js";
export { SCHANNEL_MAX_TOKEN } from "./schannel/schannel-package.js";
export {
  MAX_SESSION_TICKET_KEYS,
  SESSION_TICKET_INFO_V0,
  SESSION_TICKET_INFO_VERSION,
  type SecPkgCred_SessionTicketKey,
  type SecPkgCred_SessionTicketKeys,
} from "./schannel/session-ticket-keys.js";
export {
  configureSecurityService,
  type SecurityServiceOptions,
  securityServiceConfiguration,
} from "./service/configure.js";
export * from "./sspi/attributes.js";
export {
  AcceptSecurityContext,
  AcquireCredentialsHandle,
  DeleteSecurityContext,
  FreeCredentialsHandle,
  InitializeSecurityContext,
} from "./sspi/blocking-calls.js";
export * from "./sspi/buffer-types.js";
export { copyBytes } from "./sspi/bytes.js";
export {
  channelBindingsBuffer,
  encodeChannelBindings,
  type SEC_CHANNEL_BINDINGS,
} from "./sspi/channel-bindings.js";
export * from "./sspi/context-flags.js";
export {
  ApplyControlToken,
  DecryptMessage,
  EncryptMessage,
  MakeSignature,
  QueryContextAttributes,
  QueryCredentialsAttributes,
  SetContextAttributes,
  SetCredentialsAttributes,
  VerifySignature,
} from "./sspi/context-functions.js";
export { handleStatistics } from "./sspi/handle-table.js";
export * from "./sspi/handles.js";
export { type SspiErrorInfo, SspiGetLastErrorInfo } from "./sspi/last-error.js";
export * from "./sspi/package-constants.js";
export {
  EnumerateSecurityPackages,
  FreeContextBuffer,
  QuerySecurityPackageInfo,
  registerSecurityPackage,
  unregisterSecurityPackage,
} from "./sspi/package-registry.js";
export * from "./sspi/schannel-constants.js";
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
export { SspiError } from "./sspi/sspi-error.js";
export * from "./sspi/status.js";
export * from "./sspi/timestamp.js";
export * from "./sspi/types.js";
