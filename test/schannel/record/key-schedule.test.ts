/**
 * Key schedule: RFC test vectors, and the exporters against Node's `exportKeyingMaterial()` on real
 * handshakes.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { TLSSocket } from "node:tls";
import {
  cipherSuiteByIanaName,
  cipherSuiteById,
  cipherSuiteByName,
  cipherSuiteByOpensslName,
  TLS_AES_128_GCM_SHA256,
  TLS_AES_256_GCM_SHA384,
  TLS_CHACHA20_POLY1305_SHA256,
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
} from "../../../src/schannel/record/cipher-suites.js";
import {
  hkdfExpand,
  hkdfExpandLabel,
  nextTrafficSecret,
  tls12Exporter,
  tls12Prf,
  tls13Exporter,
  tls13TrafficKeys,
} from "../../../src/schannel/record/key-schedule.js";
import { establish } from "./tls-harness.js";

/** `exportKeyingMaterial(length, label)` without a context (allowed at run time; @types/node requires one). */
function exportWithoutContext(socket: TLSSocket, length: number, label: string): Buffer {
  return (socket.exportKeyingMaterial as (length: number, label: string) => Buffer).call(
    socket,
    length,
    label,
  );
}

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");

describe("key schedule vectors", () => {
  test("HKDF-Expand: RFC 5869 test case 1 (PRK given)", () => {
    const prk = hex("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5");
    assert.equal(
      hkdfExpand("sha256", prk, hex("f0f1f2f3f4f5f6f7f8f9"), 42).toString("hex"),
      "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
    );
    assert.throws(() => hkdfExpand("sha256", prk, new Uint8Array(0), 255 * 32 + 1), RangeError);
  });

  test("traffic key and IV: RFC 8448 simple 1-RTT, server handshake traffic", () => {
    const secret = hex("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38");
    const { key, iv } = tls13TrafficKeys(TLS_AES_128_GCM_SHA256, secret);
    assert.equal(key.toString("hex"), "3fce516009c21727d0f2e4e86ee403bc");
    assert.equal(iv.toString("hex"), "5d313eb2671276ee13000b30");
    assert.throws(() => tls13TrafficKeys(TLS_AES_256_GCM_SHA384, secret), RangeError);
  });

  test("KeyUpdate ratchet is HKDF-Expand-Label(secret, 'traffic upd', '', Hash.length)", () => {
    const secret = Buffer.alloc(32, 7);
    assert.deepEqual(
      nextTrafficSecret(TLS_CHACHA20_POLY1305_SHA256, secret),
      hkdfExpandLabel("sha256", secret, "traffic upd", new Uint8Array(0), 32),
    );
    assert.equal(nextTrafficSecret(TLS_AES_256_GCM_SHA384, Buffer.alloc(48, 1)).length, 48);
  });

  test("TLS 1.2 PRF (P_SHA256) test vector", () => {
    const out = tls12Prf(
      "sha256",
      hex("9bbe436ba940f017b17652849a71db35"),
      "test label",
      hex("a0ba9f936cda311827a6f796ffd5198c"),
      100,
    );
    assert.equal(
      out.toString("hex"),
      "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af" +
        "0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff7" +
        "0187347b66",
    );
  });

  test("suite lookups", () => {
    assert.equal(
      cipherSuiteByOpensslName("ECDHE-RSA-AES128-GCM-SHA256"),
      TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    );
    assert.equal(
      cipherSuiteByIanaName("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
      TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    );
    assert.equal(cipherSuiteById(0x1302), TLS_AES_256_GCM_SHA384);
    assert.equal(cipherSuiteByName("TLS_AES_256_GCM_SHA384"), TLS_AES_256_GCM_SHA384);
    assert.equal(cipherSuiteByName("AES128-SHA"), undefined);
    assert.equal(cipherSuiteById(0x002f), undefined);
  });
});

describe("exporters equal Node's exportKeyingMaterial", () => {
  const context = Buffer.from("channel binding context");
  const label = "EXPERIMENTAL-async-sspi";
  for (const suite of [TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384]) {
    test(`TLS 1.3 ${suite.ianaName}`, async () => {
      const s = await establish(suite, { role: "client" });
      try {
        const exporter = s.keylog.secrets.get("EXPORTER_SECRET")!;
        for (const ctx of [context, Buffer.alloc(0)]) {
          assert.deepEqual(
            tls13Exporter(suite, exporter, label, ctx, 40),
            s.client.exportKeyingMaterial(40, label, ctx),
          );
          assert.deepEqual(
            tls13Exporter(suite, exporter, label, ctx, 40),
            s.server.exportKeyingMaterial(40, label, ctx),
          );
        }
        // TLS 1.3: no context is the same as an empty one
        assert.deepEqual(
          tls13Exporter(suite, exporter, label, null, 32),
          exportWithoutContext(s.client, 32, label),
        );
      } finally {
        s.close();
      }
    });
  }
  for (const suite of [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384]) {
    test(`TLS 1.2 ${suite.ianaName}`, async () => {
      const s = await establish(suite, { role: "server" });
      try {
        const master = s.keylog.secrets.get("CLIENT_RANDOM")!;
        const cr = s.keylog.clientRandom!;
        const sr = s.serverRandom;
        assert.deepEqual(
          tls12Exporter(suite, master, cr, sr, label, context, 40),
          s.client.exportKeyingMaterial(40, label, context),
        );
        assert.deepEqual(
          tls12Exporter(suite, master, cr, sr, label, context, 40),
          s.server.exportKeyingMaterial(40, label, context),
        );
        const noContext = tls12Exporter(suite, master, cr, sr, label, null, 32);
        assert.deepEqual(noContext, exportWithoutContext(s.client, 32, label));
        // RFC 5705: an empty context differs from no context
        assert.notDeepEqual(noContext, tls12Exporter(suite, master, cr, sr, label, Buffer.alloc(0), 32));
      } finally {
        s.close();
      }
    });
  }
});
