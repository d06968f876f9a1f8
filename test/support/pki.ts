/**
 * The certificates most tests share, generated once per test process: a CA with a server
 * (`server.test`) and a client (`client.test`) certificate, and a CA nobody trusts with a server
 * certificate of the same name.
 *
 * @module
 */
import {
  type CertificateAuthority,
  createCertificateAuthority,
  type IssuedCertificate,
  issueCertificate,
} from "../../src/devcert/certificates.js";

/** The certificates every test uses. */
export interface Pki {
  ca: CertificateAuthority;
  server: IssuedCertificate;
  client: IssuedCertificate;
  /** A CA nobody trusts, and a server certificate it issued. */
  rogueCa: CertificateAuthority;
  rogueServer: IssuedCertificate;
}

let pkiPromise: Promise<Pki> | null = null;

/** Creates the certificates once per test process. */
export function pki(): Promise<Pki> {
  pkiPromise ??= (async () => {
    const ca = await createCertificateAuthority({ commonName: "test CA" });
    const rogueCa = await createCertificateAuthority({ commonName: "rogue CA" });
    return {
      ca,
      server: await issueCertificate(ca, { commonName: "server.test" }),
      client: await issueCertificate(ca, { commonName: "client.test", usage: "client" }),
      rogueCa,
      rogueServer: await issueCertificate(rogueCa, { commonName: "server.test" }),
    };
  })();
  return pkiPromise;
}
