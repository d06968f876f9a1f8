/**
 * Property: hostile SPNEGO bytes — random, or a valid token with bytes flipped, cut or inserted —
 * never escape as an exception. The decoder returns or throws a NegotiateError with
 * SEC_E_INVALID_TOKEN; AcceptSecurityContext and InitializeSecurityContext of the Negotiate
 * package return a status (a failure, or a token they could still use), never throw, and a failed
 * context stays failed.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { NEGOSSP_NAME, SEC_E_OK, SEC_E_OUT_OF_SEQUENCE, SEC_I_CONTINUE_NEEDED } from "../../src/index.js";
import { NTLMSSP_OID } from "../../src/negotiate/mechanisms.js";
import { NegotiateError } from "../../src/negotiate/negotiate-error.js";
import { decodeNegotiationToken, encodeNegTokenResp, NEG_STATE } from "../../src/negotiate/spnego-token.js";
import { SEC_E_INVALID_TOKEN } from "../../src/sspi/status.js";
import { fixture, unhex } from "../ntlm/support/bytes.js";
import { acceptorCredentials, SspiNtlmEnd } from "../ntlm/support/sspi-ntlm.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);

const samples: Array<[string, Uint8Array]> = [
  ["NegTokenInit with a Kerberos AP-REQ (MIT)", fixture("curl-0-negotiate-782.bin")],
  ["NegTokenInit with an NTLM NEGOTIATE (MIT)", fixture("curl-3-negotiate-74.bin")],
  [
    "NegTokenResp with every field",
    encodeNegTokenResp({
      negState: NEG_STATE.ACCEPT_INCOMPLETE,
      supportedMech: NTLMSSP_OID,
      responseToken: unhex("4e544c4d5353500002000000"),
      mechListMIC: new Uint8Array(16).fill(7),
    }),
  ],
];

const mutation = (len: number) =>
  fc.oneof(
    fc.record({
      kind: fc.constant("flip"),
      at: fc.nat(Math.max(0, len - 1)),
      xor: fc.integer({ min: 1, max: 255 }),
    }),
    fc.record({ kind: fc.constant("cut"), at: fc.nat(len), xor: fc.constant(0) }),
    fc.record({ kind: fc.constant("insert"), at: fc.nat(len), xor: fc.integer({ min: 0, max: 255 }) }),
  );

function mutate(bytes: Uint8Array, m: { kind: string; at: number; xor: number }): Uint8Array {
  if (m.kind === "cut") return bytes.slice(0, m.at);
  if (m.kind === "insert")
    return Buffer.concat([bytes.subarray(0, m.at), Uint8Array.of(m.xor), bytes.subarray(m.at)]);
  const b = bytes.slice();
  b[m.at]! ^= m.xor;
  return b;
}

function onlyInvalidToken(input: Uint8Array): void {
  try {
    decodeNegotiationToken(input);
  } catch (e) {
    if (!(e instanceof NegotiateError) || e.status !== SEC_E_INVALID_TOKEN)
      throw new Error(`escaped ${String(e)} for ${Buffer.from(input).toString("hex")}`);
  }
}

describe("SPNEGO decoding only ever fails with SEC_E_INVALID_TOKEN", () => {
  for (const [what, valid] of samples)
    test(what, () => {
      assert.doesNotThrow(() => decodeNegotiationToken(valid));
      fc.assert(
        fc.property(mutation(valid.length), (m) => onlyInvalidToken(mutate(valid, m))),
        { numRuns: RUNS, seed: 4178 },
      );
    });
  test("random bytes", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), onlyInvalidToken), {
      numRuns: RUNS,
      seed: 4178,
    });
  });
});

describe("the Negotiate package given hostile tokens returns statuses", () => {
  const acceptor = { packages: { NTLM: acceptorCredentials() } };
  const identity = { User: "alice", Domain: "TESTDOM", Password: "alicepw", PackageList: "NTLM" };
  const options = { door: "blocking" as const, package: NEGOSSP_NAME, cbMaxToken: 48256 };

  test("AcceptSecurityContext on a mutated NegTokenInit", async () => {
    const valid = fixture("curl-3-negotiate-74.bin");
    await fc.assert(
      fc.asyncProperty(mutation(valid.length), async (m) => {
        const server = await SspiNtlmEnd.acceptor(acceptor, options);
        try {
          const r = await server.step(mutate(valid, m));
          assert.equal(typeof r.status, "number");
          assert.ok(r.status !== SEC_E_OK, "a NegTokenInit alone never completes NTLM");
        } finally {
          server.dispose();
        }
      }),
      { numRuns: Math.ceil(RUNS / 2), seed: 4178 },
    );
  });

  test("InitializeSecurityContext on a mutated server answer", async () => {
    const server = await SspiNtlmEnd.acceptor(acceptor, options);
    const probe = await SspiNtlmEnd.initiator(identity, options);
    const answer = (await server.step((await probe.step(null)).output)).output;
    server.dispose();
    probe.dispose();
    await fc.assert(
      fc.asyncProperty(mutation(answer.length), async (m) => {
        const client = await SspiNtlmEnd.initiator(identity, options);
        try {
          assert.equal((await client.step(null)).status, SEC_I_CONTINUE_NEEDED);
          const r = await client.step(mutate(answer, m));
          assert.equal(typeof r.status, "number");
          if (r.status !== SEC_I_CONTINUE_NEEDED && r.status !== SEC_E_OK)
            assert.equal(
              (await client.step(answer)).status,
              SEC_E_OUT_OF_SEQUENCE,
              "a failed context stays failed",
            );
        } finally {
          client.dispose();
        }
      }),
      { numRuns: Math.ceil(RUNS / 2), seed: 4178 },
    );
  });
});
