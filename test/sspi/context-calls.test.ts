import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  ASC_REQ_ALLOCATE_MEMORY,
  box,
  CredHandle,
  CtxtHandle,
  DecryptMessage,
  EncryptMessage,
  EnumerateSecurityPackages,
  FreeContextBuffer,
  handleStatistics,
  ISC_REQ_ALLOCATE_MEMORY,
  ISC_REQ_CONFIDENTIALITY,
  QueryContextAttributes,
  QuerySecurityPackageInfo,
  registerSecurityPackage,
  SEC_E_BUFFER_TOO_SMALL,
  SEC_E_INCOMPLETE_MESSAGE,
  SEC_E_INVALID_HANDLE,
  SEC_E_INVALID_PARAMETER,
  SEC_E_INVALID_TOKEN,
  SEC_E_OK,
  SEC_E_SECPKG_NOT_FOUND,
  SEC_E_UNSUPPORTED_FUNCTION,
  SEC_I_CONTINUE_NEEDED,
  SECBUFFER_ALERT,
  SECBUFFER_EMPTY,
  SECBUFFER_EXTRA,
  SECBUFFER_MISSING,
  SECBUFFER_TOKEN,
  SECPKG_ATTR_SIZES,
  SECPKG_CRED_INBOUND,
  SECPKG_CRED_OUTBOUND,
  SECURITY_NATIVE_DREP,
  type SecBufferDesc,
  type SecPkgInfo,
  SspiAcceptSecurityContextAsync,
  SspiCreateAsyncContext,
  SspiDeleteSecurityContextAsync,
  SspiFreeAsyncContext,
  SspiGetAsyncCallStatus,
  SspiGetLastErrorInfo,
  SspiInitializeSecurityContextAsync,
  SspiReinitAsyncContext,
  SspiSetAsyncNotifyCallback,
  secBuffer,
  secBufferDesc,
  secFlagsBuffer,
  promises as sspi,
  unregisterSecurityPackage,
} from "../../src/index.js";
import { collectGarbage } from "../support/gc.js";
import { FINISH, frame, HELLO, LoopbackPackage } from "../support/loopback-package.js";

const pkg = new LoopbackPackage("Loopback", ["LoopbackTest", "Loopback Test Provider"]);
before(() => registerSecurityPackage(pkg));
after(() => unregisterSecurityPackage(pkg));

async function credentials() {
  const client = new CredHandle();
  const server = new CredHandle();
  assert.equal(
    await sspi.AcquireCredentialsHandle(
      null,
      "loopback",
      SECPKG_CRED_OUTBOUND,
      null,
      { secret: "c" },
      null,
      null,
      client,
      null,
    ),
    SEC_E_OK,
  );
  assert.equal(
    await sspi.AcquireCredentialsHandle(
      null,
      "LOOPBACKTEST",
      SECPKG_CRED_INBOUND,
      null,
      { secret: "s" },
      null,
      null,
      server,
      null,
    ),
    SEC_E_OK,
  );
  return { client, server };
}

const tokenOut = (size = 4096) =>
  secBufferDesc(secBuffer(SECBUFFER_TOKEN, size), secBuffer(SECBUFFER_ALERT, 2));
const tokenIn = (bytes: Uint8Array) =>
  secBufferDesc(secBuffer(SECBUFFER_TOKEN, bytes), secBuffer(SECBUFFER_EMPTY));
const sent = (desc: SecBufferDesc) => desc.pBuffers[0]!.pvBuffer!.slice(0, desc.pBuffers[0]!.cbBuffer);

