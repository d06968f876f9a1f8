/**
 * `async-sspi/fetch`: HTTP Negotiate and NTLM for `fetch`, as an undici dispatcher. undici is an
 * optional peer dependency, loaded only by this entry point.
 *
 * ```ts
 * import { fetch } from "undici";
 * import { NegotiateDispatcher } from "async-sspi/fetch";
 * const dispatcher = new NegotiateDispatcher({ auth: "negotiate" }); // kinit's credential cache
 * const response = await fetch("https://intranet.example.com/", { dispatcher });
 * ```
 *
 * @module
 */
import "../index.js"; // registers every security package (Negotiate, Kerberos, NTLM)

export type { HttpClientAuthOptions } from "../api/http-client-auth.js";
export {
  type AuthOutcome,
  MAX_REPLAY_BODY,
  NegotiateDispatcher,
  type NegotiateDispatcherOptions,
} from "./negotiate-dispatcher.js";
