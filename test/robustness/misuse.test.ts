/**
 * Every API called in the wrong state returns its documented status (docs/async-contexts.md,
 * docs/schannel.md, the doc comments) and corrupts nothing: a second, healthy connection
 * ("the witness") exchanges a message both ways after every case.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  ApplyControlToken,
  box,
  type CredHandle,
  CtxtHandle,
  DecryptMessage,
  EncryptMessage,
  handleStatistics,
  QueryContextAttributes,
  SEC_E_CONTEXT_EXPIRED,
  SEC_E_INCOMPLETE_MESSAGE,
  SEC_E_INVALID_HANDLE,
  SEC_E_INVALID_PARAMETER,
  SEC_E_INVALID_TOKEN,
  SEC_E_OK,
  SEC_E_WRONG_CREDENTIAL_HANDLE,
  SEC_I_ASYNC_CALL_PENDING,
  SEC_I_CONTEXT_EXPIRED,
  SEC_I_CONTINUE_NEEDED,
  SECBUFFER_DATA,
  SECBUFFER_EMPTY,
  SECBUFFER_STREAM_HEADER,
  SECBUFFER_STREAM_TRAILER,
  SECBUFFER_TOKEN,
  SECPKG_ATTR_STREAM_SIZES,
  type SECURITY_STATUS,
  SspiAcceptSecurityContextAsync,
  type SspiAsyncContext,
  SspiCreateAsyncContext,
  SspiDeleteSecurityContextAsync,
  SspiFreeAsyncContext,
  SspiGetAsyncCallStatus,
  SspiInitializeSecurityContextAsync,
  SspiReinitAsyncContext,
  SspiSetAsyncNotifyCallback,
  secBuffer,
  secBufferDesc,
  shutdownToken,
  promises as sspi,
  statusName,
} from "../../src/index.js";
import { memoryHandshake, type Pki, pki } from "../blocking/memory-handshake.js";
import { acquireOk, decryptOnce, encrypt, leakCheck } from "../support/sspi-driver.js";
import {
  ASC_FLAGS,
  deleteIfLive,
  establishingCall,
  ISC_FLAGS,
  versionedAuth,
  withTimeout,
} from "./support.js";

const SECPKG_CRED_INBOUND = 1;
const SECPKG_CRED_OUTBOUND = 2;
const STATUS_INVALID_DEVICE_STATE = 0xc0000184 | 0;
const STATUS_INVALID_HANDLE = 0xc0000008 | 0;

let base: Pki;
let clientCred: CredHandle;
let serverCred: CredHandle;
let otherClientCred: CredHandle;
let otherServerCred: CredHandle;
const leaks = leakCheck();
let baseline: ReturnType<typeof handleStatistics>;

/** The healthy connection every case must leave working. */
let witness: { client: CtxtHandle; server: CtxtHandle; pending: Uint8Array };

before(async () => {
  base = await pki();
  const auth = versionedAuth(base, "TLSv1.3");
  baseline = handleStatistics();
  clientCred = await acquireOk(SECPKG_CRED_OUTBOUND, auth.client);
  serverCred = await acquireOk(SECPKG_CRED_INBOUND, auth.server);
  otherClientCred = await acquireOk(SECPKG_CRED_OUTBOUND, auth.client);
  otherServerCred = await acquireOk(SECPKG_CRED_INBOUND, auth.server);
  const hs = await memoryHandshake(clientCred, serverCred, () => "async");
  witness = { client: hs.client, server: hs.server, pending: hs.toClient };
});

after(async () => {
  await assertWitnessHealthy("at the end");
  await deleteIfLive(witness.client);
  await deleteIfLive(witness.server);
  for (const c of [clientCred, serverCred, otherClientCred, otherServerCred])
    await sspi.FreeCredentialsHandle(c);
  const now = handleStatistics();
  assert.equal(now.liveContexts, baseline.liveContexts, "every context freed");
  await leaks.verify();
});

let exchanges = 0;
async function assertWitnessHealthy(what: string): Promise<void> {
  const n = exchanges++;
  const up = new TextEncoder().encode(`up ${n}`);
  const atServer = decryptOnce(witness.server, encrypt(witness.client, up));
  assert.equal(atServer.status, SEC_E_OK, `${what}: the witness server decrypts`);
  assert.equal(Buffer.from(atServer.plaintext).toString(), `up ${n}`, what);
  let rest: Uint8Array = Buffer.concat([
    witness.pending,
    encrypt(witness.server, new TextEncoder().encode(`down ${n}`)),
  ]);
  witness.pending = new Uint8Array(0);
  const parts: Uint8Array[] = [];
  while (rest.length > 0) {
    const r = decryptOnce(witness.client, rest);
    assert.equal(r.status, SEC_E_OK, `${what}: the witness client decrypts (${statusName(r.status)})`);
    parts.push(r.plaintext);
    rest = r.rest;
  }
  assert.equal(Buffer.concat(parts).toString(), `down ${n}`, what);
}

