/**
 * Failure statuses of the SSPI-shaped Schannel package against Node's `tls` (and `openssl` for
 * PFX files), over loopback TCP: each failure returns the documented status, the output token
 * carries the alert and the peer reports exactly that alert (never a timeout), and
 * `SspiGetLastErrorInfo(handle)` names the status, the reason and the alert. Also the framing
 * statuses (INCOMPLETE with exact SECBUFFER_MISSING counts, EXTRA), garbage input, tampered and
 * partial records, and credential failures at acquire time.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import type { TlsOptions } from "node:tls";
import {
  ASC_REQ_ALLOCATE_MEMORY,
  ASC_REQ_CONFIDENTIALITY,
  ASC_REQ_EXTENDED_ERROR,
  ASC_REQ_MUTUAL_AUTH,
  ASC_REQ_STREAM,
  applicationProtocolsBuffer,
  box,
  type CertContext,
  type CredHandle,
  CtxtHandle,
  DecryptMessage,
  FreeContextBuffer,
  ISC_REQ_ALLOCATE_MEMORY,
  ISC_REQ_CONFIDENTIALITY,
  ISC_REQ_EXTENDED_ERROR,
  ISC_REQ_MANUAL_CRED_VALIDATION,
  ISC_REQ_STREAM,
  QueryContextAttributes,
  SCH_CRED_FORMAT_CERT_HASH,
  SCH_CRED_MANUAL_CRED_VALIDATION,
  type SCH_CREDENTIALS,
  SCH_CREDENTIALS_VERSION,
  SCH_USE_DTLS_ONLY,
  SCH_USE_PRESHAREDKEY_ONLY,
  SEC_E_ALGORITHM_MISMATCH,
  SEC_E_APPLICATION_PROTOCOL_MISMATCH,
  SEC_E_CERT_EXPIRED,
  SEC_E_ILLEGAL_MESSAGE,
  SEC_E_INCOMPLETE_MESSAGE,
  SEC_E_INVALID_PARAMETER,
  SEC_E_MESSAGE_ALTERED,
  SEC_E_MUTUAL_AUTH_FAILED,
  SEC_E_NO_CREDENTIALS,
  SEC_E_OK,
  SEC_E_UNKNOWN_CREDENTIALS,
  SEC_E_UNSUPPORTED_FUNCTION,
  SEC_E_UNTRUSTED_ROOT,
  SEC_E_WRONG_PRINCIPAL,
  SEC_I_CONTINUE_NEEDED,
  SECBUFFER_ALERT,
  SECBUFFER_DATA,
  SECBUFFER_EMPTY,
  SECBUFFER_EXTRA,
  SECBUFFER_MISSING,
  SECBUFFER_TOKEN,
  SECPKG_ATTR_CERT_CHECK_RESULT,
  SECPKG_ATTR_REMOTE_CERT_CONTEXT,
  SECPKG_CRED_BOTH,
  SECPKG_CRED_INBOUND,
  SECPKG_CRED_OUTBOUND,
  type SECURITY_STATUS,
  SP_PROT_TLS1_2,
  SP_PROT_TLS1_3,
  SspiGetLastErrorInfo,
  secBuffer,
  secBufferDesc,
  promises as sspi,
  statusName,
} from "../../src/index.js";
import { includesNodeAlertCode } from "../support/node-alerts.js";
import { closeTlsServer, nodeTlsClient, nodeTlsServer, type PeerLog } from "../support/node-tls-peers.js";
import { TempFiles, withTimeout } from "../support/peers.js";
import {
  acquireCredential,
  acquireOk,
  connectReader,
  contextCall,
  continueHandshake,
  decryptOnce,
  encrypt,
  type HandshakeOutcome,
  handshake,
  type Listener,
  leakCheck,
  listen,
  receive,
  requireBinary,
  type SocketReader,
} from "../support/sspi-driver.js";
import { type Fixtures, fixtures } from "../support/tls-fixtures.js";

type Version = "TLSv1.2" | "TLSv1.3";
const VERSIONS: Version[] = ["TLSv1.3", "TLSv1.2"];

const ISC_FLAGS = ISC_REQ_CONFIDENTIALITY | ISC_REQ_STREAM | ISC_REQ_EXTENDED_ERROR | ISC_REQ_ALLOCATE_MEMORY;
const ASC_FLAGS = ASC_REQ_CONFIDENTIALITY | ASC_REQ_STREAM | ASC_REQ_EXTENDED_ERROR | ASC_REQ_ALLOCATE_MEMORY;

let f: Fixtures;
const files = new TempFiles();
const leaks = leakCheck();
before(async () => {
  f = await fixtures();
});
after(async () => {
  files.remove();
  await leaks.verify();
});

const otherVersion = (v: Version) => (v === "TLSv1.3" ? SP_PROT_TLS1_2 : SP_PROT_TLS1_3);

function clientAuth(version: Version, extra: Partial<SCH_CREDENTIALS> = {}): SCH_CREDENTIALS {
  return {
    dwVersion: SCH_CREDENTIALS_VERSION,
    hRootStore: [f.ca.certificate],
    pTlsParameters: [{ grbitDisabledProtocols: otherVersion(version) }],
    ...extra,
  };
}

function serverAuth(version: Version | "both", extra: Partial<SCH_CREDENTIALS> = {}): SCH_CREDENTIALS {
  const cert = f.servers["ecdsa-p256"];
  return {
    dwVersion: SCH_CREDENTIALS_VERSION,
    paCred: [{ certificate: cert.certificate, privateKey: cert.privateKey }],
    hRootStore: [f.ca.certificate],
    ...(version !== "both" && { pTlsParameters: [{ grbitDisabledProtocols: otherVersion(version) }] }),
    ...extra,
  };
}

/** The alert the output token carries: a plaintext TLS alert record `15 03 0x 00 02 level desc`. */
function alertInToken(token: Uint8Array): { level: number; description: number } | null {
  if (token.byteLength !== 7 || token[0] !== 21 || token[1] !== 3 || token[3] !== 0 || token[4] !== 2)
    return null;
  return { level: token[5]!, description: token[6]! };
}

