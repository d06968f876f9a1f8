/**
 * Failures of the idiomatic API, against Node's `tls` where a peer is involved: an untrusted
 * root (SspiError `SEC_E_UNTRUSTED_ROOT`, and the Node server sees the unknown_ca alert rather
 * than waiting), a version mismatch on our server, a tampered record (bad_record_mac reaches
 * Node), an AbortSignal aborting a pending step and a pending handshake, use after close, and
 * bad credential options.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { before, test } from "node:test";
import tls from "node:tls";
import { AbortError } from "../../src/api/abort.js";
import { concatBytes } from "../../src/api/bytes.js";
import { acceptTls, connectTls } from "../../src/api/connect.js";
import { acquireTlsCredentials } from "../../src/api/credentials.js";
import { TlsContext } from "../../src/api/tls-context.js";
import { TlsError } from "../../src/api/tls-error.js";
import { handleStatistics } from "../../src/sspi/handle-table.js";
import { SecIsValidHandle } from "../../src/sspi/handles.js";
import { SspiError } from "../../src/sspi/sspi-error.js";
import { type Pki, pki, SocketChannel, tcpPair } from "./fixtures.js";

const VERSIONS = ["TLSv1.3", "TLSv1.2"] as const;
let p: Pki;

before(async () => {
  p = await pki();
});

/**
 * A Node TLS server fed one socket. `clientError` resolves with the TLS error Node reports for
 * it: `tlsClientError` during the handshake, or the socket's `'error'` when the alert arrives
 * after Node's side of the handshake completed (TLS 1.2: our client sends its Finished before
 * it rejects the server's certificate).
 */
function nodeServerOn(socket: import("node:net").Socket, options: tls.TlsOptions) {
  const server = tls.createServer(options);
  const clientError = new Promise<[Error & { code?: string }]>((resolve) => {
    server.once("tlsClientError", (error: Error) => resolve([error]));
    server.once("secureConnection", (s: tls.TLSSocket) =>
      s.once("error", (error: Error) => resolve([error])),
    );
  });
  server.emit("connection", socket);
  return { server, clientError };
}

test("untrusted root: TlsContext.handshake and connectTls reject with SEC_E_UNTRUSTED_ROOT; Node's server gets the unknown_ca alert", {
  timeout: 60_000,
}, async () => {
  for (const version of VERSIONS) {
    for (const api of ["context", "stream"] as const) {
      const pair = await tcpPair();
      const node = nodeServerOn(pair.server, {
        cert: p.rogueServer.certificate,
        key: p.rogueServer.privateKey,
        minVersion: version,
        maxVersion: version,
      });
      const credentials = await acquireTlsCredentials({ role: "client", trustedRoots: [p.ca.certificate] });
      try {
        let failure: Promise<unknown>;
        if (api === "context") {
          const context = new TlsContext(credentials, { serverName: "server.test" });
          failure = context.handshake(new SocketChannel(pair.client));
          await assert.rejects(failure);
          assert.equal(context.state, "closed", "a failed context is closed");
        } else {
          failure = connectTls(pair.client, { credentials, serverName: "server.test" });
        }
        const error = await failure.then(
          () => assert.fail("the handshake should fail"),
          (e: unknown) => e,
        );
        assert.ok(error instanceof SspiError, `${version}/${api}: an SspiError`);
        assert.ok(error instanceof TlsError);
        assert.equal(error.statusName, "SEC_E_UNTRUSTED_ROOT");
        assert.equal(error.alertSent?.name, "unknown_ca");
        assert.match(error.message, /SEC_E_UNTRUSTED_ROOT \(0x80090325\)/);
        assert.ok(error.output.byteLength > 0, "the alert record was handed out");
        const [nodeError] = await node.clientError;
        assert.match(String(nodeError.code), /ALERT_UNKNOWN_CA/, `${version}/${api}: Node saw the alert`);
      } finally {
        await credentials.close();
        await pair.close();
        node.server.close();
      }
    }
  }
});

