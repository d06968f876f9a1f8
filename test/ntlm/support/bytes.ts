/**
 * Helpers the NTLM tests share: hex, captured tokens, the MS-NLMP §4.2 inputs, fixed random bytes.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
export const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ""), "hex"));

/** The source folder of the captured tokens (test/ntlm/fixtures, beside the sources, not in dist). */
const FIXTURES = fileURLToPath(new URL("../../../../test/ntlm/fixtures/", import.meta.url));

/** A captured token from test/ntlm/fixtures (copied from the reference captures). */
export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(FIXTURES + name));
}

/** MS-NLMP §4.2.1 common values. */
export const SPEC = {
  user: "User",
  domain: "Domain",
  password: "Password",
  workstation: "COMPUTER",
  serverChallenge: unhex("0123456789abcdef"),
  clientChallenge: unhex("aaaaaaaaaaaaaaaa"),
  randomSessionKey: unhex("55555555555555555555555555555555"),
  timestamp: 0n,
};

/**
 * A `randomBytes` that hands out the given byte strings in order (each call must ask for exactly
 * the next one's length), then fails.
 */
export function fixedRandom(...values: Uint8Array[]): (n: number) => Uint8Array {
  const queue = [...values];
  return (n: number) => {
    const next = queue.shift();
    if (!next || next.length !== n) throw new Error(`unexpected random request of ${n} bytes`);
    return next.slice();
  };
}