/** A case: bounded, then the witness must still work. */
function misuse(name: string, body: () => Promise<void>): void {
  test(name, async () => {
    await withTimeout(body(), 20_000, name);
    await assertWitnessHealthy(name);
  });
}

/** EncryptMessage of one byte in the TLS 1.3 layout: the status. */
function encryptStatus(handle: CtxtHandle): SECURITY_STATUS {
  const record = new Uint8Array(5 + 1 + 17);
  return EncryptMessage(
    handle,
    0,
    secBufferDesc(
      { BufferType: SECBUFFER_STREAM_HEADER, cbBuffer: 5, pvBuffer: record.subarray(0, 5) },
      { BufferType: SECBUFFER_DATA, cbBuffer: 1, pvBuffer: record.subarray(5, 6) },
      { BufferType: SECBUFFER_STREAM_TRAILER, cbBuffer: 17, pvBuffer: record.subarray(6) },
      secBuffer(SECBUFFER_EMPTY),
    ),
    0,
  );
}

async function newPair() {
  const hs = await memoryHandshake(clientCred, serverCred, () => "async");
  return { client: hs.client, server: hs.server, toClient: hs.toClient };
}

function rawIsc(cred: CredHandle | null, ctx: CtxtHandle | null, out: CtxtHandle, input: Uint8Array | null) {
  return sspi.InitializeSecurityContext(
    cred,
    ctx,
    "server.test",
    ISC_FLAGS,
    0,
    0,
    input === null ? null : secBufferDesc(secBuffer(SECBUFFER_TOKEN, input), secBuffer(SECBUFFER_EMPTY)),
    0,
    out,
    secBufferDesc(secBuffer(SECBUFFER_TOKEN)),
    box(0),
    null,
  );
}

function rawAsc(cred: CredHandle | null, ctx: CtxtHandle | null, out: CtxtHandle, input: Uint8Array | null) {
  return sspi.AcceptSecurityContext(
    cred,
    ctx,
    input === null ? null : secBufferDesc(secBuffer(SECBUFFER_TOKEN, input), secBuffer(SECBUFFER_EMPTY)),
    ASC_FLAGS,
    0,
    out,
    secBufferDesc(secBuffer(SECBUFFER_TOKEN)),
    box(0),
    null,
  );
}

misuse(
  "ISC on a server context and ASC on a client context: SEC_E_INVALID_HANDLE, both contexts unharmed",
  async () => {
    // Mid-handshake contexts.
    const c = new CtxtHandle();
    const s = new CtxtHandle();
    const hello = await establishingCall("initiator", clientCred, c, true, null);
    const flight = await establishingCall("acceptor", serverCred, s, true, hello.token);
    assert.equal(await rawIsc(null, s, s, flight.token), SEC_E_INVALID_HANDLE, "ISC on a server context");
    assert.equal(await rawAsc(null, c, c, flight.token), SEC_E_INVALID_HANDLE, "ASC on a client context");
    assert.equal(
      await rawIsc(serverCred, null, new CtxtHandle(), null),
      SEC_E_WRONG_CREDENTIAL_HANDLE,
      "ISC with a server credential",
    );
    assert.equal(
      await rawAsc(clientCred, null, new CtxtHandle(), hello.token),
      SEC_E_WRONG_CREDENTIAL_HANDLE,
      "ASC with a client credential",
    );
    // The handshake still completes.
    const fin = await establishingCall("initiator", clientCred, c, false, flight.token);
    assert.equal(fin.status, SEC_E_OK);
    assert.equal((await establishingCall("acceptor", serverCred, s, false, fin.token)).status, SEC_E_OK);
    // Established contexts too.
    assert.equal(await rawIsc(null, s, s, null), SEC_E_INVALID_HANDLE);
    assert.equal(await rawAsc(null, c, c, null), SEC_E_INVALID_HANDLE);
    await deleteIfLive(c);
    await deleteIfLive(s);
  },
);

