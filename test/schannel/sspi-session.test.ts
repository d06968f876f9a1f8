/**
 * Session control through the SSPI-shaped Schannel package, over loopback TCP against Node's
 * `tls` and the `openssl` binary: resumption in both roles and both versions
 * (SECPKG_ATTR_SESSION_INFO's SSL_SESSION_RECONNECT, checked against the peer's own view),
 * shared `sessionTicketKeys`, SCH_CRED_DISABLE_RECONNECTS, TLS 1.3 KeyUpdate in both directions,
 * and fatal alerts sent with ApplyControlToken.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { after, before, test } from "node:test";
import type { TLSSocket } from "node:tls";
import {
  ApplyControlToken,
  alertToken,
  box,
  type CredHandle,
  type CtxtHandle,
  keyUpdateToken,
  QueryContextAttributes,
  SCH_CRED_DISABLE_RECONNECTS,
  type SCH_CREDENTIALS,
  SCH_CREDENTIALS_VERSION,
  SEC_E_OK,
  SEC_I_RENEGOTIATE,
  SECPKG_ATTR_SESSION_INFO,
  SECPKG_CRED_INBOUND,
  SECPKG_CRED_OUTBOUND,
  SP_PROT_TLS1_2,
  SP_PROT_TLS1_3,
  SSL_SESSION_RECONNECT,
  secBufferDesc,
  promises as sspi,
  statusName,
  TLS1_ALERT_FATAL,
} from "../../src/index.js";
import { closeTlsServer, nodeTlsClient, nodeTlsServer, type PeerLog } from "../support/node-tls-peers.js";
import { freePort, spawnOpenssl, TempFiles, waitForOutput, withTimeout } from "../support/peers.js";
import {
  acquireOk,
  connectReader,
  contextCall,
  decryptOnce,
  encrypt,
  handshake,
  type Listener,
  leakCheck,
  listen,
  receive,
  requireBinary,
  type SocketReader,
  sendCloseNotify,
} from "../support/sspi-driver.js";
import { type Fixtures, fixtures } from "../support/tls-fixtures.js";

type Version = "TLSv1.2" | "TLSv1.3";
const VERSIONS: Version[] = ["TLSv1.3", "TLSv1.2"];
const otherVersion = (v: Version) => (v === "TLSv1.3" ? SP_PROT_TLS1_2 : SP_PROT_TLS1_3);

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

function clientAuth(version: Version, extra: Partial<SCH_CREDENTIALS> = {}): SCH_CREDENTIALS {
  return {
    dwVersion: SCH_CREDENTIALS_VERSION,
    hRootStore: [f.ca.certificate],
    pTlsParameters: [{ grbitDisabledProtocols: otherVersion(version) }],
    ...extra,
  };
}

function serverAuth(version: Version, extra: Partial<SCH_CREDENTIALS> = {}): SCH_CREDENTIALS {
  const cert = f.servers["ecdsa-p256"];
  return {
    dwVersion: SCH_CREDENTIALS_VERSION,
    paCred: [{ certificate: cert.certificate, privateKey: cert.privateKey }],
    pTlsParameters: [{ grbitDisabledProtocols: otherVersion(version) }],
    ...extra,
  };
}

function sessionFlags(handle: CtxtHandle): number {
  const info = box<{ dwFlags: number; cbSessionId: number }>({ dwFlags: -1, cbSessionId: -1 });
  assert.equal(QueryContextAttributes(handle, SECPKG_ATTR_SESSION_INFO, info), SEC_E_OK);
  return info.value.dwFlags;
}

/** Our client: connect, handshake, one echo (which also takes the TLS 1.3 tickets), close, delete. */
async function clientConnection(
  cred: CredHandle,
  port: number,
  check: (handle: CtxtHandle) => void,
): Promise<void> {
  const reader = await connectReader(port);
  let handle: CtxtHandle | null = null;
  try {
    await withTimeout(
      (async () => {
        const hs = await handshake("initiator", reader, cred, { target: "localhost" });
        handle = hs.handle;
        assert.equal(statusName(hs.status), "SEC_E_OK");
        check(hs.handle);
        reader.socket.write(encrypt(hs.handle, Buffer.from("echo me")));
        const got = await receive(hs.handle, reader, 7, hs.leftover);
        assert.equal(got.plaintext.toString(), "echo me");
        await sendCloseNotify("initiator", cred, hs.handle, reader.socket);
      })(),
      15_000,
      "client connection",
    );
  } finally {
    reader.socket.destroy();
    // Deleting waits until the tickets reached the engine: the next handshake can use them.
    if (handle) assert.equal(await sspi.DeleteSecurityContext(handle), SEC_E_OK);
  }
}

