import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import {
  CIPHER_SUITE_NAMES,
  cipherSuiteName,
  extensionTypeName,
  handshakeTraceLabel,
  handshakeTypeName,
  isGrease,
  namedGroupName,
  protocolVersionName,
  signatureSchemeName,
} from "../../../src/schannel/records/tls-names.js";
import { alertDescriptionName } from "../../../src/sspi/schannel-constants.js";

/** `openssl ciphers -V -stdname <spec>` as [id, IANA name] pairs. */
function opensslSuites(spec: string): [number, string][] {
  const out = execFileSync("openssl", ["ciphers", "-V", "-stdname", spec], { encoding: "latin1" });
  return out
    .split("\n")
    .map((line) => /0x([0-9A-F]{2}),0x([0-9A-F]{2}) - (\S+)/i.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => [Number.parseInt(m[1]! + m[2]!, 16), m[3]!]);
}

describe("tls-names", () => {
  it("names every suite OpenSSL knows exactly as its -stdname does", () => {
    const suites = opensslSuites("ALL:COMPLEMENTOFALL:@SECLEVEL=0");
    assert.ok(suites.length > 100);
    for (const [id, name] of suites) assert.equal(cipherSuiteName(id), name, `0x${id.toString(16)}`);
  });

  it("has every TLS 1.3 suite", () => {
    assert.deepEqual([0x1301, 0x1302, 0x1303, 0x1304, 0x1305].map(cipherSuiteName), [
      "TLS_AES_128_GCM_SHA256",
      "TLS_AES_256_GCM_SHA384",
      "TLS_CHACHA20_POLY1305_SHA256",
      "TLS_AES_128_CCM_SHA256",
      "TLS_AES_128_CCM_8_SHA256",
    ]);
    assert.ok(CIPHER_SUITE_NAMES.size >= 170);
  });

  it("handshake types from the brief", () => {
    const expected: [number, string][] = [
      [1, "client_hello"],
      [2, "server_hello"],
      [4, "new_session_ticket"],
      [5, "end_of_early_data"],
      [8, "encrypted_extensions"],
      [11, "certificate"],
      [12, "server_key_exchange"],
      [13, "certificate_request"],
      [14, "server_hello_done"],
      [15, "certificate_verify"],
      [16, "client_key_exchange"],
      [20, "finished"],
      [24, "key_update"],
      [254, "message_hash"],
    ];
    for (const [type, name] of expected) assert.equal(handshakeTypeName(type), name);
    assert.equal(handshakeTraceLabel(14), "ServerHelloDone");
    assert.equal(handshakeTraceLabel(99), "Handshake(99)");
  });

  it("groups, including ffdhe and the hybrid post-quantum codepoints", () => {
    assert.equal(namedGroupName(29), "x25519");
    assert.equal(namedGroupName(23), "secp256r1");
    assert.equal(namedGroupName(0x0104), "ffdhe8192");
    assert.equal(namedGroupName(0x11ec), "X25519MLKEM768");
    assert.equal(namedGroupName(0x11eb), "SecP256r1MLKEM768");
    assert.equal(namedGroupName(0x6399), "X25519Kyber768Draft00");
    assert.equal(namedGroupName(0x4242), undefined);
  });

  it("GREASE, versions, schemes, extensions, alerts", () => {
    for (let i = 0; i < 16; i++) assert.ok(isGrease(0x0a0a + i * 0x1010));
    assert.ok(!isGrease(0x0a1a) && !isGrease(0x0b0b));
    assert.equal(cipherSuiteName(0x2a2a), "GREASE");
    assert.equal(protocolVersionName(0x0304), "TLS 1.3");
    assert.equal(signatureSchemeName(0x0804), "rsa_pss_rsae_sha256");
    assert.equal(extensionTypeName(0xfe0d), "encrypted_client_hello");
    assert.equal(extensionTypeName(51), "key_share");
    assert.equal(alertDescriptionName(48), "unknown_ca");
  });
});
