/**
 * A key log file (`SSLKEYLOGFILE` format, for Wireshark) that does not leak its secrets: the
 * lines it holds decrypt every recorded connection, so the file is created readable by its
 * owner only (0600), an existing one is tightened to 0600, and a symbolic link is refused (no
 * one can point the log at a file of their choosing). The file stays open, so a link swapped
 * in later is never followed either.
 *
 * ```ts
 * const keyLog = openKeyLogFile("keys.log");
 * const credentials = await acquireTlsCredentials({ role: "client", keyLog });
 * ```
 *
 * @module
 */
import { closeSync, constants, fchmodSync, fstatSync, lstatSync, openSync, writeSync } from "node:fs";

/** A `keyLog` callback appending to a file, and how to close it. */
export interface KeyLogFile {
  /** Appends NSS key-log lines (a line feed is added when missing). Never throws. */
  (lines: string): void;
  /** Closes the file (later lines are dropped). */
  close(): void;
}

function refuse(path: string, why: string, code: string): never {
  throw Object.assign(new Error(`key log ${path}: ${why}`), { code, path });
}

/**
 * Opens `path` for appending key-log lines: created with mode 0600 (`O_NOFOLLOW`), an existing
 * regular file tightened to 0600.
 *
 * @returns the `keyLog` callback for `acquireTlsCredentials`, with `close()`.
 * @throws an `Error` with `code` `ELOOP` for a symbolic link, `EINVAL` for something else than
 *   a regular file, or the file system's error (`EACCES`, `ENOENT`, `EPERM` when an existing
 *   file cannot be made 0600, …).
 */
export function openKeyLogFile(path: string): KeyLogFile {
  let existing: ReturnType<typeof lstatSync> | undefined;
  try {
    existing = lstatSync(path);
  } catch {
    existing = undefined; // created below
  }
  if (existing?.isSymbolicLink()) refuse(path, "refusing a symbolic link (a key log holds secrets)", "ELOOP");
  const flags = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | (constants.O_NOFOLLOW ?? 0);
  let fd: number;
  try {
    fd = openSync(path, flags, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ELOOP")
      refuse(path, "refusing a symbolic link (a key log holds secrets)", "ELOOP");
    throw error;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) refuse(path, "not a regular file", "EINVAL");
    if ((stat.mode & 0o077) !== 0) fchmodSync(fd, 0o600);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  let open = true;
  const write = ((lines: string) => {
    if (!open) return;
    try {
      writeSync(fd, lines.endsWith("\n") ? lines : `${lines}\n`);
    } catch {
      // A key log that cannot be written must not break the connection.
    }
  }) as KeyLogFile;
  write.close = () => {
    if (!open) return;
    open = false;
    closeSync(fd);
  };
  return write;
}
