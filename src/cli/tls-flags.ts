/**
 * The TLS flags `serve` and `connect` share (`--cert/--key`, `--pfx/--passphrase`, CA files,
 * `--tls1.2`/`--tls1.3`, `--alpn`, `--keylog`), read into the idiomatic API's credential
 * options. Bad flags throw {@link UsageError} (exit status 2).
 *
 * @module
 */
import { readFileSync } from "node:fs";
import type { TlsCertificate, TlsVersion } from "../api/credential-options.js";
import { openKeyLogFile } from "../api/key-log-file.js";

/** A command-line mistake: printed without a stack, exit status 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** The `parseArgs` option table of the shared TLS flags. */
export const tlsFlagOptions = {
  cert: { type: "string" },
  key: { type: "string" },
  pfx: { type: "string" },
  passphrase: { type: "string" },
  alpn: { type: "string", multiple: true },
  "tls1.2": { type: "boolean" },
  "tls1.3": { type: "boolean" },
  keylog: { type: "string" },
} as const;

/** The parsed values of {@link tlsFlagOptions}. */
export interface TlsFlagValues {
  cert?: string | undefined;
  key?: string | undefined;
  pfx?: string | undefined;
  passphrase?: string | undefined;
  alpn?: string[] | undefined;
  "tls1.2"?: boolean | undefined;
  "tls1.3"?: boolean | undefined;
  keylog?: string | undefined;
}

function readFile(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "error";
    throw new UsageError(`${flag} ${path}: cannot read the file (${code})`);
  }
}

/** A certificate or key file's contents: PEM as text, anything else as DER bytes. */
function pemOrDer(path: string, flag: string): string | Uint8Array {
  const bytes = readFile(path, flag);
  const text = bytes.toString("latin1");
  return text.includes("-----BEGIN ") ? bytes.toString("utf8") : new Uint8Array(bytes);
}

/**
 * The certificate given by `--cert/--key` or `--pfx/--passphrase`.
 *
 * @returns the certificate, or null when none of those flags was given.
 * @throws {UsageError} for `--cert` without `--key` (or the reverse), both forms at once, or an
 *   unreadable file.
 */
export function certificateFromFlags(values: TlsFlagValues): TlsCertificate | null {
  const { cert, key, pfx, passphrase } = values;
  if (pfx !== undefined) {
    if (cert !== undefined || key !== undefined)
      throw new UsageError("give either --cert/--key or --pfx, not both");
    return { pfx: new Uint8Array(readFile(pfx, "--pfx")), ...(passphrase !== undefined && { passphrase }) };
  }
  if (cert === undefined && key === undefined) {
    if (passphrase !== undefined) throw new UsageError("--passphrase needs --pfx (or --cert/--key)");
    return null;
  }
  if (cert === undefined || key === undefined)
    throw new UsageError(
      "--cert and --key go together: the certificate (PEM chain or DER) and its private key",
    );
  return {
    certificate: pemOrDer(cert, "--cert"),
    privateKey: pemOrDer(key, "--key"),
    ...(passphrase !== undefined && { passphrase }),
  };
}

/**
 * Reads CA files (PEM, possibly several certificates each, or DER).
 *
 * @returns the files' contents, or undefined when no file was given.
 * @throws {UsageError} for an unreadable file.
 */
export function caFromFlags(
  files: string[] | undefined,
  flag: string,
): Array<string | Uint8Array> | undefined {
  if (files === undefined || files.length === 0) return undefined;
  return files.map((file) => pemOrDer(file, flag));
}

/**
 * The versions `--tls1.2`/`--tls1.3` allow.
 *
 * @returns one version, or undefined (both) when neither flag was given.
 * @throws {UsageError} when both were given.
 */
export function versionsFromFlags(values: TlsFlagValues): TlsVersion[] | undefined {
  if (values["tls1.2"] && values["tls1.3"])
    throw new UsageError("--tls1.2 and --tls1.3 exclude each other (give neither to allow both)");
  if (values["tls1.2"]) return ["TLSv1.2"];
  if (values["tls1.3"]) return ["TLSv1.3"];
  return undefined;
}

/**
 * The ALPN ids of `--alpn` (repeatable, each comma-separated: `--alpn h2,http/1.1`).
 *
 * @returns the ids in order, or undefined when the flag was not given.
 * @throws {UsageError} for an empty id.
 */
export function alpnFromFlags(values: string[] | undefined): string[] | undefined {
  if (values === undefined) return undefined;
  const ids = values.flatMap((v) => v.split(",")).map((id) => id.trim());
  if (ids.some((id) => id.length === 0)) throw new UsageError("--alpn: empty protocol id");
  return ids;
}

/**
 * A `keyLog` callback appending NSS key-log lines (`SSLKEYLOGFILE` format, readable by
 * Wireshark) to `file`, created 0600 and never through a symbolic link (`openKeyLogFile`).
 * Writes synchronously so every line is on disk when the handshake completes, even if the
 * process is then killed.
 *
 * @returns the callback, or undefined without a file.
 * @throws {UsageError} when the file is a symbolic link or cannot be opened for appending.
 */
export function keyLogToFile(file: string | undefined): ((lines: string) => void) | undefined {
  if (file === undefined) return undefined;
  try {
    return openKeyLogFile(file);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw new UsageError(
      e.code === "ELOOP"
        ? `--keylog ${file}: refusing a symbolic link (the key log holds secrets: give the real path)`
        : e.code === "EINVAL"
          ? `--keylog ${file}: not a regular file`
          : `--keylog ${file}: cannot write the file (${e.code ?? "error"})`,
    );
  }
}

/**
 * A port number from a flag or a `HOST:PORT` target.
 *
 * @throws {UsageError} unless it is an integer from 0 to 65535.
 */
export function parsePort(text: string, what: string): number {
  const port = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`${what}: "${text}" is not a port number (0-65535)`);
  return port;
}