/** Node's server, recording whether each connection was resumed. */
async function nodeServerRecordingReuse(version: Version) {
  const cert = f.servers["ecdsa-p256"];
  const peer = await nodeTlsServer({
    cert: cert.certificate,
    key: cert.privateKey,
    minVersion: version,
    maxVersion: version,
  });
  const reused: boolean[] = [];
  peer.server.on("secureConnection", (s: TLSSocket) => reused.push(s.isSessionReused()));
  return { ...peer, reused };
}

test("resumption, our client ↔ Node server, TLS 1.3 and 1.2: SSL_SESSION_RECONNECT on the second handshake", async () => {
  for (const version of VERSIONS) {
    const { server, port, log, reused } = await nodeServerRecordingReuse(version);
    const cred = await acquireOk(SECPKG_CRED_OUTBOUND, clientAuth(version));
    try {
      await clientConnection(cred, port, (h) => assert.equal(sessionFlags(h), 0, `${version} first`));
      await clientConnection(cred, port, (h) =>
        assert.equal(sessionFlags(h), SSL_SESSION_RECONNECT, `${version} second`),
      );
      assert.deepEqual(reused, [false, true], `${version}: Node's isSessionReused()`);
    } finally {
      await sspi.FreeCredentialsHandle(cred);
      await closeTlsServer(server, log);
    }
  }
});

test("SCH_CRED_DISABLE_RECONNECTS on our client: every handshake is full", async () => {
  for (const version of VERSIONS) {
    const { server, port, log, reused } = await nodeServerRecordingReuse(version);
    const cred = await acquireOk(
      SECPKG_CRED_OUTBOUND,
      clientAuth(version, { dwFlags: SCH_CRED_DISABLE_RECONNECTS }),
    );
    try {
      for (let i = 0; i < 2; i++) {
        await clientConnection(cred, port, (h) => assert.equal(sessionFlags(h), 0, `${version} #${i}`));
      }
      assert.deepEqual(reused, [false, false], version);
    } finally {
      await sspi.FreeCredentialsHandle(cred);
      await closeTlsServer(server, log);
    }
  }
});

/**
 * Our server (credential `cred`) accepts one Node client offering `session`; returns the session
 * Node got, whether Node resumed, and our SESSION_INFO flags.
 */
async function serverConnection(
  listener: Listener,
  cred: CredHandle,
  version: Version,
  session?: Buffer,
  waitForSession = false,
): Promise<{ session: Buffer | undefined; nodeReused: boolean; flags: number }> {
  const { socket, log } = nodeTlsClient(listener.port, {
    servername: "localhost",
    ca: f.ca.certificate,
    minVersion: version,
    maxVersion: version,
    ...(session && { session }),
  });
  let got: Buffer | undefined;
  socket.on("session", (s: Buffer) => {
    got = s;
    log.note();
  });
  let reader: SocketReader | null = null;
  let handle: CtxtHandle | null = null;
  try {
    return await withTimeout(
      (async () => {
        reader = await listener.next();
        const hs = await handshake("acceptor", reader, cred);
        handle = hs.handle;
        assert.equal(statusName(hs.status), "SEC_E_OK", version);
        const flags = sessionFlags(hs.handle);
        await log.until(() => log.secure, "secureConnect");
        socket.write("hello");
        const data = await receive(hs.handle, reader, 5, hs.leftover);
        assert.equal(data.plaintext.toString(), "hello");
        reader.socket.write(encrypt(hs.handle, Buffer.from("bye")));
        await log.until(() => Buffer.concat(log.received).toString() === "bye", "data at Node");
        if (waitForSession) await log.until(() => got !== undefined, "Node's 'session' event");
        return { session: got, nodeReused: socket.isSessionReused(), flags };
      })(),
      15_000,
      "server connection",
    );
  } finally {
    socket.destroy();
    (reader as SocketReader | null)?.socket.destroy();
    if (handle) assert.equal(await sspi.DeleteSecurityContext(handle), SEC_E_OK);
  }
}

