/**
 * The registry of security packages, and the package-level SSPI functions
 * `EnumerateSecurityPackages`, `QuerySecurityPackageInfo` and `FreeContextBuffer`.
 *
 * @module
 */
import { contextBuffers } from "./context-buffers.js";
import type { SecurityPackage } from "./security-package.js";
import { SEC_E_INVALID_PARAMETER, SEC_E_OK, SEC_E_SECPKG_NOT_FOUND, type SECURITY_STATUS } from "./status.js";
import type { Box, SecPkgInfo } from "./types.js";

const packages: SecurityPackage[] = [];
const byName = new Map<string, SecurityPackage>();

/**
 * Adds a package. Its `info.Name` and `aliases` select it (case-insensitively).
 * Throws `Error` if a name is already taken: that is a programming error, not a runtime status.
 */
export function registerSecurityPackage(pkg: SecurityPackage): void {
  const names = [pkg.info.Name, ...pkg.aliases].map((n) => n.toLowerCase());
  for (const name of names) {
    if (byName.has(name)) throw new Error(`security package name already registered: ${name}`);
  }
  packages.push(pkg);
  for (const name of names) byName.set(name, pkg);
}

/** Removes a package added with {@link registerSecurityPackage}; returns whether it was registered. */
export function unregisterSecurityPackage(pkg: SecurityPackage): boolean {
  const index = packages.indexOf(pkg);
  if (index < 0) return false;
  packages.splice(index, 1);
  for (const [name, p] of byName) if (p === pkg) byName.delete(name);
  return true;
}

/** Why `pkg` cannot be used in this process, or null when it can. */
export function unavailableReasonOf(pkg: SecurityPackage): string | null {
  return pkg.unavailableReason?.() ?? null;
}

/**
 * The package selected by `name` (case-insensitive, aliases included), or undefined — also for
 * a registered package that is unavailable here ({@link unavailableReasonOf} says why).
 */
export function findAvailableSecurityPackage(name: string): SecurityPackage | undefined {
  const pkg = findSecurityPackage(name);
  return pkg === undefined || unavailableReasonOf(pkg) !== null ? undefined : pkg;
}

/** The package selected by `name` (case-insensitive, aliases included), or undefined. */
export function findSecurityPackage(name: string): SecurityPackage | undefined {
  return byName.get(name.toLowerCase());
}

/**
 * Lists the installed security packages that are available in this process (Schannel is left out
 * where its native engine cannot load).
 *
 * @param pcPackages receives the number of packages.
 * @param ppPackageInfo receives an array of {@link SecPkgInfo} copies (release with {@link FreeContextBuffer}).
 * @returns `SEC_E_OK`; `SEC_E_INVALID_PARAMETER` when an out-parameter is not a box.
 */
export function EnumerateSecurityPackages(
  pcPackages: Box<number>,
  ppPackageInfo: Box<SecPkgInfo[] | null>,
): SECURITY_STATUS {
  if (!isBox(pcPackages) || !isBox(ppPackageInfo)) return SEC_E_INVALID_PARAMETER;
  const list = packages.filter((p) => unavailableReasonOf(p) === null).map((p) => ({ ...p.info }));
  pcPackages.value = list.length;
  ppPackageInfo.value = contextBuffers.track(list);
  return SEC_E_OK;
}

/**
 * Describes one package.
 *
 * @param pszPackageName a package name or alias, case-insensitive ("Schannel",
 *   "Microsoft Unified Security Protocol Provider", "Default TLS SSP").
 * @param ppPackageInfo receives a {@link SecPkgInfo} copy (release with {@link FreeContextBuffer}).
 * @returns `SEC_E_OK`; `SEC_E_SECPKG_NOT_FOUND` for an unknown name or a package unavailable
 *   here (Schannel without its native engine); `SEC_E_INVALID_PARAMETER`
 *   when the name is not a string or the out-parameter is not a box.
 */
export function QuerySecurityPackageInfo(
  pszPackageName: string,
  ppPackageInfo: Box<SecPkgInfo | null>,
): SECURITY_STATUS {
  if (typeof pszPackageName !== "string" || !isBox(ppPackageInfo)) return SEC_E_INVALID_PARAMETER;
  const pkg = findAvailableSecurityPackage(pszPackageName);
  if (pkg === undefined) return SEC_E_SECPKG_NOT_FOUND;
  ppPackageInfo.value = contextBuffers.track({ ...pkg.info });
  return SEC_E_OK;
}

/**
 * Releases a buffer the library returned (an `*_ALLOCATE_MEMORY` output token, a package list,
 * an attribute's allocated bytes). Byte buffers are zero-filled, since they may hold secrets.
 *
 * @returns `SEC_E_OK` (also for null: nothing to free); `SEC_E_INVALID_HANDLE` for anything the
 *   library did not allocate or that was already freed.
 */
export function FreeContextBuffer(pvContextBuffer: unknown): SECURITY_STATUS {
  return contextBuffers.free(pvContextBuffer);
}

function isBox(value: unknown): value is Box<unknown> {
  return typeof value === "object" && value !== null;
}
