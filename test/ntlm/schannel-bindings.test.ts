/**
 * Channel bindings between our own packages: a real TLS connection over loopback TCP, both ends
 * our Schannel package; each end's SECPKG_ATTR_ENDPOINT_BINDINGS goes, as a
 * SECBUFFER_CHANNEL_BINDINGS, into the NTLM ISC (client end) and ASC (server end). The same
 * connection's bindings bind; another connection's (another server certificate) are refused
 * with SEC_E_BAD_BINDINGS, under policy `required` a client without bindings too.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createCertificateAuthority, issueCertificate } from "../../src/devcert/certificates.js";
import {
  box,
  type CtxtHandle,
  channelBindingsBuffer,
  ISC_REQ_CONFIDENTIALITY,
  ISC_REQ_INTEGRITY,
  promises,
  QueryContextAttributes,
  SCH_CREDENTIALS_VERSION,
  type SEC_CHANNEL_BINDINGS,
  SEC_E_BAD_BINDINGS,
  SEC_E_OK,
  SECPKG_ATTR_ENDPOINT_BINDINGS,
  SECPKG_CRED_INBOUND,
  SECPKG_CRED_OUTBOUND,
  type SecBuffer,
} from "../../src/index.js";
import { withTimeout } from "../support/peers.js";
import { acquireOk, connectReader, handshake, listen } from "../support/sspi-driver.js";
import { acceptorCredentials, sspiExchange } from "./support/sspi-ntlm.js";

interface TlsPair {
  client: CtxtHandle;
  server: CtxtHandle;
}

const handles: CtxtHandle[] = [];
const closers: Array<() => Promise<unknown> | unknown> = [];
after(async () => {
  for (const h of handles) await promises.DeleteSecurityContext(h);
  for (const close of closers) await close();
});

/** A TLS connection over loopback TCP, our Schannel package at both ends. */
async function tlsPair(serverName: string): Promise<TlsPair> {
  const ca = await createCertificateAuthority({ commonName: "bindings test CA" });
  const leaf = await issueCertificate(ca, { commonName: serverName });
  const serverCred = await acquireOk(SECPKG_CRED_INBOUND, {
    dwVersion: SCH_CREDENTIALS_VERSION,
    paCred: [{ certificate: leaf.certificate, privateKey: leaf.privateKey }],
  });
  const clientCred = await acquireOk(SECPKG_CRED_OUTBOUND, {
    dwVersion: SCH_CREDENTIALS_VERSION,
    hRootStore: [ca.certificate],
  });
  closers.push(
    () => promises.FreeCredentialsHandle(serverCred),
    () => promises.FreeCredentialsHandle(clientCred),
  );
  const listener = await listen();
  closers.push(() => listener.close());
  const clientReader = await connectReader(listener.port);
  const serverReader = await listener.next();
  closers.push(() => clientReader.socket.destroy());
  const [client, server] = await withTimeout(
    Promise.all([
      handshake("initiator", clientReader, clientCred, { target: serverName }),
      handshake("acceptor", serverReader, serverCred),
    ]),
    15_000,
    "TLS handshake between our Schannel ends",
  );
  handles.push(client.handle, server.handle);
  assert.equal(client.status, SEC_E_OK);
  assert.equal(server.status, SEC_E_OK);
  return { client: client.handle, server: server.handle };
}

/** SECPKG_ATTR_ENDPOINT_BINDINGS of a Schannel context, as the buffer NTLM takes. */
function endpointBindings(handle: CtxtHandle): SecBuffer {
  const value = box<{ BindingsLength: number; Bindings: SEC_CHANNEL_BINDINGS } | null>(null);
  assert.equal(QueryContextAttributes(handle, SECPKG_ATTR_ENDPOINT_BINDINGS, value), SEC_E_OK);
  return channelBindingsBuffer(value.value!.Bindings);
}

describe("NTLM with channel bindings from our Schannel package", () => {
  let a: TlsPair;
  let b: TlsPair;
  before(async () => {
    a = await tlsPair("a.bindings.test");
    b = await tlsPair("b.bindings.test");
  });
  const req = ISC_REQ_INTEGRITY | ISC_REQ_CONFIDENTIALITY;

  for (const policy of ["when-supported", "required"] as const) {
    it(`${policy}: this connection's bindings at both ends are accepted`, async () => {
      const x = await sspiExchange({
        door: "promise",
        iscReq: req,
        acceptor: acceptorCredentials({ channelBindingPolicy: policy }),
        clientBindings: endpointBindings(a.client),
        serverBindings: endpointBindings(a.server),
      });
      try {
        assert.equal(x.statuses.at(-1), SEC_E_OK);
      } finally {
        x.dispose();
      }
    });

    it(`${policy}: another connection's bindings are SEC_E_BAD_BINDINGS`, async () => {
      const x = await sspiExchange({
        door: "promise",
        iscReq: req,
        acceptor: acceptorCredentials({ channelBindingPolicy: policy }),
        clientBindings: endpointBindings(b.client),
        serverBindings: endpointBindings(a.server),
      });
      try {
        assert.equal(x.statuses.at(-1), SEC_E_BAD_BINDINGS);
      } finally {
        x.dispose();
      }
    });
  }

  it("required: a client without bindings is SEC_E_BAD_BINDINGS", async () => {
    const x = await sspiExchange({
      acceptor: acceptorCredentials({ channelBindingPolicy: "required" }),
      serverBindings: endpointBindings(a.server),
    });
    try {
      assert.equal(x.statuses.at(-1), SEC_E_BAD_BINDINGS);
    } finally {
      x.dispose();
    }
  });
});