misuse(
  "EncryptMessage and DecryptMessage before the handshake completes: SEC_E_INCOMPLETE_MESSAGE",
  async () => {
    const c = new CtxtHandle();
    await establishingCall("initiator", clientCred, c, true, null);
    assert.equal(encryptStatus(c), SEC_E_INCOMPLETE_MESSAGE);
    assert.equal(decryptOnce(c, new Uint8Array([23, 3, 3, 0, 1, 0])).status, SEC_E_INCOMPLETE_MESSAGE);
    const sizes = box({ cbHeader: 0, cbTrailer: 0, cbMaximumMessage: 0 });
    assert.notEqual(
      QueryContextAttributes(c, SECPKG_ATTR_STREAM_SIZES, sizes as never),
      SEC_E_OK,
      "no stream sizes yet",
    );
    await deleteIfLive(c);
  },
);

misuse(
  "after close_notify: DecryptMessage SEC_I_CONTEXT_EXPIRED then SEC_E_CONTEXT_EXPIRED; EncryptMessage after our shutdown SEC_E_CONTEXT_EXPIRED",
  async () => {
    const p = await newPair();
    assert.equal(ApplyControlToken(p.server, secBufferDesc(shutdownToken())), SEC_E_OK);
    const close = await establishingCall("acceptor", serverCred, p.server, false, null);
    assert.equal(close.status, SEC_E_OK);
    let rest: Uint8Array = Buffer.concat([p.toClient, close.token]);
    let status: SECURITY_STATUS = SEC_E_OK;
    while (rest.length > 0 && status === SEC_E_OK) {
      const r = decryptOnce(p.client, rest);
      status = r.status;
      rest = r.rest;
    }
    assert.equal(status, SEC_I_CONTEXT_EXPIRED, "close_notify");
    const record = Buffer.concat([Buffer.from([23, 3, 3, 0, 20]), Buffer.alloc(20)]);
    assert.equal(
      decryptOnce(p.client, record).status,
      SEC_E_CONTEXT_EXPIRED,
      "DecryptMessage after close_notify",
    );
    assert.equal(encryptStatus(p.server), SEC_E_CONTEXT_EXPIRED, "EncryptMessage after our close_notify");
    const later = await establishingCall("acceptor", serverCred, p.server, false, null);
    assert.equal(later.status, SEC_I_CONTEXT_EXPIRED, "ISC/ASC after shutdown");
    await deleteIfLive(p.client);
    await deleteIfLive(p.server);
  },
);

misuse("Delete twice, free twice, and stale handles: SEC_E_INVALID_HANDLE", async () => {
  const p = await newPair();
  assert.equal(await sspi.DeleteSecurityContext(p.client), SEC_E_OK);
  assert.equal(await sspi.DeleteSecurityContext(p.client), SEC_E_INVALID_HANDLE);
  assert.equal(
    EncryptMessage(p.client, 0, secBufferDesc(secBuffer(SECBUFFER_DATA, 1)), 0),
    SEC_E_INVALID_HANDLE,
  );
  assert.equal(
    DecryptMessage(p.client, secBufferDesc(secBuffer(SECBUFFER_DATA, 1)), 0, null),
    SEC_E_INVALID_HANDLE,
  );
  const ctx = SspiCreateAsyncContext();
  assert.equal(SspiDeleteSecurityContextAsync(ctx, p.server), SEC_E_OK);
  // Unusable from the moment the delete is queued.
  assert.equal(await sspi.DeleteSecurityContext(p.server), SEC_E_INVALID_HANDLE);
  await until(() => SspiGetAsyncCallStatus(ctx) !== SEC_I_ASYNC_CALL_PENDING);
  assert.equal(SspiGetAsyncCallStatus(ctx), SEC_E_OK);
  SspiFreeAsyncContext(ctx);
  const cred = await acquireOk(SECPKG_CRED_OUTBOUND, versionedAuth(base, "TLSv1.3").client);
  assert.equal(await sspi.FreeCredentialsHandle(cred), SEC_E_OK);
  assert.equal(await sspi.FreeCredentialsHandle(cred), SEC_E_INVALID_HANDLE);
  assert.equal(await rawIsc(cred, null, new CtxtHandle(), null), SEC_E_INVALID_HANDLE, "a freed credential");
  // A forged handle with a live id and a wrong tag.
  const forged = new CtxtHandle();
  forged.dwLower = witness.client.dwLower;
  forged.dwUpper = witness.client.dwUpper ^ 1;
  assert.equal(
    await sspi.DeleteSecurityContext(forged),
    SEC_E_INVALID_HANDLE,
    "a forged handle cannot delete the witness",
  );
  // A context handle as a credential and the reverse.
  assert.equal(
    await rawIsc(witness.client as unknown as CredHandle, null, new CtxtHandle(), null),
    SEC_E_INVALID_HANDLE,
  );
  assert.equal(await sspi.DeleteSecurityContext(clientCred as unknown as CtxtHandle), SEC_E_INVALID_HANDLE);
});

