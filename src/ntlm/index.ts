/**
 * The NTLM package's building blocks (NTLMv2): messages, crypto, client and server state
 * machines, session security — for tests and tools. Callers use the SSPI package ("NTLM",
 * `package/`, registered by `register.ts`; see docs/ntlm.md).
 *
 * @module
 */

export * from "../crypto/rc4.js";
export * from "./av-pairs.js";
export * from "./client.js";
export * from "./credentials.js";
export * from "./crypto/channel-bindings.js";
export * from "./crypto/mic.js";
export * from "./crypto/ntlmv2-response.js";
export * from "./crypto/ntowf.js";
export * from "./crypto/session-keys.js";
export * from "./filetime.js";
export * from "./messages/authenticate-message.js";
export * from "./messages/challenge-message.js";
export * from "./messages/negotiate-message.js";
export * from "./negotiate-flags.js";
export * from "./ntlm-error.js";
export * from "./replay-cache.js";
export * from "./server.js";
export * from "./session-security.js";
export * from "./user-store.js";
export * from "./version.js";
