/** Access to the garbage collector in tests, without a command-line flag. */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setFlagsFromString, writeHeapSnapshot } from "node:v8";
import { runInNewContext } from "node:vm";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** Runs full collections and lets finalization callbacks run. */
export async function collectGarbage(rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * Whether this thread's heap (after {@link collectGarbage}) holds a string containing the text
 * whose UTF-8 bytes are `needleHex`. The needle is given hex-encoded and decoded only after the
 * snapshot was written, so the search itself puts no copy of it on the heap.
 */
export async function heapContainsText(needleHex: string): Promise<boolean> {
  await collectGarbage();
  const dir = mkdtempSync(join(tmpdir(), "async-sspi-heap-"));
  try {
    const file = writeHeapSnapshot(join(dir, "heap.heapsnapshot"));
    return readFileSync(file).includes(Buffer.from(needleHex, "hex"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
