import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  asyncContextStatistics,
  box,
  CredHandle,
  promises,
  registerSecurityPackage,
  SCH_CREDENTIALS_VERSION,
  SEC_E_INVALID_HANDLE,
  SEC_E_INVALID_PARAMETER,
  SEC_E_LOGON_DENIED,
  SEC_E_OK,
  SEC_E_UNKNOWN_CREDENTIALS,
  SEC_I_ASYNC_CALL_PENDING,
  SECPKG_CRED_OUTBOUND,
  SspiAcquireCredentialsHandleAsync,
  type SspiAsyncContext,
  SspiAsyncContextRequiresNotify,
  SspiCreateAsyncContext,
  SspiFreeAsyncContext,
  SspiFreeCredentialsHandleAsync,
  SspiGetAsyncCallStatus,
  SspiGetLastErrorInfo,
  SspiReinitAsyncContext,
  SspiSetAsyncNotifyCallback,
  STATUS_INVALID_DEVICE_STATE,
  STATUS_INVALID_HANDLE,
  STATUS_SUCCESS,
  unregisterSecurityPackage,
} from "../../src/index.js";
import { collectGarbage } from "../support/gc.js";
import { LoopbackPackage } from "../support/loopback-package.js";

const loopback = new LoopbackPackage("AsyncCtxTest", []);
before(() => registerSecurityPackage(loopback));
after(() => unregisterSecurityPackage(loopback));

/**
 * The machinery is tested against the test-only loopback package and against the real
 * Schannel package: the same rules must hold whatever the package.
 */
interface Provider {
  name: string;
  /** Queues AcquireCredentialsHandle that completes with success (`ok`) or with `failure.status`. */
  acquire(
    ctx: SspiAsyncContext,
    outcome?: "ok" | "fail",
    cred?: CredHandle,
    expiry?: { value: bigint },
  ): number;
  failure: { status: number; reason: RegExp };
}

const providers: Provider[] = [
  {
    name: "loopback test package",
    acquire: (ctx, outcome = "ok", cred = new CredHandle(), expiry = box(0n)) =>
      SspiAcquireCredentialsHandleAsync(
        ctx,
        null,
        "AsyncCtxTest",
        SECPKG_CRED_OUTBOUND,
        null,
        { secret: outcome === "ok" ? "s" : "deny" },
        null,
        null,
        cred,
        expiry,
      ),
    failure: {
      status: SEC_E_LOGON_DENIED,
      reason: /^AcquireCredentialsHandle: SEC_E_LOGON_DENIED \(0x8009030c\): secret says deny$/,
    },
  },
  {
    name: "Schannel",
    acquire: (ctx, outcome = "ok", cred = new CredHandle(), expiry = box(0n)) =>
      SspiAcquireCredentialsHandleAsync(
        ctx,
        null,
        "Schannel",
        SECPKG_CRED_OUTBOUND,
        null,
        outcome === "ok"
          ? { dwVersion: SCH_CREDENTIALS_VERSION }
          : {
              dwVersion: SCH_CREDENTIALS_VERSION,
              paCred: [{ certificate: "not a certificate", privateKey: "not a key" }],
            },
        null,
        null,
        cred,
        expiry,
      ),
    failure: {
      status: SEC_E_UNKNOWN_CREDENTIALS,
      reason: /^AcquireCredentialsHandle: SEC_E_UNKNOWN_CREDENTIALS \(0x8009030d\): /,
    },
  },
];

/** Waits (bounded) until `condition` holds. */
async function eventually(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(condition(), what);
}

function nextCallback(
  ctx: SspiAsyncContext,
): Promise<{ handle: SspiAsyncContext; data: unknown; status: number }> {
  return new Promise((resolve) => {
    SspiSetAsyncNotifyCallback(
      ctx,
      (handle, data) => resolve({ handle, data, status: SspiGetAsyncCallStatus(handle) }),
      "my-data",
    );
  });
}

