/**
 * Input semantics through the host, engine against engine in memory: partial records byte by
 * byte (SEC_E_INCOMPLETE_MESSAGE with the missing count, nothing consumed), EXTRA after the
 * completing record, garbage (HTTP request, random bytes, bad headers, TLS-shaped garbage) with
 * the alert in the output, steps after failure, close_notify.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { splitRecords } from "../../../src/schannel/records/record-header.js";
import { NativeEngineHost } from "../../../src/service/native-host.js";
import {
  TLS1_ALERT_CLOSE_NOTIFY,
  TLS1_ALERT_DECODE_ERROR,
  TLS1_ALERT_RECORD_OVERFLOW,
  TLS1_ALERT_UNEXPECTED_MESSAGE,
} from "../../../src/sspi/schannel-constants.js";
import {
  FAILED,
  formatStatus,
  SEC_E_ILLEGAL_MESSAGE,
  SEC_E_INCOMPLETE_MESSAGE,
  SEC_E_OK,
  SEC_E_UNSUPPORTED_FUNCTION,
  SEC_I_CONTINUE_NEEDED,
} from "../../../src/sspi/status.js";
import { protectionFrom } from "../../support/node-tls-peers.js";
import { clientConfig, type Fixtures, fixtures, serverConfig } from "../../support/tls-fixtures.js";

const host = new NativeEngineHost();
let f: Fixtures;
let clientCred: number;
let serverCred: number;
before(async () => {
  f = await fixtures();
  clientCred = (await host.acquireCredential(clientConfig([f.ca.certificate], "both"))).credentialId!;
  serverCred = (await host.acquireCredential(serverConfig([f.servers["ecdsa-p256"]], "both"))).credentialId!;
});
after(() => host.dispose());

async function newClient(): Promise<number> {
  const r = await host.createContext(clientCred, {
    role: "client",
    serverName: "localhost",
    manualValidation: false,
    noServerNameCheck: false,
  });
  return r.contextId!;
}

async function newServer(): Promise<number> {
  return (await host.createContext(serverCred, { role: "server", requestClientCertificate: false }))
    .contextId!;
}

test("partial input byte by byte: INCOMPLETE with the missing count, nothing consumed, same final token", async () => {
  const c = await newClient();
  const s = await newServer();
  const hello = (await host.step(c, new Uint8Array(0))).output;
  let fed = 0;
  let expectedMissing = 5;
  for (let n = 0; n < hello.length; n++) {
    const r = await host.step(s, hello.subarray(0, n));
    assert.equal(r.status, SEC_E_INCOMPLETE_MESSAGE, `at ${n} bytes`);
    assert.equal(r.consumed, 0);
    assert.equal(r.output.length, 0);
    if (n < 5) expectedMissing = 5 - n;
    else expectedMissing = hello.length - n;
    assert.equal(r.missing, expectedMissing, `missing at ${n} bytes`);
    fed++;
  }
  assert.equal(fed, hello.length);
  const flight = await host.step(s, hello);
  assert.equal(flight.status, SEC_I_CONTINUE_NEEDED);
  assert.equal(flight.consumed, hello.length);
  // The server flight to the client in pieces of 1 byte: complete records are consumed as they come.
  let pending = new Uint8Array(0);
  let final: Awaited<ReturnType<typeof host.step>> | undefined;
  for (let i = 0; i < flight.output.length; i++) {
    pending = new Uint8Array([...pending, flight.output[i]!]);
    const r = await host.step(c, pending);
    if (r.status === SEC_E_INCOMPLETE_MESSAGE) {
      assert.equal(r.consumed, 0);
      assert.ok(r.missing > 0);
      continue;
    }
    pending = pending.subarray(r.consumed);
    if (r.status === SEC_E_OK) {
      final = r;
      break;
    }
    assert.equal(r.status, SEC_I_CONTINUE_NEEDED, formatStatus(r.status));
  }
  assert.equal(final?.status, SEC_E_OK);
  const done = await host.step(s, final!.output);
  assert.equal(done.status, SEC_E_OK, done.reason);
});

test("EXTRA: bytes after the completing record are not consumed and are application records", async () => {
  for (const version of ["TLSv1.3", "TLSv1.2"] as const) {
    const cc = (await host.acquireCredential(clientConfig([f.ca.certificate], version))).credentialId!;
    const c = (
      await host.createContext(cc, {
        role: "client",
        serverName: "localhost",
        manualValidation: false,
        noServerNameCheck: false,
      })
    ).contextId!;
    const s = await newServer();
    let toServer = (await host.step(c, new Uint8Array(0))).output;
    let serverResult = await host.step(s, toServer);
    let clientResult = await host.step(c, serverResult.output);
    if (version === "TLSv1.2") {
      toServer = clientResult.output;
      serverResult = await host.step(s, toServer);
      assert.equal(serverResult.status, SEC_E_OK);
      const { write } = protectionFrom(serverResult.handshake!);
      const appRecord = write.seal(23, Buffer.from("early data after Finished"));
      const input = new Uint8Array([...serverResult.output, ...appRecord]);
      clientResult = await host.step(c, input);
      assert.equal(clientResult.status, SEC_E_OK, clientResult.reason);
      assert.equal(clientResult.consumed, serverResult.output.length, "the app record is EXTRA");
      const { read } = protectionFrom(clientResult.handshake!);
      const opened = read.open(input.subarray(clientResult.consumed));
      assert.ok(opened.ok);
      assert.equal(Buffer.from(opened.plaintext).toString(), "early data after Finished");
    } else {
      assert.equal(clientResult.status, SEC_E_OK);
      // Client Finished plus an application record in one token to the server.
      const { write } = protectionFrom(clientResult.handshake!);
      const appRecord = write.seal(23, Buffer.from("hello with Finished"));
      const input = new Uint8Array([...clientResult.output, ...appRecord]);
      serverResult = await host.step(s, input);
      assert.equal(serverResult.status, SEC_E_OK, serverResult.reason);
      assert.equal(serverResult.consumed, clientResult.output.length, "the app record is EXTRA");
      assert.equal(serverResult.handshake?.writeSequence, 2, "two tickets written after 'secure'");
      assert.equal(splitRecords(serverResult.output).records.length, 2);
      const { read } = protectionFrom(serverResult.handshake!);
      const opened = read.open(input.subarray(serverResult.consumed));
      assert.ok(opened.ok);
      assert.equal(Buffer.from(opened.plaintext).toString(), "hello with Finished");
    }
    const again = await host.step(c, new Uint8Array(0));
    assert.equal(again.status, SEC_E_UNSUPPORTED_FUNCTION, "no renegotiation on an established context");
    await host.deleteContext(c);
    await host.deleteContext(s);
  }
});

function alertOf(output: Uint8Array): [number, number] {
  assert.equal(output.length, 7, "one plaintext alert record");
  assert.equal(output[0], 21);
  return [output[5]!, output[6]!];
}

test("garbage to a server: HTTP request, random bytes, bad version, oversize record", async () => {
  const cases: Array<[string, Uint8Array, number]> = [
    [
      "HTTP request",
      new TextEncoder().encode("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"),
      TLS1_ALERT_UNEXPECTED_MESSAGE,
    ],
    ["random bytes", new Uint8Array([0xff, ...randomBytes(63)]), TLS1_ALERT_UNEXPECTED_MESSAGE],
    ["bad version", new Uint8Array([22, 9, 9, 0, 4, 1, 0, 0, 0]), TLS1_ALERT_DECODE_ERROR],
    ["oversize record", new Uint8Array([23, 3, 3, 0x50, 0x00]), TLS1_ALERT_RECORD_OVERFLOW],
  ];
  for (const [name, bytes, alert] of cases) {
    const s = await newServer();
    const r = await host.step(s, bytes);
    assert.equal(r.status, SEC_E_ILLEGAL_MESSAGE, `${name}: ${formatStatus(r.status)}`);
    assert.deepEqual(alertOf(r.output), [2, alert], name);
    assert.deepEqual(r.alert, { level: 2, description: alert, direction: "sent" }, name);
    const later = await host.step(s, bytes);
    assert.equal(later.status, SEC_E_ILLEGAL_MESSAGE, `${name}: the failure sticks`);
    assert.equal(later.output.length, 0);
    await host.deleteContext(s);
  }
});

test("TLS-shaped garbage: OpenSSL's own alert is captured in the output", async () => {
  const body = randomBytes(40);
  body[0] = 1; // ClientHello type, nonsense length
  const s = await newServer();
  const r = await host.step(s, new Uint8Array([22, 3, 1, 0, body.length, ...body]));
  assert.ok(FAILED(r.status), formatStatus(r.status));
  assert.equal(r.status, SEC_E_ILLEGAL_MESSAGE, r.reason);
  assert.ok(r.output.length >= 7, "an alert record");
  assert.equal(r.output[0], 21);
  assert.equal(r.alert?.direction, "sent");
  assert.equal(r.alert?.description, r.output[6]);
  await host.deleteContext(s);

  const c = await newClient();
  await host.step(c, new Uint8Array(0));
  const junk = randomBytes(50);
  junk[0] = 2; // ServerHello with a nonsense body
  const rc = await host.step(c, new Uint8Array([22, 3, 3, 0, junk.length, ...junk]));
  assert.equal(rc.status, SEC_E_ILLEGAL_MESSAGE, rc.reason);
  assert.equal(rc.output[0], 21, "the client's alert");
  await host.deleteContext(c);
});

test("garbage to a client after its ClientHello: plaintext unexpected_message alert", async () => {
  const c = await newClient();
  await host.step(c, new Uint8Array(0));
  const r = await host.step(c, new TextEncoder().encode("HTTP/1.1 400 Bad Request\r\n\r\n"));
  assert.equal(r.status, SEC_E_ILLEGAL_MESSAGE);
  assert.deepEqual(alertOf(r.output), [2, TLS1_ALERT_UNEXPECTED_MESSAGE]);
  await host.deleteContext(c);
});

test("close() produces close_notify the peer's keys open", async () => {
  const c = await newClient();
  const s = await newServer();
  const hello = (await host.step(c, new Uint8Array(0))).output;
  const flight = await host.step(s, hello);
  const fin = await host.step(c, flight.output);
  const done = await host.step(s, fin.output);
  assert.equal(done.status, SEC_E_OK);
  const notify = await host.close(c);
  assert.ok(notify.length > 0);
  const { read } = protectionFrom(done.handshake!);
  const opened = read.open(notify);
  assert.ok(opened.ok, "sealed under CLIENT_TRAFFIC_SECRET_0, seq 0");
  assert.equal(opened.contentType, 21);
  assert.deepEqual([...opened.plaintext], [1, TLS1_ALERT_CLOSE_NOTIFY]);
  assert.equal((await host.close(c)).length, 0, "a closed context has nothing more");
  await host.deleteContext(s);
});
