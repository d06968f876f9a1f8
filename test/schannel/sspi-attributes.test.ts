/**
 * Every attribute the Schannel package answers, checked against an independent source: the Node
 * TLS peer on the other end of a loopback TCP connection (exportKeyingMaterial, certificates,
 * ALPN, ephemeral key, 'keylog'), the certificates themselves, the RFCs' record sizes, and
 * QuerySecurityPackageInfo.
 */
import assert from "node:assert/strict";
import { createHash, X509Certificate } from "node:crypto";
import { after, before, test } from "node:test";
import tls, { type TLSSocket } from "node:tls";
import {
  applicationProtocolsBuffer,
  box,
  CALG_AES_128,
  CALG_AES_256,
  CALG_ECDH_EPHEM,
  CALG_SHA_256,
  CALG_SHA_384,
  type CertContext,
  type CredHandle,
  type CtxtHandle,
  FreeContextBuffer,
  QueryContextAttributes,
  QueryCredentialsAttributes,
  QuerySecurityPackageInfo,
  type SCH_CREDENTIALS,
  SCH_CREDENTIALS_VERSION,
  SEC_E_NO_CREDENTIALS,
  SEC_E_OK,
  SEC_E_UNSUPPORTED_FUNCTION,
  SECPKG_ATTR_APPLICATION_PROTOCOL,
  SECPKG_ATTR_CIPHER_INFO,
  SECPKG_ATTR_CONNECTION_INFO,
  SECPKG_ATTR_ENDPOINT_BINDINGS,
  SECPKG_ATTR_KEYING_MATERIAL,
  SECPKG_ATTR_KEYING_MATERIAL_INFO,
  SECPKG_ATTR_LIFESPAN,
  SECPKG_ATTR_LOCAL_CERT_CONTEXT,
  SECPKG_ATTR_PACKAGE_INFO,
  SECPKG_ATTR_REMOTE_CERT_CONTEXT,
  SECPKG_ATTR_SESSION_INFO,
  SECPKG_ATTR_SIZES,
  SECPKG_ATTR_STREAM_SIZES,
  SECPKG_ATTR_SUPPORTED_ALGS,
  SECPKG_ATTR_SUPPORTED_PROTOCOLS,
  SECPKG_ATTR_UNIQUE_BINDINGS,
  SECPKG_CRED_INBOUND,
  SECPKG_CRED_OUTBOUND,
  type SecPkgInfo,
  SetContextAttributes,
  SP_PROT_TLS1_2,
  SP_PROT_TLS1_2_CLIENT,
  SP_PROT_TLS1_2_SERVER,
  SP_PROT_TLS1_3,
  SP_PROT_TLS1_3_CLIENT,
  SP_PROT_TLS1_3_SERVER,
  SspiGetLastErrorInfo,
  promises as sspi,
  statusName,
  TlsParametersCngAlgUsageCipher,
} from "../../src/index.js";
import { withTimeout } from "../support/peers.js";
import {
  acquireOk,
  connectReader,
  encrypt,
  handshake,
  leakCheck,
  listen,
  receive,
  type SocketReader,
} from "../support/sspi-driver.js";
import { type Fixtures, fixtures } from "../support/tls-fixtures.js";

type Version = "TLSv1.2" | "TLSv1.3";
const VERSIONS: Version[] = ["TLSv1.3", "TLSv1.2"];
type Role = "client" | "server";
const ROLES: Role[] = ["client", "server"];
const otherVersion = (v: Version) => (v === "TLSv1.3" ? SP_PROT_TLS1_2 : SP_PROT_TLS1_3);

let f: Fixtures;
const leaks = leakCheck();
before(async () => {
  f = await fixtures();
});
after(async () => {
  await leaks.verify();
});

interface Established {
  handle: CtxtHandle;
  cred: CredHandle;
  /** The Node TLS socket on the other end. */
  peer: TLSSocket;
  reader: SocketReader;
  leftover: Uint8Array;
  /** NSS key-log lines our credential's keyLog received. */
  ourKeyLog: string[];
  /** Lines Node's 'keylog' event gave for this connection. */
  peerKeyLog: string[];
}

/**
 * Connects our `role` to a Node peer on `version` and runs `body` on the established pair.
 * `ours` and `theirs` add credential fields / Node options.
 */
