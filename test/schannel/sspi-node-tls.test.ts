/**
 * The SSPI-shaped API against Node's own `tls` over real loopback TCP: our client against a
 * Node TLS server and our server against a Node TLS client, with data both ways and shutdown.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import {
  type AddressInfo,
  connect as netConnect,
  createServer as netCreateServer,
  type Socket,
} from "node:net";
import { after, before, test } from "node:test";
import tls from "node:tls";
import {
  type CertificateAuthority,
  createCertificateAuthority,
  type IssuedCertificate,
  issueCertificate,
} from "../../src/devcert/certificates.js";
import {
  ApplyControlToken,
  applicationProtocolsBuffer,
  box,
  type CertContext,
  CredHandle,
  QueryContextAttributes,
  type SCH_CREDENTIALS,
  SCH_CREDENTIALS_VERSION,
  SEC_E_OK,
  SEC_I_CONTEXT_EXPIRED,
  SECPKG_ATTR_APPLICATION_PROTOCOL,
  SECPKG_ATTR_CIPHER_INFO,
  SECPKG_ATTR_CONNECTION_INFO,
  SECPKG_ATTR_REMOTE_CERT_CONTEXT,
  SECPKG_ATTR_SESSION_INFO,
  SECPKG_CRED_INBOUND,
  SECPKG_CRED_OUTBOUND,
  SP_PROT_TLS1_2,
  SP_PROT_TLS1_3,
  SP_PROT_TLS1_3_CLIENT,
  secBufferDesc,
  shutdownToken,
  promises as sspi,
} from "../../src/index.js";
import { decryptOnce, encrypt, handshake, receive, SocketReader } from "../support/sspi-driver.js";

let ca: CertificateAuthority;
let ecdsa: IssuedCertificate;

before(async () => {
  ca = await createCertificateAuthority({ commonName: "test CA" });
  ecdsa = await issueCertificate(ca, { commonName: "server.test" });
});

async function acquire(use: number, auth: SCH_CREDENTIALS): Promise<CredHandle> {
  const cred = new CredHandle();
  const status = await sspi.AcquireCredentialsHandle(
    null,
    "Schannel",
    use,
    null,
    auth,
    null,
    null,
    cred,
    null,
  );
  assert.equal(status, SEC_E_OK, "AcquireCredentialsHandle");
  return cred;
}

test("our client ↔ Node TLS server over TCP: handshake, data both ways, attributes, close_notify", async (t) => {
  for (const version of ["TLSv1.3", "TLSv1.2"] as const) {
    const server = tls.createServer({
      cert: ecdsa.certificate,
      key: ecdsa.privateKey,
      minVersion: version,
      maxVersion: version,
      ALPNProtocols: ["h2", "http/1.1"],
    });
    server.on("secureConnection", (s) => {
      s.on("data", (d) => s.write(Buffer.concat([Buffer.from("echo:"), d])));
      s.on("end", () => s.end());
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const port = (server.address() as AddressInfo).port;
    try {
      const cred = await acquire(SECPKG_CRED_OUTBOUND, {
        dwVersion: SCH_CREDENTIALS_VERSION,
        hRootStore: [ca.certificate],
        pTlsParameters: [{ grbitDisabledProtocols: version === "TLSv1.3" ? SP_PROT_TLS1_2 : SP_PROT_TLS1_3 }],
      });
      const socket = netConnect(port, "127.0.0.1");
      await once(socket, "connect");
      const reader = new SocketReader(socket);
      const hs = await handshake("initiator", reader, cred, {
        target: "server.test",
        firstInput: applicationProtocolsBuffer(["http/1.1"]),
      });
      assert.equal(hs.status, SEC_E_OK, `${version} handshake`);

      const conn = box<{ dwProtocol: number }>({ dwProtocol: 0 });
      assert.equal(QueryContextAttributes(hs.handle, SECPKG_ATTR_CONNECTION_INFO, conn as never), SEC_E_OK);
      assert.equal(conn.value.dwProtocol, version === "TLSv1.3" ? SP_PROT_TLS1_3_CLIENT : 0x800);
      const cipher = box<{ szCipherSuite: string }>({ szCipherSuite: "" });
      assert.equal(QueryContextAttributes(hs.handle, SECPKG_ATTR_CIPHER_INFO, cipher as never), SEC_E_OK);
      assert.match(cipher.value.szCipherSuite, /^TLS_/);
      const alpn = box<{ protocol: string | null }>({ protocol: null });
      assert.equal(
        QueryContextAttributes(hs.handle, SECPKG_ATTR_APPLICATION_PROTOCOL, alpn as never),
        SEC_E_OK,
      );
      assert.equal(alpn.value.protocol, "http/1.1");
      const peer = box<CertContext | null>(null);
      assert.equal(
        QueryContextAttributes(hs.handle, SECPKG_ATTR_REMOTE_CERT_CONTEXT, peer as never),
        SEC_E_OK,
      );
      assert.equal(peer.value?.certificate.subject, "CN=server.test");
      const session = box<{ dwFlags: number }>({ dwFlags: -1 });
      assert.equal(QueryContextAttributes(hs.handle, SECPKG_ATTR_SESSION_INFO, session as never), SEC_E_OK);
      assert.equal(session.value.dwFlags, 0, "a full handshake");

      for (const size of [1, 100, 16384]) {
        const message = Buffer.alloc(size, size % 251);
        socket.write(encrypt(hs.handle, message));
        const got = await receive(hs.handle, reader, 5 + size, hs.leftover);
        hs.leftover = got.rest;
        assert.deepEqual(
          got.plaintext,
          Buffer.concat([Buffer.from("echo:"), message]),
          `${version} echo of ${size} bytes`,
        );
      }

      assert.equal(ApplyControlToken(hs.handle, secBufferDesc(shutdownToken())), SEC_E_OK);
      const out = secBufferDesc({ BufferType: 2, cbBuffer: 0, pvBuffer: null });
      assert.equal(
        await sspi.InitializeSecurityContext(
          cred,
          hs.handle,
          "server.test",
          0x100,
          0,
          0,
          null,
          0,
          hs.handle,
          out,
          box(0),
          null,
        ),
        SEC_E_OK,
      );
      assert.ok(out.pBuffers[0]!.cbBuffer > 0, "a close_notify record");
      socket.write(Buffer.from(out.pBuffers[0]!.pvBuffer!.subarray(0, out.pBuffers[0]!.cbBuffer)));
      // Node answers our close_notify with its own.
      let rest = hs.leftover;
      let status = 0;
      while (status !== SEC_I_CONTEXT_EXPIRED) {
        if (rest.byteLength === 0) {
          if (!(await reader.more())) break;
          rest = reader.take();
        }
        const r = decryptOnce(hs.handle, rest);
        status = r.status;
        rest = r.rest;
        if (status < 0) break;
      }
      assert.equal(status, SEC_I_CONTEXT_EXPIRED, "the peer's close_notify");
      socket.destroy();
      assert.equal(await sspi.DeleteSecurityContext(hs.handle), SEC_E_OK);
      assert.equal(await sspi.FreeCredentialsHandle(cred), SEC_E_OK);
    } finally {
      server.close();
    }
  }
  void t;
});

test("our server ↔ Node TLS client over TCP: handshake, data both ways, the client's close_notify", async () => {
  for (const version of ["TLSv1.3", "TLSv1.2"] as const) {
    const cred = await acquire(SECPKG_CRED_INBOUND, {
      dwVersion: SCH_CREDENTIALS_VERSION,
      paCred: [{ certificate: ecdsa.certificate, privateKey: ecdsa.privateKey }],
      pTlsParameters: [{ rgstrAlpnIds: ["h2", "http/1.1"] }],
    });
    const server = netCreateServer();
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const port = (server.address() as AddressInfo).port;
    const accepted = once(server, "connection") as Promise<[Socket]>;
    const client = tls.connect({
      port,
      host: "127.0.0.1",
      servername: "server.test",
      ca: ca.certificate,
      minVersion: version,
      maxVersion: version,
      ALPNProtocols: ["http/1.1"],
    });
    const connected = once(client, "secureConnect");
    const [socket] = await accepted;
    const reader = new SocketReader(socket);
    try {
      const hs = await handshake("acceptor", reader, cred);
      assert.equal(hs.status, SEC_E_OK, `${version} server handshake`);
      await connected;
      assert.equal(client.getProtocol(), version);
      assert.equal(client.alpnProtocol, "http/1.1");
      client.write("hello from node");
      const got = await receive(hs.handle, reader, 15, hs.leftover);
      assert.equal(got.plaintext.toString(), "hello from node");
      const reply = once(client, "data");
      socket.write(encrypt(hs.handle, Buffer.from("hello from sspi")));
      assert.equal(String((await reply)[0]), "hello from sspi");
      client.end();
      let rest = got.rest;
      let status = 0;
      while (status !== SEC_I_CONTEXT_EXPIRED) {
        if (rest.byteLength === 0) {
          if (!(await reader.more())) break;
          rest = reader.take();
        }
        const r = decryptOnce(hs.handle, rest);
        status = r.status;
        rest = r.rest;
        if (status < 0) break;
      }
      assert.equal(status, SEC_I_CONTEXT_EXPIRED, "Node's close_notify");
      assert.equal(await sspi.DeleteSecurityContext(hs.handle), SEC_E_OK);
    } finally {
      client.destroy();
      socket.destroy();
      server.close();
      await sspi.FreeCredentialsHandle(cred);
    }
  }
});

after(() => {});
