/**
 * A server looks at the ClientHello before its first AcceptSecurityContext and picks the
 * credential per connection (here by SNI), the way an SNI-routing server would.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { type AddressInfo, createServer, type Socket } from "node:net";
import { before, test } from "node:test";
import tls from "node:tls";
import {
  type CertificateAuthority,
  createCertificateAuthority,
  type IssuedCertificate,
  issueCertificate,
} from "../../src/devcert/certificates.js";
import {
  CredHandle,
  parseClientHello,
  SCH_CREDENTIALS_VERSION,
  SEC_E_OK,
  SECPKG_CRED_INBOUND,
  promises as sspi,
} from "../../src/index.js";
import { handshake, SocketReader } from "../support/sspi-driver.js";

let ca: CertificateAuthority;
let alpha: IssuedCertificate;
let beta: IssuedCertificate;

before(async () => {
  ca = await createCertificateAuthority({ commonName: "peek CA" });
  alpha = await issueCertificate(ca, { commonName: "alpha.test", keyType: "rsa-2048" });
  beta = await issueCertificate(ca, { commonName: "beta.test", keyType: "ecdsa-p256" });
});

test("parseClientHello before the first ASC chooses the credential by SNI, and the handshake uses it", async () => {
  const creds = new Map<string, CredHandle>();
  for (const [name, cert] of [
    ["alpha.test", alpha],
    ["beta.test", beta],
  ] as const) {
    const cred = new CredHandle();
    const auth = {
      dwVersion: SCH_CREDENTIALS_VERSION,
      paCred: [{ certificate: cert.certificate, privateKey: cert.privateKey }],
    };
    assert.equal(
      await sspi.AcquireCredentialsHandle(
        null,
        "Schannel",
        SECPKG_CRED_INBOUND,
        null,
        auth,
        null,
        null,
        cred,
        null,
      ),
      SEC_E_OK,
    );
    creds.set(name, cred);
  }
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  try {
    for (const name of ["beta.test", "alpha.test"]) {
      const accepted = once(server, "connection") as Promise<[Socket]>;
      const client = tls.connect({
        port: (server.address() as AddressInfo).port,
        host: "127.0.0.1",
        servername: name,
        ca: ca.certificate,
        ALPNProtocols: ["h2"],
      });
      const connected = once(client, "secureConnect");
      const [socket] = await accepted;
      const reader = new SocketReader(socket);
      assert.ok(await reader.more());
      const first = reader.take();
      const hello = parseClientHello(first);
      assert.ok(!("error" in hello), "a complete ClientHello");
      assert.equal(hello.serverName, name);
      assert.deepEqual(hello.alpnProtocols, ["h2"]);
      assert.ok(hello.supportedVersions?.some((v) => v.name === "TLS 1.3"));
      reader.unread(first);
      const hs = await handshake("acceptor", reader, creds.get(name)!);
      assert.equal(hs.status, SEC_E_OK);
      await connected;
      assert.equal(
        client.getPeerCertificate().subject.CN,
        name,
        "the credential chosen from the ClientHello served the handshake",
      );
      client.destroy();
      socket.destroy();
      await sspi.DeleteSecurityContext(hs.handle);
    }
  } finally {
    server.close();
    for (const cred of creds.values()) await sspi.FreeCredentialsHandle(cred);
  }
});

test("parseClientHello never throws: incomplete input and non-TLS input are reported", () => {
  const partial = parseClientHello(new Uint8Array([22, 3, 1, 0, 200, 1]));
  assert.ok("error" in partial && partial.incomplete && partial.missing > 0);
  const http = parseClientHello(new TextEncoder().encode("GET / HTTP/1.1\r\n\r\n"));
  assert.ok("error" in http && !http.incomplete);
});