test("acceptTls with TLS 1.3 only ↔ a TLS 1.2 Node client: SspiError on our side, protocol_version alert on Node's", {
  timeout: 60_000,
}, async () => {
  const pair = await tcpPair();
  const client = tls.connect({
    socket: pair.client,
    servername: "server.test",
    ca: p.ca.certificate,
    maxVersion: "TLSv1.2",
  });
  const clientError = once(client, "error") as Promise<[Error & { code?: string }]>;
  try {
    const error = await acceptTls(pair.server, {
      certificates: [{ certificate: p.server.certificate, privateKey: p.server.privateKey }],
      versions: ["TLSv1.3"],
    }).then(
      () => assert.fail("the handshake should fail"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof SspiError);
    assert.equal(error.operation, "AcceptSecurityContext");
    assert.ok(error.alertSent !== null, `an alert was sent (${error.message})`);
    const [nodeError] = await clientError;
    assert.match(String(nodeError.code), /ALERT/, "Node's client got our alert");
  } finally {
    client.destroy();
    await pair.close();
  }
});

test("a tampered record: decrypt throws SEC_E_MESSAGE_ALTERED with the bad_record_mac alert, which reaches Node", {
  timeout: 60_000,
}, async () => {
  const pair = await tcpPair();
  const node = nodeServerOn(pair.server, { cert: p.server.certificate, key: p.server.privateKey });
  const accepted = once(node.server, "secureConnection") as Promise<[tls.TLSSocket]>;
  const credentials = await acquireTlsCredentials({ role: "client", trustedRoots: [p.ca.certificate] });
  const context = new TlsContext(credentials, { serverName: "server.test" });
  const channel = new SocketChannel(pair.client);
  try {
    let pending = await context.handshake(channel);
    const [peer] = await accepted;
    const peerError = once(peer, "error") as Promise<[Error & { code?: string }]>;
    // Collect Node's tickets and the data record, then flip the last byte (the tag) of the data.
    peer.write("secret");
    let plaintext = "";
    for (;;) {
      const r = await context.decrypt(pending);
      plaintext += Buffer.from(r.plaintext).toString();
      pending = r.rest;
      if (plaintext === "secret") break;
      pending = concatBytes(pending, (await channel.receive()) ?? new Uint8Array(0));
    }
    peer.write("more");
    let record = Buffer.from((await channel.receive())!);
    while (record.byteLength < 5 || record.byteLength < 5 + record.readUInt16BE(3)) {
      record = Buffer.concat([record, (await channel.receive())!]);
    }
    const tampered = Buffer.from(record);
    tampered[tampered.byteLength - 1]! ^= 1;
    const error = await context.decrypt(tampered).then(
      () => assert.fail("decrypt should fail"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof TlsError);
    assert.equal(error.statusName, "SEC_E_MESSAGE_ALTERED");
    assert.equal(error.alertSent?.name, "bad_record_mac");
    assert.ok(error.output.byteLength > 0);
    channel.send(error.output);
    const [nodeError] = await peerError;
    assert.match(String(nodeError.code), /BAD_RECORD_MAC/);
    assert.equal(context.state, "closed");
  } finally {
    await context.close();
    await credentials.close();
    await pair.close();
    node.server.close();
  }
});

test("AbortSignal: aborting a pending step rejects with AbortError and deletes the context", {
  timeout: 60_000,
}, async () => {
  const client = await acquireTlsCredentials({ role: "client", trustedRoots: [p.ca.certificate] });
  const server = await acquireTlsCredentials({
    role: "server",
    certificates: [{ certificate: p.server.certificate, privateKey: p.server.privateKey }],
  });
  const baseline = handleStatistics().liveContexts;
  const ours = new TlsContext(client, { serverName: "server.test" });
  const theirs = new TlsContext(server);
  try {
    const hello = (await ours.step()).output;
    const controller = new AbortController();
    let settled = false;
    const step = theirs.step(hello, { signal: controller.signal });
    void step.then(
      () => {
        settled = true;
      },
      () => {
        settled = true;
      },
    );
    await Promise.resolve(); // the AcceptSecurityContext call is queued now
    await Promise.resolve();
    assert.equal(settled, false, "the step is pending");
    controller.abort();
    const error = await step.then(
      () => assert.fail("the step should be aborted"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof AbortError);
    assert.equal(error.name, "AbortError");
    assert.equal(theirs.state, "closed");
    await theirs.close(); // waits for the call in flight, then deletes its context
    assert.equal(SecIsValidHandle(theirs.handle), false);
    await assert.rejects(theirs.step(hello), { name: "SspiError", statusName: "SEC_E_INVALID_HANDLE" });
    // An already-aborted signal fails at once, also deleting the context.
    await assert.rejects(ours.step(new Uint8Array(0), { signal: AbortSignal.abort() }), {
      name: "AbortError",
    });
    await ours.close();
    assert.equal(handleStatistics().liveContexts, baseline, "both contexts were deleted");
  } finally {
    await ours.close();
    await theirs.close();
    await client.close();
    await server.close();
  }
});

test("AbortSignal: connectTls waiting for a silent server rejects with AbortError and closes the socket", {
  timeout: 60_000,
}, async () => {
  const pair = await tcpPair();
  const controller = new AbortController();
  const helloArrived = once(pair.server, "data");
  const connecting = connectTls(pair.client, {
    serverName: "server.test",
    trustedRoots: [p.ca.certificate],
    signal: controller.signal,
  });
  try {
    await helloArrived; // the ClientHello was sent; no answer will come
    const closed = once(pair.client, "close");
    controller.abort();
    await assert.rejects(connecting, { name: "AbortError" });
    await closed;
  } finally {
    await pair.close();
  }
});

test("use after close: every TlsContext method throws SspiError SEC_E_INVALID_HANDLE; closed credentials are refused", {
  timeout: 60_000,
}, async () => {
  const pair = await tcpPair();
  const node = nodeServerOn(pair.server, { cert: p.server.certificate, key: p.server.privateKey });
  const credentials = await acquireTlsCredentials({ role: "client", trustedRoots: [p.ca.certificate] });
  const context = new TlsContext(credentials, { serverName: "server.test" });
  try {
    await context.handshake(new SocketChannel(pair.client));
    assert.equal(context.established, true);
    await context.close();
    await context.close(); // idempotent
    const invalid = { name: "SspiError", statusName: "SEC_E_INVALID_HANDLE" };
    await assert.rejects(context.step(new Uint8Array(0)), invalid);
    await assert.rejects(context.decrypt(new Uint8Array(10)), invalid);
    await assert.rejects(context.shutdown(), invalid);
    await assert.rejects(context.keyUpdate(), invalid);
    assert.throws(() => context.encrypt(new Uint8Array(1)), invalid);
    assert.throws(() => context.protocol, invalid);
    assert.throws(() => context.exportKeyingMaterial(16, "EXPORTER-x"), invalid);
    await credentials.close();
    assert.throws(() => new TlsContext(credentials), invalid);
  } finally {
    await context.close();
    await credentials.close();
    await pair.close();
    node.server.close();
  }
});

test("credential options: failures are SspiErrors with the status name and reason", {
  timeout: 60_000,
}, async () => {
  await assert.rejects(acquireTlsCredentials({ role: "server" }), {
    name: "SspiError",
    statusName: "SEC_E_NO_CREDENTIALS",
  });
  await assert.rejects(acquireTlsCredentials({ role: "client", versions: ["TLSv1.0" as never] }), {
    statusName: "SEC_E_INVALID_PARAMETER",
    message: /versions/,
  });
  await assert.rejects(acquireTlsCredentials({ role: "client", versions: [] }), {
    statusName: "SEC_E_ALGORITHM_MISMATCH",
  });
  await assert.rejects(acquireTlsCredentials({ role: "client", alpn: [""] }), {
    statusName: "SEC_E_INVALID_PARAMETER",
  });
  const bad = await acquireTlsCredentials({
    role: "server",
    certificates: [{ certificate: "not a certificate", privateKey: p.server.privateKey }],
  }).then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(bad instanceof SspiError, "a bad certificate is refused");
  assert.ok(bad.reason, "with a reason");
  await assert.rejects(
    acquireTlsCredentials({ role: "nobody" as never }),
    (e: unknown) => e instanceof SspiError && e.statusName === "SEC_E_INVALID_PARAMETER",
  );
});
