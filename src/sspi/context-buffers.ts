/**
 * Bookkeeping for memory the library hands out (C's "context buffers"): what
 * `FreeContextBuffer` may release.
 *
 * @module
 */
import { SEC_E_INVALID_HANDLE, SEC_E_OK, type SECURITY_STATUS } from "./status.js";

const allocated = new WeakSet<object>();

export const contextBuffers = {
  /** Marks `value` as allocated by the library and returns it. */
  track<T extends object>(value: T): T {
    allocated.add(value);
    return value;
  },

  /** Whether `value` is a live library allocation. */
  owns(value: unknown): boolean {
    return typeof value === "object" && value !== null && allocated.has(value);
  },

  /**
   * Releases `value`: `SEC_E_OK` for null or a live library allocation (byte arrays are zeroed),
   * `SEC_E_INVALID_HANDLE` for anything else (foreign objects, double frees).
   */
  free(value: unknown): SECURITY_STATUS {
    if (value === null || value === undefined) return SEC_E_OK;
    if (typeof value !== "object" || !allocated.has(value)) return SEC_E_INVALID_HANDLE;
    allocated.delete(value);
    if (value instanceof Uint8Array) value.fill(0);
    return SEC_E_OK;
  },
};