misuse(
  "handles from another credential: continuing a context with a different credential is SEC_E_INVALID_HANDLE",
  async () => {
    const c = new CtxtHandle();
    const s = new CtxtHandle();
    const hello = await establishingCall("initiator", clientCred, c, true, null);
    const flight = await establishingCall("acceptor", serverCred, s, true, hello.token);
    const out = new CtxtHandle();
    const isc = await sspi.InitializeSecurityContext(
      otherClientCred,
      c,
      "server.test",
      ISC_FLAGS,
      0,
      0,
      secBufferDesc(secBuffer(SECBUFFER_TOKEN, flight.token), secBuffer(SECBUFFER_EMPTY)),
      0,
      out,
      secBufferDesc(secBuffer(SECBUFFER_TOKEN)),
      box(0),
      null,
    );
    assert.equal(isc, SEC_E_INVALID_HANDLE, "ISC with another client credential");
    assert.equal(
      await rawAsc(otherServerCred, s, s, null),
      SEC_E_INVALID_HANDLE,
      "ASC with another server credential",
    );
    // Same credential again is fine, and the handshake completes.
    const fin = await establishingCall("initiator", clientCred, c, false, flight.token);
    assert.equal(fin.status, SEC_E_OK);
    assert.equal((await establishingCall("acceptor", serverCred, s, false, fin.token)).status, SEC_E_OK);
    // Freeing the credential under a live context leaves the context usable.
    const cred = await acquireOk(SECPKG_CRED_OUTBOUND, versionedAuth(base, "TLSv1.3").client);
    const hs = await memoryHandshake(cred, serverCred, () => "async");
    assert.equal(await sspi.FreeCredentialsHandle(cred), SEC_E_OK);
    assert.equal(decryptOnce(hs.server, encrypt(hs.client, new Uint8Array([1, 2, 3]))).status, SEC_E_OK);
    for (const h of [c, s, hs.client, hs.server]) await deleteIfLive(h);
  },
);

/**
 * Waits, turning the event loop, until `predicate` holds: a step runs on libuv's pool and its
 * completion is delivered on this loop, so the bound is wall time (10 s), not a count of turns
 * (2,000 turns can pass in a few milliseconds, before a loaded pool thread finishes a step).
 */
async function until(predicate: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!predicate() && Date.now() < deadline) await new Promise((r) => setImmediate(r));
  assert.ok(predicate(), "condition reached");
}

misuse(
  "async contexts: queue while pending, reuse without reinit, reinit while pending, use after free",
  async () => {
    const ctx = SspiCreateAsyncContext();
    const c = new CtxtHandle();
    const args = (cred: CredHandle | null, h: CtxtHandle | null) =>
      [
        cred,
        h,
        "server.test",
        ISC_FLAGS,
        0,
        0,
        null,
        0,
        c,
        secBufferDesc(secBuffer(SECBUFFER_TOKEN)),
        box(0),
        null,
      ] as const;
    assert.equal(SspiInitializeSecurityContextAsync(ctx, ...args(clientCred, null)), SEC_E_OK);
    assert.equal(SspiGetAsyncCallStatus(ctx), SEC_I_ASYNC_CALL_PENDING);
    assert.equal(
      SspiInitializeSecurityContextAsync(ctx, ...args(clientCred, null)),
      SEC_E_INVALID_PARAMETER,
      "pending",
    );
    assert.equal(SspiReinitAsyncContext(ctx), STATUS_INVALID_DEVICE_STATE, "reinit while pending");
    await until(() => SspiGetAsyncCallStatus(ctx) !== SEC_I_ASYNC_CALL_PENDING);
    assert.equal(SspiGetAsyncCallStatus(ctx), SEC_I_CONTINUE_NEEDED);
    assert.equal(
      SspiInitializeSecurityContextAsync(ctx, ...args(clientCred, null)),
      SEC_E_INVALID_PARAMETER,
      "no reinit",
    );
    assert.equal(SspiReinitAsyncContext(ctx), 0);
    assert.equal(SspiDeleteSecurityContextAsync(ctx, c), SEC_E_OK);
    await until(() => SspiGetAsyncCallStatus(ctx) !== SEC_I_ASYNC_CALL_PENDING);
    SspiFreeAsyncContext(ctx);
    SspiFreeAsyncContext(ctx);
    assert.equal(SspiGetAsyncCallStatus(ctx), SEC_E_INVALID_HANDLE);
    assert.equal(SspiReinitAsyncContext(ctx), STATUS_INVALID_HANDLE);
    assert.equal(
      SspiInitializeSecurityContextAsync(ctx, ...args(clientCred, null)),
      SEC_E_INVALID_HANDLE,
      "after free",
    );
    assert.equal(
      SspiSetAsyncNotifyCallback(ctx, () => {}),
      SEC_E_INVALID_HANDLE,
    );
    // A plain object is not an async context.
    assert.equal(
      SspiInitializeSecurityContextAsync({} as SspiAsyncContext, ...args(clientCred, null)),
      SEC_E_INVALID_HANDLE,
    );
  },
);

