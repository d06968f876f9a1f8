/**
 * Every MS-NLMP §4.2.4 (NTLMv2) vector, reproduced by the primitives and by the state machines:
 * §4.2.4.1.1 NTOWFv2, §4.2.4.1.2 session base key, §4.2.4.1.3 temp, §4.2.4.2.1 LMv2,
 * §4.2.4.2.2 NTLMv2 response, §4.2.4.2.3 encrypted session key, §4.2.4.3 the CHALLENGE and
 * AUTHENTICATE messages, §4.2.4.4 GSS_WrapEx (seal/sign keys, sealed data, signature); plus the
 * MS channel-binding (EPA) vector.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  encodeAvPairs,
  flagsAv,
  MSV_AV_FLAG_MIC_PRESENT,
  MsvAvChannelBindings,
  MsvAvNbComputerName,
  MsvAvNbDomainName,
  MsvAvTargetName,
  stringAv,
} from "../../src/ntlm/av-pairs.js";
import { NtlmClient } from "../../src/ntlm/client.js";
import { channelBindingsHash, tlsServerEndPointBindings } from "../../src/ntlm/crypto/channel-bindings.js";
import { computeMic } from "../../src/ntlm/crypto/mic.js";
import {
  computeNtlmv2Response,
  encodeClientChallengeBlob,
  lmv2Response,
} from "../../src/ntlm/crypto/ntlmv2-response.js";
import { ntHash, ntowfv2 } from "../../src/ntlm/crypto/ntowf.js";
import {
  encryptRandomSessionKey,
  keyExchangeKey,
  sealKey,
  signKey,
} from "../../src/ntlm/crypto/session-keys.js";
import { parseAuthenticate } from "../../src/ntlm/messages/authenticate-message.js";
import { parseChallenge } from "../../src/ntlm/messages/challenge-message.js";
import { utf16le } from "../../src/ntlm/messages/wire.js";
import { NTLMSSP_NEGOTIATE_KEY_EXCH, NTLMSSP_NEGOTIATE_SEAL } from "../../src/ntlm/negotiate-flags.js";
import { NtlmServer } from "../../src/ntlm/server.js";
import { NtlmSessionSecurity } from "../../src/ntlm/session-security.js";
import { userStoreFromText } from "../../src/ntlm/user-store.js";
import { fixedRandom, hex, SPEC, unhex } from "./support/bytes.js";

/** §4.2.4.3 CHALLENGE_MESSAGE. */
const SPEC_CHALLENGE = unhex(`
  4e544c4d53535000020000000c000c003800000033828ae20123456789abcdef
  00000000000000002400240044000000060070170000000f5300650072007600
  6500720002000c0044006f006d00610069006e0001000c005300650072007600
  6500720000000000`);

/** §4.2.4.3 AUTHENTICATE_MESSAGE. */
const SPEC_AUTHENTICATE = unhex(`
  4e544c4d5353500003000000180018006c00000054005400840000000c000c00
  480000000800080054000000100010005c00000010001000d8000000358288e2
  0501280a0000000f44006f006d00610069006e00550073006500720043004f00
  4d005000550054004500520086c35097ac9cec102554764a57cccc19aaaaaaaa
  aaaaaaaa68cd0ab851e51c96aabc927bebef6a1c010100000000000000000000
  00000000aaaaaaaaaaaaaaaa0000000002000c0044006f006d00610069006e00
  01000c005300650072007600650072000000000000000000c5dad2544fc97990
  94ce1ce90bc9d03e`);

/** §4.2.4 TargetInfo: NbDomainName "Domain" then NbComputerName "Server". */
const specPairs = [stringAv(MsvAvNbDomainName, "Domain"), stringAv(MsvAvNbComputerName, "Server")];
const responseKey = () => ntowfv2(ntHash(SPEC.password), SPEC.user, SPEC.domain);