test("resumption, our server ↔ Node client, TLS 1.3 and 1.2; shared sessionTicketKeys; SCH_CRED_DISABLE_RECONNECTS", async () => {
  const listener = await listen();
  try {
    for (const version of VERSIONS) {
      const keys = new Uint8Array(randomBytes(48));
      const a = await acquireOk(SECPKG_CRED_INBOUND, serverAuth(version, { sessionTicketKeys: keys }));
      const b = await acquireOk(
        SECPKG_CRED_INBOUND,
        serverAuth(version, { sessionTicketKeys: keys.slice() }),
      );
      const other = await acquireOk(
        SECPKG_CRED_INBOUND,
        serverAuth(version, { sessionTicketKeys: new Uint8Array(randomBytes(48)) }),
      );
      const noReconnect = await acquireOk(
        SECPKG_CRED_INBOUND,
        serverAuth(version, { dwFlags: SCH_CRED_DISABLE_RECONNECTS, sessionTicketKeys: keys.slice() }),
      );
      try {
        const first = await serverConnection(listener, a, version, undefined, true);
        assert.deepEqual([first.flags, first.nodeReused], [0, false], `${version} first`);
        assert.ok(first.session);
        const again = await serverConnection(listener, a, version, first.session);
        assert.deepEqual(
          [again.flags, again.nodeReused],
          [SSL_SESSION_RECONNECT, true],
          `${version} same credential`,
        );
        const shared = await serverConnection(listener, b, version, first.session);
        assert.deepEqual(
          [shared.flags, shared.nodeReused],
          [SSL_SESSION_RECONNECT, true],
          `${version} shared keys`,
        );
        const foreign = await serverConnection(listener, other, version, first.session);
        assert.deepEqual([foreign.flags, foreign.nodeReused], [0, false], `${version} other keys`);
        const refused = await serverConnection(listener, noReconnect, version, first.session);
        assert.deepEqual([refused.flags, refused.nodeReused], [0, false], `${version} DISABLE_RECONNECTS`);
      } finally {
        for (const c of [a, b, other, noReconnect]) await sspi.FreeCredentialsHandle(c);
      }
    }
  } finally {
    await listener.close();
  }
});

test("resumption, our server ↔ openssl s_client -sess_out / -sess_in, TLS 1.3 and 1.2", async (t) => {
  if (!requireBinary(t)) return;
  const caPath = files.write("ca.pem", f.ca.certificate);
  const listener = await listen();
  try {
    for (const version of VERSIONS) {
      const cred = await acquireOk(SECPKG_CRED_INBOUND, serverAuth(version));
      const sessionPath = `${files.dir}/session-${version}.pem`;
      try {
        for (const round of ["first", "second"] as const) {
          const client = spawnOpenssl([
            "s_client",
            "-connect",
            `127.0.0.1:${listener.port}`,
            "-servername",
            "localhost",
            "-CAfile",
            caPath,
            "-verify_return_error",
            version === "TLSv1.3" ? "-tls1_3" : "-tls1_2",
            ...(round === "first" ? ["-sess_out", sessionPath] : ["-sess_in", sessionPath]),
          ]);
          let reader: SocketReader | null = null;
          let handle: CtxtHandle | null = null;
          try {
            await withTimeout(
              (async () => {
                reader = await listener.next();
                const hs = await handshake("acceptor", reader, cred);
                handle = hs.handle;
                assert.equal(statusName(hs.status), "SEC_E_OK");
                assert.equal(
                  sessionFlags(hs.handle),
                  round === "first" ? 0 : SSL_SESSION_RECONNECT,
                  `${version} ${round}`,
                );
                client.child.stdin?.write("from s_client\n");
                const got = await receive(hs.handle, reader, 14, hs.leftover);
                assert.equal(got.plaintext.toString(), "from s_client\n");
                await sendCloseNotify("acceptor", cred, hs.handle, reader.socket);
                assert.equal(await client.exited, 0, client.output());
                assert.match(
                  client.output(),
                  round === "first" ? /\bNew, TLSv1\.[23]/ : /\bReused, TLSv1\.[23]/,
                  `${version} ${round}`,
                );
                if (round === "first") assert.ok(existsSync(sessionPath), "s_client wrote the session");
              })(),
              15_000,
              `${version} ${round}`,
            );
          } finally {
            client.kill();
            await client.exited;
            (reader as SocketReader | null)?.socket.destroy();
            if (handle) await sspi.DeleteSecurityContext(handle);
          }
        }
      } finally {
        await sspi.FreeCredentialsHandle(cred);
      }
    }
  } finally {
    await listener.close();
  }
});

