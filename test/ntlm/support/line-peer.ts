/**
 * NTLM peers we did not write, as line-protocol subprocesses: the Python helper
 * (test/ntlm/peers/ntlm_peer.py: python3-ntlm-auth, gss-ntlmssp through python3-gssapi) and
 * Samba's `ntlm_auth --helper-protocol=ntlmssp-client-1`. Each is bounded in time and killed by
 * the caller; a missing peer skips the test locally and fails it under `CI=true`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

/** The Debian Python that has the Debian modules (a pyenv `python3` may come first in PATH). */
export const PYTHON = "/usr/bin/python3";
export const PEER_SCRIPT = fileURLToPath(
  new URL("../../../../test/ntlm/peers/ntlm_peer.py", import.meta.url),
);

/**
 * True when `probe` (a command and its arguments) exits 0. Otherwise the test is skipped with
 * `what` and the Debian packages to install — or fails when CI=true.
 */
export function requirePeer(t: { skip(message?: string): void }, what: string, probe: string[]): boolean {
  const r = spawnSync(probe[0]!, probe.slice(1), { stdio: "ignore", timeout: 20_000 });
  if (r.status === 0) return true;
  const reason = `${what} is not available`;
  if (process.env.CI === "true") assert.fail(`${reason}; required when CI=true`);
  t.skip(reason);
  return false;
}

export const PYTHON_NTLM_AUTH = {
  what: "python3-ntlm-auth with python3-pycryptodome (Debian packages)",
  probe: [PYTHON, "-c", "import ntlm_auth.ntlm, Cryptodome.Hash.MD4"],
};
export const GSS_NTLMSSP = {
  what: "gss-ntlmssp through python3-gssapi (Debian packages gss-ntlmssp, python3-gssapi)",
  probe: [
    PYTHON,
    "-c",
    "import gssapi, gssapi.raw as r; assert gssapi.OID.from_int_seq('1.3.6.1.4.1.311.2.2.10') in r.indicate_mechs()",
  ],
};
export const SAMBA_NTLM_AUTH = {
  what: "Samba's ntlm_auth (Debian package winbind)",
  probe: ["ntlm_auth", "--version"],
};

/** A subprocess spoken to one line at a time. */
export class LinePeer {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: string[] = [];
  private waiter: (() => void) | undefined;
  private stderr = "";
  private exited = false;
  private readonly timer: NodeJS.Timeout;

  constructor(command: string, args: string[], env: Record<string, string> = {}, limitMs = 30_000) {
    this.child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"] });
    createInterface({ input: this.child.stdout }).on("line", (line) => {
      this.lines.push(line);
      this.wake();
    });
    this.child.stderr.on("data", (d: Buffer) => {
      this.stderr += d.toString();
    });
    this.child.stdin.on("error", () => {});
    this.child.on("exit", () => {
      this.exited = true;
      this.wake();
    });
    this.timer = setTimeout(() => this.kill(), limitMs);
  }

  send(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  /** The next line, or an error naming the peer's stderr when it ended or took too long. */
  async next(ms = 20_000): Promise<string> {
    const started = Date.now();
    while (this.lines.length === 0) {
      if (this.exited) throw new Error(`peer ended without answering: ${this.stderr.trim().slice(0, 500)}`);
      if (Date.now() - started > ms)
        throw new Error(`peer did not answer within ${ms} ms: ${this.stderr.slice(0, 500)}`);
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        setTimeout(resolve, 50);
      });
    }
    return this.lines.shift()!;
  }

  /** Sends `line` and returns the answer. */
  async ask(line: string): Promise<string> {
    this.send(line);
    return this.next();
  }

  kill(): void {
    clearTimeout(this.timer);
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
}

/** The Python helper in `mode`. */
export function pythonPeer(mode: string, args: string[], env: Record<string, string> = {}): LinePeer {
  return new LinePeer(PYTHON, [PEER_SCRIPT, mode, ...args], env);
}

export const b64 = (b: Uint8Array): string => Buffer.from(b).toString("base64");
export const unb64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "base64"));

/** A temporary NTLM_USER_FILE for gss-ntlmssp. */
export class UserFile {
  private readonly dir = mkdtempSync(join(tmpdir(), "ntlm-interop-"));
  readonly path = join(this.dir, "ntlm_users");

  constructor(text: string) {
    writeFileSync(this.path, text);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
