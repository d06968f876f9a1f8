/**
 * Node's `tls` option names as first-class aliases of ours, and the check that every option
 * given is known (an unknown one is a `TypeError` naming it, with a "did you mean").
 *
 * | Node (`tls.connect` / `tls.createServer`) | ours |
 * |---|---|
 * | `ca` (string, Buffer, or an array of them) | `trustedRoots` |
 * | `cert` + `key` (one or arrays, paired in order; `key` may be `{ pem, passphrase }`), `passphrase` | `certificates: [{ certificate, privateKey, passphrase }]` |
 * | `pfx` (one or an array; `{ buf, passphrase }`), `passphrase` | `certificates: [{ pfx, passphrase }]` |
 * | `servername` | `serverName` |
 * | `ALPNProtocols` (string[] or one string) | `alpn` |
 * | `rejectUnauthorized: false` (client) | `manualValidation: true` (read `stream.authorized` / `context.certificateCheck`) |
 * | `minVersion` / `maxVersion` | `versions` |
 * | `requestCert` | `requestClientCertificate` |
 * | `ciphers` (`"A:B"`) | `cipherSuites` |
 * | `ecdhCurve` (`"X25519:P-256"`) | `groups` |
 * | `ticketKeys` | `sessionTicketKeys` |
 * | `crl` | `crls`, and `revocationCheck: "chain"` unless given (Node checks every certificate of the chain when `crl` is set) |
 * | `requestOCSP` (client) | `revocationCheck: "end-cert"` + `ignoreNoRevocationCheck` unless given: a stapled response is requested and verified (Node only hands it to an `'OCSPResponse'` listener) |
 *
 * `checkServerIdentity`, `host`, `port`, `session` have the same names. Our own names also accept a single
 * value where a list is expected (`alpn: "http/1.1"`, `trustedRoots: caPem`).
 *
 * @module
 */
import type { TlsCertificate, TlsVersion } from "./credential-options.js";

type Pem = string | Uint8Array;

/** Node's option names this package accepts (see the module table). */
export interface NodeTlsOptions {
  /** Node's name for `trustedRoots`. */
  ca?: Pem | Pem[];
  /** Node's name for the certificates of `certificates` (PEM chain, leaf first), paired with `key` in order. */
  cert?: Pem | Pem[];
  /** Node's name for the private keys of `certificates`. */
  key?: Pem | Array<Pem | { pem: Pem; passphrase?: string }>;
  /** Node's PKCS#12 option (`certificates: [{ pfx }]`). */
  pfx?: Uint8Array | Array<Uint8Array | { buf: Uint8Array; passphrase?: string }>;
  /** The passphrase of `key` or `pfx`. */
  passphrase?: string;
  /** Node's name for `serverName`. */
  servername?: string;
  /** Node's name for `alpn`. */
  ALPNProtocols?: string | string[];
  /** Client: `false` is `manualValidation: true` (the handshake completes; `stream.authorized` tells). */
  rejectUnauthorized?: boolean;
  /** The lowest version allowed (`"TLSv1.2"` or `"TLSv1.3"`). */
  minVersion?: TlsVersion;
  /** The highest version allowed. */
  maxVersion?: TlsVersion;
  /** Node's name for `requestClientCertificate`. */
  requestCert?: boolean;
  /** Node's cipher list, colon-separated (`cipherSuites`). */
  ciphers?: string;
  /** Node's group list, colon-separated (`groups`). */
  ecdhCurve?: string;
  /** Node's name for `sessionTicketKeys` (48 bytes). */
  ticketKeys?: Uint8Array;
  /** Node's name for `crls`; also turns on `revocationCheck: "chain"` as Node does. */
  crl?: Pem | Pem[];
  /** Client: request a stapled OCSP response, and verify it (see the module table). */
  requestOCSP?: boolean;
}

const NODE_NAMES = [
  "ca",
  "cert",
  "key",
  "pfx",
  "passphrase",
  "servername",
  "ALPNProtocols",
  "rejectUnauthorized",
  "minVersion",
  "maxVersion",
  "requestCert",
  "ciphers",
  "ecdhCurve",
  "ticketKeys",
  "crl",
  "requestOCSP",
] as const;