test("KeyUpdate initiated by us (ApplyControlToken(keyUpdateToken(true))), both roles: Node keeps exchanging data", async () => {
  // Our client against Node's echo server.
  const cert = f.servers["ecdsa-p256"];
  const peer = await nodeTlsServer({ cert: cert.certificate, key: cert.privateKey, minVersion: "TLSv1.3" });
  const ccred = await acquireOk(SECPKG_CRED_OUTBOUND, clientAuth("TLSv1.3"));
  const reader = await connectReader(peer.port);
  let chandle: CtxtHandle | null = null;
  try {
    await withTimeout(
      (async () => {
        const hs = await handshake("initiator", reader, ccred, { target: "localhost" });
        chandle = hs.handle;
        assert.equal(hs.status, SEC_E_OK);
        let rest = hs.leftover;
        for (let i = 0; i < 3; i++) {
          assert.equal(ApplyControlToken(hs.handle, secBufferDesc(keyUpdateToken(true))), SEC_E_OK);
          const update = await contextCall("initiator", ccred, hs.handle);
          assert.equal(update.status, SEC_E_OK);
          assert.equal(update.token[0], 23, "a TLS 1.3 record (KeyUpdate is encrypted)");
          reader.socket.write(update.token);
          const message = Buffer.from(`after key update ${i}`);
          reader.socket.write(encrypt(hs.handle, message));
          const echo = await receive(hs.handle, reader, message.byteLength, rest);
          rest = echo.rest;
          assert.deepEqual(echo.plaintext, message, `echo ${i} under the new keys`);
          assert.deepEqual(echo.statuses, [], "Node's own KeyUpdate needs no answer");
        }
        assert.deepEqual(peer.log.errors, []);
      })(),
      15_000,
      "client KeyUpdate",
    );
  } finally {
    reader.socket.destroy();
    if (chandle) await sspi.DeleteSecurityContext(chandle);
    await sspi.FreeCredentialsHandle(ccred);
    await closeTlsServer(peer.server, peer.log);
  }

  // Our server against Node's client.
  const listener = await listen();
  const scred = await acquireOk(SECPKG_CRED_INBOUND, serverAuth("TLSv1.3"));
  const { socket, log } = nodeTlsClient(listener.port, { servername: "localhost", ca: f.ca.certificate });
  let sreader: SocketReader | null = null;
  let shandle: CtxtHandle | null = null;
  try {
    await withTimeout(
      (async () => {
        sreader = await listener.next();
        const hs = await handshake("acceptor", sreader, scred);
        shandle = hs.handle;
        assert.equal(hs.status, SEC_E_OK);
        await log.until(() => log.secure, "secureConnect");
        let rest = hs.leftover;
        for (let i = 0; i < 3; i++) {
          assert.equal(ApplyControlToken(hs.handle, secBufferDesc(keyUpdateToken(true))), SEC_E_OK);
          const update = await contextCall("acceptor", scred, hs.handle);
          assert.equal(update.status, SEC_E_OK);
          sreader.socket.write(update.token);
          const message = `server data ${i}`;
          sreader.socket.write(encrypt(hs.handle, Buffer.from(message)));
          await log.until(() => Buffer.concat(log.received).toString().endsWith(message), "data at Node");
          socket.write(`client data ${i}`);
          const got = await receive(hs.handle, sreader, `client data ${i}`.length, rest);
          rest = got.rest;
          assert.equal(got.plaintext.toString(), `client data ${i}`);
        }
        assert.deepEqual(log.errors, []);
      })(),
      15_000,
      "server KeyUpdate",
    );
  } finally {
    socket.destroy();
    (sreader as SocketReader | null)?.socket.destroy();
    if (shandle) await sspi.DeleteSecurityContext(shandle);
    await sspi.FreeCredentialsHandle(scred);
    await listener.close();
  }
});