/** Checks SspiGetLastErrorInfo(handle): status name, a reason, and the alert. */
function checkErrorInfo(
  handle: CtxtHandle | CredHandle,
  status: SECURITY_STATUS,
  alert: { sent?: number; received?: number },
  what: string,
): void {
  const info = SspiGetLastErrorInfo(handle);
  assert.ok(info, `${what}: SspiGetLastErrorInfo has the failure`);
  assert.equal(info.status, status, what);
  assert.equal(info.statusName, statusName(status), what);
  assert.ok(info.reason && info.reason.length > 5, `${what}: a reason (${info.reason})`);
  assert.equal(info.alertSent?.description ?? null, alert.sent ?? null, `${what}: alert sent`);
  assert.equal(info.alertReceived?.description ?? null, alert.received ?? null, `${what}: alert received`);
  assert.match(info.message, new RegExp(statusName(status)!), what);
}

/** Waits until the Node peer reported an error, and returns its codes. */
async function peerErrors(log: PeerLog, what: string): Promise<string[]> {
  await log.until(() => log.errors.length > 0, `${what}: the peer reports an error`);
  return log.errors;
}

/** Our client against a Node TLS server with `serverOptions`; returns the outcome and the peer's log. */
async function clientAgainstNode(
  serverOptions: TlsOptions,
  auth: SCH_CREDENTIALS,
  options: { target?: string; flags?: number; alpn?: string[] },
  body: (hs: HandshakeOutcome, log: PeerLog, cred: CredHandle, reader: SocketReader) => Promise<void>,
): Promise<void> {
  const { server, port, log } = await nodeTlsServer(serverOptions);
  const cred = await acquireOk(SECPKG_CRED_OUTBOUND, auth);
  const reader = await connectReader(port);
  let handle: CtxtHandle | null = null;
  try {
    await withTimeout(
      (async () => {
        const hs = await handshake("initiator", reader, cred, {
          target: options.target ?? "localhost",
          ...(options.flags !== undefined && { flags: options.flags }),
          ...(options.alpn && { firstInput: applicationProtocolsBuffer(options.alpn) }),
        });
        handle = hs.handle;
        await body(hs, log, cred, reader);
      })(),
      15_000,
      "client case",
    );
  } finally {
    reader.socket.destroy();
    if (handle) assert.equal(await sspi.DeleteSecurityContext(handle), SEC_E_OK);
    await sspi.FreeCredentialsHandle(cred);
    await closeTlsServer(server, log);
  }
}

/** Our server (on `listener`) against a Node TLS client with `clientOptions`. */
async function serverAgainstNode(
  listener: Listener,
  auth: SCH_CREDENTIALS,
  clientOptions: Parameters<typeof nodeTlsClient>[1],
  flags: number,
  body: (hs: HandshakeOutcome, log: PeerLog, cred: CredHandle, reader: SocketReader) => Promise<void>,
): Promise<void> {
  const cred = await acquireOk(SECPKG_CRED_INBOUND, auth);
  const { socket, log } = nodeTlsClient(listener.port, {
    servername: "localhost",
    ca: f.ca.certificate,
    ...clientOptions,
  });
  let handle: CtxtHandle | null = null;
  let reader: SocketReader | null = null;
  try {
    await withTimeout(
      (async () => {
        reader = await listener.next();
        const hs = await handshake("acceptor", reader, cred, { flags });
        handle = hs.handle;
        await body(hs, log, cred, reader);
      })(),
      15_000,
      "server case",
    );
  } finally {
    socket.destroy();
    (reader as SocketReader | null)?.socket.destroy();
    if (handle) assert.equal(await sspi.DeleteSecurityContext(handle), SEC_E_OK);
    await sspi.FreeCredentialsHandle(cred);
  }
}

function serverCert(cert: { certificate: string; privateKey: string }, version: Version): TlsOptions {
  return { cert: cert.certificate, key: cert.privateKey, minVersion: version, maxVersion: version };
}

/** A client failure: status, SECBUFFER_ALERT, the alert record in the token, the peer's error, last-error info. */
async function expectClientFailure(
  what: string,
  hs: HandshakeOutcome,
  log: PeerLog,
  status: SECURITY_STATUS,
  alert: number,
): Promise<void> {
  assert.equal(statusName(hs.status), statusName(status), what);
  assert.deepEqual(hs.alert, [2, alert], `${what}: SECBUFFER_ALERT`);
  assert.ok(includesNodeAlertCode(await peerErrors(log, what), alert), `${what}: ${log.errors}`);
  checkErrorInfo(hs.handle, status, { sent: alert }, what);
}

test("untrusted root, expired certificate, wrong host name: status, alert at the peer, error info", async () => {
  for (const version of VERSIONS) {
    await clientAgainstNode(serverCert(f.selfSigned, version), clientAuth(version), {}, async (hs, log) => {
      await expectClientFailure(`${version} untrusted root`, hs, log, SEC_E_UNTRUSTED_ROOT, 48);
    });
    await clientAgainstNode(serverCert(f.expired, version), clientAuth(version), {}, async (hs, log) => {
      await expectClientFailure(`${version} expired`, hs, log, SEC_E_CERT_EXPIRED, 45);
    });
    await clientAgainstNode(
      serverCert(f.servers["ecdsa-p256"], version),
      clientAuth(version),
      { target: "wrong.example.test" },
      async (hs, log) => {
        await expectClientFailure(`${version} wrong name`, hs, log, SEC_E_WRONG_PRINCIPAL, 42);
      },
    );
  }
});

