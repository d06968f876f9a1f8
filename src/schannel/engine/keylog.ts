/**
 * OpenSSL key log lines (NSS key log format) as emitted by Node's `'keylog'` event.
 *
 * @module
 */

/** Secrets collected from key log lines, by label. */
export interface KeylogSecrets {
  clientRandom?: Uint8Array;
  /** TLS 1.2 `CLIENT_RANDOM` master secret. */
  masterSecret?: Uint8Array;
  clientHandshakeTrafficSecret?: Uint8Array;
  serverHandshakeTrafficSecret?: Uint8Array;
  clientTrafficSecret0?: Uint8Array;
  serverTrafficSecret0?: Uint8Array;
  exporterSecret?: Uint8Array;
}

const LABELS: Readonly<Record<string, keyof KeylogSecrets>> = {
  CLIENT_RANDOM: "masterSecret",
  CLIENT_HANDSHAKE_TRAFFIC_SECRET: "clientHandshakeTrafficSecret",
  SERVER_HANDSHAKE_TRAFFIC_SECRET: "serverHandshakeTrafficSecret",
  CLIENT_TRAFFIC_SECRET_0: "clientTrafficSecret0",
  SERVER_TRAFFIC_SECRET_0: "serverTrafficSecret0",
  EXPORTER_SECRET: "exporterSecret",
};

/**
 * Records one key log line (`LABEL <client_random hex> <secret hex>`) into `into`.
 *
 * @returns true when the line had a known label and was recorded.
 */
export function recordKeylogLine(line: string | Uint8Array, into: KeylogSecrets): boolean {
  const text = typeof line === "string" ? line : Buffer.from(line).toString("latin1");
  const [label, random, secret] = text.trim().split(" ");
  if (label === undefined || random === undefined || secret === undefined) return false;
  const key = LABELS[label];
  if (key === undefined) return false;
  into[key] = new Uint8Array(Buffer.from(secret, "hex"));
  into.clientRandom ??= new Uint8Array(Buffer.from(random, "hex"));
  return true;
}

/** Overwrites every secret with zeros. */
export function zeroKeylogSecrets(secrets: KeylogSecrets): void {
  for (const value of Object.values(secrets)) if (value instanceof Uint8Array) value.fill(0);
}
