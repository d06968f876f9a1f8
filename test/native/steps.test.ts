/**
 * Exact step behaviour of the addon (two native contexts in memory, and the native engine host):
 * one step is one flight, unread input is SECBUFFER_EXTRA, a partial record is
 * SEC_E_INCOMPLETE_MESSAGE with the exact missing count, TLS 1.3 tickets come with the server's
 * completing step, and ticket-key rotation (old key renewed, retired key → full handshake).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type {
  NativeCredential,
  NativeSession,
  NativeTicketKey,
} from "../../src/schannel/native/addon-types.js";
import { NativeEngineHost } from "../../src/service/native-host.js";
import { SEC_E_INCOMPLETE_MESSAGE, SEC_E_OK, SEC_I_CONTINUE_NEEDED } from "../../src/sspi/status.js";
import {
  clientOptions,
  concat,
  handshakeInMemory,
  nativeAddon,
  nativePki,
  recordTypes,
  serverOptions,
  TLS12,
  TLS13,
} from "../support/native-addon.js";

const HANDSHAKE = 22;
const CCS = 20;
const APPLICATION_DATA = 23;

test("TLS 1.3: one step is one flight; the server's completing step writes the tickets", async () => {
  const addon = nativeAddon();
  const pki = await nativePki();
  const serverCredential = new addon.Credential(serverOptions(pki.server));
  const clientCredential = new addon.Credential(clientOptions(pki.ca));
  const client = new addon.Context(clientCredential, {
    serverName: "server.test",
    verifyHost: "server.test",
  });
  const server = new addon.Context(serverCredential, {});
  try {
    const hello = client.stepSync(new Uint8Array(0));
    assert.equal(hello.outcome, "want-read");
    assert.deepEqual(recordTypes(hello.output), [HANDSHAKE], "ClientHello only");
    const flight = server.stepSync(hello.output);
    assert.equal(flight.outcome, "want-read");
    assert.equal(flight.consumed, hello.output.length);
    const types = recordTypes(flight.output);
    assert.deepEqual(types.slice(0, 2), [HANDSHAKE, CCS], "ServerHello, compatibility CCS");
    assert.ok(
      types.slice(2).every((t) => t === APPLICATION_DATA),
      "then sealed handshake records only",
    );
    const finished = client.stepSync(flight.output);
    assert.equal(finished.outcome, "done");
    assert.equal(finished.consumed, flight.output.length);
    assert.ok(finished.keylog.some((l) => l.startsWith("CLIENT_TRAFFIC_SECRET_0 ")));
    const done = server.stepSync(finished.output);
    assert.equal(done.outcome, "done");
    assert.deepEqual(recordTypes(done.output), [APPLICATION_DATA, APPLICATION_DATA], "two NewSessionTickets");
    const plaintext = new Uint8Array(16384);
    assert.equal(client.decrypt(done.output, plaintext), -1, "tickets are not application data");
    assert.equal(client.consumed(), done.output.length);
    assert.equal(client.takeSessions().length, 2);
  } finally {
    for (const o of [client, server, clientCredential, serverCredential]) o.free();
  }
});

test("SECBUFFER_EXTRA: bytes after the flight stay unread; a partial record is not consumed", async () => {
  const addon = nativeAddon();
  const pki = await nativePki();
  const serverCredential = new addon.Credential(serverOptions(pki.server, { maxVersion: TLS12 }));
  const clientCredential = new addon.Credential(clientOptions(pki.ca, { maxVersion: TLS12 }));
  const client = new addon.Context(clientCredential, {
    serverName: "server.test",
    verifyHost: "server.test",
  });
  const server = new addon.Context(serverCredential, {});
  try {
    const hello = client.stepSync(new Uint8Array(0));
    const partial = server.stepSync(hello.output.subarray(0, 40));
    assert.deepEqual([partial.outcome, partial.consumed, partial.output.length], ["want-read", 0, 0]);
    const extra = Uint8Array.of(APPLICATION_DATA, 3, 3, 0, 10, 1, 2);
    const flight = server.stepSync(concat(hello.output, extra));
    assert.equal(flight.outcome, "want-read");
    assert.equal(flight.consumed, hello.output.length, "the trailing partial record is EXTRA");
    const second = client.stepSync(flight.output);
    assert.equal(second.outcome, "want-read");
    const last = server.stepSync(second.output);
    assert.equal(last.outcome, "done");
    const finished = client.stepSync(concat(last.output, extra));
    assert.equal(finished.outcome, "done");
    assert.equal(finished.consumed, last.output.length);
  } finally {
    for (const o of [client, server, clientCredential, serverCredential]) o.free();
  }
});

test("the native engine host: SEC_E_INCOMPLETE_MESSAGE with the exact missing count, then the flight", async () => {
  const pki = await nativePki();
  const host = new NativeEngineHost();
  try {
    const server = await host.acquireCredential({
      role: "server",
      certificates: [{ certificate: pki.server.certificate, privateKey: pki.server.privateKey }],
      trustedRoots: null,
      minVersion: "TLSv1.2",
      maxVersion: "TLSv1.3",
    });
    const client = await host.acquireCredential({
      role: "client",
      certificates: [],
      trustedRoots: [pki.ca.certificate],
      minVersion: "TLSv1.2",
      maxVersion: "TLSv1.3",
    });
    assert.equal(server.status, SEC_E_OK, server.reason);
    const c = await host.createContext(client.credentialId!, {
      role: "client",
      serverName: "server.test",
      manualValidation: false,
      noServerNameCheck: false,
    });
    const s = await host.createContext(server.credentialId!, {
      role: "server",
      requestClientCertificate: false,
    });
    const hello = await host.step(c.contextId!, new Uint8Array(0));
    assert.equal(hello.status, SEC_I_CONTINUE_NEEDED);
    for (const cut of [1, 4, 5, 100]) {
      const r = await host.step(s.contextId!, hello.output.subarray(0, cut));
      assert.equal(r.status, SEC_E_INCOMPLETE_MESSAGE);
      assert.equal(r.missing, cut < 5 ? 5 - cut : hello.output.length - cut);
    }
    const flight = host.blocking.step(s.contextId!, hello.output);
    assert.equal(flight.status, SEC_I_CONTINUE_NEEDED);
    const done = await host.step(c.contextId!, flight.output);
    assert.equal(done.status, SEC_E_OK);
    assert.equal(done.handshake?.protocol, "TLSv1.3");
    assert.equal(done.handshake?.certificateCheck.status, SEC_E_OK);
    assert.ok(done.handshake?.secrets?.clientTrafficSecret0?.length);
    const serverDone = await host.step(s.contextId!, done.output);
    assert.equal(serverDone.status, SEC_E_OK);
    assert.equal(serverDone.handshake?.writeSequence, 2, "two tickets written under the application key");
  } finally {
    await host.dispose();
  }
});

function ticketKey(seed: number): NativeTicketKey {
  return { name: Buffer.alloc(16, seed), hmac: Buffer.alloc(32, seed + 1), aes: Buffer.alloc(16, seed + 2) };
}

for (const [name, version] of [
  ["TLS 1.3", TLS13],
  ["TLS 1.2", TLS12],
] as const) {
  test(`${name}: ticket-key rotation: an old-key ticket resumes and is renewed; after the key is retired, a full handshake`, async () => {
    const addon = nativeAddon();
    const pki = await nativePki();
    const [k1, k2] = [ticketKey(1), ticketKey(10)];
    const serverCredential = new addon.Credential(
      serverOptions(pki.server, { maxVersion: version, ticketKeys: [k1] }),
    );
    const clientCredential = new addon.Credential(clientOptions(pki.ca, { maxVersion: version }));
    const connect = (credential: NativeCredential, session: NativeSession | null) => {
      const client = new addon.Context(clientCredential, {
        serverName: "server.test",
        verifyHost: "server.test",
        session,
      });
      const server = new addon.Context(credential, {});
      const { steps, toClient } = handshakeInMemory(client, server);
      assert.equal(steps.at(-1)?.result.outcome, "done", steps.at(-1)?.result.reason);
      const sessions = steps.flatMap((s) => s.result.sessions);
      if (toClient.length > 0) {
        assert.equal(client.decrypt(toClient, new Uint8Array(16384)), -1);
        sessions.push(...client.takeSessions());
      }
      const resumed = client.info().resumed;
      // TLS 1.2: a ticket renewed during a resumption updates the client's own session.
      const latest = sessions.at(-1) ?? client.session();
      client.free();
      server.free();
      return { resumed, session: latest };
    };
    try {
      const first = connect(serverCredential, null);
      assert.equal(first.resumed, false);
      assert.ok(first.session, "a ticket under k1");
      serverCredential.setTicketKeys([k2, k1]);
      const renewed = connect(serverCredential, first.session);
      assert.equal(renewed.resumed, true, "an old-key ticket still resumes");
      assert.ok(renewed.session, "a session after the resumption");
      assert.notDeepEqual(
        Buffer.from(renewed.session.toDER()),
        Buffer.from(first.session.toDER()),
        "renewed: a new ticket under k2",
      );
      serverCredential.setTicketKeys([k2]);
      const retired = connect(serverCredential, first.session);
      assert.equal(retired.resumed, false, "k1 retired: full handshake");
      const again = connect(serverCredential, renewed.session);
      assert.equal(again.resumed, true, "the renewed ticket resumes under k2");
    } finally {
      clientCredential.free();
      serverCredential.free();
    }
  });
}

test("a first record longer than TLS 1.3 allows but within TLS 1.2's 2^14 + 2048 is waited for (SEC_E_INCOMPLETE_MESSAGE with the exact count), then answered with OpenSSL's alert — never CONTINUE_NEEDED with nothing consumed", async () => {
  const pki = await nativePki();
  const host = new NativeEngineHost();
  try {
    const server = host.blocking.acquireCredential({
      role: "server",
      certificates: [{ certificate: pki.server.certificate, privateKey: pki.server.privateKey }],
      trustedRoots: null,
      minVersion: "TLSv1.2",
      maxVersion: "TLSv1.3",
    });
    for (const [type, length] of [
      [22, 16384 + 257], // a ClientHello record over TLS 1.3's limit: legal until TLS 1.3 is negotiated
      [23, 16384 + 2048], // TLS 1.2's own limit
    ] as const) {
      const s = host.blocking.createContext(server.credentialId!, {
        role: "server",
        requestClientCertificate: false,
      });
      const header = [type, 3, 1, length >> 8, length & 0xff];
      const partial = await host.step(s.contextId!, Uint8Array.from([...header, 1, 2, 3]));
      assert.equal(partial.status, SEC_E_INCOMPLETE_MESSAGE, `${type}: waits`);
      assert.equal(partial.missing, length - 3, `${type}: the bytes still missing`);
      const whole = Buffer.concat([Buffer.from(header), Buffer.alloc(length, 1)]);
      const r = await host.step(s.contextId!, whole);
      assert.ok(
        r.status < 0 && r.status !== SEC_E_INCOMPLETE_MESSAGE,
        `status 0x${(r.status >>> 0).toString(16)}`,
      );
      assert.equal(recordTypes(r.output)[0], 21, "answered with an alert");
    }
  } finally {
    await host.dispose();
  }
});