test("manual validation (ISC_REQ_ and SCH_CRED_MANUAL_CRED_VALIDATION) succeeds; CERT_CHECK_RESULT tells what would have failed", async () => {
  const cases = [
    { what: "untrusted", cert: f.selfSigned, target: "localhost", wouldBe: SEC_E_UNTRUSTED_ROOT },
    { what: "expired", cert: f.expired, target: "localhost", wouldBe: SEC_E_CERT_EXPIRED },
    {
      what: "wrong name",
      cert: f.servers["ecdsa-p256"],
      target: "nope.test",
      wouldBe: SEC_E_WRONG_PRINCIPAL,
    },
    { what: "valid", cert: f.servers["ecdsa-p256"], target: "localhost", wouldBe: SEC_E_OK },
  ];
  for (const version of VERSIONS) {
    for (const c of cases) {
      for (const via of ["ISC_REQ", "SCH_CRED"] as const) {
        const what = `${version} ${c.what} via ${via}_MANUAL_CRED_VALIDATION`;
        await clientAgainstNode(
          serverCert(c.cert, version),
          clientAuth(version, via === "SCH_CRED" ? { dwFlags: SCH_CRED_MANUAL_CRED_VALIDATION } : {}),
          {
            target: c.target,
            flags: via === "ISC_REQ" ? ISC_FLAGS | ISC_REQ_MANUAL_CRED_VALIDATION : ISC_FLAGS,
          },
          async (hs, log, _cred, reader) => {
            assert.equal(statusName(hs.status), "SEC_E_OK", what);
            const check = box<{ dwChainErrorStatus: number; hrVerifyChainStatus: number }>({
              dwChainErrorStatus: -1,
              hrVerifyChainStatus: -1,
            });
            assert.equal(QueryContextAttributes(hs.handle, SECPKG_ATTR_CERT_CHECK_RESULT, check), SEC_E_OK);
            assert.equal(statusName(check.value.hrVerifyChainStatus), statusName(c.wouldBe), what);
            assert.equal(check.value.dwChainErrorStatus !== 0, c.wouldBe !== SEC_E_OK, what);
            // The connection is usable: one echo through Node's server.
            reader.socket.write(encrypt(hs.handle, Buffer.from("ping")));
            const got = await receive(hs.handle, reader, 4, hs.leftover);
            assert.equal(got.plaintext.toString(), "ping", what);
            assert.deepEqual(log.errors, [], what);
          },
        );
      }
    }
  }
});

test("ALPN mismatch: our server decides (SEC_E_APPLICATION_PROTOCOL_MISMATCH, no_application_protocol at Node)", async () => {
  const listener = await listen();
  try {
    for (const version of VERSIONS) {
      await serverAgainstNode(
        listener,
        serverAuth(version, {
          pTlsParameters: [{ rgstrAlpnIds: ["h2"], grbitDisabledProtocols: otherVersion(version) }],
        }),
        { ALPNProtocols: ["http/1.1", "spdy/3"], minVersion: version, maxVersion: version },
        ASC_FLAGS,
        async (hs, log) => {
          const what = `${version} ALPN mismatch`;
          assert.equal(statusName(hs.status), "SEC_E_APPLICATION_PROTOCOL_MISMATCH", what);
          assert.deepEqual(hs.alert, [2, 120], what);
          assert.ok(includesNodeAlertCode(await peerErrors(log, what), 120), `${what}: ${log.errors}`);
          checkErrorInfo(hs.handle, SEC_E_APPLICATION_PROTOCOL_MISMATCH, { sent: 120 }, what);
        },
      );
    }
  } finally {
    await listener.close();
  }
});

test("ALPN mismatch decided by Node's server: our client reports the received no_application_protocol", async () => {
  for (const version of VERSIONS) {
    await clientAgainstNode(
      { ...serverCert(f.servers["ecdsa-p256"], version), ALPNProtocols: ["h2"] },
      clientAuth(version),
      { alpn: ["http/1.1"] },
      async (hs) => {
        const what = `${version} client, server refuses ALPN`;
        assert.equal(statusName(hs.status), "SEC_E_ILLEGAL_MESSAGE", what);
        checkErrorInfo(hs.handle, SEC_E_ILLEGAL_MESSAGE, { received: 120 }, what);
      },
    );
  }
});

test("mTLS (ASC_REQ_MUTUAL_AUTH): accepted with the client certificate visible; missing; untrusted", async () => {
  const listener = await listen();
  const mutual = ASC_FLAGS | ASC_REQ_MUTUAL_AUTH;
  try {
    for (const version of VERSIONS) {
      const v = { minVersion: version, maxVersion: version } as const;
      await serverAgainstNode(
        listener,
        serverAuth(version),
        { ...v, cert: f.client.certificate, key: f.client.privateKey },
        mutual,
        async (hs, log, _cred, reader) => {
          const what = `${version} client certificate`;
          assert.equal(statusName(hs.status), "SEC_E_OK", what);
          const peer = box<CertContext | null>(null);
          assert.equal(QueryContextAttributes(hs.handle, SECPKG_ATTR_REMOTE_CERT_CONTEXT, peer), SEC_E_OK);
          assert.equal(peer.value?.certificate.subject, "CN=engine client", what);
          assert.deepEqual(Buffer.from(peer.value!.pbCertEncoded), Buffer.from(f.client.der), what);
          await log.until(() => log.secure, "Node's secureConnect");
          reader.socket.write(encrypt(hs.handle, Buffer.from("mutual")));
          await log.until(() => Buffer.concat(log.received).toString() === "mutual", "data at Node");
          assert.deepEqual(log.errors, [], what);
        },
      );
      await serverAgainstNode(listener, serverAuth(version), v, mutual, async (hs, log) => {
        const what = `${version} no client certificate`;
        const alert = version === "TLSv1.3" ? 116 : 40;
        assert.equal(statusName(hs.status), "SEC_E_MUTUAL_AUTH_FAILED", what);
        assert.deepEqual(hs.alert, [2, alert], what);
        assert.ok(includesNodeAlertCode(await peerErrors(log, what), alert), `${what}: ${log.errors}`);
        checkErrorInfo(hs.handle, SEC_E_MUTUAL_AUTH_FAILED, { sent: alert }, what);
      });
      await serverAgainstNode(
        listener,
        serverAuth(version),
        { ...v, cert: f.untrustedClient.certificate, key: f.untrustedClient.privateKey },
        mutual,
        async (hs, log) => {
          const what = `${version} untrusted client certificate`;
          assert.equal(statusName(hs.status), "SEC_E_UNTRUSTED_ROOT", what);
          assert.deepEqual(hs.alert, [2, 48], what);
          assert.ok(includesNodeAlertCode(await peerErrors(log, what), 48), `${what}: ${log.errors}`);
          checkErrorInfo(hs.handle, SEC_E_UNTRUSTED_ROOT, { sent: 48 }, what);
        },
      );
    }
  } finally {
    await listener.close();
  }
});