async function withPair(
  role: Role,
  version: Version,
  options: {
    ours?: Partial<SCH_CREDENTIALS>;
    theirs?: tls.TlsOptions & tls.ConnectionOptions;
    alpn?: string[];
  },
  body: (e: Established) => Promise<void>,
): Promise<void> {
  const ourKeyLog: string[] = [];
  const peerKeyLog: string[] = [];
  const cert = f.servers["ecdsa-p256"];
  const auth: SCH_CREDENTIALS = {
    dwVersion: SCH_CREDENTIALS_VERSION,
    ...(role === "server"
      ? { paCred: [{ certificate: cert.certificate, privateKey: cert.privateKey }] }
      : { hRootStore: [f.ca.certificate] }),
    pTlsParameters: [{ grbitDisabledProtocols: otherVersion(version) }],
    keyLog: (lines: string) => ourKeyLog.push(...lines.split("\n")),
    ...options.ours,
  };
  const cred = await acquireOk(role === "client" ? SECPKG_CRED_OUTBOUND : SECPKG_CRED_INBOUND, auth);
  let server: tls.Server | null = null;
  let listener: Awaited<ReturnType<typeof listen>> | null = null;
  let peer: TLSSocket | null = null;
  let reader: SocketReader | null = null;
  let handle: CtxtHandle | null = null;
  try {
    await withTimeout(
      (async () => {
        let peerReady: Promise<TLSSocket>;
        if (role === "client") {
          const s = tls.createServer({
            cert: cert.certificate,
            key: cert.privateKey,
            minVersion: version,
            maxVersion: version,
            ...options.theirs,
          });
          server = s;
          s.on("keylog", (line: Buffer) => peerKeyLog.push(line.toString().trimEnd()));
          peerReady = new Promise((resolve) => s.on("secureConnection", resolve));
          await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
          reader = await connectReader((s.address() as { port: number }).port);
          const hs = await handshake("initiator", reader, cred, {
            target: "localhost",
            ...(options.alpn && { firstInput: applicationProtocolsBuffer(options.alpn) }),
          });
          handle = hs.handle;
          assert.equal(statusName(hs.status), "SEC_E_OK", SspiGetLastErrorInfo(hs.handle)?.message);
          peer = await peerReady;
          peer.on("error", () => {});
          await body({ handle, cred, peer, reader, leftover: hs.leftover, ourKeyLog, peerKeyLog });
        } else {
          listener = await listen();
          const c = tls.connect({
            port: listener.port,
            host: "127.0.0.1",
            servername: "localhost",
            ca: f.ca.certificate,
            minVersion: version,
            maxVersion: version,
            ...options.theirs,
          });
          peer = c;
          c.on("error", () => {});
          c.on("keylog", (line: Buffer) => peerKeyLog.push(line.toString().trimEnd()));
          const secure = new Promise<void>((resolve) => c.once("secureConnect", () => resolve()));
          reader = await listener.next();
          const hs = await handshake("acceptor", reader, cred);
          handle = hs.handle;
          assert.equal(statusName(hs.status), "SEC_E_OK");
          await secure;
          await body({ handle, cred, peer: c, reader, leftover: hs.leftover, ourKeyLog, peerKeyLog });
        }
      })(),
      15_000,
      `${role} ${version}`,
    );
  } finally {
    (peer as TLSSocket | null)?.destroy();
    (reader as SocketReader | null)?.socket.destroy();
    if (handle) assert.equal(await sspi.DeleteSecurityContext(handle), SEC_E_OK);
    await sspi.FreeCredentialsHandle(cred);
    if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
    if (listener) await (listener as { close(): Promise<void> }).close();
  }
}

function query<T>(handle: CtxtHandle, attribute: number): T {
  const b = box<T | null>(null);
  const status = QueryContextAttributes(handle, attribute, b);
  assert.equal(statusName(status), "SEC_E_OK", `attribute 0x${attribute.toString(16)}`);
  return b.value as T;
}

test("SECPKG_ATTR_KEYING_MATERIAL equals the peer's exportKeyingMaterial, both versions and roles, with and without context", async () => {
  for (const version of VERSIONS) {
    for (const role of ROLES) {
      await withPair(role, version, {}, async ({ handle, peer }) => {
        const what = `${role} ${version}`;
        for (const context of [Buffer.from("context value"), null]) {
          const label = "EXPERIMENTAL-async-sspi";
          assert.equal(
            SetContextAttributes(handle, SECPKG_ATTR_KEYING_MATERIAL_INFO, {
              pszLabel: label,
              pbContextValue: context,
              cbKeyingMaterial: 48,
            }),
            SEC_E_OK,
          );
          const km = query<{ cbKeyingMaterial: number; pbKeyingMaterial: Uint8Array }>(
            handle,
            SECPKG_ATTR_KEYING_MATERIAL,
          );
          const expected =
            // No context argument at all: Node exports with use_context = 0 (RFC 5705 "no context").
            peer.exportKeyingMaterial(48, label, (context ?? undefined) as Buffer);
          assert.equal(km.cbKeyingMaterial, 48, what);
          assert.deepEqual(
            Buffer.from(km.pbKeyingMaterial),
            expected,
            `${what}, context ${context !== null}`,
          );
          FreeContextBuffer(km.pbKeyingMaterial);
        }
      });
    }
  }
});