test("a handshake through the async entry points, with callbacks and reinit, as in the documented pattern", async () => {
  const { client, server } = await credentials();
  const hClient = new CtxtHandle();
  const hServer = new CtxtHandle();
  const attr = box(0);
  const ctx = SspiCreateAsyncContext();
  const step = (queue: () => number) =>
    new Promise<number>((resolve) => {
      SspiSetAsyncNotifyCallback(ctx, (h) => resolve(SspiGetAsyncCallStatus(h)));
      assert.equal(queue(), SEC_E_OK);
    }).finally(() => SspiReinitAsyncContext(ctx));

  let out = tokenOut();
  let st = await step(() =>
    SspiInitializeSecurityContextAsync(
      ctx,
      client,
      null,
      "server.test",
      ISC_REQ_CONFIDENTIALITY,
      0,
      SECURITY_NATIVE_DREP,
      null,
      0,
      hClient,
      out,
      attr,
      null,
    ),
  );
  assert.equal(st, SEC_I_CONTINUE_NEEDED);
  assert.deepEqual(
    sent(out).subarray(0, 3),
    frame(HELLO, new TextEncoder().encode("server.test")).subarray(0, 3),
  );
  assert.equal(attr.value, ISC_REQ_CONFIDENTIALITY);
  let input = tokenIn(sent(out));
  out = tokenOut();
  st = await step(() =>
    SspiAcceptSecurityContextAsync(ctx, server, null, input, 0, 0, hServer, out, attr, null),
  );
  assert.equal(st, SEC_I_CONTINUE_NEEDED);
  assert.equal(input.pBuffers[1]!.BufferType, SECBUFFER_EMPTY, "everything was consumed: no EXTRA");
  input = tokenIn(sent(out));
  out = tokenOut();
  st = await step(() =>
    SspiInitializeSecurityContextAsync(
      ctx,
      client,
      hClient,
      "server.test",
      0,
      0,
      0,
      input,
      0,
      hClient,
      out,
      attr,
      null,
    ),
  );
  assert.equal(st, SEC_E_OK);
  input = tokenIn(sent(out));
  out = tokenOut();
  st = await step(() =>
    SspiAcceptSecurityContextAsync(ctx, server, hServer, input, 0, 0, hServer, out, attr, null),
  );
  assert.equal(st, SEC_E_OK);
  assert.equal(out.pBuffers[0]!.cbBuffer, 0, "no output: cbBuffer set to 0");

  const sizes = box<unknown>(null);
  assert.equal(QueryContextAttributes(hServer, SECPKG_ATTR_SIZES, sizes), SEC_E_OK);
  assert.equal((sizes.value as { state: string }).state, "done");
  assert.equal(QueryContextAttributes(hServer, 0x5a, sizes), SEC_E_UNSUPPORTED_FUNCTION);
  assert.equal(
    EncryptMessage(hServer, 0, secBufferDesc(), 0),
    SEC_E_UNSUPPORTED_FUNCTION,
    "the package has no record layer",
  );

  st = await step(() => SspiDeleteSecurityContextAsync(ctx, hClient));
  assert.equal(st, SEC_E_OK);
  assert.equal(
    SspiDeleteSecurityContextAsync(ctx, hClient),
    SEC_E_INVALID_HANDLE,
    "a deleted handle is refused at queue time",
  );
  assert.equal(await sspi.DeleteSecurityContext(hServer), SEC_E_OK);
  assert.equal(await sspi.DeleteSecurityContext(hServer), SEC_E_INVALID_HANDLE, "double delete");
  assert.equal(
    QueryContextAttributes(hServer, SECPKG_ATTR_SIZES, sizes),
    SEC_E_INVALID_HANDLE,
    "use after delete",
  );
  assert.equal(await sspi.FreeCredentialsHandle(client), SEC_E_OK);
  assert.equal(await sspi.FreeCredentialsHandle(client), SEC_E_INVALID_HANDLE);
  assert.equal(await sspi.FreeCredentialsHandle(server), SEC_E_OK);
  SspiFreeAsyncContext(ctx);
});