test("version mismatch and no shared suite, both roles", async () => {
  // Our client offers only TLS 1.3; Node's server only TLS 1.2: Node decides and alerts.
  await clientAgainstNode(
    serverCert(f.servers["ecdsa-p256"], "TLSv1.2"),
    clientAuth("TLSv1.3"),
    {},
    async (hs) => {
      assert.equal(statusName(hs.status), "SEC_E_ILLEGAL_MESSAGE", "client 1.3 vs server 1.2");
      checkErrorInfo(hs.handle, SEC_E_ILLEGAL_MESSAGE, { received: 70 }, "client 1.3 vs server 1.2");
    },
  );
  // Our client offers only AES-128-GCM on TLS 1.2; Node's server only ChaCha20.
  await clientAgainstNode(
    { ...serverCert(f.servers["ecdsa-p256"], "TLSv1.2"), ciphers: "ECDHE-ECDSA-CHACHA20-POLY1305" },
    clientAuth("TLSv1.2", { cipherSuites: ["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"] }),
    {},
    async (hs) => {
      assert.equal(statusName(hs.status), "SEC_E_ILLEGAL_MESSAGE", "client, no shared suite");
      checkErrorInfo(hs.handle, SEC_E_ILLEGAL_MESSAGE, { received: 40 }, "client, no shared suite");
    },
  );
  const listener = await listen();
  try {
    // Our server decides: TLS 1.2 only against a TLS 1.3-only Node client.
    await serverAgainstNode(
      listener,
      serverAuth("TLSv1.2"),
      { minVersion: "TLSv1.3", maxVersion: "TLSv1.3" },
      ASC_FLAGS,
      async (hs, log) => {
        const what = "server 1.2 vs client 1.3";
        assert.equal(statusName(hs.status), "SEC_E_ALGORITHM_MISMATCH", what);
        assert.deepEqual(hs.alert, [2, 70], what);
        assert.ok(includesNodeAlertCode(await peerErrors(log, what), 70), `${what}: ${log.errors}`);
        checkErrorInfo(hs.handle, SEC_E_ALGORITHM_MISMATCH, { sent: 70 }, what);
      },
    );
    for (const version of VERSIONS) {
      const ours = version === "TLSv1.3" ? "TLS_AES_256_GCM_SHA384" : "ECDHE-ECDSA-AES256-GCM-SHA384";
      const theirs = version === "TLSv1.3" ? "TLS_CHACHA20_POLY1305_SHA256" : "ECDHE-ECDSA-CHACHA20-POLY1305";
      await serverAgainstNode(
        listener,
        serverAuth(version, { cipherSuites: [ours] }),
        { minVersion: version, maxVersion: version, ciphers: theirs },
        ASC_FLAGS,
        async (hs, log) => {
          const what = `${version} server, no shared suite`;
          assert.equal(statusName(hs.status), "SEC_E_ALGORITHM_MISMATCH", what);
          assert.deepEqual(hs.alert, [2, 40], what);
          assert.ok(includesNodeAlertCode(await peerErrors(log, what), 40), `${what}: ${log.errors}`);
          checkErrorInfo(hs.handle, SEC_E_ALGORITHM_MISMATCH, { sent: 40 }, what);
        },
      );
    }
  } finally {
    await listener.close();
  }
});

/** Expected SECBUFFER_MISSING for the first `n` bytes of the record starting at `record`. */
function expectedMissing(bytes: Uint8Array, n: number): number {
  if (n < 5) return 5 - n;
  return 5 + ((bytes[3]! << 8) | bytes[4]!) - n;
}

/** ISC/ASC with `input` and returns the status and what the second input buffer became. */
async function callWith(
  role: "initiator" | "acceptor",
  cred: CredHandle,
  handle: CtxtHandle,
  first: boolean,
  input: Uint8Array,
  target: string,
) {
  const inDesc = secBufferDesc(secBuffer(SECBUFFER_TOKEN, input), secBuffer(SECBUFFER_EMPTY));
  const out = secBufferDesc(
    secBuffer(SECBUFFER_TOKEN),
    secBuffer(SECBUFFER_ALERT, 2),
    secBuffer(SECBUFFER_EMPTY),
  );
  const previous = first ? null : handle;
  const status =
    role === "initiator"
      ? await sspi.InitializeSecurityContext(
          cred,
          previous,
          target,
          ISC_FLAGS,
          0,
          0,
          inDesc,
          0,
          handle,
          out,
          box(0),
          null,
        )
      : await sspi.AcceptSecurityContext(cred, previous, inDesc, ASC_FLAGS, 0, handle, out, box(0), null);
  const token = out.pBuffers[0]!;
  let output: Uint8Array = new Uint8Array(0);
  if (token.cbBuffer > 0 && token.pvBuffer) {
    output = Buffer.from(token.pvBuffer.subarray(0, token.cbBuffer));
    FreeContextBuffer(token.pvBuffer);
  }
  return { status, second: inDesc.pBuffers[1]!, output };
}

