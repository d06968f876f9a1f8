/**
 * Certificates shared by the engine tests (generated once per test process) and small helpers to
 * build credential configurations.
 */
import {
  type CertificateAuthority,
  type CertificateKeyType,
  createCertificateAuthority,
  type IssuedCertificate,
  issueCertificate,
} from "../../src/devcert/certificates.js";
import type { EngineCredentialConfig, EngineTlsVersion } from "../../src/schannel/engine/engine-types.js";

export interface Fixtures {
  ca: CertificateAuthority;
  otherCa: CertificateAuthority;
  servers: Record<CertificateKeyType, IssuedCertificate>;
  alt: IssuedCertificate;
  /** RSA twin of `alt` (same name): SNI then key type select among them. */
  altRsa: IssuedCertificate;
  client: IssuedCertificate;
  untrustedClient: IssuedCertificate;
  selfSigned: IssuedCertificate;
  expired: IssuedCertificate;
}

let cached: Promise<Fixtures> | undefined;

/** @returns the shared certificates: server leaves for every key type named `localhost`, etc. */
export function fixtures(): Promise<Fixtures> {
  cached ??= (async () => {
    const ca = await createCertificateAuthority({ commonName: "engine test CA" });
    const otherCa = await createCertificateAuthority({ commonName: "untrusted CA" });
    const server = (keyType: CertificateKeyType) =>
      issueCertificate(ca, { commonName: "localhost", dnsNames: ["localhost", "www.example.test"], keyType });
    const [p256, p384, rsa, ed] = await Promise.all([
      server("ecdsa-p256"),
      server("ecdsa-p384"),
      server("rsa-2048"),
      server("ed25519"),
    ]);
    return {
      ca,
      otherCa,
      servers: { "ecdsa-p256": p256, "ecdsa-p384": p384, "rsa-2048": rsa, ed25519: ed },
      alt: await issueCertificate(ca, { commonName: "alt.example.test", keyType: "ecdsa-p256" }),
      altRsa: await issueCertificate(ca, { commonName: "alt.example.test", keyType: "rsa-2048" }),
      client: await issueCertificate(ca, { commonName: "engine client", dnsNames: [], usage: "client" }),
      untrustedClient: await issueCertificate(otherCa, {
        commonName: "stranger",
        dnsNames: [],
        usage: "client",
      }),
      selfSigned: await issueCertificate(null, { commonName: "localhost" }),
      expired: await issueCertificate(ca, {
        commonName: "localhost",
        notBefore: new Date(Date.now() - 10 * 86_400_000),
        notAfter: new Date(Date.now() - 86_400_000),
      }),
    };
  })();
  return cached;
}

/** A server credential configuration. */
export function serverConfig(
  certs: IssuedCertificate[],
  version: EngineTlsVersion | "both",
  extra: Partial<EngineCredentialConfig> = {},
): EngineCredentialConfig {
  return {
    role: "server",
    certificates: certs.map((c) => ({ certificate: c.certificate, privateKey: c.privateKey })),
    trustedRoots: [],
    minVersion: version === "both" ? "TLSv1.2" : version,
    maxVersion: version === "both" ? "TLSv1.3" : version,
    ...extra,
  };
}

/** A client credential configuration trusting `roots`. */
export function clientConfig(
  roots: string[],
  version: EngineTlsVersion | "both",
  extra: Partial<EngineCredentialConfig> = {},
): EngineCredentialConfig {
  return {
    role: "client",
    certificates: [],
    trustedRoots: roots,
    minVersion: version === "both" ? "TLSv1.2" : version,
    maxVersion: version === "both" ? "TLSv1.3" : version,
    ...extra,
  };
}
