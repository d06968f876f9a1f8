/**
 * A fleet of TLS server processes sharing ticket keys through Redis, for the tests: each member
 * is a child process (fleet-member-child.ts) with its own port and a clock the test sets, so
 * rotations and retirements happen when the test says, not after sleeps.
 *
 * @module
 */
import { type ChildProcess, fork } from "node:child_process";
import { withTimeout } from "./peers.js";
import type { Pki } from "./pki.js";

/** What a member reports. */
export type MemberEvent =
  | { event: "listening"; port: number; keyIds: string[] }
  | { event: "refreshed"; keyIds: string[]; state: string }
  | { event: "log"; message: string };

/** Options shared by the members of one fleet. */
export interface FleetOptions {
  url: string;
  /** Redis key prefix of this fleet (one per test, so tests never share keys). */
  prefix: string;
  rotationSeconds: number;
  graceSeconds: number;
  /** The members' clock at start (ms since 1970). */
  clock: number;
  pki: Pki;
}

/** One running member. */
export class FleetMember {
  readonly events: MemberEvent[] = [];
  #waiters: Array<() => void> = [];
  #port = 0;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    child.on("message", (message: MemberEvent) => {
      this.events.push(message);
      for (const wake of this.#waiters.splice(0)) wake();
    });
    child.on("exit", () => {
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  /** Starts a member; resolves once it listens. */
  static async start(name: string, options: FleetOptions): Promise<FleetMember> {
    const { pki, ...rest } = options;
    const child = fork(new URL("./fleet-member-child.js", import.meta.url), {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      env: {
        ...process.env,
        ASYNC_SSPI_TEST_CHILD: "1",
        FLEET_MEMBER: JSON.stringify({
          ...rest,
          name,
          certificate: pki.server.certificate,
          privateKey: pki.server.privateKey,
          ca: pki.ca.certificate,
        }),
      },
    });
    const member = new FleetMember(name, child);
    const listening = await member.next((e) => e.event === "listening", "listening");
    member.#port = (listening as { port: number }).port;
    return member;
  }

  get port(): number {
    return this.#port;
  }

  /** The provider's messages so far. */
  get logs(): string[] {
    return this.events.flatMap((e) => (e.event === "log" ? [e.message] : []));
  }

  /** Waits (bounded) for an event matching `match` that arrives from now on, or has arrived after `from`. */
  async next(match: (event: MemberEvent) => boolean, what: string, from = this.events.length, ms = 20_000) {
    const found = () => this.events.slice(from).find(match);
    return withTimeout(
      (async () => {
        for (;;) {
          const event = found();
          if (event) return event;
          if (this.child.exitCode !== null || this.child.signalCode !== null)
            throw new Error(`fleet member ${this.name} exited while waiting for ${what}`);
          await new Promise<void>((resolve) => this.#waiters.push(resolve));
        }
      })(),
      ms,
      `fleet member ${this.name}: ${what}`,
    );
  }

  /** Sets the member's clock and waits until it re-read its keys; returns the key ids in use. */
  async setClock(ms: number): Promise<{ keyIds: string[]; state: string }> {
    const from = this.events.length;
    this.child.send({ clock: ms });
    return (await this.next((e) => e.event === "refreshed", "refreshed", from)) as {
      keyIds: string[];
      state: string;
    };
  }

  /** Stops the member (bounded; killed by PID when it does not exit). */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.child.send({ stop: true });
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  }
}
