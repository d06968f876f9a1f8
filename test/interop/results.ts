/**
 * Results of the interoperability matrix: every cell is run through {@link Matrix.cell}, which
 * bounds it in time, records pass / fail / known gap with the negotiated parameters, and at the
 * end of the test file (`after`) writes `artifacts/interop/<file>.json` and re-renders
 * `docs/interop.md` from every results file present (see write-report.ts).
 *
 * A cell fails its test: `Matrix.assertAllPassed()` at the end of each test throws with every
 * failed cell's message, so a failure is never only a line in the report.
 *
 * @module
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { after } from "node:test";
import { fileURLToPath } from "node:url";
import { withTimeout } from "../support/peers.js";
import { renderReport } from "./write-report.js";

/** The repository root (dist/test/interop → ../../..). */
export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
/** Where each test file writes its results. */
export const resultsDir = join(repoRoot, "artifacts", "interop");

/** Parameters both sides agreed on, as our side reports them (and the peer where it can). */
export interface Negotiated {
  protocol?: string;
  suite?: string;
  group?: string;
  alpn?: string | null;
  resumed?: boolean;
  hrr?: boolean;
  certificate?: string;
  /** Anything else worth a column note (peer's view, statuses, sizes). */
  note?: string;
}

export type Outcome = "pass" | "fail" | "gap";

export interface CellResult {
  peer: string;
  /** "our client → peer server" or "peer client → our server". */
  direction: string;
  /** Group of cells (grid, alpn, mtls, …). */
  area: string;
  cell: string;
  outcome: Outcome;
  negotiated: Negotiated;
  /** Failure message, or the gap's reason. */
  detail?: string;
  /** A gap: the peer's exact output. */
  peerOutput?: string;
  ms: number;
}

/** Thrown by a cell the peer cannot do: recorded as a known gap, not a failure. */
export class KnownGap extends Error {
  constructor(
    readonly reason: string,
    readonly peerOutput: string,
  ) {
    super(reason);
  }
}

/** What a cell's body returns: the parameters it saw. */
export type CellBody = () => Promise<Negotiated>;

export interface CellSpec {
  peer: string;
  direction: "our client → peer server" | "peer client → our server" | string;
  area: string;
  cell: string;
  /** Bound for the whole cell (default 10 s). */
  limitMs?: number;
}

/** Collects the cells of one test file. */
export class Matrix {
  readonly results: CellResult[] = [];
  private failedSinceCheck: CellResult[] = [];

  constructor(readonly file: string) {
    after(() => this.write());
  }

  /** Runs one bounded cell; never throws (the outcome is recorded). */
  async cell(spec: CellSpec, body: CellBody): Promise<CellResult> {
    const started = Date.now();
    let result: CellResult;
    try {
      const negotiated = await withTimeout(body(), spec.limitMs ?? 10_000, `${spec.peer} ${spec.cell}`);
      result = { ...base(spec), outcome: "pass", negotiated, ms: Date.now() - started };
    } catch (error) {
      if (error instanceof KnownGap) {
        result = {
          ...base(spec),
          outcome: "gap",
          negotiated: {},
          detail: error.reason,
          peerOutput: error.peerOutput.trim().slice(0, 2000),
          ms: Date.now() - started,
        };
      } else {
        const message = error instanceof Error ? error.message : String(error);
        result = {
          ...base(spec),
          outcome: "fail",
          negotiated: {},
          detail: message.slice(0, 1500),
          ms: Date.now() - started,
        };
        this.failedSinceCheck.push(result);
      }
    }
    this.results.push(result);
    return result;
  }

  /** Fails the calling test when a cell failed since the last check; `expected` counts the cells run. */
  assertAllPassed(expected?: number): void {
    const failed = this.failedSinceCheck;
    this.failedSinceCheck = [];
    assert.deepEqual(
      failed.map((r) => `${r.peer} ${r.direction} ${r.cell}: ${r.detail}`),
      [],
      `${failed.length} cell(s) failed`,
    );
    if (expected !== undefined) assert.ok(this.results.length >= expected, "every cell ran");
  }

  /** Writes the JSON results and re-renders docs/interop.md from every results file. */
  write(): void {
    mkdirSync(resultsDir, { recursive: true });
    const name = basename(this.file).replace(/\.test\.js$/, "");
    writeFileSync(
      join(resultsDir, `${name}.json`),
      `${JSON.stringify({ file: name, finished: new Date().toISOString(), results: this.results }, null, 2)}\n`,
    );
    renderReport();
  }
}

function base(spec: CellSpec) {
  return { peer: spec.peer, direction: spec.direction, area: spec.area, cell: spec.cell };
}