test("partial input byte by byte: SEC_E_INCOMPLETE_MESSAGE with exact SECBUFFER_MISSING until complete, both roles", async () => {
  // Server: Node's ClientHello, one byte more per call.
  const listener = await listen();
  try {
    for (const version of VERSIONS) {
      await (async () => {
        const cred = await acquireOk(SECPKG_CRED_INBOUND, serverAuth(version));
        const { socket, log } = nodeTlsClient(listener.port, {
          servername: "localhost",
          ca: f.ca.certificate,
          minVersion: version,
          maxVersion: version,
        });
        const reader = await listener.next();
        const handle = new CtxtHandle();
        try {
          await withTimeout(
            (async () => {
              assert.ok(await reader.more());
              let hello = reader.take();
              while (hello.byteLength < 5 + ((hello[3]! << 8) | hello[4]!)) {
                assert.ok(await reader.more());
                hello = Buffer.concat([hello, reader.take()]);
              }
              let calls = 0;
              for (let n = 1; n < hello.byteLength; n++) {
                const r = await callWith("acceptor", cred, handle, n === 1, hello.subarray(0, n), "");
                assert.equal(
                  statusName(r.status),
                  "SEC_E_INCOMPLETE_MESSAGE",
                  `${version} ClientHello[0..${n})`,
                );
                assert.equal(r.second.BufferType, SECBUFFER_MISSING, `${n}`);
                assert.equal(
                  r.second.cbBuffer,
                  expectedMissing(hello, n),
                  `${version} missing after ${n} bytes`,
                );
                assert.equal(r.output.byteLength, 0);
                calls++;
              }
              assert.equal(calls, hello.byteLength - 1);
              const done = await callWith("acceptor", cred, handle, false, hello, "");
              assert.equal(statusName(done.status), "SEC_I_CONTINUE_NEEDED", version);
              assert.notEqual(done.second.BufferType, SECBUFFER_EXTRA, "the whole ClientHello was used");
              reader.socket.write(done.output);
              const rest = await continueHandshake("acceptor", reader, cred, handle);
              assert.equal(statusName(rest.status), "SEC_E_OK", version);
              await log.until(() => log.secure, "Node's secureConnect");
              reader.socket.write(encrypt(handle, Buffer.from("after byte by byte")));
              await log.until(() => Buffer.concat(log.received).toString() === "after byte by byte", "data");
            })(),
            20_000,
            `${version} byte by byte (server)`,
          );
        } finally {
          socket.destroy();
          reader.socket.destroy();
          await sspi.DeleteSecurityContext(handle);
          await sspi.FreeCredentialsHandle(cred);
        }
      })();
    }
  } finally {
    await listener.close();
  }

  // Client: Node server's first flight, one byte more per call, taking EXTRA whenever a record completes.
  for (const version of VERSIONS) {
    const { server, port, log } = await nodeTlsServer(serverCert(f.servers["ecdsa-p256"], version));
    const cred = await acquireOk(SECPKG_CRED_OUTBOUND, clientAuth(version));
    const reader = await connectReader(port);
    const handle = new CtxtHandle();
    try {
      await withTimeout(
        (async () => {
          const first = await contextCallFirst(cred, handle);
          reader.socket.write(first);
          // Collect the server's first flight (until the peer pauses: TLS 1.3 sends it all at once).
          assert.ok(await reader.more());
          let flight: Uint8Array = reader.take();
          while (!completeRecords(flight)) {
            assert.ok(await reader.more());
            flight = Buffer.concat([flight, reader.take()]);
          }
          let start = 0; // first byte of the record being completed
          let status: SECURITY_STATUS = SEC_I_CONTINUE_NEEDED;
          let incomplete = 0;
          for (let end = start + 1; end <= flight.byteLength && status === SEC_I_CONTINUE_NEEDED; end++) {
            const input = flight.subarray(start, end);
            const r = await callWith("initiator", cred, handle, false, input, "localhost");
            status = r.status;
            if (r.output.byteLength > 0) reader.socket.write(r.output);
            if (status === SEC_E_INCOMPLETE_MESSAGE) {
              assert.equal(r.second.BufferType, SECBUFFER_MISSING);
              assert.equal(
                r.second.cbBuffer,
                expectedMissing(input, input.byteLength),
                `${version} at ${end}`,
              );
              incomplete++;
              status = SEC_I_CONTINUE_NEEDED;
              continue;
            }
            const extra = r.second.BufferType === SECBUFFER_EXTRA ? r.second.cbBuffer : 0;
            start = end - extra;
          }
          assert.ok(incomplete > flight.byteLength / 2, `${version}: ${incomplete} incomplete calls`);
          let hs: HandshakeOutcome;
          if (status === SEC_I_CONTINUE_NEEDED)
            hs = await continueHandshake("initiator", reader, cred, handle);
          else hs = { status, handle, leftover: new Uint8Array(0), alert: null, calls: 0 };
          assert.equal(statusName(hs.status), "SEC_E_OK", version);
          reader.socket.write(encrypt(handle, Buffer.from("hi")));
          const echo = await receive(handle, reader, 2, hs.leftover);
          assert.equal(echo.plaintext.toString(), "hi");
        })(),
        30_000,
        `${version} byte by byte (client)`,
      );
    } finally {
      reader.socket.destroy();
      await sspi.DeleteSecurityContext(handle);
      await sspi.FreeCredentialsHandle(cred);
      await closeTlsServer(server, log);
    }
  }
});

/** The first ISC call (no input) on `handle`: the ClientHello. */
async function contextCallFirst(cred: CredHandle, handle: CtxtHandle): Promise<Uint8Array> {
  const out = secBufferDesc(
    secBuffer(SECBUFFER_TOKEN),
    secBuffer(SECBUFFER_ALERT, 2),
    secBuffer(SECBUFFER_EMPTY),
  );
  const status = await sspi.InitializeSecurityContext(
    cred,
    null,
    "localhost",
    ISC_FLAGS,
    0,
    0,
    null,
    0,
    handle,
    out,
    box(0),
    null,
  );
  assert.equal(status, SEC_I_CONTINUE_NEEDED);
  const token = Buffer.from(out.pBuffers[0]!.pvBuffer!.subarray(0, out.pBuffers[0]!.cbBuffer));
  FreeContextBuffer(out.pBuffers[0]!.pvBuffer!);
  return token;
}

