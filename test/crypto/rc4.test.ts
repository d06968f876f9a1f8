/**
 * The in-house RC4 (the documented exception to "no home-made crypto"): RFC 6229 keystreams, a
 * cross-check against OpenSSL's RC4 (legacy provider, in a child process) deep into the
 * keystream, and the state carrying over between calls.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { Rc4, rc4 } from "../../src/crypto/rc4.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "hex"));

/** RFC 6229 §2, keystream at offsets 0 and 16 for its first five keys. */
const RFC6229: Array<[string, string]> = [
  ["0102030405", "b2396305f03dc027ccc3524a0a1118a86982944f18fc82d589c403a47a0d0919"],
  ["01020304050607", "293f02d47f37c9b633f2af5285feb46b"],
  ["0102030405060708", "97ab8a1bf0afb96132f2f67258da15a8"],
  ["0102030405060708090a", "ede3b04643e586cc907dc21851709902"],
  ["0102030405060708090a0b0c0d0e0f10", "9ac7cc9a609d1ef7b2932899cde41b97"],
];

describe("RC4", () => {
  for (const [key, stream] of RFC6229) {
    it(`RFC 6229 keystream for the ${(key.length / 2) * 8}-bit key ${key}`, () => {
      assert.equal(hex(rc4(unhex(key), new Uint8Array(stream.length / 2))), stream);
    });
  }

  it("RFC 6229 keystream deep into the stream (offsets 768 and 3072)", () => {
    const at = (key: string, offset: number) =>
      hex(rc4(unhex(key), new Uint8Array(offset + 16)).subarray(offset));
    assert.equal(at("0102030405", 3072), "ec0e11c479dc329dc8da7968fe965681");
    assert.equal(at("0102030405060708", 3072), "bc7683205d4f443dc1f29dda3315c87b");
    assert.equal(at("0102030405060708090a0b0c0d0e0f10", 768), "eccbe13de1fcc91c11a0b26c0bc8fa4d");
  });

  it("keeps its state across calls (NTLM's sealing handle)", () => {
    const whole = rc4(unhex("0102030405"), new Uint8Array(4112));
    const handle = new Rc4(unhex("0102030405"));
    const parts = [
      handle.process(new Uint8Array(7)),
      handle.process(new Uint8Array(4000)),
      handle.process(new Uint8Array(105)),
    ];
    assert.equal(hex(Buffer.concat(parts)), hex(whole));
  });

  it("in-place processing equals copying, and decrypting is encrypting", () => {
    const data = new Uint8Array(300).map((_, i) => i * 7);
    const copy = rc4(unhex("00112233"), data);
    const inPlace = data.slice();
    new Rc4(unhex("00112233")).processInto(inPlace, inPlace);
    assert.equal(hex(inPlace), hex(copy));
    assert.equal(hex(rc4(unhex("00112233"), copy)), hex(data));
  });

  it("refuses an empty key", () => {
    assert.throws(() => new Rc4(new Uint8Array(0)), RangeError);
  });

  it("agrees with OpenSSL's RC4 (legacy provider) over 4112 bytes for 40- to 256-byte keys", (t) => {
    const keys = ["0102030405", "c109163908ebe51debb46227c6cc8b37641910833222772a", "ff".repeat(256)];
    const script = `const c=require("node:crypto");for(const k of process.argv.slice(1)){const e=c.createCipheriv("rc4",Buffer.from(k,"hex"),null);console.log(Buffer.concat([e.update(Buffer.alloc(4112)),e.final()]).toString("hex"))}`;
    const r = spawnSync(process.execPath, ["--openssl-legacy-provider", "-e", script, ...keys], {
      encoding: "utf8",
    });
    if (r.status !== 0) {
      const reason = `Node's OpenSSL has no legacy RC4 here: ${r.stderr.split("\n")[0]}`;
      if (process.env.CI === "true") assert.fail(`${reason}; required when CI=true`);
      t.skip(reason);
      return;
    }
    const lines = r.stdout.trim().split("\n");
    keys.forEach((k, i) => {
      assert.equal(hex(rc4(unhex(k), new Uint8Array(4112))), lines[i], `key ${k.slice(0, 16)}…`);
    });
  });
});