test("partial input: SEC_E_INCOMPLETE_MESSAGE with a MISSING count, then EXTRA as a view of the caller's tail", async () => {
  const { client, server } = await credentials();
  const hClient = new CtxtHandle();
  const hServer = new CtxtHandle();
  const out = tokenOut();
  assert.equal(
    await sspi.InitializeSecurityContext(client, null, "x", 0, 0, 0, null, 0, hClient, out, box(0), null),
    SEC_I_CONTINUE_NEEDED,
  );
  const hello = sent(out);
  const partial = tokenIn(hello.subarray(0, 2));
  assert.equal(
    await sspi.AcceptSecurityContext(server, null, partial, 0, 0, hServer, tokenOut(), box(0), null),
    SEC_E_INCOMPLETE_MESSAGE,
  );
  assert.equal(partial.pBuffers[1]!.BufferType, SECBUFFER_MISSING);
  assert.equal(partial.pBuffers[1]!.cbBuffer, hello.byteLength - 2);
  assert.equal(partial.pBuffers[1]!.pvBuffer, null);

  const withTail = new Uint8Array([...hello, 0xaa, 0xbb, 0xcc]);
  const input = tokenIn(withTail);
  assert.equal(
    await sspi.AcceptSecurityContext(server, hServer, input, 0, 0, hServer, tokenOut(), box(0), null),
    SEC_I_CONTINUE_NEEDED,
  );
  const extra = input.pBuffers[1]!;
  assert.equal(extra.BufferType, SECBUFFER_EXTRA);
  assert.equal(extra.cbBuffer, 3);
  assert.deepEqual([...extra.pvBuffer!], [0xaa, 0xbb, 0xcc]);
  assert.equal(extra.pvBuffer!.buffer, withTail.buffer, "EXTRA is a view of the caller's bytes, not a copy");
  assert.equal(await sspi.DeleteSecurityContext(hClient), SEC_E_OK);
  assert.equal(await sspi.DeleteSecurityContext(hServer), SEC_E_OK);
});

test("too small an output buffer: SEC_E_BUFFER_TOO_SMALL with the size needed, and the retry returns the held output", async () => {
  const { client, server } = await credentials();
  const hClient = new CtxtHandle();
  const hServer = new CtxtHandle();
  const out = tokenOut();
  await sspi.InitializeSecurityContext(client, null, "x", 0, 0, 0, null, 0, hClient, out, box(0), null);
  const hello = sent(out);
  const small = tokenOut(16);
  assert.equal(
    await sspi.AcceptSecurityContext(server, null, tokenIn(hello), 0, 0, hServer, small, box(0), null),
    SEC_E_BUFFER_TOO_SMALL,
  );
  const needed = small.pBuffers[0]!.cbBuffer;
  assert.equal(needed, 3 + 600, "cbBuffer holds the size needed");
  assert.notEqual(hServer.dwLower, -1, "the context exists: the engine consumed the input");
  const big = tokenOut(needed);
  assert.equal(
    await sspi.AcceptSecurityContext(server, hServer, tokenIn(hello), 0, 0, hServer, big, box(0), null),
    SEC_I_CONTINUE_NEEDED,
  );
  assert.equal(big.pBuffers[0]!.cbBuffer, needed);
  assert.equal(
    pkg.contexts.filter((c) => c.role === "acceptor" && c.state === "sent-welcome").length >= 1,
    true,
  );
  await sspi.DeleteSecurityContext(hClient);
  await sspi.DeleteSecurityContext(hServer);
});

test("ALLOCATE_MEMORY: outputs allocated by the library, released with FreeContextBuffer (zeroed)", async () => {
  const { client } = await credentials();
  const h = new CtxtHandle();
  const out = secBufferDesc(secBuffer(SECBUFFER_TOKEN));
  const attr = box(0);
  assert.equal(
    await sspi.InitializeSecurityContext(
      client,
      null,
      "alloc",
      ISC_REQ_ALLOCATE_MEMORY,
      0,
      0,
      null,
      0,
      h,
      out,
      attr,
      null,
    ),
    SEC_I_CONTINUE_NEEDED,
  );
  assert.equal(attr.value & ISC_REQ_ALLOCATE_MEMORY, ISC_REQ_ALLOCATE_MEMORY, "ISC_RET_ALLOCATED_MEMORY");
  const token = out.pBuffers[0]!.pvBuffer!;
  assert.equal(token.byteLength, out.pBuffers[0]!.cbBuffer);
  assert.equal(FreeContextBuffer(token), SEC_E_OK);
  assert.ok(token.every((b) => b === 0));
  assert.equal(FreeContextBuffer(token), SEC_E_INVALID_HANDLE, "double free");
  assert.equal(FreeContextBuffer(new Uint8Array(4)), SEC_E_INVALID_HANDLE, "not ours");
  assert.equal(FreeContextBuffer(null), SEC_E_OK);
  assert.equal(ASC_REQ_ALLOCATE_MEMORY, ISC_REQ_ALLOCATE_MEMORY);
  await sspi.DeleteSecurityContext(h);
});