test("channel bindings: ENDPOINT_BINDINGS = tls-server-end-point: SHA-256(server DER); UNIQUE_BINDINGS = tls-unique: the client's Finished as Node's peer reports it (TLS 1.2), tls-exporter: peer's EXPORTER-Channel-Binding (TLS 1.3)", async () => {
  const serverDer = Buffer.from(f.servers["ecdsa-p256"].der);
  for (const version of VERSIONS) {
    for (const role of ROLES) {
      await withPair(role, version, {}, async ({ handle, peer }) => {
        const what = `${role} ${version}`;
        // The server certificate as the peer saw or sent it.
        const peerView = role === "client" ? peer.getCertificate() : peer.getPeerCertificate();
        assert.ok(peerView && "raw" in peerView);
        assert.deepEqual(peerView.raw, serverDer, what);
        const endpoint = query<{ Bindings: { applicationData: Uint8Array } }>(
          handle,
          SECPKG_ATTR_ENDPOINT_BINDINGS,
        );
        assert.deepEqual(
          Buffer.from(endpoint.Bindings.applicationData),
          Buffer.concat([
            Buffer.from("tls-server-end-point:"),
            createHash("sha256").update(serverDer).digest(),
          ]),
          what,
        );
        const unique = box<{ Bindings: { applicationData: Uint8Array } } | null>(null);
        const status = QueryContextAttributes(handle, SECPKG_ATTR_UNIQUE_BINDINGS, unique);
        if (version === "TLSv1.2") {
          // tls-unique (RFC 5929): the first Finished of the handshake, the client's on a full one.
          assert.equal(status, SEC_E_OK, what);
          const clientFinished = role === "client" ? peer.getPeerFinished() : peer.getFinished();
          assert.ok(clientFinished && clientFinished.length === 12, what);
          assert.deepEqual(
            Buffer.from(unique.value!.Bindings.applicationData),
            Buffer.concat([Buffer.from("tls-unique:"), clientFinished]),
            what,
          );
        } else {
          assert.equal(status, SEC_E_OK, what);
          assert.deepEqual(
            Buffer.from(unique.value!.Bindings.applicationData),
            Buffer.concat([
              Buffer.from("tls-exporter:"),
              peer.exportKeyingMaterial(32, "EXPORTER-Channel-Binding", undefined as unknown as Buffer),
            ]),
            what,
          );
        }
      });
    }
  }
});

test("keyLog extension: our NSS lines equal the lines Node's peer emits on 'keylog'", async () => {
  for (const version of VERSIONS) {
    for (const role of ROLES) {
      await withPair(role, version, {}, async ({ ourKeyLog, peerKeyLog, handle, reader, peer, leftover }) => {
        // One exchange so Node has emitted every line of the handshake.
        peer.write("x");
        const got = await receive(handle, reader, 1, leftover);
        assert.equal(got.plaintext.toString(), "x");
        const labels = version === "TLSv1.3" ? 5 : 1;
        assert.equal(ourKeyLog.length, labels, `${role} ${version}: ${ourKeyLog}`);
        assert.deepEqual([...ourKeyLog].sort(), [...peerKeyLog].sort(), `${role} ${version}`);
        const random = ourKeyLog[0]!.split(" ")[1];
        assert.match(random ?? "", /^[0-9a-f]{64}$/);
      });
    }
  }
});

