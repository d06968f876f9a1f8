/**
 * Where the server finds a user's NT hash: a user file (`DOMAIN:user:password` lines, hashed at
 * load, passwords not kept) or the application's own callback returning the hash or a Promise of
 * it (a directory, a database). `undefined` means "no such user".
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { ntHash, upcase } from "./crypto/ntowf.js";
import { parseUserFileLines } from "./user-file.js";

/** Returns the NT hash (16 bytes) of `user` in `domain`, or `undefined` for an unknown user. */
export type NtHashLookup = (
  user: string,
  domain: string,
) => Uint8Array | undefined | Promise<Uint8Array | undefined>;

export interface NtlmUserStore {
  lookup: NtHashLookup;
}

/** A store over the lines of an NTLM user file; user and domain match case-insensitively. */
export function userStoreFromText(text: string): NtlmUserStore {
  const byName = new Map<string, Uint8Array>();
  for (const line of parseUserFileLines(text)) {
    const key = `${upcase(line.domain)}\\${upcase(line.user)}`;
    if (!byName.has(key)) byName.set(key, ntHash(line.password));
  }
  return {
    lookup: (user, domain) =>
      byName.get(`${upcase(domain)}\\${upcase(user)}`) ?? byName.get(`\\${upcase(user)}`),
  };
}

/** A store over the NTLM user file at `path` (read once). */
export function userStoreFromFile(path: string): NtlmUserStore {
  return userStoreFromText(readFileSync(path, "utf8"));
}

/** A store over the application's callback. */
export function userStoreFromCallback(lookup: NtHashLookup): NtlmUserStore {
  return { lookup };
}