/** True when `bytes` is a whole number of TLS records. */
function completeRecords(bytes: Uint8Array): boolean {
  let offset = 0;
  while (offset + 5 <= bytes.byteLength) offset += 5 + ((bytes[offset + 3]! << 8) | bytes[offset + 4]!);
  return offset === bytes.byteLength;
}

/** Reads until `acc` is whole records ending with an application_data record of `length` bytes. */
async function readUntilDataRecord(
  reader: SocketReader,
  acc: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  for (;;) {
    if (completeRecords(acc) && acc.byteLength >= length) {
      const last = acc.subarray(acc.byteLength - length);
      if (last[0] === 23 && 5 + ((last[3]! << 8) | last[4]!) === length) return acc;
    }
    assert.ok(await reader.more(), "the peer closed");
    acc = Buffer.concat([acc, reader.take()]);
  }
}

/** Calls ISC/ASC on `acc` until it stops returning SEC_I_CONTINUE_NEEDED with EXTRA; returns the last result. */
async function callThroughExtra(
  role: "initiator" | "acceptor",
  cred: CredHandle,
  handle: CtxtHandle,
  reader: SocketReader,
  acc: Uint8Array,
) {
  for (;;) {
    const r = await contextCall(role, cred, handle, acc);
    if (r.token.byteLength > 0) reader.socket.write(r.token);
    if (r.status !== SEC_I_CONTINUE_NEEDED || r.extra === 0) return { ...r, input: acc };
    acc = acc.subarray(acc.byteLength - r.extra);
  }
}

test("EXTRA: the last handshake flight and an application record in one input (server TLS 1.3, client TLS 1.2)", async () => {
  const message = Buffer.alloc(200, 0x5a);
  // Server, TLS 1.3: Node's client sends its Finished and, at once, 200 bytes of data.
  const listener = await listen();
  const cred = await acquireOk(SECPKG_CRED_INBOUND, serverAuth("TLSv1.3"));
  const { socket, log } = nodeTlsClient(listener.port, {
    servername: "localhost",
    ca: f.ca.certificate,
    minVersion: "TLSv1.3",
    maxVersion: "TLSv1.3",
    ciphers: "TLS_AES_128_GCM_SHA256",
  });
  socket.on("secureConnect", () => socket.write(message));
  const handle = new CtxtHandle();
  let reader: SocketReader | null = null;
  try {
    await withTimeout(
      (async () => {
        reader = await listener.next();
        assert.ok(await reader.more());
        const first = await callWith("acceptor", cred, handle, true, reader.take(), "");
        assert.equal(statusName(first.status), "SEC_I_CONTINUE_NEEDED");
        reader.socket.write(first.output);
        const dataRecord = 5 + 200 + 1 + 16;
        const input = await readUntilDataRecord(reader, new Uint8Array(0), dataRecord);
        assert.ok(input.byteLength > dataRecord, "Finished and data arrive together");
        const last = await callThroughExtra("acceptor", cred, handle, reader, input);
        assert.equal(statusName(last.status), "SEC_E_OK");
        assert.equal(last.extra, dataRecord, "EXTRA is exactly the application record");
        const d = decryptOnce(handle, last.input.subarray(last.input.byteLength - last.extra));
        assert.equal(d.status, SEC_E_OK);
        assert.deepEqual(Buffer.from(d.plaintext), message);
        assert.equal(d.rest.byteLength, 0);
        await log.until(() => log.secure, "secureConnect");
      })(),
      15_000,
      "EXTRA server",
    );
  } finally {
    socket.destroy();
    (reader as SocketReader | null)?.socket.destroy();
    await sspi.DeleteSecurityContext(handle);
    await sspi.FreeCredentialsHandle(cred);
    await listener.close();
  }

  // Client, TLS 1.2: Node's server sends its ticket, CCS, Finished and 200 bytes right away.
  const serverOptions = serverCert(f.servers["ecdsa-p256"], "TLSv1.2");
  const { server, port, log: serverLog } = await nodeTlsServer(serverOptions);
  server.on("secureConnection", (s) => s.write(message));
  const ccred = await acquireOk(
    SECPKG_CRED_OUTBOUND,
    clientAuth("TLSv1.2", { cipherSuites: ["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"] }),
  );
  const creader = await connectReader(port);
  const chandle = new CtxtHandle();
  try {
    await withTimeout(
      (async () => {
        creader.socket.write(await contextCallFirst(ccred, chandle));
        // The server's first flight, until our Finished flight goes out.
        let acc: Uint8Array = new Uint8Array(0);
        for (;;) {
          assert.ok(await creader.more());
          acc = Buffer.concat([acc, creader.take()]);
          if (!completeRecords(acc)) continue;
          const r = await callThroughExtra("initiator", ccred, chandle, creader, acc);
          assert.equal(statusName(r.status), "SEC_I_CONTINUE_NEEDED");
          acc = new Uint8Array(0);
          if (r.token.byteLength > 0) break;
        }
        const dataRecord = 5 + 8 + 200 + 16;
        const input = await readUntilDataRecord(creader, new Uint8Array(0), dataRecord);
        assert.ok(input.byteLength > dataRecord, "Finished and data arrive together");
        const last = await callThroughExtra("initiator", ccred, chandle, creader, input);
        assert.equal(statusName(last.status), "SEC_E_OK");
        assert.equal(last.extra, dataRecord, "EXTRA is exactly the application record");
        const d = decryptOnce(chandle, last.input.subarray(last.input.byteLength - last.extra));
        assert.equal(d.status, SEC_E_OK);
        assert.deepEqual(Buffer.from(d.plaintext), message);
      })(),
      15_000,
      "EXTRA client",
    );
  } finally {
    creader.socket.destroy();
    await sspi.DeleteSecurityContext(chandle);
    await sspi.FreeCredentialsHandle(ccred);
    await closeTlsServer(server, serverLog);
  }
});