test("STREAM_SIZES, SIZES, CONNECTION_INFO, CIPHER_INFO per suite, against the RFC record layout and Node's view", async () => {
  const cases: Array<{ version: Version; suite: string; header: number; trailer: number; block: number }> = [
    { version: "TLSv1.3", suite: "TLS_AES_128_GCM_SHA256", header: 5, trailer: 17, block: 16 },
    { version: "TLSv1.3", suite: "TLS_AES_256_GCM_SHA384", header: 5, trailer: 17, block: 16 },
    { version: "TLSv1.3", suite: "TLS_CHACHA20_POLY1305_SHA256", header: 5, trailer: 17, block: 1 },
    { version: "TLSv1.2", suite: "ECDHE-ECDSA-AES128-GCM-SHA256", header: 13, trailer: 16, block: 16 },
    { version: "TLSv1.2", suite: "ECDHE-ECDSA-AES256-GCM-SHA384", header: 13, trailer: 16, block: 16 },
    { version: "TLSv1.2", suite: "ECDHE-ECDSA-CHACHA20-POLY1305", header: 5, trailer: 16, block: 1 },
  ];
  for (const c of cases) {
    for (const role of ROLES) {
      // P-256 stays offered: with TLS 1.2 the client's groups also bound the server's ECDSA key.
      const group = role === "client" ? "P-384" : "X25519";
      await withPair(
        role,
        c.version,
        {
          ours: { cipherSuites: [c.suite], groups: [group, "P-256"] },
          theirs: { ciphers: c.suite, ecdhCurve: `${group}:P-256` },
        },
        async ({ handle, peer, reader }) => {
          const what = `${role} ${c.suite}`;
          const sizes = query<Record<string, number>>(handle, SECPKG_ATTR_STREAM_SIZES);
          assert.deepEqual(
            sizes,
            {
              cbHeader: c.header,
              cbTrailer: c.trailer,
              cbMaximumMessage: 16384,
              cBuffers: 4,
              cbBlockSize: c.block,
            },
            what,
          );
          // The record EncryptMessage produces has exactly that layout.
          const record = encrypt(handle, Buffer.alloc(100, 1));
          assert.equal(record.byteLength, c.header + 100 + c.trailer, what);
          reader.socket.write(record);
          const small = query<Record<string, number>>(handle, SECPKG_ATTR_SIZES);
          assert.deepEqual(
            small,
            { cbMaxToken: 0x6000, cbMaxSignature: 0, cbBlockSize: c.block, cbSecurityTrailer: c.trailer },
            what,
          );
          const standard = peer.getCipher().standardName;
          const aes128 = /AES_128/.test(standard);
          const aes256 = /AES_256/.test(standard);
          const sha384 = /SHA384$/.test(standard);
          const conn = query<Record<string, number>>(handle, SECPKG_ATTR_CONNECTION_INFO);
          const client = role === "client";
          assert.deepEqual(
            conn,
            {
              dwProtocol:
                c.version === "TLSv1.3"
                  ? client
                    ? SP_PROT_TLS1_3_CLIENT
                    : SP_PROT_TLS1_3_SERVER
                  : client
                    ? SP_PROT_TLS1_2_CLIENT
                    : SP_PROT_TLS1_2_SERVER,
              aiCipher: aes128 ? CALG_AES_128 : aes256 ? CALG_AES_256 : 0,
              dwCipherStrength: aes128 ? 128 : 256,
              aiHash: sha384 ? CALG_SHA_384 : CALG_SHA_256,
              dwHashStrength: sha384 ? 384 : 256,
              aiExch: CALG_ECDH_EPHEM,
              dwExchStrength: group === "P-384" ? 384 : 255,
            },
            what,
          );
          // Node's own view of the key exchange (a client-side API: ask whichever side is Node's client).
          if (!client) {
            const eph = peer.getEphemeralKeyInfo() as { name?: string };
            assert.equal(eph.name, "X25519", what);
          }
          const info = query<Record<string, unknown>>(handle, SECPKG_ATTR_CIPHER_INFO);
          assert.equal(info.szCipherSuite, standard, what);
          assert.equal(info.szCipher, aes128 || aes256 ? "AES" : "CHACHA20_POLY1305", what);
          assert.equal(info.szHash, sha384 ? "SHA384" : "SHA256", what);
          assert.equal(info.szExchange, "ECDHE", what);
          assert.equal(info.dwMinExchangeLen, group === "P-384" ? 384 : 255, what);
          assert.equal(info.szCertificate, "ECDSA", what);
        },
      );
    }
  }
});