misuse(
  "re-entrant callbacks: the next call queued from inside the callback, on the same and on another context",
  async () => {
    const a = SspiCreateAsyncContext();
    const b = SspiCreateAsyncContext();
    const c = new CtxtHandle();
    const s = new CtxtHandle();
    const events: string[] = [];
    const out = () => secBufferDesc(secBuffer(SECBUFFER_TOKEN));
    let hello: ReturnType<typeof out> | null = null;
    const done = new Promise<void>((resolve, reject) => {
      const fail = (e: unknown) => reject(e instanceof Error ? e : new Error(String(e)));
      SspiSetAsyncNotifyCallback(a, (ctx) => {
        const again = events.some((e) => e.startsWith("a:"));
        events.push(`a:${statusName(SspiGetAsyncCallStatus(ctx))}`);
        if (again) return; // the callback is kept across reinit: this is the delete's completion
        try {
          // Without reinit, queueing from inside the callback is refused; the state stays readable.
          assert.equal(
            SspiInitializeSecurityContextAsync(
              ctx,
              null,
              c,
              "server.test",
              ISC_FLAGS,
              0,
              0,
              null,
              0,
              c,
              out(),
              box(0),
              null,
            ),
            SEC_E_INVALID_PARAMETER,
          );
          assert.equal(SspiGetAsyncCallStatus(ctx), SEC_I_CONTINUE_NEEDED);
          // On another context: ASC on the ClientHello, from inside this callback.
          const token = hello!.pBuffers[0]!;
          const input = secBufferDesc(
            secBuffer(SECBUFFER_TOKEN, token.pvBuffer!.slice(0, token.cbBuffer)),
            secBuffer(SECBUFFER_EMPTY),
          );
          assert.equal(
            SspiAcceptSecurityContextAsync(b, serverCred, null, input, ASC_FLAGS, 0, s, out(), box(0), null),
            SEC_E_OK,
          );
          // On the same context after reinit: delete the client context (the callback may free too).
          assert.equal(SspiReinitAsyncContext(ctx), 0);
          assert.equal(SspiDeleteSecurityContextAsync(ctx, c), SEC_E_OK);
        } catch (e) {
          fail(e);
        }
      });
      SspiSetAsyncNotifyCallback(b, (ctx) => {
        events.push(`b:${statusName(SspiGetAsyncCallStatus(ctx))}`);
        SspiReinitAsyncContext(ctx);
        if (SspiDeleteSecurityContextAsync(ctx, s) !== SEC_E_OK) fail(new Error("delete s"));
        SspiSetAsyncNotifyCallback(ctx, null);
        resolve();
      });
    });
    hello = out();
    assert.equal(
      SspiInitializeSecurityContextAsync(
        a,
        clientCred,
        null,
        "server.test",
        ISC_FLAGS,
        0,
        0,
        null,
        0,
        c,
        hello,
        box(0),
        null,
      ),
      SEC_E_OK,
    );
    assert.deepEqual(events, [], "never called inside the queuing call");
    await done;
    await until(
      () =>
        SspiGetAsyncCallStatus(a) !== SEC_I_ASYNC_CALL_PENDING &&
        SspiGetAsyncCallStatus(b) !== SEC_I_ASYNC_CALL_PENDING,
    );
    assert.equal(events[0], "a:SEC_I_CONTINUE_NEEDED", "the first completion");
    assert.deepEqual(
      [...events].sort(),
      ["a:SEC_E_OK", "a:SEC_I_CONTINUE_NEEDED", "b:SEC_I_CONTINUE_NEEDED"],
      "one callback per queued call",
    );
    assert.equal(SspiGetAsyncCallStatus(a), SEC_E_OK, "the delete queued from the callback completed");
    assert.equal(SspiGetAsyncCallStatus(b), SEC_E_OK, "the delete queued from the callback completed");
    SspiFreeAsyncContext(a);
    SspiFreeAsyncContext(b);
    assert.equal(await sspi.DeleteSecurityContext(c), SEC_E_INVALID_HANDLE, "deleted from the callback");
    assert.equal(await sspi.DeleteSecurityContext(s), SEC_E_INVALID_HANDLE, "deleted from the callback");
  },
);

