/**
 * A real `redis-server` (Debian's package) for the tests: started on 127.0.0.1 on a free port in
 * a temporary directory, no persistence (`--save "" --appendonly no`), optionally with a password
 * (`--requirepass`) or TLS only (`--tls-port`, certificates from pki.ts). `stop()` kills it by
 * PID; `restart()` starts it again, empty, on the same port.
 *
 * @module
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { freePort, type OpensslProcess, spawnPeer, TempFiles, waitForOutput } from "./peers.js";
import type { Pki } from "./pki.js";

/** True when `redis-server` runs. When it does not: fails under `CI=true`, otherwise skips with the reason. */
export function requireRedis(t: { skip(message?: string): void }): boolean {
  const probe = spawnSync("redis-server", ["--version"], { stdio: "ignore", timeout: 10_000 });
  if (probe.status === 0) return true;
  const reason = "redis-server is not installed: apt-get install redis-server";
  if (process.env.CI === "true") assert.fail(`${reason}; required when CI=true`);
  t.skip(reason);
  return false;
}

export interface RedisServerOptions {
  /** `--requirepass`: clients authenticate with this password. */
  password?: string;
  /** TLS only (`--tls-port`, no plain port), with the server certificate of `pki`. */
  tls?: Pki;
  /** This port instead of a free one (e.g. one a client already tries to reach). */
  port?: number;
}

/** A running redis-server. */
export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:PORT`, `redis://:PASSWORD@…` or `rediss://…`. */
  readonly url: string;
  /** Kills the server (SIGKILL, by PID): a crash, not a shutdown. */
  kill(): Promise<void>;
  /** Starts it again, empty, on the same port. */
  restart(): Promise<void>;
  /** Kills it and removes its directory. */
  stop(): Promise<void>;
}

/** Starts a redis-server on a free loopback port; resolves when it accepts connections. */
export async function startRedis(options: RedisServerOptions = {}): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  const files = new TempFiles();
  const args = [
    "--bind",
    "127.0.0.1",
    "--dir",
    files.dir,
    "--save",
    "",
    "--appendonly",
    "no",
    "--daemonize",
    "no",
  ];
  if (options.password !== undefined) args.push("--requirepass", options.password);
  if (options.tls) {
    const p = options.tls;
    args.push(
      "--port",
      "0",
      "--tls-port",
      String(port),
      "--tls-cert-file",
      files.write("redis.crt", p.server.certificate),
      "--tls-key-file",
      files.write("redis.key", p.server.privateKey),
      "--tls-ca-cert-file",
      files.write("ca.crt", p.ca.certificate),
      "--tls-auth-clients",
      "no",
    );
  } else args.push("--port", String(port));
  const auth = options.password === undefined ? "" : `:${encodeURIComponent(options.password)}@`;
  const url = `${options.tls ? "rediss" : "redis"}://${auth}127.0.0.1:${port}`;

  let process_: OpensslProcess | null = null;
  const start = async () => {
    const child = spawnPeer("redis-server", args, 10 * 60_000);
    process_ = child;
    await waitForOutput(child, /Ready to accept connections/);
    if (child.child.exitCode !== null || child.child.signalCode !== null)
      throw new Error(`redis-server did not start: ${child.output()}`);
  };
  const kill = async () => {
    const child = process_;
    if (child === null) return;
    process_ = null;
    child.kill();
    await child.exited;
  };
  await start();
  return {
    port,
    url,
    kill,
    restart: async () => {
      await kill();
      await start();
    },
    stop: async () => {
      await kill();
      files.remove();
    },
  };
}