test("APPLICATION_PROTOCOL, LOCAL/REMOTE_CERT_CONTEXT, SESSION_INFO, LIFESPAN, PACKAGE_INFO; unknown attribute", async () => {
  const toFileTime = (date: string) => BigInt(Date.parse(date)) * 10_000n + 116_444_736_000_000_000n;
  for (const version of VERSIONS) {
    // Our client: ALPN negotiated by Node's server; the server certificate is remote.
    await withPair(
      "client",
      version,
      { theirs: { ALPNProtocols: ["h2", "http/1.1"] }, alpn: ["http/1.1", "h2"] },
      async ({ handle, peer }) => {
        const alpn = query<Record<string, unknown>>(handle, SECPKG_ATTR_APPLICATION_PROTOCOL);
        assert.equal(peer.alpnProtocol, "h2");
        assert.equal(alpn.ProtoNegoStatus, 1, "SecApplicationProtocolNegotiationStatus_Success");
        assert.equal(alpn.ProtoNegoExt, 2, "ALPN");
        assert.equal(alpn.ProtocolIdSize, 2);
        assert.deepEqual(Buffer.from(alpn.ProtocolId as Uint8Array), Buffer.from("h2"));
        const remote = query<CertContext>(handle, SECPKG_ATTR_REMOTE_CERT_CONTEXT);
        const sent = peer.getCertificate() as tls.DetailedPeerCertificate;
        assert.deepEqual(Buffer.from(remote.pbCertEncoded), sent.raw);
        assert.equal(remote.cbCertEncoded, sent.raw.byteLength);
        const local = box<CertContext | null>(null);
        assert.equal(
          statusName(QueryContextAttributes(handle, SECPKG_ATTR_LOCAL_CERT_CONTEXT, local)),
          statusName(SEC_E_NO_CREDENTIALS),
          "a client without certificate",
        );
        const x509 = new X509Certificate(sent.raw);
        const life = query<{ tsStart: bigint; tsExpiry: bigint }>(handle, SECPKG_ATTR_LIFESPAN);
        assert.deepEqual(life, { tsStart: toFileTime(x509.validFrom), tsExpiry: toFileTime(x509.validTo) });
        const session = query<{ dwFlags: number; cbSessionId: number; rgbSessionId: Uint8Array }>(
          handle,
          SECPKG_ATTR_SESSION_INFO,
        );
        assert.equal(session.dwFlags, 0);
        assert.equal(session.cbSessionId, session.rgbSessionId.byteLength);
        assert.ok(session.cbSessionId <= 32);

        const pkg = query<{ PackageInfo: SecPkgInfo }>(handle, SECPKG_ATTR_PACKAGE_INFO);
        const reference = box<SecPkgInfo | null>(null);
        assert.equal(QuerySecurityPackageInfo("Schannel", reference), SEC_E_OK);
        assert.deepEqual({ ...pkg.PackageInfo }, { ...reference.value });
        assert.equal(pkg.PackageInfo.Name, "Schannel");
        assert.equal(pkg.PackageInfo.wRPCID, 14);
        assert.equal(pkg.PackageInfo.cbMaxToken, 0x6000);
        FreeContextBuffer(pkg.PackageInfo as never);
        FreeContextBuffer(reference.value as never);

        for (const unknown of [0x1234, 1 /* SECPKG_ATTR_NAMES */, 0x6e /* CONNECTION_INFO_EX */]) {
          assert.equal(
            statusName(QueryContextAttributes(handle, unknown, box(null))),
            statusName(SEC_E_UNSUPPORTED_FUNCTION),
            `attribute 0x${unknown.toString(16)}`,
          );
        }
      },
    );
    // Our server: the local certificate is ours, the client's is remote (mutual auth), no ALPN.
    await withPair(
      "server",
      version,
      {
        ours: { hRootStore: [f.ca.certificate] },
        theirs: { cert: f.client.certificate, key: f.client.privateKey },
      },
      async ({ handle, peer }) => {
        const alpn = query<Record<string, unknown>>(handle, SECPKG_ATTR_APPLICATION_PROTOCOL);
        assert.equal(peer.alpnProtocol, false);
        assert.equal(alpn.ProtoNegoStatus, 0, "SecApplicationProtocolNegotiationStatus_None");
        assert.equal(alpn.ProtocolIdSize, 0);
        const local = query<CertContext>(handle, SECPKG_ATTR_LOCAL_CERT_CONTEXT);
        assert.deepEqual(
          Buffer.from(local.pbCertEncoded),
          (peer.getPeerCertificate() as tls.DetailedPeerCertificate).raw,
        );
        const x509 = new X509Certificate(local.pbCertEncoded);
        assert.equal(x509.subject, "CN=localhost");
        // Without ASC_REQ_MUTUAL_AUTH no client certificate was asked for.
        assert.equal(
          statusName(QueryContextAttributes(handle, SECPKG_ATTR_REMOTE_CERT_CONTEXT, box(null))),
          statusName(SEC_E_NO_CREDENTIALS),
        );
        const life = query<{ tsStart: bigint; tsExpiry: bigint }>(handle, SECPKG_ATTR_LIFESPAN);
        assert.deepEqual(life, { tsStart: toFileTime(x509.validFrom), tsExpiry: toFileTime(x509.validTo) });
      },
    );
  }
});

