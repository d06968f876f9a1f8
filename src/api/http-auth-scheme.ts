/**
 * The HTTP side of Negotiate and NTLM (RFC 4559, MS-NTHT): which scheme names which package,
 * reading `WWW-Authenticate` / `Proxy-Authenticate` challenges and writing `Authorization` /
 * `Proxy-Authorization` values. Shared by the HTTP client (fetch dispatcher, `http.Agent`) and
 * the server (`httpAuthentication`, `async-sspi serve --auth`).
 *
 * @module
 */

/** The HTTP authentication schemes answered: `Negotiate` (SPNEGO: Kerberos or NTLM) and `NTLM`. */
export type HttpAuthScheme = "Negotiate" | "NTLM";

/** The SSPI package of each scheme. */
export const PACKAGE_OF_SCHEME: Record<HttpAuthScheme, string> = { Negotiate: "Negotiate", NTLM: "NTLM" };

/** One challenge: the scheme and its token (null: the first, empty challenge). */
export interface HttpChallenge {
  scheme: HttpAuthScheme;
  token: Uint8Array | null;
}

/** Which header carries the challenge and which the answer: server (401) or proxy (407). */
export interface AuthHeaders {
  challenge: "www-authenticate" | "proxy-authenticate";
  answer: "authorization" | "proxy-authorization";
}

export const SERVER_HEADERS: AuthHeaders = { challenge: "www-authenticate", answer: "authorization" };
export const PROXY_HEADERS: AuthHeaders = { challenge: "proxy-authenticate", answer: "proxy-authorization" };

const TOKEN68 = /^[A-Za-z0-9+/]+=*$/;

/**
 * The Negotiate and NTLM challenges in header values (a header may repeat, and a value may list
 * several challenges separated by commas: `Negotiate, NTLM, Basic realm="x"`). Other schemes
 * are skipped; a malformed token makes that challenge absent.
 */
export function parseChallenges(values: readonly string[]): HttpChallenge[] {
  const found: HttpChallenge[] = [];
  for (const value of values) {
    for (const part of value.split(",")) {
      const match = /^\s*(Negotiate|NTLM)(?:\s+(\S+))?\s*$/i.exec(part);
      if (!match) continue;
      const scheme: HttpAuthScheme = match[1]!.toLowerCase() === "ntlm" ? "NTLM" : "Negotiate";
      const encoded = match[2];
      if (encoded !== undefined && !TOKEN68.test(encoded)) continue;
      found.push({ scheme, token: encoded ? new Uint8Array(Buffer.from(encoded, "base64")) : null });
    }
  }
  return found;
}

/** `Scheme base64(token)`, the value of `Authorization` or of a challenge. */
export function formatCredentials(scheme: HttpAuthScheme, token: Uint8Array | null): string {
  return token === null || token.byteLength === 0
    ? scheme
    : `${scheme} ${Buffer.from(token).toString("base64")}`;
}

/** The one credentials value of an `Authorization` header, or null when it is not Negotiate/NTLM. */
export function parseCredentials(
  value: string | undefined,
): { scheme: HttpAuthScheme; token: Uint8Array } | null {
  if (value === undefined) return null;
  const [challenge] = parseChallenges([value]);
  return challenge?.token ? { scheme: challenge.scheme, token: challenge.token } : null;
}