for (const { name, acquire, failure } of providers) {
  describe(name, () => {
    test("create → set callback → queue → pending → callback → status → reinit → queue again", async () => {
      const ctx = SspiCreateAsyncContext();
      assert.equal(SspiGetAsyncCallStatus(ctx), SEC_E_OK, "an idle context reports SEC_E_OK");
      assert.equal(SspiAsyncContextRequiresNotify(ctx), false);
      const called = nextCallback(ctx);
      assert.equal(SspiAsyncContextRequiresNotify(ctx), true);
      const cred = new CredHandle();
      const expiry = box(0n);
      assert.equal(acquire(ctx, "ok", cred, expiry), SEC_E_OK, "SEC_E_OK means queued");
      assert.equal(SspiGetAsyncCallStatus(ctx), SEC_I_ASYNC_CALL_PENDING);
      assert.equal(cred.dwLower, -1, "out-parameters are written at completion, not at queue time");
      const { handle, data, status } = await called;
      assert.equal(handle, ctx);
      assert.equal(data, "my-data");
      assert.equal(status, SEC_E_OK);
      assert.notEqual(cred.dwLower, -1, "the handle was written before the callback");
      assert.ok(expiry.value > 0n);

      assert.equal(acquire(ctx), SEC_E_INVALID_PARAMETER, "a completed context needs a reinit");
      assert.equal(SspiReinitAsyncContext(ctx), STATUS_SUCCESS);
      assert.equal(SspiAsyncContextRequiresNotify(ctx), true, "reinit keeps the callback");
      const again = nextCallback(ctx);
      assert.equal(SspiFreeCredentialsHandleAsync(ctx, cred), SEC_E_OK);
      assert.equal((await again).status, SEC_E_OK);
      SspiFreeAsyncContext(ctx);
    });

    test("the callback runs once, never inside the queuing call, in a macrotask of its own", async () => {
      const ctx = SspiCreateAsyncContext();
      const events: string[] = [];
      const done = new Promise<void>((resolve) => {
        SspiSetAsyncNotifyCallback(ctx, () => {
          events.push("callback");
          setImmediate(resolve);
        });
      });
      events.push("before");
      assert.equal(acquire(ctx), SEC_E_OK);
      events.push("after");
      queueMicrotask(() => events.push("microtask"));
      await done;
      await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(events, ["before", "after", "microtask", "callback"]);
      SspiFreeAsyncContext(ctx);
    });

    test("polling works without a callback", async () => {
      const ctx = SspiCreateAsyncContext();
      const cred = new CredHandle();
      assert.equal(acquire(ctx, "ok", cred), SEC_E_OK);
      let polls = 0;
      while (SspiGetAsyncCallStatus(ctx) === SEC_I_ASYNC_CALL_PENDING) {
        polls++;
        await new Promise((r) => setImmediate(r));
      }
      assert.equal(SspiGetAsyncCallStatus(ctx), SEC_E_OK);
      assert.ok(polls >= 1, "it was pending at least once");
      assert.notEqual(cred.dwLower, -1);
      SspiFreeAsyncContext(ctx);
    });

    test("a failed completion reports the package status and its reason", async () => {
      const ctx = SspiCreateAsyncContext();
      const called = nextCallback(ctx);
      const cred = new CredHandle();
      assert.equal(acquire(ctx, "fail", cred), SEC_E_OK, "a credential the package rejects still queues");
      assert.equal((await called).status, failure.status);
      assert.equal(cred.dwLower, -1, "no handle on failure");
      const info = SspiGetLastErrorInfo(ctx);
      assert.equal(info?.status, failure.status);
      assert.ok(info?.reason, "with the package's reason");
      assert.match(info?.message ?? "", failure.reason);
      SspiFreeAsyncContext(ctx);
    });

    test("a call that fails to queue changes nothing and never calls back", async () => {
      const ctx = SspiCreateAsyncContext();
      let calls = 0;
      SspiSetAsyncNotifyCallback(ctx, () => calls++);
      const cred = new CredHandle();
      assert.equal(
        SspiAcquireCredentialsHandleAsync(
          ctx,
          null,
          "NoSuchPackage",
          SECPKG_CRED_OUTBOUND,
          null,
          null,
          null,
          null,
          cred,
          null,
        ),
        -2146893051 /* SEC_E_SECPKG_NOT_FOUND */,
      );
      assert.equal(SspiGetLastErrorInfo()?.reason, 'no security package named "NoSuchPackage"');
      assert.equal(SspiGetAsyncCallStatus(ctx), SEC_E_OK, "still idle");
      assert.equal(acquire(ctx), SEC_E_OK, "and usable without a reinit");
      await eventually(() => calls > 0, "the queued call called back");
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(calls, 1, "only the queued call called back");
      SspiFreeAsyncContext(ctx);
    });

    test("misuse while pending: queue again, reinit, change the callback — each refused, nothing changes", async () => {
      {
        const ctx = SspiCreateAsyncContext();
        const called = nextCallback(ctx);
        assert.equal(acquire(ctx), SEC_E_OK);
        // The call cannot complete before this synchronous code yields.
        assert.equal(acquire(ctx), SEC_E_INVALID_PARAMETER, "queue on a pending context");
        assert.equal(SspiReinitAsyncContext(ctx), STATUS_INVALID_DEVICE_STATE, "reinit while pending");
        assert.equal(
          SspiSetAsyncNotifyCallback(ctx, () => {}),
          SEC_E_INVALID_PARAMETER,
          "callback change while pending",
        );
        assert.equal(SspiGetAsyncCallStatus(ctx), SEC_I_ASYNC_CALL_PENDING);
        assert.equal((await called).status, SEC_E_OK);
        SspiFreeAsyncContext(ctx);
      }
    });

    test("freeing a pending context: the call completes and writes its out-parameters, the callback is not called", async () => {
      {
        const ctx = SspiCreateAsyncContext();
        let calls = 0;
        SspiSetAsyncNotifyCallback(ctx, () => calls++);
        const cred = new CredHandle();
        assert.equal(acquire(ctx, "ok", cred), SEC_E_OK);
        SspiFreeAsyncContext(ctx);
        assert.equal(SspiGetAsyncCallStatus(ctx), SEC_E_INVALID_HANDLE, "unusable at once");
        await eventually(
          () => cred.dwLower !== -1,
          "the credential handle was still written, so it can be freed",
        );
        await new Promise((r) => setTimeout(r, 20));
        assert.equal(calls, 0, "no callback for a freed context");
        assert.equal(await promises.FreeCredentialsHandle(cred), SEC_E_OK);
      }
    });

    test("use after free and double free are defined", () => {
      const ctx = SspiCreateAsyncContext();
      SspiFreeAsyncContext(ctx);
      SspiFreeAsyncContext(ctx);
      SspiFreeAsyncContext(null);
      assert.equal(SspiGetAsyncCallStatus(ctx), SEC_E_INVALID_HANDLE);
      assert.equal(SspiReinitAsyncContext(ctx), STATUS_INVALID_HANDLE);
      assert.equal(
        SspiSetAsyncNotifyCallback(ctx, () => {}),
        SEC_E_INVALID_HANDLE,
      );
      assert.equal(SspiAsyncContextRequiresNotify(ctx), false);
      assert.equal(acquire(ctx), SEC_E_INVALID_HANDLE);
      assert.equal(SspiGetAsyncCallStatus({} as SspiAsyncContext), SEC_E_INVALID_HANDLE, "a foreign object");
      assert.equal(
        SspiSetAsyncNotifyCallback(SspiCreateAsyncContext(), 42 as never),
        SEC_E_INVALID_PARAMETER,
      );
    });

    test("the callback may free the context, or reinit it and queue the next call", async () => {
      const freed = SspiCreateAsyncContext();
      const freedDone = new Promise<number>((resolve) => {
        SspiSetAsyncNotifyCallback(freed, (h) => {
          const status = SspiGetAsyncCallStatus(h);
          SspiFreeAsyncContext(h);
          resolve(status);
        });
      });
      assert.equal(acquire(freed), SEC_E_OK);
      assert.equal(await freedDone, SEC_E_OK);
      assert.equal(SspiGetAsyncCallStatus(freed), SEC_E_INVALID_HANDLE);

      const chained = SspiCreateAsyncContext();
      const cred = new CredHandle();
      const statuses: number[] = [];
      await new Promise<void>((resolve) => {
        SspiSetAsyncNotifyCallback(chained, (h) => {
          statuses.push(SspiGetAsyncCallStatus(h));
          if (statuses.length === 1) {
            assert.equal(SspiReinitAsyncContext(h), STATUS_SUCCESS);
            assert.equal(SspiFreeCredentialsHandleAsync(h, cred), SEC_E_OK);
          } else resolve();
        });
        assert.equal(acquire(chained, "ok", cred), SEC_E_OK);
      });
      assert.deepEqual(statuses, [SEC_E_OK, SEC_E_OK]);
      SspiFreeAsyncContext(chained);
    });

    test("a callback that throws surfaces as an uncaught exception and leaves the library consistent", async () => {
      const ctx = SspiCreateAsyncContext();
      SspiSetAsyncNotifyCallback(ctx, () => {
        throw new Error("boom from callback");
      });
      const listeners = process.listeners("uncaughtException");
      process.removeAllListeners("uncaughtException");
      const caught = new Promise<Error>((resolve) => process.once("uncaughtException", resolve));
      try {
        assert.equal(acquire(ctx), SEC_E_OK);
        const err = await caught;
        assert.equal(err.message, "boom from callback");
      } finally {
        for (const l of listeners) process.on("uncaughtException", l);
      }
      assert.equal(SspiGetAsyncCallStatus(ctx), SEC_E_OK, "the call's result is intact");
      assert.equal(SspiReinitAsyncContext(ctx), STATUS_SUCCESS, "and the context is reusable");
      SspiSetAsyncNotifyCallback(ctx, null);
      assert.equal(acquire(ctx), SEC_E_OK);
      SspiFreeAsyncContext(ctx);
    });
  });
}

test("thousands of contexts created and freed, or dropped, retain nothing", async () => {
  await collectGarbage();
  const before = asyncContextStatistics();
  for (let i = 0; i < 5000; i++) SspiFreeAsyncContext(SspiCreateAsyncContext());
  for (let i = 0; i < 5000; i++) SspiCreateAsyncContext();
  await collectGarbage(6);
  const afterStats = asyncContextStatistics();
  assert.equal(afterStats.created - before.created, 10000);
  assert.equal(afterStats.freed - before.freed, 5000);
  assert.equal(
    afterStats.reclaimed - before.reclaimed,
    5000,
    "every dropped context was reclaimed and counted",
  );
  assert.equal(afterStats.live, before.live);
});