test("QueryCredentialsAttributes: SUPPORTED_PROTOCOLS and SUPPORTED_ALGS reflect grbitDisabledProtocols and pDisabledCrypto", async () => {
  const ALL_13 = [0x1301, 0x1302, 0x1303];
  const ALL_12 = [0xc02b, 0xc02c, 0xc02f, 0xc030, 0xcca8, 0xcca9];
  const cert = f.servers["ecdsa-p256"];
  const cases: Array<{
    what: string;
    use: number;
    auth: SCH_CREDENTIALS;
    protocols: number;
    algs: number[];
  }> = [
    {
      what: "client, defaults",
      use: SECPKG_CRED_OUTBOUND,
      auth: { dwVersion: SCH_CREDENTIALS_VERSION },
      protocols: SP_PROT_TLS1_2_CLIENT | SP_PROT_TLS1_3_CLIENT,
      algs: [...ALL_13, ...ALL_12],
    },
    {
      what: "client, TLS 1.2 disabled",
      use: SECPKG_CRED_OUTBOUND,
      auth: {
        dwVersion: SCH_CREDENTIALS_VERSION,
        pTlsParameters: [{ grbitDisabledProtocols: SP_PROT_TLS1_2 }],
      },
      protocols: SP_PROT_TLS1_3_CLIENT,
      algs: ALL_13,
    },
    {
      what: "server, TLS 1.3 disabled, no ChaCha20",
      use: SECPKG_CRED_INBOUND,
      auth: {
        dwVersion: SCH_CREDENTIALS_VERSION,
        paCred: [{ certificate: cert.certificate, privateKey: cert.privateKey }],
        pTlsParameters: [
          {
            grbitDisabledProtocols: SP_PROT_TLS1_3,
            pDisabledCrypto: [
              { eAlgorithmUsage: TlsParametersCngAlgUsageCipher, strCngAlgId: "CHACHA20_POLY1305" },
            ],
          },
        ],
      },
      protocols: SP_PROT_TLS1_2_SERVER,
      algs: [0xc02b, 0xc02c, 0xc02f, 0xc030],
    },
    {
      what: "client, AES-256 disabled",
      use: SECPKG_CRED_OUTBOUND,
      auth: {
        dwVersion: SCH_CREDENTIALS_VERSION,
        pTlsParameters: [
          {
            pDisabledCrypto: [
              { eAlgorithmUsage: TlsParametersCngAlgUsageCipher, strCngAlgId: "AES", dwMinBitLength: 256 },
            ],
          },
        ],
      },
      protocols: SP_PROT_TLS1_2_CLIENT | SP_PROT_TLS1_3_CLIENT,
      algs: [0x1301, 0x1303, 0xc02b, 0xc02f, 0xcca8, 0xcca9],
    },
  ];
  for (const c of cases) {
    const cred = await acquireOk(c.use, c.auth);
    try {
      const protocols = box<{ grbitProtocol: number } | null>(null);
      assert.equal(QueryCredentialsAttributes(cred, SECPKG_ATTR_SUPPORTED_PROTOCOLS, protocols), SEC_E_OK);
      assert.equal(protocols.value?.grbitProtocol, c.protocols, c.what);
      const algs = box<{ cSupportedAlgs: number; palgSupportedAlgs: number[] } | null>(null);
      assert.equal(QueryCredentialsAttributes(cred, SECPKG_ATTR_SUPPORTED_ALGS, algs), SEC_E_OK);
      assert.deepEqual(
        [...algs.value!.palgSupportedAlgs].sort((a, b) => a - b),
        [...c.algs].sort((a, b) => a - b),
        c.what,
      );
      assert.equal(algs.value!.cSupportedAlgs, c.algs.length, c.what);
      assert.equal(
        statusName(QueryCredentialsAttributes(cred, 0x1234, box(null))),
        statusName(SEC_E_UNSUPPORTED_FUNCTION),
      );
    } finally {
      await sspi.FreeCredentialsHandle(cred);
    }
  }
});
