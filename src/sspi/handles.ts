/**
 * `CredHandle` and `CtxtHandle`: opaque handle objects the caller creates empty
 * (`new CtxtHandle()`) and the functions fill. A handle is two numbers, as in C; they mean
 * nothing outside this process. A stale, freed, foreign or wrong-kind handle gets
 * `SEC_E_INVALID_HANDLE` from every function, never a crash.
 *
 * @module
 */

/** The value of both fields of an invalidated handle (C's `(ULONG_PTR)(INT_PTR)-1`). */
export const INVALID_HANDLE_VALUE = -1;

/** The shape of a `SecHandle`. Plain objects of this shape are accepted as handles. */
export interface SecHandle {
  dwLower: number;
  dwUpper: number;
}

/** A credential handle, filled by `AcquireCredentialsHandle`. Created invalid. */
export class CredHandle implements SecHandle {
  dwLower = INVALID_HANDLE_VALUE;
  dwUpper = INVALID_HANDLE_VALUE;
}

/** A security-context handle, filled by `InitializeSecurityContext`/`AcceptSecurityContext`. Created invalid. */
export class CtxtHandle implements SecHandle {
  dwLower = INVALID_HANDLE_VALUE;
  dwUpper = INVALID_HANDLE_VALUE;
}

/** Marks `handle` invalid (both fields -1), like C's `SecInvalidateHandle`. */
export function SecInvalidateHandle(handle: SecHandle): void {
  handle.dwLower = INVALID_HANDLE_VALUE;
  handle.dwUpper = INVALID_HANDLE_VALUE;
}

/**
 * True when neither field is -1, like C's `SecIsValidHandle`. This only says the handle was
 * filled: a deleted handle still "looks" valid until invalidated, as in C.
 */
export function SecIsValidHandle(handle: SecHandle | null | undefined): boolean {
  return (
    handle !== null &&
    typeof handle === "object" &&
    handle.dwLower !== INVALID_HANDLE_VALUE &&
    handle.dwUpper !== INVALID_HANDLE_VALUE
  );
}
