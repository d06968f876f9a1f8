/**
 * X.509 certificates generated in memory with `@peculiar/x509` on Node's WebCrypto: the
 * development certificate of `npm start` / `async-sspi serve`, and the certificate chains the
 * tests use (RSA, ECDSA, Ed25519; CA-issued, self-signed, expired).
 *
 * @module
 */
import { createPrivateKey, X509Certificate as NodeX509Certificate, webcrypto } from "node:crypto";
import "reflect-metadata";
import * as x509 from "@peculiar/x509";

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto as never);

/** Key algorithms a generated certificate can use. */
export type CertificateKeyType = "ecdsa-p256" | "ecdsa-p384" | "rsa-2048" | "ed25519";

/** A certificate with its private key, both PEM. */
export interface IssuedCertificate {
  /** The certificate, PEM. */
  readonly certificate: string;
  /** The private key, PKCS#8 PEM. */
  readonly privateKey: string;
  /** The certificate, DER. */
  readonly der: Uint8Array;
  /** SHA-256 fingerprint, colon-separated hex (as `openssl x509 -fingerprint -sha256`). */
  readonly fingerprint256: string;
  readonly keyType: CertificateKeyType;
  readonly subject: string;
}

/** A certificate authority that can issue certificates. */
export interface CertificateAuthority extends IssuedCertificate {
  readonly signingKey: CryptoKey;
  readonly cert: x509.X509Certificate;
}

/** Options for an issued certificate. */
export interface CertificateOptions {
  commonName: string;
  keyType?: CertificateKeyType;
  /** DNS subjectAltNames; defaults to `[commonName]` for leaf certificates. */
  dnsNames?: string[];
  ipAddresses?: string[];
  notBefore?: Date;
  notAfter?: Date;
  /** `server` (default), `client`, or `both` for the extendedKeyUsage. */
  usage?: "server" | "client" | "both";
}

const DAY = 86_400_000;

function algorithmFor(
  keyType: CertificateKeyType,
): webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams | webcrypto.Algorithm {
  switch (keyType) {
    case "ecdsa-p256":
      return { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as webcrypto.EcKeyGenParams;
    case "ecdsa-p384":
      return { name: "ECDSA", namedCurve: "P-384", hash: "SHA-384" } as webcrypto.EcKeyGenParams;
    case "rsa-2048":
      return {
        name: "RSASSA-PKCS1-v1_5",
        modulusLength: 2048,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: "SHA-256",
      } as webcrypto.RsaHashedKeyGenParams;
    case "ed25519":
      return { name: "Ed25519" };
  }
}

async function generateKeys(keyType: CertificateKeyType): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(algorithmFor(keyType), true, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
}

async function finish(
  cert: x509.X509Certificate,
  keys: CryptoKeyPair,
  keyType: CertificateKeyType,
  subject: string,
): Promise<IssuedCertificate> {
  const pkcs8 = await webcrypto.subtle.exportKey("pkcs8", keys.privateKey);
  const privateKey = createPrivateKey({ key: Buffer.from(pkcs8), format: "der", type: "pkcs8" })
    .export({ format: "pem", type: "pkcs8" })
    .toString();
  const der = new Uint8Array(cert.rawData);
  return {
    certificate: cert.toString("pem"),
    privateKey,
    der,
    fingerprint256: new NodeX509Certificate(der).fingerprint256,
    keyType,
    subject,
  };
}

/** Creates a self-signed certificate authority (basicConstraints CA:true, keyCertSign). */
export async function createCertificateAuthority(
  options: Pick<CertificateOptions, "commonName" | "keyType" | "notBefore" | "notAfter">,
): Promise<CertificateAuthority> {
  const keyType = options.keyType ?? "ecdsa-p256";
  const keys = await generateKeys(keyType);
  const name = `CN=${options.commonName}`;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name,
    notBefore: options.notBefore ?? new Date(Date.now() - DAY),
    notAfter: options.notAfter ?? new Date(Date.now() + 3650 * DAY),
    signingAlgorithm: algorithmFor(keyType),
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { ...(await finish(cert, keys, keyType, name)), signingKey: keys.privateKey, cert };
}

/** Issues a leaf certificate signed by `ca`; with `ca` null the leaf is self-signed. */
export async function issueCertificate(
  ca: CertificateAuthority | null,
  options: CertificateOptions,
): Promise<IssuedCertificate> {
  const keyType = options.keyType ?? "ecdsa-p256";
  const keys = await generateKeys(keyType);
  const subject = `CN=${options.commonName}`;
  const usage = options.usage ?? "server";
  const eku = [
    ...(usage !== "client" ? [x509.ExtendedKeyUsage.serverAuth] : []),
    ...(usage !== "server" ? [x509.ExtendedKeyUsage.clientAuth] : []),
  ];
  const dnsNames = options.dnsNames ?? [options.commonName];
  const altNames = [
    ...dnsNames.map((value) => ({ type: "dns" as const, value })),
    ...(options.ipAddresses ?? []).map((value) => ({ type: "ip" as const, value })),
  ];
  const keyUsage =
    keyType === "rsa-2048"
      ? x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment
      : x509.KeyUsageFlags.digitalSignature;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(keyUsage, true),
    new x509.ExtendedKeyUsageExtension(eku, false),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ];
  if (altNames.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(altNames, false));
  const common = {
    serialNumber: randomSerial(),
    notBefore: options.notBefore ?? new Date(Date.now() - DAY),
    notAfter: options.notAfter ?? new Date(Date.now() + 365 * DAY),
    extensions,
  };
  const cert =
    ca === null
      ? await x509.X509CertificateGenerator.createSelfSigned({
          ...common,
          name: subject,
          keys,
          signingAlgorithm: algorithmFor(keyType),
        })
      : await x509.X509CertificateGenerator.create({
          ...common,
          subject,
          issuer: ca.cert.subject,
          publicKey: keys.publicKey,
          signingKey: ca.signingKey,
          signingAlgorithm: algorithmFor(ca.keyType),
          extensions: [...extensions, await x509.AuthorityKeyIdentifierExtension.create(ca.cert.publicKey)],
        });
  return finish(cert, keys, keyType, subject);
}

/** The development certificate: an ECDSA P-256 CA and a `localhost` leaf (DNS + 127.0.0.1 + ::1). */
export async function createDevelopmentCertificate(): Promise<{
  ca: CertificateAuthority;
  server: IssuedCertificate;
}> {
  const ca = await createCertificateAuthority({ commonName: "async-sspi development CA" });
  const server = await issueCertificate(ca, {
    commonName: "localhost",
    dnsNames: ["localhost"],
    ipAddresses: ["127.0.0.1", "::1"],
  });
  return { ca, server };
}

function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return Buffer.from(bytes).toString("hex");
}
