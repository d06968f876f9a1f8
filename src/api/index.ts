/**
 * The idiomatic front door: promise-based TLS over the SSPI core.
 *
 * - {@link acquireTlsCredentials} → {@link TlsCredentials}
 * - {@link TlsContext}: step / encrypt / decrypt / shutdown / keyUpdate over one security context
 * - {@link SspiTlsStream}, {@link connectTls}, {@link acceptTls}: TLS over any transport as a Node `Duplex`
 * - {@link createTlsServer}: a server shaped like `tls.Server`; {@link createTlsConnection}: `tls.connect`'s shape
 * - Node's option names ({@link NodeTlsOptions}) and error codes (`TlsError.code`)
 * - {@link acquireAuthCredentials} → {@link AuthCredentials}, {@link AuthContext}: Negotiate,
 *   Kerberos and NTLM as promises (step, signature, wrap, names, session key), bound to a TLS
 *   connection by {@link channelBindingsOf}; failures throw {@link AuthError}
 *
 * Failures throw {@link TlsError} (an `SspiError`) carrying the alert bytes to send.
 *
 * @module
 */
export { AbortError } from "./abort.js";
export {
  AuthContext,
  type AuthContextOptions,
  type AuthNames,
  type AuthStepResult,
} from "./auth-context.js";
export {
  AuthCredentials,
  type AuthCredentialsOptions,
  type AuthIdentity,
  type AuthPackageName,
  acquireAuthCredentials,
} from "./auth-credentials.js";
export { AuthError } from "./auth-error.js";
export { type ChannelBindingKind, type ChannelBindingSource, channelBindingsOf } from "./channel-bindings.js";
export { acceptTls, connectTls, type TlsConnectOptions, type TlsStreamOptions } from "./connect.js";
export { createTlsConnection, type TlsConnectionOptions } from "./create-connection.js";
export type {
  RevocationCheck,
  TlsCertificate,
  TlsCredentialsOptions,
  TlsVersion,
} from "./credential-options.js";
export { acquireTlsCredentials, TlsCredentials } from "./credentials.js";
export type { HandshakeIo } from "./handshake.js";
export {
  type AuthHeaders,
  formatCredentials,
  type HttpAuthScheme,
  type HttpChallenge,
  parseChallenges,
  parseCredentials,
} from "./http-auth-scheme.js";
export {
  HttpAuthExchange,
  HttpClientAuth,
  type HttpClientAuthOptions,
} from "./http-client-auth.js";
export {
  type AuthenticatedRequest,
  HttpAuthAcceptor,
  type HttpAuthenticatedUser,
  type HttpAuthenticationOptions,
  type HttpAuthVerdict,
  HttpConnectionAuth,
  httpAuthentication,
  withHttpAuthentication,
} from "./http-server-auth.js";
export { type KeyLogFile, openKeyLogFile } from "./key-log-file.js";
export { NegotiateAgent, type NegotiateAgentOptions } from "./negotiate-agent.js";
export type { NodeTlsOptions } from "./node-options.js";
export type { CheckServerIdentity } from "./server-identity.js";
export type { SniCallback, SniCredentials } from "./sni-callback.js";
export type { CertificateCheck } from "./tls-attributes.js";
export {
  type DecryptResult,
  type OperationOptions,
  type StepResult,
  TlsContext,
  type TlsContextOptions,
} from "./tls-context.js";
export { TlsError } from "./tls-error.js";
export { createTlsServer, TlsServer, type TlsServerOptions } from "./tls-server.js";
export { SspiTlsStream, type SspiTlsStreamOptions } from "./tls-stream.js";
export { duplexTransport, type MessageTransport } from "./transport.js";
