/**
 * Tests whose failure mode is a crash (a stack overflow, an out-of-memory) run their body in a
 * child process, so a regression fails the test instead of killing the test runner.
 *
 * - The child script calls {@link childOnly} first: `node --test dist/test/` loads every file
 *   under a test folder, and the script must do nothing when loaded that way.
 * - The test calls {@link runChild}: the script's exit code, stdout and stderr, bounded in time.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const MARKER = "ASYNC_SSPI_TEST_CHILD";

/** Exits at once unless this process was started by {@link runChild}. */
export function childOnly(): void {
  if (process.env[MARKER] !== "1") process.exit(0);
}

/** What the child did. */
export interface ChildResult {
  /** The exit code, or the signal name when it was killed (`SIGKILL` after the time limit). */
  code: number | string;
  stdout: string;
  stderr: string;
}

/**
 * Runs `script` (a URL relative to the calling test, e.g. `new URL("./x-child.js",
 * import.meta.url)`) with Node, killed after `timeoutMs`.
 */
export function runChild(
  script: URL,
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv; args?: string[] } = {},
): Promise<ChildResult> {
  const child = spawn(process.execPath, [fileURLToPath(script), ...(options.args ?? [])], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...options.env, [MARKER]: "1" },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
  return new Promise((resolve) => {
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal ?? -1, stdout, stderr });
    });
  });
}
