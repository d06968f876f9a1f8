/**
 * Certificates and credentials shared by both sides of every benchmark: the same RSA-2048 and
 * ECDSA P-256 leaf certificates (issued for `localhost` by a CA of the same key type) serve our
 * Schannel package and Node's `tls`.
 *
 * @module
 */
import { readFileSync, writeFileSync } from "node:fs";
import type { ConnectionOptions, TlsOptions } from "node:tls";
import { acquireTlsCredentials, type TlsCredentials, type TlsVersion } from "../src/api/index.js";
import {
  type CertificateKeyType,
  createCertificateAuthority,
  issueCertificate,
} from "../src/devcert/certificates.js";

/** One server certificate with the CA that validates it (all PEM). */
export interface ServerIdentity {
  ca: string;
  certificate: string;
  privateKey: string;
}

/** The identities every cell uses. */
export interface Fixtures {
  rsa: ServerIdentity;
  ecdsa: ServerIdentity;
}

export type KeyKind = keyof Fixtures;

/** The name every server certificate carries (SNI and name check on both sides). */
export const SERVER_NAME = "localhost";

async function identity(keyType: CertificateKeyType): Promise<ServerIdentity> {
  const ca = await createCertificateAuthority({ commonName: `bench ${keyType} CA`, keyType });
  const leaf = await issueCertificate(ca, {
    commonName: SERVER_NAME,
    keyType,
    ipAddresses: ["127.0.0.1"],
  });
  return { ca: ca.certificate, certificate: leaf.certificate, privateKey: leaf.privateKey };
}

/** Generates fresh certificates. */
export async function createFixtures(): Promise<Fixtures> {
  return { rsa: await identity("rsa-2048"), ecdsa: await identity("ecdsa-p256") };
}

/** Writes fixtures for child processes. */
export function saveFixtures(fixtures: Fixtures, path: string): void {
  writeFileSync(path, JSON.stringify(fixtures));
}

/** Reads fixtures written by {@link saveFixtures}. */
export function loadFixtures(path: string): Fixtures {
  return JSON.parse(readFileSync(path, "utf8")) as Fixtures;
}

/**
 * The one suite each version negotiates on both sides (pinned, so that ours and Node's `tls`
 * seal records with the same AEAD): AES-128-GCM.
 */
export function suiteFor(version: TlsVersion): string {
  return version === "TLSv1.3" ? "TLS_AES_128_GCM_SHA256" : "ECDHE-ECDSA-AES128-GCM-SHA256";
}

/** Our credentials for one configuration: a server and a client credential. */
export interface OurCredentials {
  server: TlsCredentials;
  client: TlsCredentials;
  close(): Promise<void>;
}

/**
 * Acquires our server and client credentials for `version` with `id`'s certificate.
 * `resumption: false` makes every client handshake a full one (the server still sends tickets,
 * as Node's server does).
 */
export async function ourCredentials(
  id: ServerIdentity,
  version: TlsVersion,
  resumption: boolean,
): Promise<OurCredentials> {
  const server = await acquireTlsCredentials({
    role: "server",
    certificates: [{ certificate: id.certificate, privateKey: id.privateKey }],
    versions: [version],
    cipherSuites: [suiteFor(version)],
  });
  const client = await acquireTlsCredentials({
    role: "client",
    trustedRoots: [id.ca],
    versions: [version],
    cipherSuites: [suiteFor(version)],
    resumption,
  });
  return {
    server,
    client,
    async close() {
      await client.close();
      await server.close();
    },
  };
}

/** Node `tls` server options for the same certificate and version. */
export function nativeServerOptions(id: ServerIdentity, version: TlsVersion): TlsOptions {
  return {
    key: id.privateKey,
    cert: id.certificate,
    minVersion: version,
    maxVersion: version,
    ciphers: suiteFor(version),
  };
}

/** Node `tls` client options for the same CA, name and version. */
export function nativeClientOptions(id: ServerIdentity, version: TlsVersion): ConnectionOptions {
  return {
    ca: id.ca,
    servername: SERVER_NAME,
    minVersion: version,
    maxVersion: version,
    ciphers: suiteFor(version),
  };
}