test("KeyUpdate initiated by openssl (`K`): DecryptMessage → SEC_I_RENEGOTIATE, ISC/ASC returns the answer, data flows on", async (t) => {
  if (!requireBinary(t)) return;
  const caPath = files.write("ca-ku.pem", f.ca.certificate);

  /** Decrypts until `text` arrived, returning the statuses seen and answering SEC_I_RENEGOTIATE. */
  const expectText = async (
    role: "initiator" | "acceptor",
    cred: CredHandle,
    handle: CtxtHandle,
    reader: SocketReader,
    pending: Uint8Array,
    text: string | null,
  ) => {
    const statuses: string[] = [];
    let rest = pending;
    let plain = "";
    while (text === null ? !statuses.includes("SEC_I_RENEGOTIATE") : !plain.includes(text)) {
      if (rest.byteLength < 5 || rest.byteLength < 5 + ((rest[3]! << 8) | rest[4]!)) {
        assert.ok(await reader.more(), "peer closed");
        rest = Buffer.concat([rest, reader.take()]);
        continue;
      }
      const r = decryptOnce(handle, rest);
      rest = r.rest;
      plain += Buffer.from(r.plaintext).toString();
      if (r.status !== SEC_E_OK) statuses.push(statusName(r.status) ?? String(r.status));
      if (r.status === SEC_I_RENEGOTIATE) {
        const answer = await contextCall(role, cred, handle);
        assert.equal(answer.status, SEC_E_OK);
        assert.ok(answer.token.byteLength > 0, "the KeyUpdate answer");
        reader.socket.write(answer.token);
      } else assert.equal(r.status, SEC_E_OK);
    }
    return { statuses, rest };
  };

  // s_client → our server.
  const listener = await listen();
  const scred = await acquireOk(SECPKG_CRED_INBOUND, serverAuth("TLSv1.3"));
  const client = spawnOpenssl([
    "s_client",
    "-connect",
    `127.0.0.1:${listener.port}`,
    "-servername",
    "localhost",
    "-CAfile",
    caPath,
    "-tls1_3",
  ]);
  let reader: SocketReader | null = null;
  let handle: CtxtHandle | null = null;
  try {
    await withTimeout(
      (async () => {
        reader = await listener.next();
        const hs = await handshake("acceptor", reader, scred);
        handle = hs.handle;
        assert.equal(hs.status, SEC_E_OK);
        await waitForOutput(client, /Verify return code: 0/);
        client.child.stdin?.write("K\n");
        await waitForOutput(client, /KEYUPDATE/);
        client.child.stdin?.write("after-update\n");
        const r = await expectText("acceptor", scred, hs.handle, reader, hs.leftover, "after-update\n");
        assert.deepEqual(r.statuses, ["SEC_I_RENEGOTIATE"]);
        // s_client reads this only if our answer switched our sending keys correctly.
        reader.socket.write(encrypt(hs.handle, Buffer.from("server-after-update\n")));
        await waitForOutput(client, /server-after-update/);
        assert.doesNotMatch(client.output(), /alert|error:/i, client.output());
      })(),
      15_000,
      "s_client K",
    );
  } finally {
    client.kill();
    await client.exited;
    (reader as SocketReader | null)?.socket.destroy();
    if (handle) await sspi.DeleteSecurityContext(handle);
    await sspi.FreeCredentialsHandle(scred);
    await listener.close();
  }

  // s_server → our client.
  const cert = f.servers["ecdsa-p256"];
  const port = await freePort();
  const server = spawnOpenssl([
    "s_server",
    "-accept",
    `127.0.0.1:${port}`,
    "-cert",
    files.write("ku.pem", cert.certificate),
    "-key",
    files.write("ku.key", cert.privateKey),
    "-naccept",
    "1",
    "-tls1_3",
  ]);
  const ccred = await acquireOk(SECPKG_CRED_OUTBOUND, clientAuth("TLSv1.3"));
  let creader: SocketReader | null = null;
  let chandle: CtxtHandle | null = null;
  try {
    await withTimeout(
      (async () => {
        await waitForOutput(server, /ACCEPT/);
        creader = await connectReader(port);
        const hs = await handshake("initiator", creader, ccred, { target: "localhost" });
        chandle = hs.handle;
        assert.equal(hs.status, SEC_E_OK);
        creader.socket.write(encrypt(hs.handle, Buffer.from("client-hello-data\n")));
        await waitForOutput(server, /client-hello-data/);
        // s_server's stdout is block-buffered: the KeyUpdate's arrival is the signal.
        server.child.stdin?.write("K\n");
        const update = await expectText("initiator", ccred, hs.handle, creader, hs.leftover, null);
        assert.deepEqual(update.statuses, ["SEC_I_RENEGOTIATE"]);
        server.child.stdin?.write("server-after-update\n");
        const r = await expectText(
          "initiator",
          ccred,
          hs.handle,
          creader,
          update.rest,
          "server-after-update\n",
        );
        assert.deepEqual(r.statuses, []);
        creader.socket.write(encrypt(hs.handle, Buffer.from("client-after-update\n")));
        await waitForOutput(server, /client-after-update/);
        assert.doesNotMatch(server.output(), /alert|error:/i, server.output());
      })(),
      15_000,
      "s_server K",
    );
  } finally {
    server.kill();
    await server.exited;
    (creader as SocketReader | null)?.socket.destroy();
    if (chandle) await sspi.DeleteSecurityContext(chandle);
    await sspi.FreeCredentialsHandle(ccred);
  }
});