test("garbage to AcceptSecurityContext (HTTP request, random bytes, TLS-shaped garbage): failure and an alert to the sender", async () => {
  const cred = await acquireOk(SECPKG_CRED_INBOUND, serverAuth("both"));
  const listener = await listen();
  // unexpected_message (10) for bytes that are no TLS content type; decode_error (50) for a
  // handshake record whose message does not parse.
  const garbage: Array<{ what: string; bytes: Uint8Array; alert: number }> = [
    { what: "HTTP request", alert: 10, bytes: Buffer.from("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n") },
    {
      what: "random bytes",
      alert: 10,
      bytes: Buffer.concat([Buffer.of(0x8f, 0x03, 0x03, 0x00, 0x20), randomBytes(32)]),
    },
    {
      what: "TLS-shaped garbage",
      alert: 50,
      bytes: Buffer.concat([
        Buffer.of(0x16, 0x03, 0x01, 0x00, 0x40, 0x01, 0x00, 0x00, 0x3c),
        randomBytes(60),
      ]),
    },
  ];
  try {
    for (const g of garbage) {
      const sender = await connectReader(listener.port);
      const reader = await listener.next();
      const handle = new CtxtHandle();
      try {
        await withTimeout(
          (async () => {
            sender.socket.write(g.bytes);
            let input: Uint8Array = new Uint8Array(0);
            while (input.byteLength < g.bytes.byteLength) {
              assert.ok(await reader.more());
              input = Buffer.concat([input, reader.take()]);
            }
            const r = await callWith("acceptor", cred, handle, true, input, "");
            assert.ok(
              r.status < 0 && r.status !== SEC_E_INCOMPLETE_MESSAGE,
              `${g.what}: ${statusName(r.status)}`,
            );
            const alert = alertInToken(r.output);
            assert.ok(alert, `${g.what}: the output token is an alert record`);
            assert.equal(alert.level, 2, g.what);
            assert.equal(alert.description, g.alert, `${g.what}: ${alert.description}`);
            reader.socket.write(r.output);
            // The sender receives exactly that alert record.
            let received: Uint8Array = new Uint8Array(0);
            while (received.byteLength < r.output.byteLength && (await sender.more())) {
              received = Buffer.concat([received, sender.take()]);
            }
            assert.deepEqual(Buffer.from(received), Buffer.from(r.output), g.what);
            checkErrorInfo(handle, r.status, { sent: alert.description }, g.what);
            assert.equal(statusName(r.status), "SEC_E_ILLEGAL_MESSAGE", g.what);
          })(),
          10_000,
          g.what,
        );
      } finally {
        sender.socket.destroy();
        reader.socket.destroy();
        await sspi.DeleteSecurityContext(handle);
      }
    }
  } finally {
    await listener.close();
    await sspi.FreeCredentialsHandle(cred);
  }
});

test("DecryptMessage: partial record → SEC_E_INCOMPLETE_MESSAGE + exact SECBUFFER_MISSING; tampered → SEC_E_MESSAGE_ALTERED and bad_record_mac at Node", async () => {
  for (const version of VERSIONS) {
    await clientAgainstNode(
      serverCert(f.servers["ecdsa-p256"], version),
      clientAuth(version),
      {},
      async (hs, log, cred, reader) => {
        assert.equal(hs.status, SEC_E_OK);
        // Warm up: tickets (TLS 1.3) arrive before the first echo and are decrypted here.
        reader.socket.write(encrypt(hs.handle, Buffer.from("warm up")));
        const warm = await receive(hs.handle, reader, 7, hs.leftover);
        assert.equal(warm.plaintext.toString(), "warm up");
        assert.equal(warm.rest.byteLength, 0);

        const nextRecord = async (text: string) => {
          reader.socket.write(encrypt(hs.handle, Buffer.from(text)));
          let bytes: Uint8Array = new Uint8Array(0);
          while (bytes.byteLength < 5 || !completeRecords(bytes)) {
            assert.ok(await reader.more());
            bytes = Buffer.concat([bytes, reader.take()]);
          }
          return bytes;
        };
        const record = await nextRecord("partial record check");
        for (const n of [1, 2, 4, 5, 6, 20, record.byteLength - 1]) {
          const desc = secBufferDesc(
            secBuffer(SECBUFFER_DATA, record.slice(0, n)),
            secBuffer(SECBUFFER_EMPTY),
            secBuffer(SECBUFFER_EMPTY),
            secBuffer(SECBUFFER_EMPTY),
          );
          assert.equal(
            statusName(DecryptMessage(hs.handle, desc, 0, null)),
            "SEC_E_INCOMPLETE_MESSAGE",
            `${n}`,
          );
          const missing = desc.pBuffers.find((b) => b.BufferType === SECBUFFER_MISSING);
          assert.equal(missing?.cbBuffer, expectedMissing(record, n), `${version}: missing after ${n} bytes`);
        }
        const whole = decryptOnce(hs.handle, record);
        assert.equal(whole.status, SEC_E_OK, "the complete record still decrypts");
        assert.equal(Buffer.from(whole.plaintext).toString(), "partial record check");

        const tampered = (await nextRecord("tamper with me")).slice();
        tampered[tampered.byteLength - 20]! ^= 0x01;
        const t = decryptOnce(hs.handle, tampered);
        assert.equal(statusName(t.status), "SEC_E_MESSAGE_ALTERED", version);
        checkErrorInfo(hs.handle, SEC_E_MESSAGE_ALTERED, { sent: 20 }, `${version} tampered`);
        // The bad_record_mac alert comes out of ISC; Node reports it.
        const alert = await contextCall("initiator", cred, hs.handle);
        assert.ok(alert.token.byteLength > 0, "an alert record");
        reader.socket.write(alert.token);
        const codes = await peerErrors(log, `${version} tampered`);
        assert.ok(includesNodeAlertCode(codes, 20), `${version}: ${codes}`);
      },
    );
  }
});

