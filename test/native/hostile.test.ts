/**
 * Hostile arguments thrown at the addon directly (fast-check): wrong types, detached and
 * undersized buffers, freed objects, calls while a step runs on the pool, random bytes as TLS
 * input. Every call returns or throws an Error; none crashes the process.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { NativeContext, NativeCredential } from "../../src/schannel/native/addon-types.js";
import {
  clientOptions,
  handshakeInMemory,
  nativeAddon,
  nativePki,
  serverOptions,
} from "../support/native-addon.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 150);

/** Calls `f`; a thrown non-Error (or a crash) fails the property. */
function survives(f: () => unknown): void {
  try {
    f();
  } catch (error) {
    assert.ok(error instanceof Error, `threw a non-Error: ${String(error)}`);
  }
}

function detached(length: number): Uint8Array {
  const view = new Uint8Array(length);
  structuredClone(view.buffer, { transfer: [view.buffer] });
  return view;
}

const hostileValue = fc.oneof(
  fc.anything(),
  fc.uint8Array({ maxLength: 64 }),
  fc.integer({ min: 0, max: 64 }).map(detached),
  fc.constantFrom(
    null,
    undefined,
    -1,
    Number.NaN,
    2 ** 53,
    "",
    "\u0000",
    new Uint16Array(4),
    new DataView(new ArrayBuffer(4)),
    new ArrayBuffer(8),
    Symbol("s"),
    () => 1,
    { role: "server" },
    { role: "client", certificates: [{}] },
    { role: "client", roots: [new Uint8Array(3)] },
    { role: "server", ticketKeys: [{ name: new Uint8Array(15) }] },
  ),
);

const METHODS = [
  "stepSync",
  "encrypt",
  "seal",
  "sendAlert",
  "decrypt",
  "takeOutput",
  "keyUpdate",
  "shutdown",
  "setCertificate",
  "setSuspendForCertificate",
  "info",
  "peerChain",
  "exportKeyingMaterial",
  "checkPeerName",
  "session",
  "streamSizes",
  "takeAlerts",
  "takeSessions",
  "consumed",
  "finished",
  "step",
] as const;

test("Credential/Context/Session constructors with hostile options throw an Error, never crash", () => {
  const addon = nativeAddon();
  fc.assert(
    fc.property(hostileValue, hostileValue, (a, b) => {
      survives(() => (new addon.Credential(a as never) as NativeCredential).free());
      survives(() => new addon.Context(a as never, b as never).free());
      survives(() => addon.Session.fromDER(a as never).free());
      survives(() => (addon.Credential as unknown as (x: unknown) => unknown)(a));
      survives(() => new (addon.Session as unknown as new (x: unknown) => unknown)(a));
    }),
    { numRuns: RUNS },
  );
});

test("every Context method with hostile arguments, on a live, an established and a freed context", async () => {
  const addon = nativeAddon();
  const pki = await nativePki();
  const serverCredential = new addon.Credential(serverOptions(pki.server));
  const clientCredential = new addon.Credential(clientOptions(pki.ca));
  const established = (): [NativeContext, NativeContext] => {
    const client = new addon.Context(clientCredential, {
      serverName: "server.test",
      verifyHost: "server.test",
    });
    const server = new addon.Context(serverCredential, {});
    handshakeInMemory(client, server);
    return [client, server];
  };
  try {
    fc.assert(
      fc.property(
        fc.constantFrom(...METHODS),
        fc.array(hostileValue, { maxLength: 3 }),
        fc.constantFrom("fresh", "established", "freed"),
        (method, args, state) => {
          const contexts =
            state === "established" ? established() : [new addon.Context(serverCredential, {})];
          if (state === "freed") for (const c of contexts) c.free();
          for (const context of contexts) {
            const call = (context as unknown as Record<string, (...a: unknown[]) => unknown>)[method]!;
            survives(() => call.apply(context, args));
            survives(() => call.apply(context, [new Uint8Array(0), detached(8)]));
            survives(() => call.apply(context, [detached(8), new Uint8Array(1)]));
            survives(() => call.apply(context, [new Uint8Array(13), new Uint8Array(4), detached(8)]));
          }
          for (const c of contexts) survives(() => c.free());
        },
      ),
      { numRuns: RUNS },
    );
  } finally {
    clientCredential.free();
    serverCredential.free();
  }
});

