/**
 * MIT krb5's GSS-API as a test peer, through python3-gssapi (`gssapi-peer.py` beside this file):
 * an initiator using a ccache or an acceptor using a keytab, driven token by token. Needs the
 * Debian package python3-gssapi and runs `/usr/bin/python3` (not a pyenv one).
 *
 * @module
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { withTimeout } from "./peers.js";

const PYTHON = "/usr/bin/python3";
/** The script lives in the source tree (tsc does not copy it to dist). */
const SCRIPT = fileURLToPath(new URL("../../../test/support/gssapi-peer.py", import.meta.url));

/** True when python3-gssapi imports. */
export function pythonGssapiInstalled(): boolean {
  return spawnSync(PYTHON, ["-c", "import gssapi"], { stdio: "ignore", timeout: 10_000 }).status === 0;
}

/** True when python3-gssapi imports; otherwise fails under CI=true or skips with the reason. */
export function requirePythonGssapi(t: { skip(message?: string): void }): boolean {
  if (pythonGssapiInstalled()) return true;
  const reason = "python3-gssapi is not installed (apt-get install python3-gssapi)";
  if (process.env.CI === "true") assert.fail(`${reason}; required when CI=true`);
  t.skip(reason);
  return false;
}

export interface GssReply {
  token?: string | null;
  data?: string;
  conf?: boolean;
  complete?: boolean;
  peer?: string;
  ok?: boolean;
  error?: string;
}

export class GssapiPeer {
  private readonly child: ChildProcess;
  private buffered = "";
  private readonly waiting: Array<(line: string) => void> = [];

  /** `wrapper` runs the peer under another command (`["faketime", "+10m"]`). */
  constructor(
    role: "initiator" | "acceptor",
    target: string,
    env: NodeJS.ProcessEnv,
    bindings?: Uint8Array,
    wrapper: readonly string[] = [],
  ) {
    const args = [SCRIPT, role, target];
    if (bindings) args.push(Buffer.from(bindings).toString("hex"));
    const [command, ...rest] = [...wrapper, PYTHON, ...args];
    this.child = spawn(command!, rest, { env, stdio: ["pipe", "pipe", "inherit"] });
    this.child.stdout!.setEncoding("utf8");
    this.child.stdout!.on("data", (chunk: string) => {
      this.buffered += chunk;
      for (let i = this.buffered.indexOf("\n"); i >= 0; i = this.buffered.indexOf("\n")) {
        const line = this.buffered.slice(0, i);
        this.buffered = this.buffered.slice(i + 1);
        this.waiting.shift()?.(line);
      }
    });
  }

  /** Sends one request and waits (bounded) for its reply. */
  async call(request: Record<string, unknown>): Promise<GssReply> {
    const line = new Promise<string>((resolve) => this.waiting.push(resolve));
    this.child.stdin!.write(`${JSON.stringify(request)}\n`);
    return JSON.parse(await withTimeout(line, 15_000, `gssapi peer ${String(request.op)}`)) as GssReply;
  }

  close(): void {
    this.child.stdin!.end();
    if (this.child.exitCode === null) this.child.kill("SIGKILL");
  }
}

export const b64 = (b: Uint8Array): string => Buffer.from(b).toString("base64");
export const unb64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "base64"));
