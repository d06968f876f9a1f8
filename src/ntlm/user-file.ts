/**
 * The NTLM user file of gss-ntlmssp (`NTLM_USER_FILE`): one `DOMAIN:user:password` per line. The
 * password is everything after the second colon (it may contain colons); an empty DOMAIN matches
 * any domain; blank lines and lines starting with `#` are ignored.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { NtlmError } from "./ntlm-error.js";

export interface UserFileLine {
  domain: string;
  user: string;
  password: string;
}

/**
 * @throws NtlmError `no-credentials` naming the first malformed line by number (never its content).
 */
export function parseUserFileLines(text: string): UserFileLine[] {
  const lines: UserFileLine[] = [];
  const all = text.split("\n");
  for (let n = 0; n < all.length; n++) {
    const line = all[n]!.replace(/\r$/, "");
    if (line.trim() === "" || line.startsWith("#")) continue;
    const first = line.indexOf(":");
    const second = first < 0 ? -1 : line.indexOf(":", first + 1);
    if (second < 0 || second === first + 1)
      throw new NtlmError("no-credentials", `NTLM user file line ${n + 1}: expected DOMAIN:user:password`);
    lines.push({
      domain: line.slice(0, first),
      user: line.slice(first + 1, second),
      password: line.slice(second + 1),
    });
  }
  return lines;
}

/**
 * The text of the user file at `path` (`what` names it in the reason).
 *
 * @throws NtlmError `no-credentials` when there is no path or the file cannot be read.
 */
export function readUserFile(path: string | undefined, what: string): string {
  if (!path) throw new NtlmError("no-credentials", `no credentials given and ${what} is not set`);
  try {
    return readFileSync(path, "utf8");
  } catch {
    throw new NtlmError("no-credentials", `${what} cannot be read`);
  }
}
