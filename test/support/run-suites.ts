/**
 * Runs `node --test` over the `*.test.js` files of test folders, the same on every Node: Node 20
 * takes folders but no globs, Node 22+ takes globs but no longer folders. Arguments starting with
 * `--` go to `node --test` as they are; every other argument is a folder (searched recursively,
 * files sorted) or a file. A folder that does not exist contributes nothing and is named on stderr
 * (so an optional suite, such as one only another branch adds, costs nothing); when no file is
 * found at all the run fails.
 *
 * Usage: `node dist/test/support/run-suites.js --test-timeout=60000 dist/test/sspi dist/test/async`
 *
 * @module
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** @returns the `*.test.js` files under `dir`, recursively, sorted. */
export function testFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...testFiles(path));
    else if (entry.isFile() && entry.name.endsWith(".test.js")) out.push(path);
  }
  return out.sort();
}

function main(args: readonly string[]): void {
  const options = args.filter((a) => a.startsWith("--"));
  const files: string[] = [];
  for (const target of args.filter((a) => !a.startsWith("--"))) {
    if (!existsSync(target)) {
      process.stderr.write(`run-suites: ${target} does not exist; nothing to run there\n`);
      continue;
    }
    if (statSync(target).isDirectory()) files.push(...testFiles(target));
    else files.push(target);
  }
  if (files.length === 0) {
    process.stderr.write("run-suites: no test files found\n");
    process.exit(1);
  }
  const child = spawn(process.execPath, ["--test", ...options, ...files], { stdio: "inherit" });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on("SIGINT", forward);
  process.on("SIGTERM", forward);
  child.on("exit", (code, signal) => {
    process.exitCode = code ?? (signal === null ? 1 : 128);
  });
}

main(process.argv.slice(2));
