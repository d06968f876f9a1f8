/**
 * NTLM message encoding and parsing: round trips, the captured tokens of curl, gss-ntlmssp and
 * Samba (test/ntlm/fixtures), and strict bounds checks — every malformed input is an
 * `invalid-token` NtlmError (SEC_E_INVALID_TOKEN), never another exception.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  avFlags,
  avString,
  avTimestamp,
  encodeAvPairs,
  findAv,
  MsvAvChannelBindings,
  MsvAvDnsComputerName,
  MsvAvNbDomainName,
  MsvAvTargetName,
  parseAvPairs,
} from "../../src/ntlm/av-pairs.js";
import { parseClientChallengeBlob } from "../../src/ntlm/crypto/ntlmv2-response.js";
import { encodeAuthenticate, parseAuthenticate } from "../../src/ntlm/messages/authenticate-message.js";
import { encodeChallenge, parseChallenge } from "../../src/ntlm/messages/challenge-message.js";
import { encodeNegotiate, parseNegotiate } from "../../src/ntlm/messages/negotiate-message.js";
import {
  flagNames,
  NTLMSSP_NEGOTIATE_56,
  NTLMSSP_NEGOTIATE_KEY_EXCH,
  NTLMSSP_NEGOTIATE_UNICODE,
  NTLMSSP_NEGOTIATE_VERSION,
} from "../../src/ntlm/negotiate-flags.js";
import { NtlmError } from "../../src/ntlm/ntlm-error.js";
import { SEC_E_INVALID_TOKEN } from "../../src/sspi/status.js";
import { fixture, hex, unhex } from "./support/bytes.js";

function assertInvalid(fn: () => unknown, pattern?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof NtlmError, `expected NtlmError, got ${String(e)}`);
    assert.equal(e.kind, "invalid-token");
    assert.equal(e.status, SEC_E_INVALID_TOKEN);
    assert.match(e.message, /^SEC_E_INVALID_TOKEN \(0x80090308\): /);
    if (pattern) assert.match(e.reason, pattern);
    return true;
  });
}

describe("negotiate flags", () => {
  it("names every bit by its MS-NLMP name, unnamed bits in hex", () => {
    assert.deepEqual(flagNames(0x00088206), [
      "NTLM_NEGOTIATE_OEM",
      "NTLMSSP_REQUEST_TARGET",
      "NTLMSSP_NEGOTIATE_NTLM",
      "NTLMSSP_NEGOTIATE_ALWAYS_SIGN",
      "NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY",
    ]);
    assert.deepEqual(flagNames(NTLMSSP_NEGOTIATE_56 | 0x8), ["NTLMSSP_NEGOTIATE_56", "0x00000008"]);
  });
});

describe("captured tokens parse", () => {
  it("curl NEGOTIATE (32 bytes, no VERSION)", () => {
    const n = parseNegotiate(fixture("curl-1-ntlm-32.bin"));
    assert.equal(n.flags, 0x00088206);
    assert.equal(n.version, undefined);
    assert.equal(n.domain, undefined);
  });

  it("gss-ntlmssp and Samba NEGOTIATE (40 bytes, VERSION)", () => {
    const g = parseNegotiate(fixture("gss-ntlmssp-negotiate.bin"));
    assert.equal(g.flags, 0xe2088217);
    assert.equal(g.version?.ntlmRevisionCurrent, 15);
    const s = parseNegotiate(fixture("samba-ntlm_auth-negotiate.bin"));
    assert.equal(s.flags, 0x62088205);
    assert.equal(s.version?.productMajorVersion, 6);
  });

  it("gss-ntlmssp CHALLENGE (also what curl answered) and the Samba AD DC's CHALLENGE", () => {
    const g = parseChallenge(fixture("gss-ntlmssp-challenge.bin"));
    assert.equal(g.flags, 0xe28a8215);
    assert.equal(g.targetName, "VM");
    assert.ok(avTimestamp(g.targetInfo)! > 0n);
    assert.deepEqual(parseChallenge(fixture("challenge-for-curl.bin")), g);
    const ad = parseChallenge(fixture("samba-ad-challenge.bin"));
    assert.equal(ad.targetName, "SAMDOM");
    assert.equal(avString(ad.targetInfo, MsvAvNbDomainName), "SAMDOM");
    assert.ok(avString(ad.targetInfo, MsvAvDnsComputerName)?.length);
  });

  it("curl AUTHENTICATE (64-byte header, LMv2 + NTLMv2, no MIC)", () => {
    const a = parseAuthenticate(fixture("curl-2-ntlm-248.bin"));
    assert.equal(`${a.domain}\\${a.user}`, "TESTDOM\\alice");
    assert.equal(a.lmChallengeResponse.length, 24);
    assert.equal(a.ntChallengeResponse.length, 114);
    assert.equal(a.mic, undefined);
    assert.equal(a.version, undefined);
    const blob = parseClientChallengeBlob(a.ntChallengeResponse.subarray(16));
    assert.equal(blob.clientChallenge.length, 8);
  });

  it("gss-ntlmssp AUTHENTICATE: NTLMv2 blob with MsvAvChannelBindings and MsvAvTargetName, no MIC", () => {
    const a = parseAuthenticate(fixture("gss-ntlmssp-authenticate.bin"));
    assert.equal(`${a.domain}\\${a.user}`, "TESTDOM\\alice");
    assert.equal(a.lmChallengeResponse.length, 0);
    assert.equal(a.mic, undefined);
    assert.equal(a.encryptedRandomSessionKey.length, 16);
    const blob = parseClientChallengeBlob(a.ntChallengeResponse.subarray(16));
    assert.equal(avString(blob.avPairs, MsvAvTargetName), "HTTP/localhost");
    assert.equal(hex(findAv(blob.avPairs, MsvAvChannelBindings)!).length, 32);
  });

  it("Samba ntlm_auth AUTHENTICATE: a MIC field, MsvAvSingleHost, all-zero MsvAvChannelBindings", () => {
    const a = parseAuthenticate(fixture("samba-ntlm_auth-authenticate.bin"));
    assert.equal(`${a.domain}\\${a.user}`, "TESTDOM\\alice");
    assert.equal(a.mic?.length, 16);
    const blob = parseClientChallengeBlob(a.ntChallengeResponse.subarray(16));
    // gss-ntlmssp's CHALLENGE carried MsvAvFlags 0 and Samba echoed it: the MIC is not announced.
    assert.equal(avFlags(blob.avPairs), 0);
    assert.equal(findAv(blob.avPairs, 8)?.length, 48);
    assert.equal(hex(findAv(blob.avPairs, MsvAvChannelBindings)!), "0".repeat(32));
  });
});

describe("round trips", () => {
  it("NEGOTIATE with OEM domain and workstation", () => {
    const bytes = encodeNegotiate({
      flags: NTLMSSP_NEGOTIATE_UNICODE,
      domain: "DOM",
      workstation: "WS",
      version: { productMajorVersion: 10, productMinorVersion: 0, productBuild: 1, ntlmRevisionCurrent: 15 },
    });
    const n = parseNegotiate(bytes);
    assert.equal(n.domain, "DOM");
    assert.equal(n.workstation, "WS");
    assert.ok(n.flags & NTLMSSP_NEGOTIATE_VERSION);
    assert.equal(n.version?.productBuild, 1);
  });

  it("CHALLENGE and AUTHENTICATE re-encode the captured tokens' fields", () => {
    const c = parseChallenge(fixture("gss-ntlmssp-challenge.bin"));
    assert.deepEqual(parseChallenge(encodeChallenge(c)), c);
    const a = parseAuthenticate(fixture("samba-ntlm_auth-authenticate.bin"));
    const again = parseAuthenticate(encodeAuthenticate(a, true));
    assert.deepEqual(again, a);
  });

  it("OEM strings when UNICODE is not negotiated", () => {
    const a = {
      lmChallengeResponse: new Uint8Array(0),
      ntChallengeResponse: new Uint8Array(0),
      domain: "D",
      user: "bob",
      workstation: "W",
      encryptedRandomSessionKey: new Uint8Array(0),
      flags: NTLMSSP_NEGOTIATE_KEY_EXCH,
    };
    const bytes = encodeAuthenticate(a, false);
    assert.ok(Buffer.from(bytes).includes(Buffer.from("bob", "latin1")));
    assert.equal(parseAuthenticate(bytes).user, "bob");
  });
});

describe("malformed tokens are invalid-token, never another exception", () => {
  const negotiate = fixture("gss-ntlmssp-negotiate.bin");
  const challenge = fixture("gss-ntlmssp-challenge.bin");
  const authenticate = fixture("samba-ntlm_auth-authenticate.bin");

  it("empty, garbage, wrong signature, wrong type", () => {
    assertInvalid(() => parseNegotiate(new Uint8Array(0)), /too short/);
    assertInvalid(() => parseChallenge(new TextEncoder().encode("HTTP/1.1 200 OK\r\n\r\n")), /signature/);
    assertInvalid(() => parseAuthenticate(negotiate), /expected a AUTHENTICATE message, got NEGOTIATE/);
    assertInvalid(() => parseNegotiate(challenge), /got CHALLENGE/);
  });

  it("every truncation of every captured message", () => {
    for (const [bytes, parse] of [
      [negotiate, parseNegotiate],
      [challenge, parseChallenge],
      [authenticate, parseAuthenticate],
    ] as const) {
      for (let n = 0; n < bytes.length; n++) {
        const cut = bytes.subarray(0, n);
        try {
          parse(cut);
        } catch (e) {
          assert.ok(e instanceof NtlmError && e.kind === "invalid-token", `length ${n}: ${String(e)}`);
          continue;
        }
        // NEGOTIATE may legitimately lose its VERSION tail.
        assert.ok(parse === parseNegotiate && n >= 32, `a ${n}-byte prefix parsed`);
      }
    }
  });

  it("a field running past the message, or pointing into the header", () => {
    const past = authenticate.slice();
    past[20] = 0xff; // NtChallengeResponse length 0x..ff
    past[21] = 0xff;
    assertInvalid(() => parseAuthenticate(past), /run past/);
    const intoHeader = challenge.slice();
    intoHeader[44] = 8; // TargetInfo offset 8
    intoHeader[45] = 0;
    assertInvalid(() => parseChallenge(intoHeader), /into the message header/);
  });

  it("odd-length UTF-16 strings", () => {
    const a = parseAuthenticate(authenticate);
    const bytes = encodeAuthenticate({ ...a, flags: a.flags | NTLMSSP_NEGOTIATE_UNICODE }, true);
    bytes[36] = bytes[36]! - 1; // UserName length odd
    assertInvalid(() => parseAuthenticate(bytes), /odd length/);
  });

  it("a CHALLENGE without TargetInfo (no NTLMv2)", () => {
    const c = parseChallenge(challenge);
    const bytes = encodeChallenge(c);
    bytes.fill(0, 40, 48);
    assertInvalid(() => parseChallenge(bytes), /without TargetInfo/);
  });

  it("AV pairs: missing EOL, overlong pair, wrong fixed sizes, duplicates", () => {
    assertInvalid(() => parseAvPairs(unhex("02000200410000")), /truncated/);
    assertInvalid(() => parseAvPairs(unhex("0200ff0041004200")), /truncated/);
    assertInvalid(
      () => parseAvPairs(unhex("0700040000000000" + "00000000")),
      /MsvAvTimestamp has 4 bytes, expected 8/,
    );
    assertInvalid(
      () => parseAvPairs(unhex("06000400020000000600040002000000" + "00000000")),
      /appears twice/,
    );
    assertInvalid(() => parseAvPairs(unhex("0000020000000000")), /MsvAvEOL with a 2-byte value/);
    assert.equal(
      hex(encodeAvPairs(parseAvPairs(unhex("0100020041000000000000000000")))),
      "010002004100" + "00000000",
    );
  });

  it("an NTLMv2 blob with a wrong response type", () => {
    const a = parseAuthenticate(authenticate);
    const temp = a.ntChallengeResponse.slice(16);
    temp[0] = 2;
    assertInvalid(() => parseClientChallengeBlob(temp), /RespType 2/);
    assertInvalid(() => parseClientChallengeBlob(temp.subarray(0, 20)), /truncated/);
  });

  it("random bytes after a valid header never throw anything but invalid-token", () => {
    let seed = 42;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed & 0xff;
    };
    for (const base of [negotiate, challenge, authenticate]) {
      for (let round = 0; round < 300; round++) {
        const bytes = base.slice();
        for (let k = 0; k < 4; k++) bytes[12 + (rand() % (bytes.length - 12))] = rand();
        for (const parse of [parseNegotiate, parseChallenge, parseAuthenticate]) {
          try {
            parse(bytes);
          } catch (e) {
            assert.ok(e instanceof NtlmError && e.kind === "invalid-token", String(e));
          }
        }
      }
    }
  });
});