test("ApplyControlToken(alertToken(TLS1_ALERT_FATAL, n)): Node reports that alert, both roles and versions", async () => {
  const cases = [
    { n: 49, code: "ERR_SSL_TLSV1_ALERT_ACCESS_DENIED" },
    { n: 80, code: "ERR_SSL_TLSV1_ALERT_INTERNAL_ERROR" },
  ];
  for (const version of VERSIONS) {
    for (const { n, code } of cases) {
      // Our client → Node server.
      const cert = f.servers["ecdsa-p256"];
      const peer = await nodeTlsServer({
        cert: cert.certificate,
        key: cert.privateKey,
        minVersion: version,
        maxVersion: version,
      });
      const cred = await acquireOk(SECPKG_CRED_OUTBOUND, clientAuth(version));
      const reader = await connectReader(peer.port);
      let handle: CtxtHandle | null = null;
      try {
        await withTimeout(
          (async () => {
            const hs = await handshake("initiator", reader, cred, { target: "localhost" });
            handle = hs.handle;
            assert.equal(hs.status, SEC_E_OK);
            await sendAlert("initiator", cred, hs.handle, reader, n);
            await peer.log.until(() => peer.log.errors.length > 0, "Node's error");
            assert.deepEqual(peer.log.errors, [code], `${version} client alert ${n}`);
          })(),
          10_000,
          `${version} client alert`,
        );
      } finally {
        reader.socket.destroy();
        if (handle) await sspi.DeleteSecurityContext(handle);
        await sspi.FreeCredentialsHandle(cred);
        await closeTlsServer(peer.server, peer.log);
      }
      // Our server → Node client.
      const listener = await listen();
      const scred = await acquireOk(SECPKG_CRED_INBOUND, serverAuth(version));
      const client = nodeTlsClient(listener.port, {
        servername: "localhost",
        ca: f.ca.certificate,
        minVersion: version,
        maxVersion: version,
      });
      let sreader: SocketReader | null = null;
      let shandle: CtxtHandle | null = null;
      try {
        await withTimeout(
          (async () => {
            sreader = await listener.next();
            const hs = await handshake("acceptor", sreader, scred);
            shandle = hs.handle;
            assert.equal(hs.status, SEC_E_OK);
            await client.log.until(() => client.log.secure, "secureConnect");
            await sendAlert("acceptor", scred, hs.handle, sreader, n);
            await waitForError(client.log);
            assert.deepEqual(client.log.errors, [code], `${version} server alert ${n}`);
          })(),
          10_000,
          `${version} server alert`,
        );
      } finally {
        client.socket.destroy();
        (sreader as SocketReader | null)?.socket.destroy();
        if (shandle) await sspi.DeleteSecurityContext(shandle);
        await sspi.FreeCredentialsHandle(scred);
        await listener.close();
      }
    }
  }
});

async function sendAlert(
  role: "initiator" | "acceptor",
  cred: CredHandle,
  handle: CtxtHandle,
  reader: SocketReader,
  n: number,
): Promise<void> {
  assert.equal(ApplyControlToken(handle, secBufferDesc(alertToken(TLS1_ALERT_FATAL, n))), SEC_E_OK);
  const r = await contextCall(role, cred, handle);
  assert.equal(r.status, SEC_E_OK);
  assert.ok(r.token.byteLength > 0, "an alert record");
  reader.socket.write(r.token);
  // After a fatal alert the context is closed: nothing more to send.
  const again = await contextCall(role, cred, handle);
  assert.equal(statusName(again.status), "SEC_I_CONTEXT_EXPIRED");
}

async function waitForError(log: PeerLog): Promise<void> {
  await log.until(() => log.errors.length > 0, "the peer's error");
}