misuse(
  "a callback that throws: an uncaught exception, the result stays readable, the context reusable (child process)",
  async () => {
    const script = fileURLToPath(new URL("./throwing-callback.js", import.meta.url));
    const r = spawnSync(process.execPath, [script], {
      encoding: "utf8",
      timeout: 30_000,
      env: { ...process.env, ROBUSTNESS_CHILD: "1" },
    });
    assert.equal(r.status, 0, `child exit: ${r.stderr}`);
    assert.match(r.stdout, /uncaught: thrown from the notify callback/);
    assert.match(r.stdout, /status after throw: SEC_I_CONTINUE_NEEDED/);
    assert.match(r.stdout, /reused: SEC_E_OK/);
    assert.match(r.stdout, /other context: SEC_E_OK/);
    assert.match(r.stdout, /live contexts: 0/);
  },
);

misuse(
  "descriptor fields that cannot become strings (null-prototype objects, symbols) get SEC_E_INVALID_TOKEN",
  async () => {
    const p = await newPair();
    const odd: unknown[] = [Object.create(null), { toString: 1 }, Symbol("x")];
    for (const value of odd) {
      const descs = [
        { ulVersion: value, cBuffers: 0, pBuffers: [] },
        { ulVersion: 0, cBuffers: value, pBuffers: [] },
        { ulVersion: 0, cBuffers: 1, pBuffers: [{ BufferType: 1, cbBuffer: value, pvBuffer: null }] },
      ];
      for (const desc of descs) {
        let statuses: SECURITY_STATUS[] = [];
        try {
          statuses = [
            DecryptMessage(p.server, desc as never, 0, null),
            EncryptMessage(p.client, 0, desc as never, 0),
            await rawAscDesc(p.server, desc),
          ];
        } catch (e) {
          assert.fail(`threw: ${String(e)}`);
        }
        assert.deepEqual(statuses, [SEC_E_INVALID_TOKEN, SEC_E_INVALID_TOKEN, SEC_E_INVALID_TOKEN]);
      }
    }
    await deleteIfLive(p.client);
    await deleteIfLive(p.server);
  },
);

function rawAscDesc(ctx: CtxtHandle, desc: unknown) {
  return sspi.AcceptSecurityContext(
    null,
    ctx,
    desc as never,
    ASC_FLAGS,
    0,
    ctx,
    secBufferDesc(secBuffer(SECBUFFER_TOKEN)),
    box(0),
    null,
  );
}

test("descriptors with throwing getters and revoked proxies get a status, not an exception", {}, async () => {
  const p = await newPair();
  const hostile: unknown[] = [
    Object.defineProperty({ ulVersion: 0, cBuffers: 1 }, "pBuffers", {
      get() {
        throw new Error("getter");
      },
    }),
    (() => {
      const r = Proxy.revocable({}, {});
      r.revoke();
      return r.proxy;
    })(),
    {
      ulVersion: 0,
      cBuffers: 1,
      pBuffers: [
        Object.defineProperty({}, "cbBuffer", {
          get: () => {
            throw new Error("cb");
          },
        }),
      ],
    },
  ];
  for (const [i, desc] of hostile.entries()) {
    for (const call of [
      () => DecryptMessage(p.server, desc as never, 0, null),
      () => EncryptMessage(p.client, 0, desc as never, 0),
    ]) {
      let status: unknown;
      try {
        status = call();
      } catch (e) {
        assert.fail(`descriptor #${i}: threw ${e}`);
      }
      assert.equal(status, SEC_E_INVALID_TOKEN, `descriptor #${i}`);
    }
  }
  await deleteIfLive(p.client);
  await deleteIfLive(p.server);
});
