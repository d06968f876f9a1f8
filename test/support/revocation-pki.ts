/**
 * A CA with CRLs and OCSP responses made by the `openssl` CLI (`openssl ca`, `openssl ocsp`) in
 * a temporary directory, for revocation tests: a good and a revoked certificate (both
 * `server.test`, usable as server and client certificates), a current and an expired CRL, and
 * stapled OCSP responses (good, revoked, and one signed by a CA that has no say).
 *
 * @module
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { TempFiles } from "./peers.js";

/** A certificate with its key, as PEM, and their file paths (for openssl peers). */
export interface PkiLeaf {
  certificate: string;
  privateKey: string;
  certificateFile: string;
  keyFile: string;
}

export interface RevocationPki {
  files: TempFiles;
  /** The trusted CA certificate (PEM) and its file. */
  ca: string;
  caFile: string;
  good: PkiLeaf;
  revoked: PkiLeaf;
  /** CRL (PEM) of the CA listing `revoked`, valid now. */
  crl: string;
  /** The same CRL as DER. */
  crlDer: Uint8Array;
  /** A CRL of the CA whose nextUpdate has passed. */
  expiredCrl: string;
  /** OCSP responses (DER) signed by the CA, and their files. */
  ocspGood: Uint8Array;
  ocspGoodFile: string;
  ocspRevoked: Uint8Array;
  ocspRevokedFile: string;
  /** A "good" response about `good` signed by an unrelated CA. */
  ocspForeign: Uint8Array;
  ocspForeignFile: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"], timeout: 30_000 });
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];

/** Builds the PKI (about a second of openssl runs). Call `files.remove()` when done. */
export function revocationPki(): RevocationPki {
  const files = new TempFiles();
  const dir = files.dir;
  files.write("index.txt", "");
  files.write("serial", "1000\n");
  files.write("crlnumber", "1000\n");
  files.write(
    "ca.cnf",
    [
      "[ca]",
      "default_ca = CA_default",
      "[CA_default]",
      `dir = ${dir}`,
      "database = $dir/index.txt",
      "new_certs_dir = $dir",
      "certificate = $dir/ca.pem",
      "private_key = $dir/ca.key",
      "serial = $dir/serial",
      "crlnumber = $dir/crlnumber",
      "default_md = sha256",
      "default_days = 30",
      "default_crl_days = 7",
      "policy = policy_any",
      "unique_subject = no",
      "[policy_any]",
      "commonName = supplied",
      "[leaf]",
      "basicConstraints = CA:FALSE",
      "keyUsage = critical, digitalSignature",
      "extendedKeyUsage = serverAuth, clientAuth",
      "subjectAltName = DNS:server.test",
      "",
    ].join("\n"),
  );
  const ca = [
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ];
  openssl(
    [
      "req",
      "-x509",
      ...EC,
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
      "-subj",
      "/CN=Revocation Test CA",
      "-days",
      "30",
      ...ca,
    ],
    dir,
  );
  openssl(
    [
      "req",
      "-x509",
      ...EC,
      "-keyout",
      "other.key",
      "-out",
      "other.pem",
      "-subj",
      "/CN=Unrelated CA",
      "-days",
      "30",
      ...ca,
    ],
    dir,
  );
  const leaf = (name: string): PkiLeaf => {
    openssl(
      ["req", "-new", ...EC, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", "/CN=server.test"],
      dir,
    );
    openssl(
      [
        "ca",
        "-batch",
        "-config",
        "ca.cnf",
        "-extensions",
        "leaf",
        "-notext",
        "-in",
        `${name}.csr`,
        "-out",
        `${name}.pem`,
      ],
      dir,
    );
    return {
      certificate: readFileSync(join(dir, `${name}.pem`), "utf8"),
      privateKey: readFileSync(join(dir, `${name}.key`), "utf8"),
      certificateFile: join(dir, `${name}.pem`),
      keyFile: join(dir, `${name}.key`),
    };
  };
  const good = leaf("good");
  const revoked = leaf("revoked");
  openssl(["ca", "-config", "ca.cnf", "-revoke", "revoked.pem", "-crl_reason", "keyCompromise"], dir);
  openssl(["ca", "-config", "ca.cnf", "-gencrl", "-out", "crl.pem"], dir);
  openssl(["crl", "-in", "crl.pem", "-outform", "DER", "-out", "crl.der"], dir);
  openssl(
    [
      "ca",
      "-config",
      "ca.cnf",
      "-gencrl",
      "-crl_lastupdate",
      "20200101000000Z",
      "-crl_nextupdate",
      "20200102000000Z",
      "-out",
      "expired-crl.pem",
    ],
    dir,
  );
  const respond = (cert: string, signer: string, out: string) =>
    openssl(
      [
        "ocsp",
        "-index",
        "index.txt",
        "-CA",
        "ca.pem",
        "-rsigner",
        `${signer}.pem`,
        "-rkey",
        `${signer}.key`,
        "-issuer",
        "ca.pem",
        "-cert",
        `${cert}.pem`,
        "-ndays",
        "1",
        "-respout",
        out,
      ],
      dir,
    );
  respond("good", "ca", "ocsp-good.der");
  respond("revoked", "ca", "ocsp-revoked.der");
  respond("good", "other", "ocsp-foreign.der");
  const bytes = (name: string) => new Uint8Array(readFileSync(join(dir, name)));
  return {
    files,
    ca: readFileSync(join(dir, "ca.pem"), "utf8"),
    caFile: join(dir, "ca.pem"),
    good,
    revoked,
    crl: readFileSync(join(dir, "crl.pem"), "utf8"),
    crlDer: bytes("crl.der"),
    expiredCrl: readFileSync(join(dir, "expired-crl.pem"), "utf8"),
    ocspGood: bytes("ocsp-good.der"),
    ocspGoodFile: join(dir, "ocsp-good.der"),
    ocspRevoked: bytes("ocsp-revoked.der"),
    ocspRevokedFile: join(dir, "ocsp-revoked.der"),
    ocspForeign: bytes("ocsp-foreign.der"),
    ocspForeignFile: join(dir, "ocsp-foreign.der"),
  };
}

/** Writes `bytes` next to the PKI's files and returns the path. */
export function writePkiFile(pki: RevocationPki, name: string, bytes: string | Uint8Array): string {
  const path = join(pki.files.dir, name);
  writeFileSync(path, bytes);
  return path;
}