test("inputs are copied at queue time: the caller may reuse its buffers at once", async () => {
  const { client, server } = await credentials();
  const hClient = new CtxtHandle();
  const hServer = new CtxtHandle();
  const out = tokenOut();
  await sspi.InitializeSecurityContext(
    client,
    null,
    "copy.test",
    0,
    0,
    0,
    null,
    0,
    hClient,
    out,
    box(0),
    null,
  );
  const bytes = Buffer.from(sent(out)); // a Buffer: its slice() is a view, so copies must not use it
  const input = tokenIn(bytes);
  const pending = sspi.AcceptSecurityContext(server, null, input, 0, 0, hServer, tokenOut(), box(0), null);
  bytes.fill(0xff);
  assert.equal(await pending, SEC_I_CONTINUE_NEEDED);
  assert.equal(pkg.contexts.at(-1)?.target, "copy.test");
  await sspi.DeleteSecurityContext(hClient);
  await sspi.DeleteSecurityContext(hServer);
});

test("bad handles get SEC_E_INVALID_HANDLE at queue time: stale, foreign, wrong kind, wrong role", async () => {
  const { client, server } = await credentials();
  const ctx = SspiCreateAsyncContext();
  const isc = (cred: unknown, h: unknown) =>
    SspiInitializeSecurityContextAsync(
      ctx,
      cred as CredHandle,
      h as CtxtHandle,
      "x",
      0,
      0,
      0,
      null,
      0,
      new CtxtHandle(),
      tokenOut(),
      box(0),
      null,
    );
  assert.equal(isc(new CredHandle(), null), SEC_E_INVALID_HANDLE, "an empty handle");
  assert.equal(isc({ dwLower: 1, dwUpper: 2 }, null), SEC_E_INVALID_HANDLE, "a forged handle");
  assert.equal(isc(null, null), SEC_E_INVALID_HANDLE, "neither handle");
  assert.equal(isc("cred", null), SEC_E_INVALID_HANDLE, "not an object");
  assert.equal(isc(client, client), SEC_E_INVALID_HANDLE, "a credential where a context is expected");
  const hServer = new CtxtHandle();
  const out = tokenOut();
  const hClient = new CtxtHandle();
  await sspi.InitializeSecurityContext(client, null, "x", 0, 0, 0, null, 0, hClient, out, box(0), null);
  await sspi.AcceptSecurityContext(server, null, tokenIn(sent(out)), 0, 0, hServer, tokenOut(), box(0), null);
  assert.equal(isc(client, hServer), SEC_E_INVALID_HANDLE, "a server context passed to ISC");
  assert.match(SspiGetLastErrorInfo()?.reason ?? "", /created by AcceptSecurityContext/);
  assert.equal(
    SspiDeleteSecurityContextAsync(ctx, server as unknown as CtxtHandle),
    SEC_E_INVALID_HANDLE,
    "a credential handle passed to DeleteSecurityContext",
  );
  assert.equal(SspiGetAsyncCallStatus(ctx), SEC_E_OK, "nothing was queued");
  SspiFreeAsyncContext(ctx);
  await sspi.DeleteSecurityContext(hClient);
  await sspi.DeleteSecurityContext(hServer);
});