test("bad credentials at acquire time: the documented statuses and reasons", async (t) => {
  const cert = f.servers["ecdsa-p256"];
  const expectAcquire = async (what: string, use: number, auth: unknown, status: SECURITY_STATUS) => {
    const r = await acquireCredential(use, auth);
    assert.equal(statusName(r.status), statusName(status), what);
    const info = SspiGetLastErrorInfo();
    assert.equal(info?.status, status, what);
    assert.equal(info?.operation, "AcquireCredentialsHandle", what);
    assert.ok(info?.reason && info.reason.length > 5, `${what}: ${info?.reason}`);
    if (r.status === SEC_E_OK) await sspi.FreeCredentialsHandle(r.cred);
  };
  const v5 = SCH_CREDENTIALS_VERSION;
  await expectAcquire(
    "unreadable PEM",
    SECPKG_CRED_INBOUND,
    {
      dwVersion: v5,
      paCred: [
        {
          certificate: "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n",
          privateKey: cert.privateKey,
        },
      ],
    },
    SEC_E_UNKNOWN_CREDENTIALS,
  );
  await expectAcquire(
    "key not matching the certificate",
    SECPKG_CRED_INBOUND,
    { dwVersion: v5, paCred: [{ certificate: cert.certificate, privateKey: f.alt.privateKey }] },
    SEC_E_UNKNOWN_CREDENTIALS,
  );
  await expectAcquire(
    "server without certificate",
    SECPKG_CRED_INBOUND,
    { dwVersion: v5 },
    SEC_E_NO_CREDENTIALS,
  );
  await expectAcquire(
    "SCH_USE_DTLS_ONLY",
    SECPKG_CRED_OUTBOUND,
    { dwVersion: v5, dwFlags: SCH_USE_DTLS_ONLY },
    SEC_E_UNSUPPORTED_FUNCTION,
  );
  await expectAcquire(
    "SCH_USE_PRESHAREDKEY_ONLY",
    SECPKG_CRED_OUTBOUND,
    { dwVersion: v5, dwFlags: SCH_USE_PRESHAREDKEY_ONLY },
    SEC_E_UNSUPPORTED_FUNCTION,
  );
  await expectAcquire(
    "SCH_CRED_FORMAT_CERT_HASH",
    SECPKG_CRED_INBOUND,
    {
      dwVersion: v5,
      dwCredFormat: SCH_CRED_FORMAT_CERT_HASH,
      paCred: [{ certificate: cert.certificate, privateKey: cert.privateKey }],
    },
    SEC_E_UNSUPPORTED_FUNCTION,
  );
  await expectAcquire("SECPKG_CRED_BOTH", SECPKG_CRED_BOTH, { dwVersion: v5 }, SEC_E_UNSUPPORTED_FUNCTION);
  await expectAcquire("dwVersion 3", SECPKG_CRED_OUTBOUND, { dwVersion: 3 }, SEC_E_INVALID_PARAMETER);
  await expectAcquire(
    "every version disabled",
    SECPKG_CRED_OUTBOUND,
    { dwVersion: v5, pTlsParameters: [{ grbitDisabledProtocols: SP_PROT_TLS1_2 | SP_PROT_TLS1_3 }] },
    SEC_E_ALGORITHM_MISMATCH,
  );

  // PFX made by the openssl binary: the right passphrase works end to end, a wrong one is refused.
  if (!requireBinary(t)) return;
  const certPath = files.write("pfx-cert.pem", cert.certificate);
  const keyPath = files.write("pfx-key.pem", cert.privateKey);
  const pfxPath = `${files.dir}/server.pfx`;
  execFileSync(
    "openssl",
    [
      "pkcs12",
      "-export",
      "-in",
      certPath,
      "-inkey",
      keyPath,
      "-passout",
      "pass:correct horse",
      "-out",
      pfxPath,
    ],
    { timeout: 10_000, stdio: "ignore" },
  );
  const pfx = new Uint8Array(readFileSync(pfxPath));
  await expectAcquire(
    "PFX with a wrong passphrase",
    SECPKG_CRED_INBOUND,
    { dwVersion: v5, paCred: [{ pfx, passphrase: "wrong" }] },
    SEC_E_UNKNOWN_CREDENTIALS,
  );
  const listener = await listen();
  try {
    await serverAgainstNode(
      listener,
      { dwVersion: v5, paCred: [{ pfx, passphrase: "correct horse" }] },
      {},
      ASC_FLAGS,
      async (hs, log) => {
        assert.equal(statusName(hs.status), "SEC_E_OK", "PFX server");
        await log.until(() => log.secure, "Node's secureConnect");
        assert.deepEqual(log.errors, []);
      },
    );
  } finally {
    await listener.close();
  }
});

test("context-level unsupported request: ISC_REQ_DELEGATE → SEC_E_UNSUPPORTED_FUNCTION with a reason", async () => {
  const cred = await acquireOk(SECPKG_CRED_OUTBOUND, clientAuth("TLSv1.3"));
  const handle = new CtxtHandle();
  try {
    const out = secBufferDesc(secBuffer(SECBUFFER_TOKEN));
    const status = await sspi.InitializeSecurityContext(
      cred,
      null,
      "localhost",
      ISC_FLAGS | 0x1 /* ISC_REQ_DELEGATE */,
      0,
      0,
      null,
      0,
      handle,
      out,
      box(0),
      null,
    );
    assert.equal(statusName(status), "SEC_E_UNSUPPORTED_FUNCTION");
    assert.equal(out.pBuffers[0]!.cbBuffer, 0, "no ClientHello");
    const info = SspiGetLastErrorInfo();
    assert.equal(info?.status, SEC_E_UNSUPPORTED_FUNCTION);
    assert.match(info?.reason ?? "", /DELEGATE/);
  } finally {
    await sspi.DeleteSecurityContext(handle);
    await sspi.FreeCredentialsHandle(cred);
  }
});
