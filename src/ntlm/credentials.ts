/**
 * Client credentials: `SEC_WINNT_AUTH_IDENTITY`'s fields as a JavaScript object
 * (`{ User, Domain, Password }`), or an NT hash instead of the password; and the default
 * credentials where there is no logon session: the first (or the named user's) line of the file
 * `NTLM_USER_FILE` names, in gss-ntlmssp's `DOMAIN:user:password` format.
 *
 * @module
 */
import { ntHash } from "./crypto/ntowf.js";
import { NtlmError } from "./ntlm-error.js";
import { parseUserFileLines, readUserFile } from "./user-file.js";

/** A user with a password (SEC_WINNT_AUTH_IDENTITY field names). */
export interface NtlmPasswordIdentity {
  User: string;
  Domain: string;
  Password: string;
}

/** A user with the NT hash (MD4 of the UTF-16LE password) instead of the password. */
export interface NtlmHashIdentity {
  User: string;
  Domain: string;
  /** 16 bytes. */
  NtHash: Uint8Array;
}

export type NtlmClientCredentials = NtlmPasswordIdentity | NtlmHashIdentity;

/** The NT hash of the credentials. @throws NtlmError `no-credentials` on a malformed NT hash. */
export function credentialsNtHash(c: NtlmClientCredentials): Uint8Array {
  if ("NtHash" in c) {
    if (!(c.NtHash instanceof Uint8Array) || c.NtHash.length !== 16)
      throw new NtlmError("no-credentials", "NtHash must be 16 bytes");
    return c.NtHash;
  }
  return ntHash(c.Password);
}

/**
 * Default credentials from `NTLM_USER_FILE` (gss-ntlmssp's convention): the line of `user` (any
 * domain, case-insensitive) or, without `user`, the first line.
 *
 * @throws NtlmError `no-credentials` when the variable is unset, the file unreadable or malformed,
 *   or no line matches.
 */
export function defaultCredentials(
  user?: string,
  env: Record<string, string | undefined> = process.env,
): NtlmPasswordIdentity {
  const lines = parseUserFileLines(readUserFile(env.NTLM_USER_FILE, "NTLM_USER_FILE"));
  const line = user === undefined ? lines[0] : lines.find((l) => l.user.toUpperCase() === user.toUpperCase());
  if (!line) throw new NtlmError("no-credentials", "no matching user in NTLM_USER_FILE");
  return { User: line.user, Domain: line.domain, Password: line.password };
}