test("bad arguments and descriptors are refused at queue time with a status and a reason", async () => {
  const { client } = await credentials();
  const call = (
    over: Partial<{ in: unknown; out: unknown; r1: number; r2: number; attr: unknown; req: unknown }>,
  ) =>
    sspi.InitializeSecurityContext(
      client,
      null,
      "x",
      (over.req ?? 0) as number,
      over.r1 ?? 0,
      0,
      (over.in ?? null) as SecBufferDesc,
      over.r2 ?? 0,
      new CtxtHandle(),
      ("out" in over ? over.out : tokenOut()) as SecBufferDesc,
      (over.attr ?? box(0)) as never,
      null,
    );
  const cases: Array<[string, Parameters<typeof call>[0], number, RegExp]> = [
    ["Reserved1", { r1: 1 }, SEC_E_INVALID_PARAMETER, /Reserved1/],
    ["Reserved2", { r2: 7 }, SEC_E_INVALID_PARAMETER, /Reserved/],
    ["fContextReq", { req: 1.5 }, SEC_E_INVALID_PARAMETER, /fContextReq/],
    ["pfContextAttr", { attr: 3 }, SEC_E_INVALID_PARAMETER, /pfContextAttr/],
    ["null output", { out: null }, SEC_E_INVALID_TOKEN, /output SecBufferDesc: not an object/],
    [
      "output without token",
      { out: secBufferDesc(secBuffer(SECBUFFER_ALERT, 2)) },
      SEC_E_INVALID_TOKEN,
      /SECBUFFER_TOKEN/,
    ],
    ["ulVersion", { in: { ulVersion: 1, cBuffers: 0, pBuffers: [] } }, SEC_E_INVALID_TOKEN, /ulVersion/],
    ["cBuffers", { in: { ulVersion: 0, cBuffers: 3, pBuffers: [] } }, SEC_E_INVALID_TOKEN, /cBuffers/],
    [
      "cbBuffer > byteLength",
      { in: secBufferDesc({ BufferType: SECBUFFER_TOKEN, cbBuffer: 10, pvBuffer: new Uint8Array(4) }) },
      SEC_E_INVALID_TOKEN,
      /exceeds pvBuffer.byteLength/,
    ],
    [
      "negative cbBuffer",
      { in: secBufferDesc({ BufferType: SECBUFFER_TOKEN, cbBuffer: -1, pvBuffer: null }) },
      SEC_E_INVALID_TOKEN,
      /cbBuffer/,
    ],
    [
      "pvBuffer type",
      { in: secBufferDesc({ BufferType: 2, cbBuffer: 0, pvBuffer: "abc" as never }) },
      SEC_E_INVALID_TOKEN,
      /Uint8Array/,
    ],
    [
      "SECBUFFER_FLAGS low bits",
      {
        in: secBufferDesc({
          BufferType: 27,
          cbBuffer: 8,
          pvBuffer: new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0]),
        }),
      },
      SEC_E_INVALID_PARAMETER,
      /low 32 bits/,
    ],
    [
      "too many buffers",
      { in: secBufferDesc(...Array.from({ length: 19 }, () => secBuffer(SECBUFFER_EMPTY))) },
      SEC_E_INVALID_PARAMETER,
      /more than 18/,
    ],
  ];
  for (const [name, over, status, reason] of cases) {
    assert.equal(await call(over), status, name);
    assert.match(SspiGetLastErrorInfo()?.reason ?? "", reason, name);
  }
  const h = new CtxtHandle();
  const flagged = secBufferDesc(secFlagsBuffer(0x1_0000_0000n));
  assert.equal(
    await sspi.InitializeSecurityContext(client, null, "x", 0, 0, 0, flagged, 0, h, tokenOut(), box(0), null),
    SEC_I_CONTINUE_NEEDED,
    "a valid SECBUFFER_FLAGS",
  );
  await sspi.DeleteSecurityContext(h);
});

