/**
 * A client whose credential has no certificate, facing a server that asks for one:
 * SEC_I_INCOMPLETE_CREDENTIALS, the acceptable issuers in SECPKG_ATTR_ISSUER_LIST_EX, and a
 * retry with ISC_REQ_USE_SUPPLIED_CREDS that completes anonymously (Node's tls as the server).
 */
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { once } from "node:events";
import { type AddressInfo, connect } from "node:net";
import { before, test } from "node:test";
import tls from "node:tls";
import {
  type CertificateAuthority,
  createCertificateAuthority,
  type IssuedCertificate,
  issueCertificate,
} from "../../src/devcert/certificates.js";
import {
  box,
  CredHandle,
  CtxtHandle,
  FreeContextBuffer,
  ISC_REQ_ALLOCATE_MEMORY,
  ISC_REQ_STREAM,
  ISC_REQ_USE_SUPPLIED_CREDS,
  QueryContextAttributes,
  SCH_CREDENTIALS_VERSION,
  SEC_E_INCOMPLETE_MESSAGE,
  SEC_E_OK,
  SEC_I_CONTINUE_NEEDED,
  SEC_I_INCOMPLETE_CREDENTIALS,
  SECBUFFER_EMPTY,
  SECBUFFER_EXTRA,
  SECBUFFER_TOKEN,
  SECPKG_ATTR_ISSUER_LIST_EX,
  SECPKG_CRED_OUTBOUND,
  type SECURITY_STATUS,
  type SecBufferDesc,
  SP_PROT_TLS1_2,
  SP_PROT_TLS1_3,
  secBuffer,
  secBufferDesc,
  promises as sspi,
} from "../../src/index.js";
import { SocketReader } from "../support/sspi-driver.js";

let ca: CertificateAuthority;
let clientCa: CertificateAuthority;
let leaf: IssuedCertificate;

before(async () => {
  ca = await createCertificateAuthority({ commonName: "server CA" });
  clientCa = await createCertificateAuthority({ commonName: "client CA for mTLS" });
  leaf = await issueCertificate(ca, { commonName: "server.test" });
});

test("no client certificate: SEC_I_INCOMPLETE_CREDENTIALS with the issuer list, then USE_SUPPLIED_CREDS continues anonymously", async () => {
  for (const version of ["TLSv1.3", "TLSv1.2"] as const) {
    const server = tls.createServer({
      cert: leaf.certificate,
      key: leaf.privateKey,
      ca: clientCa.certificate,
      requestCert: true,
      rejectUnauthorized: false,
      minVersion: version,
      maxVersion: version,
    });
    const peerCertificates: Array<string | undefined> = [];
    server.on("secureConnection", (s) => {
      const cn = s.getPeerCertificate()?.subject?.CN;
      peerCertificates.push(Array.isArray(cn) ? cn[0] : cn);
      s.end();
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const cred = new CredHandle();
    const auth = {
      dwVersion: SCH_CREDENTIALS_VERSION,
      hRootStore: [ca.certificate],
      pTlsParameters: [{ grbitDisabledProtocols: version === "TLSv1.3" ? SP_PROT_TLS1_2 : SP_PROT_TLS1_3 }],
    };
    assert.equal(
      await sspi.AcquireCredentialsHandle(
        null,
        "Schannel",
        SECPKG_CRED_OUTBOUND,
        null,
        auth,
        null,
        null,
        cred,
        null,
      ),
      SEC_E_OK,
    );
    const socket = connect((server.address() as AddressInfo).port, "127.0.0.1");
    await once(socket, "connect");
    const reader = new SocketReader(socket);
    const h = new CtxtHandle();
    let flags = ISC_REQ_STREAM | ISC_REQ_ALLOCATE_MEMORY;
    let acc: Uint8Array = new Uint8Array(0);
    let first = true;
    const statuses: SECURITY_STATUS[] = [];
    try {
      for (let i = 0; i < 10; i++) {
        const input: SecBufferDesc | null = first
          ? null
          : secBufferDesc(secBuffer(SECBUFFER_TOKEN, acc), secBuffer(SECBUFFER_EMPTY));
        const out = secBufferDesc(secBuffer(SECBUFFER_TOKEN));
        const status = await sspi.InitializeSecurityContext(
          cred,
          first ? null : h,
          "server.test",
          flags,
          0,
          0,
          input,
          0,
          h,
          out,
          box(0),
          null,
        );
        statuses.push(status);
        first = false;
        const token = out.pBuffers[0]!;
        if (token.cbBuffer > 0 && token.pvBuffer) {
          socket.write(token.pvBuffer.slice(0, token.cbBuffer));
          FreeContextBuffer(token.pvBuffer);
        }
        if (status === SEC_I_INCOMPLETE_CREDENTIALS) {
          assert.equal(input?.pBuffers[1]?.BufferType, SECBUFFER_EXTRA, "nothing was consumed");
          assert.equal(input?.pBuffers[1]?.cbBuffer, acc.byteLength);
          assert.equal(token.cbBuffer, 0, "nothing is sent yet");
          const issuers = box<{ cIssuers: number; aIssuers: Array<{ pbData: Uint8Array }> }>({
            cIssuers: 0,
            aIssuers: [],
          });
          assert.equal(QueryContextAttributes(h, SECPKG_ATTR_ISSUER_LIST_EX, issuers as never), SEC_E_OK);
          assert.equal(issuers.value.cIssuers, 1, `${version}: the server names one acceptable CA`);
          const expectedName = new X509Certificate(clientCa.der).subject;
          assert.ok(
            Buffer.from(issuers.value.aIssuers[0]!.pbData).includes(Buffer.from("client CA for mTLS")),
            `issuer DN is ${expectedName}`,
          );
          flags |= ISC_REQ_USE_SUPPLIED_CREDS;
          continue; // same input again, as curl does
        }
        const extra = input?.pBuffers[1];
        if (status !== SEC_E_INCOMPLETE_MESSAGE)
          acc =
            extra?.BufferType === SECBUFFER_EXTRA
              ? acc.slice(acc.byteLength - extra.cbBuffer)
              : new Uint8Array(0);
        if (status === SEC_E_OK) break;
        assert.ok(
          status === SEC_I_CONTINUE_NEEDED || status === SEC_E_INCOMPLETE_MESSAGE,
          `unexpected ${status}`,
        );
        if (acc.byteLength > 0 && status === SEC_I_CONTINUE_NEEDED) continue;
        assert.ok(await reader.more(), "the server went away");
        acc = Buffer.concat([acc, reader.take()]);
      }
      assert.ok(statuses.includes(SEC_I_INCOMPLETE_CREDENTIALS), `${version}: ${statuses.join(",")}`);
      assert.equal(statuses.at(-1), SEC_E_OK, `${version}: the handshake completed anonymously`);
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(peerCertificates, [undefined], "the server got no client certificate");
    } finally {
      socket.destroy();
      server.close();
      await sspi.DeleteSecurityContext(h);
      await sspi.FreeCredentialsHandle(cred);
    }
  }
});
