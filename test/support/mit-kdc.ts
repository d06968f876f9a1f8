/**
 * A throwaway MIT krb5 KDC for tests: its own realm database, krb5.conf and kdc.conf in a
 * temporary directory, `krb5kdc` listening on 127.0.0.1 on a free port (UDP and TCP), stopped by
 * `stop()` (which kills only the KDC it started and removes the directory). Needs the Debian
 * packages krb5-kdc, krb5-admin-server and krb5-user.
 *
 * @module
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./peers.js";

/** The MIT tools the Kerberos tests drive. */
const TOOLS = ["krb5kdc", "kdb5_util", "kadmin.local", "kinit", "kvno", "klist", "ktutil"];

/** Every enctype the test realm issues keys for. */
export const TEST_ENCTYPES =
  "aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal aes256-cts-hmac-sha384-192:normal " +
  "aes128-cts-hmac-sha256-128:normal arcfour-hmac:normal";

function missingTools(): string[] {
  return TOOLS.filter(
    (tool) => spawnSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" }).status !== 0,
  );
}

/** True when every MIT tool the tests drive is installed (for `before` hooks; tests call {@link requireMitKrb5}). */
export function mitKrb5Installed(): boolean {
  return missingTools().length === 0;
}

/**
 * True when MIT krb5's tools are installed. When they are not: fails under `CI=true`, otherwise
 * skips the test with the reason.
 */
export function requireMitKrb5(t: { skip(message?: string): void }): boolean {
  const missing = missingTools();
  if (missing.length === 0) return true;
  const reason = `MIT krb5 tools missing (${missing.join(", ")}): apt-get install krb5-kdc krb5-admin-server krb5-user`;
  if (process.env.CI === "true") assert.fail(`${reason}; required when CI=true`);
  t.skip(reason);
  return false;
}

export interface MitKdc {
  readonly dir: string;
  readonly port: number;
  readonly realm: string;
  /** KRB5_CONFIG, KRB5_KDC_PROFILE and KRB5CCNAME for the MIT tools. */
  readonly env: NodeJS.ProcessEnv;
  /** Runs one `kadmin.local -q` query and returns its output. */
  kadmin(query: string): string;
  /** Runs an MIT tool with this realm's environment, `input` on stdin; returns stdout + stderr. */
  run(tool: string, args: string[], input?: string): string;
  /** Kills the KDC this object started and removes the directory. */
  stop(): Promise<void>;
}

async function waitForPort(port: number, child: ChildProcess, ms = 10_000): Promise<void> {
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`krb5kdc exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, "127.0.0.1");
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() - started > ms) throw new Error(`krb5kdc did not listen on ${port} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Creates `realm` in a temporary directory and starts `krb5kdc` on 127.0.0.1 on a free port
 * (retried on another port if the KDC cannot bind the one chosen).
 */
export async function startMitKdc(realm = "EXAMPLE.TEST"): Promise<MitKdc> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(realm);
    } catch (e) {
      if (attempt >= 3) throw e;
    }
  }
}

async function startOnce(realm: string): Promise<MitKdc> {
  const dir = mkdtempSync(join(tmpdir(), "async-sspi-kdc-"));
  const port = await freePort();
  writeFileSync(
    join(dir, "krb5.conf"),
    `[libdefaults]
    default_realm = ${realm}
    dns_lookup_kdc = false
    dns_lookup_realm = false
    dns_canonicalize_hostname = false
    rdns = false
    allow_rc4 = true
    default_ccache_name = FILE:${dir}/ccache
[realms]
    ${realm} = {
        kdc = 127.0.0.1:${port}
    }
[domain_realm]
    localhost = ${realm}
    .example.test = ${realm}
`,
  );
  writeFileSync(
    join(dir, "kdc.conf"),
    `[kdcdefaults]
    kdc_listen = 127.0.0.1:${port}
    kdc_tcp_listen = 127.0.0.1:${port}
[realms]
    ${realm} = {
        database_name = ${dir}/principal
        key_stash_file = ${dir}/stash
        acl_file = ${dir}/kadm5.acl
        max_life = 10h
        supported_enctypes = ${TEST_ENCTYPES}
    }
[logging]
    kdc = FILE:${dir}/kdc.log
    default = FILE:${dir}/kdc.log
`,
  );
  writeFileSync(join(dir, "kadm5.acl"), "");
  const env = {
    ...process.env,
    KRB5_CONFIG: join(dir, "krb5.conf"),
    KRB5_KDC_PROFILE: join(dir, "kdc.conf"),
    KRB5CCNAME: `FILE:${join(dir, "ccache")}`,
  };
  const run = (tool: string, args: string[], input?: string) => {
    const r = spawnSync(tool, args, { env, input, encoding: "utf8", timeout: 20_000 });
    if (r.status !== 0)
      throw new Error(`${tool} ${args.join(" ")} failed (${r.status}): ${r.stdout}${r.stderr}`);
    return `${r.stdout}${r.stderr}`;
  };
  let child: ChildProcess | undefined;
  try {
    execFileSync("kdb5_util", ["create", "-s", "-r", realm, "-P", "masterpw"], {
      env,
      stdio: "ignore",
      timeout: 20_000,
    });
    child = spawn("krb5kdc", ["-n", "-r", realm], { env, stdio: "ignore" });
    await waitForPort(port, child);
  } catch (e) {
    child?.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const kdcProcess = child;
  return {
    dir,
    port,
    realm,
    env,
    kadmin: (query) => run("kadmin.local", ["-q", query]),
    run,
    stop: async () => {
      if (kdcProcess.exitCode === null && kdcProcess.signalCode === null) {
        const exited = new Promise((resolve) => kdcProcess.once("exit", resolve));
        kdcProcess.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (kdcProcess.exitCode === null && kdcProcess.signalCode === null) kdcProcess.kill("SIGKILL");
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
