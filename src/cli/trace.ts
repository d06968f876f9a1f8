/**
 * A readable trace for the CLI: lines with optional ANSI colour (on a terminal), and the
 * same events collected for `--json`.
 *
 * @module
 */
import { FAILED, formatStatus, type SECURITY_STATUS, statusName } from "../index.js";

export interface TraceEvent {
  section?: string;
  side?: "client" | "server";
  call?: string;
  queued?: string;
  completed?: string;
  ms?: number;
  detail?: string;
  [key: string]: unknown;
}

const codes = { dim: 2, bold: 1, red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36 } as const;

export class Trace {
  readonly events: TraceEvent[] = [];

  constructor(
    private readonly print: boolean,
    private readonly colour: boolean,
  ) {}

  paint(colour: keyof typeof codes, text: string): string {
    return this.colour ? `\x1b[${codes[colour]}m${text}\x1b[0m` : text;
  }

  /** A status, coloured by outcome: green success, yellow informational, red failure. */
  status(status: SECURITY_STATUS): string {
    const name = statusName(status) ?? formatStatus(status);
    return this.paint(FAILED(status) ? "red" : status === 0 ? "green" : "yellow", name);
  }

  section(title: string): void {
    this.events.push({ section: title });
    if (this.print) console.log(`\n${this.paint("bold", title)}`);
  }

  line(text: string, event?: TraceEvent): void {
    if (event) this.events.push(event);
    if (this.print) console.log(text);
  }

  side(side: "client" | "server"): string {
    return this.paint(side === "client" ? "cyan" : "magenta", `[${side}]`.padEnd(8));
  }
}

/** Milliseconds, readable: `0.42 ms`, `12 ms`. */
export function ms(value: number): string {
  return value < 10 ? `${value.toFixed(2)} ms` : `${value.toFixed(0)} ms`;
}