/** Our credential option names. */
export const CREDENTIAL_NAMES = [
  "role",
  "certificates",
  "trustedRoots",
  "alpn",
  "versions",
  "cipherSuites",
  "groups",
  "manualValidation",
  "noServerNameCheck",
  "keyLog",
  "sessionTicketKeys",
  "resumption",
  "sessionLifetimeMs",
  "crls",
  "revocationCheck",
  "ignoreNoRevocationCheck",
  "ignoreRevocationOffline",
] as const;

/** Our per-connection option names (`TlsContext`). */
export const CONTEXT_NAMES = ["serverName", "alpn", "requestClientCertificate", "session"] as const;

/** Our stream option names (`connectTls`, `acceptTls`). */
export const STREAM_NAMES = [
  "credentials",
  "signal",
  "allowHalfOpen",
  "strictClose",
  "checkServerIdentity",
  "SNICallback",
] as const;

/** Node options that are known but not supported, with why. */
const UNSUPPORTED: Record<string, string> = {
  secureContext: "pass `credentials` (acquireTlsCredentials) instead of a SecureContext",
  socket: "pass the socket as connectTls(socket, options)",
};

function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let previous = Array.from({ length: y.length + 1 }, (_, i) => i);
  for (let i = 1; i <= x.length; i++) {
    const current = [i];
    for (let j = 1; j <= y.length; j++)
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1),
      );
    previous = current;
  }
  return previous[y.length]!;
}

/**
 * Throws a `TypeError` for the first option of `options` not in `known` (nor one of Node's
 * names), suggesting the closest known name.
 */
export function assertKnownOptions(options: object, known: readonly string[], where: string): void {
  const names = [...known, ...NODE_NAMES];
  for (const name of Object.keys(options)) {
    if (names.includes(name)) continue;
    if (name in UNSUPPORTED) throw new TypeError(`${where}: options.${name}: ${UNSUPPORTED[name]}`);
    const best = names
      .map((candidate) => ({ candidate, distance: editDistance(name, candidate) }))
      .sort((a, b) => a.distance - b.distance)[0]!;
    const hint =
      best.distance <= Math.max(2, Math.floor(name.length / 3)) ? ` — did you mean "${best.candidate}"?` : "";
    throw new TypeError(`${where}: unknown option "${name}"${hint}`);
  }
}

function list<T>(value: T | T[] | undefined): T[] | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value : [value];
}

function certificatesOf(node: NodeTlsOptions, where: string): TlsCertificate[] | undefined {
  const { passphrase } = node;
  const withPassphrase = (p: string | undefined) => (p === undefined ? {} : { passphrase: p });
  const out: TlsCertificate[] = [];
  const certs = list(node.cert);
  const keys = list(node.key);
  if (certs !== undefined || keys !== undefined) {
    if (certs === undefined || keys === undefined || certs.length !== keys.length)
      throw new TypeError(
        `${where}: options.cert and options.key go together (one key per certificate chain)`,
      );
    certs.forEach((certificate, i) => {
      const key = keys[i]!;
      const pem = typeof key === "object" && !(key instanceof Uint8Array) ? key : { pem: key, passphrase };
      out.push({ certificate, privateKey: pem.pem, ...withPassphrase(pem.passphrase ?? passphrase) });
    });
  }
  for (const entry of list(node.pfx) ?? []) {
    const pfx = entry instanceof Uint8Array ? { buf: entry, passphrase } : entry;
    out.push({ pfx: pfx.buf, ...withPassphrase(pfx.passphrase ?? passphrase) });
  }
  return out.length > 0 ? out : undefined;
}

function versionsOf(
  min: TlsVersion | undefined,
  max: TlsVersion | undefined,
  where: string,
): TlsVersion[] | undefined {
  if (min === undefined && max === undefined) return undefined;
  const all: TlsVersion[] = ["TLSv1.2", "TLSv1.3"];
  for (const [name, v] of [
    ["minVersion", min],
    ["maxVersion", max],
  ] as const) {
    if (v !== undefined && !all.includes(v))
      throw new TypeError(
        `${where}: options.${name} must be "TLSv1.2" or "TLSv1.3", got ${JSON.stringify(v)}`,
      );
  }
  const from = all.indexOf(min ?? "TLSv1.2");
  const to = all.indexOf(max ?? "TLSv1.3");
  if (from > to) throw new TypeError(`${where}: options.minVersion is above options.maxVersion`);
  return all.slice(from, to + 1);
}