test("a second call on a context while one is in flight is refused; delete waits for it", async () => {
  const { client } = await credentials();
  const h = new CtxtHandle();
  await sspi.InitializeSecurityContext(client, null, "x", 0, 0, 0, null, 0, h, tokenOut(), box(0), null);
  let release!: () => void;
  pkg.gate = () =>
    new Promise((r) => {
      release = r;
    });
  try {
    const first = sspi.InitializeSecurityContext(
      client,
      h,
      "x",
      0,
      0,
      0,
      tokenIn(frame(FINISH)),
      0,
      h,
      tokenOut(),
      box(0),
      null,
    );
    const second = await sspi.InitializeSecurityContext(
      client,
      h,
      "x",
      0,
      0,
      0,
      tokenIn(frame(FINISH)),
      0,
      h,
      tokenOut(),
      box(0),
      null,
    );
    assert.equal(second, SEC_E_INVALID_PARAMETER);
    const deleted = sspi.DeleteSecurityContext(h);
    await new Promise((r) => setImmediate(r));
    pkg.gate = async () => {};
    release();
    assert.equal(await first, SEC_E_INVALID_TOKEN, "the in-flight call completed with its own status");
    assert.equal(await deleted, SEC_E_OK);
  } finally {
    pkg.gate = async () => {};
  }
});

test("package functions: enumerate, query by name and alias (case-insensitive), unknown package", () => {
  const count = box(0);
  const list = box<SecPkgInfo[] | null>(null);
  assert.equal(EnumerateSecurityPackages(count, list), SEC_E_OK);
  assert.equal(count.value, list.value?.length);
  assert.ok(list.value?.some((p) => p.Name === "Loopback"));
  assert.equal(FreeContextBuffer(list.value), SEC_E_OK);
  const info = box<SecPkgInfo | null>(null);
  for (const name of ["Loopback", "loopback test provider", "LOOPBACKTEST"]) {
    assert.equal(QuerySecurityPackageInfo(name, info), SEC_E_OK, name);
    assert.equal(info.value?.Name, "Loopback");
  }
  assert.equal(info.value?.wVersion, 1);
  assert.equal(QuerySecurityPackageInfo("Kerberos-not-here", info), SEC_E_SECPKG_NOT_FOUND);
  assert.equal(QuerySecurityPackageInfo(42 as never, info), SEC_E_INVALID_PARAMETER);
});

test("handles that become unreachable unreleased are reclaimed: the package frees and deletes them", async () => {
  await collectGarbage();
  const before = handleStatistics();
  const deletedBefore = pkg.contexts.filter((c) => c.deleted).length;
  await (async () => {
    for (let i = 0; i < 200; i++) {
      const cred = new CredHandle();
      await sspi.AcquireCredentialsHandle(
        null,
        "Loopback",
        SECPKG_CRED_OUTBOUND,
        null,
        { secret: "x" },
        null,
        null,
        cred,
        null,
      );
      const h = new CtxtHandle();
      await sspi.InitializeSecurityContext(cred, null, "x", 0, 0, 0, null, 0, h, tokenOut(), box(0), null);
    }
  })();
  await collectGarbage(8);
  await new Promise((r) => setTimeout(r, 50));
  const afterStats = handleStatistics();
  assert.equal(afterStats.reclaimedContexts - before.reclaimedContexts, 200);
  assert.equal(afterStats.reclaimedCredentials - before.reclaimedCredentials, 200);
  assert.equal(afterStats.liveContexts, before.liveContexts);
  assert.equal(
    pkg.contexts.filter((c) => c.deleted).length - deletedBefore,
    200,
    "the package deleted each one",
  );
});

test("per-message functions validate before dispatching", () => {
  const h = new CtxtHandle();
  assert.equal(DecryptMessage(h, secBufferDesc(), 0, null), SEC_E_INVALID_HANDLE);
  assert.equal(EncryptMessage({ dwLower: 0, dwUpper: 0 }, 0, secBufferDesc(), 0), SEC_E_INVALID_HANDLE);
});