describe("MS-NLMP §4.2.4 NTLMv2 vectors", () => {
  it("§4.2.4.1.1 NTOWFv2(Password, User, Domain)", () => {
    assert.equal(hex(responseKey()), "0c868a403bfd7a93a3001ef22ef02e3f");
  });

  it("§4.2.4.1.3 temp, §4.2.4.2.2 NTProofStr and §4.2.4.1.2 SessionBaseKey", () => {
    const blob = { timestamp: SPEC.timestamp, clientChallenge: SPEC.clientChallenge, avPairs: specPairs };
    assert.equal(
      hex(encodeClientChallengeBlob(blob)),
      "01010000000000000000000000000000aaaaaaaaaaaaaaaa00000000" +
        "02000c0044006f006d00610069006e0001000c005300650072007600650072000000000000000000",
    );
    const r = computeNtlmv2Response(responseKey(), SPEC.serverChallenge, blob);
    assert.equal(hex(r.ntProofStr), "68cd0ab851e51c96aabc927bebef6a1c");
    assert.equal(hex(r.sessionBaseKey), "8de40ccadbc14a82f15cb0ad0de95ca3");
    assert.equal(hex(keyExchangeKey(r.sessionBaseKey)), "8de40ccadbc14a82f15cb0ad0de95ca3");
  });

  it("§4.2.4.2.1 LMv2 response", () => {
    assert.equal(
      hex(lmv2Response(responseKey(), SPEC.serverChallenge, SPEC.clientChallenge)),
      "86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa",
    );
  });

  it("§4.2.4.2.3 EncryptedRandomSessionKey = RC4K(KeyExchangeKey, RandomSessionKey)", () => {
    assert.equal(
      hex(encryptRandomSessionKey(unhex("8de40ccadbc14a82f15cb0ad0de95ca3"), SPEC.randomSessionKey)),
      "c5dad2544fc9799094ce1ce90bc9d03e",
    );
  });

  it("§4.2.4.4 client sealing and signing keys (NTLMSSP_NEGOTIATE_128)", () => {
    const flags = 0xe2888235;
    assert.equal(
      hex(sealKey(SPEC.randomSessionKey, flags, "client-to-server")),
      "59f600973cc4960a25480a7c196e4c58",
    );
    assert.equal(hex(signKey(SPEC.randomSessionKey, "client-to-server")), "4788dc861b4782f35d43fd98fe1a2d39");
  });

  it("§4.2.4.4 GSS_WrapEx: sealed 'Plaintext' and its signature (sequence 0)", () => {
    const session = new NtlmSessionSecurity(SPEC.randomSessionKey, 0xe2888235, "client");
    const { sealed, signature } = session.seal(utf16le("Plaintext"));
    assert.equal(hex(sealed), "54e50165bf1936dc996020c1811b0f06fb5f");
    assert.equal(hex(signature), "010000007fb38ec5c55d497600000000");
    assert.deepEqual(session.sequence, { send: 1, receive: 0 });
  });

  it("§4.2.4.3 CHALLENGE_MESSAGE parses to the §4.2.1 values", () => {
    const c = parseChallenge(SPEC_CHALLENGE);
    assert.equal(c.flags, 0xe28a8233);
    assert.equal(c.targetName, "Server");
    assert.equal(hex(c.serverChallenge), "0123456789abcdef");
    assert.equal(hex(encodeAvPairs(c.targetInfo)), hex(encodeAvPairs(specPairs)));
    assert.deepEqual(c.version, {
      productMajorVersion: 6,
      productMinorVersion: 0,
      productBuild: 6000,
      ntlmRevisionCurrent: 15,
    });
  });

  it("§4.2.4.3 AUTHENTICATE_MESSAGE parses to the §4.2.4.2 values", () => {
    const a = parseAuthenticate(SPEC_AUTHENTICATE);
    assert.equal(a.flags, 0xe2888235);
    assert.equal(a.user, "User");
    assert.equal(a.domain, "Domain");
    assert.equal(a.workstation, "COMPUTER");
    assert.equal(hex(a.lmChallengeResponse), "86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa");
    assert.equal(hex(a.ntChallengeResponse.subarray(0, 16)), "68cd0ab851e51c96aabc927bebef6a1c");
    assert.equal(hex(a.encryptedRandomSessionKey), "c5dad2544fc9799094ce1ce90bc9d03e");
    assert.equal(a.mic, undefined, "payload at 72: no MIC");
    assert.deepEqual(a.version, {
      productMajorVersion: 5,
      productMinorVersion: 1,
      productBuild: 2600,
      ntlmRevisionCurrent: 15,
    });
  });

  it("our client answers the §4.2.4.3 CHALLENGE with the §4.2.4.3 responses and key", () => {
    const client = new NtlmClient({
      credentials: { User: SPEC.user, Domain: SPEC.domain, Password: SPEC.password },
      workstation: SPEC.workstation,
      confidentiality: true,
      randomBytes: fixedRandom(SPEC.clientChallenge, SPEC.randomSessionKey),
      now: () => SPEC.timestamp,
    });
    client.negotiate();
    const ours = parseAuthenticate(client.authenticate(SPEC_CHALLENGE));
    const spec = parseAuthenticate(SPEC_AUTHENTICATE);
    assert.equal(hex(ours.lmChallengeResponse), hex(spec.lmChallengeResponse), "LMv2 (no MsvAvTimestamp)");
    assert.equal(hex(ours.ntChallengeResponse), hex(spec.ntChallengeResponse));
    assert.equal(hex(ours.encryptedRandomSessionKey), hex(spec.encryptedRandomSessionKey));
    assert.equal([ours.user, ours.domain, ours.workstation].join(), "User,Domain,COMPUTER");
    assert.equal(ours.mic, undefined, "no MsvAvTimestamp in the CHALLENGE: no MIC");
    assert.ok(ours.flags & NTLMSSP_NEGOTIATE_SEAL && ours.flags & NTLMSSP_NEGOTIATE_KEY_EXCH);
    const { sealed, signature } = client.result!.session!.seal(utf16le("Plaintext"));
    assert.equal(hex(sealed), "54e50165bf1936dc996020c1811b0f06fb5f");
    assert.equal(hex(signature), "010000007fb38ec5c55d497600000000");
  });

  it("our server verifies the §4.2.4.3 AUTHENTICATE and unseals the §4.2.4.4 message", async () => {
    const server = new NtlmServer({
      users: userStoreFromText("Domain:User:Password\n"),
      nbComputerName: "Server",
      nbDomainName: "Domain",
      randomBytes: fixedRandom(SPEC.serverChallenge),
    });
    const ctx = server.createContext();
    ctx.challenge(unhex("4e544c4d535350000100000033828ae2000000000000000000000000000000000000000000000000"));
    const user = await ctx.authenticate(SPEC_AUTHENTICATE);
    assert.equal(`${user.domain}\\${user.user}`, "Domain\\User");
    assert.equal(hex(user.exportedSessionKey), "55555555555555555555555555555555");
    const plain = user.session!.unseal(
      unhex("54e50165bf1936dc996020c1811b0f06fb5f"),
      unhex("010000007fb38ec5c55d497600000000"),
    );
    assert.equal(Buffer.from(plain).toString("utf16le"), "Plaintext");
  });

  it("Chromium's EPA + MIC vectors (net/ntlm/ntlm_test_data.h): proof, session key and MIC", () => {
    const cbHash = channelBindingsHash(
      tlsServerEndPointBindings(unhex("ea05fefecc6b0bd571dbbc5baa3ed45386d0446835f7b74c85621b9983475f95")),
    );
    const pairs = [
      ...specPairs,
      flagsAv(MSV_AV_FLAG_MIC_PRESENT),
      { id: MsvAvChannelBindings, value: cbHash },
      stringAv(MsvAvTargetName, "HTTP/Server"),
    ];
    const clientTimestamp = 131400439870000000n;
    const r = computeNtlmv2Response(responseKey(), SPEC.serverChallenge, {
      timestamp: clientTimestamp,
      clientChallenge: SPEC.clientChallenge,
      avPairs: pairs,
    });
    assert.equal(hex(r.ntProofStr), "8c0260dbef690662af9c42d50782d2ed");
    assert.equal(hex(r.sessionBaseKey), "623dbd071be7a530b6a95c2eb4982470");
    // Chromium's NEGOTIATE (flags 0x00088207, no VERSION) and AUTHENTICATE (no key exchange:
    // ExportedSessionKey = SessionBaseKey), MIC f7361633… over them and the §4.2.4.3 CHALLENGE.
    const negotiate = unhex("4e544c4d53535000010000000782080000000000200000000000000020000000");
    const header = unhex(
      "4e544c4d53535000030000001800180058000000" +
        "8a008a00700000000c000c00fa000000080008000601000010001000" +
        "0e0100000000000058000000038208000000000000000000",
    );
    const mic = unhex("f7361633f0ad9bdf4a7c421bc6b824a3");
    const authenticate = Buffer.concat([
      header,
      mic,
      new Uint8Array(24),
      r.ntChallengeResponse,
      utf16le("Domain"),
      utf16le("User"),
      utf16le("COMPUTER"),
    ]);
    const parsed = parseAuthenticate(authenticate);
    assert.equal(hex(parsed.mic!), hex(mic));
    assert.equal(parsed.workstation, "COMPUTER");
    assert.equal(hex(computeMic(r.sessionBaseKey, negotiate, SPEC_CHALLENGE, authenticate)), hex(mic));
  });

  it("EPA channel-binding hash (MS Open Specifications blog vector)", () => {
    const certHash = unhex("ea05fefecc6b0bd571dbbc5baa3ed45386d0446835f7b74c85621b9983475f95");
    assert.equal(
      hex(channelBindingsHash(tlsServerEndPointBindings(certHash))),
      "6586e99d81c2fc984e47172fd4dd0310",
    );
  });
});