/** Sets `target[ours]` from a Node option, refusing both names at once. */
function alias(
  target: Record<string, unknown>,
  ours: string,
  node: string,
  value: unknown,
  where: string,
): void {
  if (value === undefined) return;
  if (target[ours] !== undefined)
    throw new TypeError(`${where}: options.${node} and options.${ours} are the same option: give one`);
  target[ours] = value;
}

/**
 * Our options from options that may use Node's names (and single values for lists). Checks
 * that every option is known (`known`: ours that apply here).
 *
 * @throws {TypeError} for an unknown option (with a "did you mean"), a Node option that is
 *   not supported (`secureContext`), both a Node name and ours for the same option, `cert`
 *   without `key`, an invalid `minVersion`/`maxVersion`; `SNICallback` that is not a function
 *   or given to a client, `session` given to a server.
 */
export function fromNodeOptions<T extends object>(
  options: T & NodeTlsOptions,
  known: readonly string[],
  where: string,
  role: "client" | "server",
): T {
  if (typeof options !== "object" || options === null)
    throw new TypeError(`${where}: options must be an object`);
  assertKnownOptions(options, known, where);
  const {
    ca,
    cert: _cert,
    key: _key,
    pfx: _pfx,
    passphrase: _passphrase,
    servername,
    ALPNProtocols,
    rejectUnauthorized,
    minVersion,
    maxVersion,
    requestCert,
    ciphers,
    ecdhCurve,
    ticketKeys,
    crl,
    requestOCSP,
    ...ours
  } = options;
  const out = ours as Record<string, unknown>;
  alias(out, "trustedRoots", "ca", list(ca), where);
  alias(out, "certificates", "cert/key/pfx", certificatesOf(options, where), where);
  alias(out, "serverName", "servername", servername, where);
  alias(out, "alpn", "ALPNProtocols", ALPNProtocols, where);
  alias(out, "versions", "minVersion/maxVersion", versionsOf(minVersion, maxVersion, where), where);
  alias(out, "requestClientCertificate", "requestCert", requestCert, where);
  alias(out, "cipherSuites", "ciphers", ciphers?.split(":").filter(Boolean), where);
  alias(out, "groups", "ecdhCurve", ecdhCurve?.split(":").filter(Boolean), where);
  alias(out, "sessionTicketKeys", "ticketKeys", ticketKeys, where);
  alias(out, "crls", "crl", crl, where);
  if (crl !== undefined) out.revocationCheck ??= "chain";
  if (requestOCSP === true) {
    if (role === "server")
      throw new TypeError(
        `${where}: options.requestOCSP is a client option (a server staples certificates[].ocspResponse)`,
      );
    if (out.revocationCheck === undefined) {
      out.revocationCheck = "end-cert";
      out.ignoreNoRevocationCheck ??= true;
    }
  }
  if (rejectUnauthorized === false) {
    if (role === "server")
      throw new TypeError(
        `${where}: options.rejectUnauthorized: false is not supported on a server (a requested client certificate is always validated)`,
      );
    out.manualValidation = true;
  }
  const sni = out.SNICallback;
  if (sni !== undefined && (role !== "server" || typeof sni !== "function"))
    throw new TypeError(
      role === "server"
        ? `${where}: options.SNICallback must be a function (servername, callback) => void`
        : `${where}: options.SNICallback is a server option`,
    );
  if (out.session !== undefined && role === "server")
    throw new TypeError(`${where}: options.session resumes a client connection; this is a server`);
  if (typeof out.alpn === "string") out.alpn = [out.alpn];
  if (typeof out.trustedRoots === "string" || out.trustedRoots instanceof Uint8Array)
    out.trustedRoots = [out.trustedRoots];
  return out as T;
}