test("records into undersized buffers return a status; random bytes as TLS input fail cleanly", async () => {
  const addon = nativeAddon();
  const pki = await nativePki();
  const serverCredential = new addon.Credential(serverOptions(pki.server));
  const clientCredential = new addon.Credential(clientOptions(pki.ca));
  try {
    const client = new addon.Context(clientCredential, {
      serverName: "server.test",
      verifyHost: "server.test",
    });
    const server = new addon.Context(serverCredential, {});
    handshakeInMemory(client, server);
    assert.equal(client.encrypt(new Uint8Array(100), new Uint8Array(50)), -3, "out too small: nothing done");
    assert.equal(client.decrypt(new Uint8Array(10), new Uint8Array(0)), -3);
    // seal (EncryptMessage in place) with any header, data and trailer sizes: a status, and
    // nothing written unless all three fit (-3).
    const sizes = client.streamSizes()!;
    fc.assert(
      fc.property(fc.nat(40), fc.nat(17000), fc.nat(40), (h, d, t) => {
        const r = client.seal(new Uint8Array(h), new Uint8Array(d), new Uint8Array(t));
        if (h < sizes.header || t < sizes.trailer || d > 16384) assert.equal(r, -3, `${h}/${d}/${t}`);
        else if (d === 0) assert.equal(r, -6, "empty data: nothing to send");
        else assert.ok(r >= 0 && r <= t, `${h}/${d}/${t}: ${r}`);
        assert.equal(client.pendingOutput(), 0, "everything went into the caller's buffers");
      }),
      { numRuns: RUNS },
    );
    assert.throws(() => client.sendAlert(3, 0), RangeError);
    assert.throws(() => client.sendAlert(2, 256), RangeError);
    assert.throws(() => client.sendAlert("2" as never, 0), TypeError);
    client.free();
    server.free();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.boolean(), (bytes, asServer) => {
        const context = asServer
          ? new addon.Context(serverCredential, {})
          : new addon.Context(clientCredential, { serverName: "server.test" });
        if (!asServer) context.stepSync(new Uint8Array(0));
        const r = context.stepSync(bytes);
        assert.ok(["want-read", "error"].includes(r.outcome), r.outcome);
        assert.ok(r.consumed <= bytes.length);
        if (r.outcome === "error") {
          const again = context.stepSync(bytes);
          assert.equal(again.outcome, "error", "a context is dead after a fatal error");
          assert.equal(again.output.length, 0);
        }
        context.free();
      }),
      { numRuns: RUNS },
    );
  } finally {
    clientCredential.free();
    serverCredential.free();
  }
});

test("a context with a step running on the pool refuses every other call; free() after it completes", async () => {
  const addon = nativeAddon();
  const pki = await nativePki();
  const credential = new addon.Credential(clientOptions(pki.ca));
  const context = new addon.Context(credential, { serverName: "server.test" });
  const done = new Promise<string>((resolve, reject) =>
    context.step(new Uint8Array(0), (error, result) => (error ? reject(error) : resolve(result.outcome))),
  );
  assert.equal(context.isBusy(), true);
  assert.throws(() => context.stepSync(new Uint8Array(0)), /a step is running/);
  assert.throws(() => context.encrypt(new Uint8Array(1), new Uint8Array(1000)), /a step is running/);
  assert.throws(() => context.step(new Uint8Array(0), () => {}), /a step is running/);
  assert.throws(() => context.free(), /a step is running/);
  assert.equal(await done, "want-read");
  context.free();
  context.free();
  assert.throws(() => context.info(), /freed/);
  credential.free();
  assert.throws(() => new addon.Context(credential, {}), TypeError);
});
