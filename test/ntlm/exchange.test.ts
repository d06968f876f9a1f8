/**
 * Our client and server state machines against each other: a complete exchange with MIC, target
 * name, channel bindings and session security, and every failure kind with its status — wrong
 * password and unknown user indistinguishable, bad MIC, bindings under each policy, replays,
 * NTLMv1, anonymous, wrong phases — without leaking names or secrets in the error text.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { tlsServerEndPointBindings } from "../../src/ntlm/crypto/channel-bindings.js";
import { ntHash } from "../../src/ntlm/crypto/ntowf.js";
import {
  encodeAuthenticate,
  MIC_OFFSET,
  parseAuthenticate,
} from "../../src/ntlm/messages/authenticate-message.js";
import { encodeChallenge, parseChallenge } from "../../src/ntlm/messages/challenge-message.js";
import {
  NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY,
  NTLMSSP_NEGOTIATE_SEAL,
  NTLMSSP_NEGOTIATE_SIGN,
} from "../../src/ntlm/negotiate-flags.js";
import { LOGON_DENIED_REASON, NtlmError, type NtlmFailureKind } from "../../src/ntlm/ntlm-error.js";
import { userStoreFromCallback } from "../../src/ntlm/user-store.js";
import {
  SEC_E_ALGORITHM_MISMATCH,
  SEC_E_BAD_BINDINGS,
  SEC_E_INVALID_TOKEN,
  SEC_E_LOGON_DENIED,
  SEC_E_MESSAGE_ALTERED,
  SEC_E_OUT_OF_SEQUENCE,
  SEC_E_UNSUPPORTED_FUNCTION,
} from "../../src/sspi/status.js";
import { fixedRandom, unhex } from "./support/bytes.js";
import { makeClient, makeServer, messages } from "./support/exchange.js";

const certA = tlsServerEndPointBindings(unhex("11".repeat(32)));
const certB = tlsServerEndPointBindings(unhex("22".repeat(32)));

async function rejects(promise: Promise<unknown>, kind: NtlmFailureKind, status: number): Promise<NtlmError> {
  let caught: unknown;
  try {
    await promise;
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof NtlmError, `expected an NtlmError ${kind}, got ${String(caught)}`);
  assert.equal(caught.kind, kind, caught.message);
  assert.equal(caught.status, status);
  return caught;
}

describe("client ⇄ server", () => {
  it("authenticates with MIC, target name and matching bindings; keys agree both ways", async () => {
    const server = makeServer({ channelBindingPolicy: "required" });
    const client = makeClient({ channelBindings: certA });
    const m = messages(client, server, certA);
    const user = await m.context.authenticate(m.authenticate);
    assert.equal(`${user.domain}\\${user.user}`, "TESTDOM\\alice");
    assert.equal(user.workstation, "WS1");
    assert.equal(user.clientTargetName, "HTTP/server.testdom.test");
    assert.equal(user.channelBound, true);
    assert.equal(user.mic, true);
    assert.equal(client.result?.mic, true);
    assert.equal(m.context.phase, "complete");
    assert.deepEqual(user.exportedSessionKey, client.result!.exportedSessionKey);
    assert.equal(user.flags, client.result!.flags);
    for (const f of [
      NTLMSSP_NEGOTIATE_SIGN,
      NTLMSSP_NEGOTIATE_SEAL,
      NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY,
    ])
      assert.ok(user.flags & f);
    const c = client.result!.session!;
    const s = user.session!;
    const hello = new TextEncoder().encode("hello server");
    assert.deepEqual(s.unwrap(c.wrap(hello)), hello);
    const reply = new TextEncoder().encode("hello client");
    assert.deepEqual(c.unwrap(s.wrap(reply)), reply);
    c.verify(reply, s.sign(reply));
    s.verify(hello, c.sign(hello));
  });

  it("integrity only: signing works, sealing is refused as not negotiated", async () => {
    const client = makeClient({ confidentiality: false });
    const m = messages(client, makeServer());
    const user = await m.context.authenticate(m.authenticate);
    assert.equal(user.flags & NTLMSSP_NEGOTIATE_SEAL, 0);
    const data = new TextEncoder().encode("signed");
    user.session!.verify(data, client.result!.session!.sign(data));
    assert.throws(
      () => client.result!.session!.seal(data),
      (e) => e instanceof NtlmError && e.kind === "unsupported" && e.status === SEC_E_UNSUPPORTED_FUNCTION,
    );
  });

  it("NT-hash credentials, OEM-less Unicode names, passwords with colons", async () => {
    const client = makeClient({
      credentials: { User: "BOB", Domain: "testdom", NtHash: ntHash("b0b:with:colons") },
    });
    const m = messages(client, makeServer());
    const user = await m.context.authenticate(m.authenticate);
    assert.equal(`${user.domain}\\${user.user}`, "testdom\\BOB");
  });

  it("an asynchronous user store (Promise of an NT hash)", async () => {
    const users = userStoreFromCallback(async (user, domain) =>
      user === "carol" && domain === "EXAMPLE" ? ntHash("c4rol") : undefined,
    );
    const client = makeClient({ credentials: { User: "carol", Domain: "EXAMPLE", Password: "c4rol" } });
    const m = messages(client, makeServer({ users }));
    assert.equal((await m.context.authenticate(m.authenticate)).user, "carol");
    const again = messages(
      makeClient({ credentials: { User: "carol", Domain: "EXAMPLE", Password: "c4rol" } }),
      makeServer({ users }),
    );
    await rejects(
      Promise.resolve().then(() => again.context.authenticateSync(again.authenticate)),
      "unsupported",
      SEC_E_UNSUPPORTED_FUNCTION,
    );
  });

  it("authenticateSync with a synchronous store", () => {
    const m = messages(makeClient(), makeServer());
    assert.equal(m.context.authenticateSync(m.authenticate).user, "alice");
  });
});

describe("logon denied", () => {
  it("wrong password and unknown user fail identically, with nothing leaked", async () => {
    const wrong = messages(
      makeClient({ credentials: { User: "alice", Domain: "TESTDOM", Password: "nope" } }),
      makeServer(),
    );
    const unknown = messages(
      makeClient({ credentials: { User: "mallory", Domain: "TESTDOM", Password: "alicepw" } }),
      makeServer(),
    );
    const a = await rejects(
      wrong.context.authenticate(wrong.authenticate),
      "logon-denied",
      SEC_E_LOGON_DENIED,
    );
    const b = await rejects(
      unknown.context.authenticate(unknown.authenticate),
      "logon-denied",
      SEC_E_LOGON_DENIED,
    );
    assert.equal(a.message, b.message);
    assert.equal(a.reason, LOGON_DENIED_REASON);
    assert.equal(a.message, `SEC_E_LOGON_DENIED (0x8009030c): ${LOGON_DENIED_REASON}`);
    for (const secret of [
      "alice",
      "mallory",
      "nope",
      "alicepw",
      Buffer.from(ntHash("alicepw")).toString("hex"),
    ])
      assert.ok(!a.message.includes(secret) && !b.message.includes(secret), secret);
    assert.equal(wrong.context.phase, "failed");
  });

  it("unknown users cost what known users cost (dummy hash, constant-time compare)", async () => {
    const server = makeServer();
    const samples = { wrong: [] as number[], unknown: [] as number[] };
    const tokens = (user: string) => {
      const m = messages(
        makeClient({ credentials: { User: user, Domain: "TESTDOM", Password: "nope" } }),
        server,
      );
      return m;
    };
    for (let i = 0; i < 300; i++) {
      for (const [kind, user] of [
        ["wrong", "alice"],
        ["unknown", `ghost${i}`],
      ] as const) {
        const m = tokens(user);
        const t0 = process.hrtime.bigint();
        try {
          m.context.authenticateSync(m.authenticate);
        } catch {
          // expected
        }
        samples[kind].push(Number(process.hrtime.bigint() - t0));
      }
    }
    const median = (xs: number[]) => xs.sort((x, y) => x - y)[xs.length >> 1]!;
    const ratio = median(samples.unknown) / median(samples.wrong);
    assert.ok(ratio > 0.6 && ratio < 1.6, `median time ratio unknown/wrong = ${ratio.toFixed(2)}`);
  });

  it("NTLMv1 and LM responses are refused as downlevel", async () => {
    const m = messages(makeClient(), makeServer());
    const a = parseAuthenticate(m.authenticate);
    const v1 = encodeAuthenticate(
      { ...a, ntChallengeResponse: new Uint8Array(24), lmChallengeResponse: new Uint8Array(24) },
      false,
    );
    const e = await rejects(m.context.authenticate(v1), "downlevel-refused", SEC_E_LOGON_DENIED);
    assert.match(e.reason, /only NTLMv2/);
  });

  it("anonymous AUTHENTICATE is refused", async () => {
    const m = messages(makeClient(), makeServer());
    const a = parseAuthenticate(m.authenticate);
    const anon = encodeAuthenticate(
      {
        ...a,
        user: "",
        domain: "",
        ntChallengeResponse: new Uint8Array(0),
        lmChallengeResponse: new Uint8Array(1),
      },
      false,
    );
    const e = await rejects(m.context.authenticate(anon), "logon-denied", SEC_E_LOGON_DENIED);
    assert.match(e.reason, /anonymous/);
  });
});

describe("message altered", () => {
  it("a tampered MIC", async () => {
    const m = messages(makeClient(), makeServer());
    const bad = m.authenticate.slice();
    bad[MIC_OFFSET] = bad[MIC_OFFSET]! ^ 1;
    await rejects(m.context.authenticate(bad), "message-altered", SEC_E_MESSAGE_ALTERED);
  });

  it("a NEGOTIATE altered on the way (flags stripped by a man in the middle)", async () => {
    const server = makeServer();
    const client = makeClient();
    const context = server.createContext();
    const negotiate = client.negotiate().slice();
    negotiate[12] = negotiate[12]! & ~0x30; // strip SIGN and SEAL
    const authenticate = client.authenticate(context.challenge(negotiate));
    await rejects(context.authenticate(authenticate), "message-altered", SEC_E_MESSAGE_ALTERED);
  });

  it("a MIC announced in MsvAvFlags but cut from the message", async () => {
    const m = messages(makeClient(), makeServer());
    const a = parseAuthenticate(m.authenticate);
    await rejects(
      m.context.authenticate(encodeAuthenticate(a, false)),
      "message-altered",
      SEC_E_MESSAGE_ALTERED,
    );
  });
});

describe("channel bindings policy", () => {
  const cases: Array<
    [
      string,
      "never" | "when-supported" | "required",
      typeof certA | undefined,
      typeof certA | undefined,
      NtlmFailureKind | boolean,
    ]
  > = [
    ["never: a mismatch is not checked", "never", certA, certB, false],
    ["when-supported: matching bindings bind", "when-supported", certA, certA, true],
    ["when-supported: different bindings are refused", "when-supported", certA, certB, "bad-bindings"],
    [
      "when-supported: a client without bindings is accepted unbound",
      "when-supported",
      undefined,
      certA,
      false,
    ],
    ["when-supported: nothing to compare on the server", "when-supported", certA, undefined, false],
    ["required: matching bindings bind", "required", certA, certA, true],
    ["required: a client without bindings is refused", "required", undefined, certA, "bad-bindings"],
    ["required: different bindings are refused", "required", certB, certA, "bad-bindings"],
  ];
  for (const [name, policy, clientCb, serverCb, expected] of cases) {
    it(name, async () => {
      const m = messages(
        makeClient(clientCb ? { channelBindings: clientCb } : {}),
        makeServer({ channelBindingPolicy: policy }),
        serverCb,
      );
      if (typeof expected === "boolean")
        assert.equal((await m.context.authenticate(m.authenticate)).channelBound, expected);
      else await rejects(m.context.authenticate(m.authenticate), expected, SEC_E_BAD_BINDINGS);
    });
  }

  it("required without this connection's bindings is a configuration error", () => {
    assert.throws(() => makeServer({ channelBindingPolicy: "required" }).createContext(), TypeError);
  });
});

describe("replays and phases", () => {
  it("an AUTHENTICATE replayed into a new context (new challenge) is denied", async () => {
    const server = makeServer();
    const m = messages(makeClient(), server);
    await m.context.authenticate(m.authenticate);
    const other = server.createContext();
    other.challenge(makeClient().negotiate());
    await rejects(other.authenticate(m.authenticate), "logon-denied", SEC_E_LOGON_DENIED);
  });

  it("an AUTHENTICATE replayed into the same context is refused, the context stays complete", async () => {
    const m = messages(makeClient(), makeServer());
    await m.context.authenticate(m.authenticate);
    await rejects(m.context.authenticate(m.authenticate), "replayed", SEC_E_LOGON_DENIED);
    assert.equal(m.context.phase, "complete");
  });

  it("an accepted proof is never accepted again, even under the same server challenge", async () => {
    // A server whose challenge and clock repeat sends byte-identical CHALLENGEs, so even the MIC of
    // a captured AUTHENTICATE verifies again: only the replay cache stops it.
    const challenge = unhex("0102030405060708");
    const server = makeServer({
      randomBytes: fixedRandom(challenge, challenge),
      now: () => 133_000_000_000_000_000n,
    });
    const client = makeClient();
    const negotiate = client.negotiate();
    const first = server.createContext();
    const authenticate = client.authenticate(first.challenge(negotiate));
    await first.authenticate(authenticate);
    const second = server.createContext();
    second.challenge(negotiate);
    await rejects(second.authenticate(authenticate), "replayed", SEC_E_LOGON_DENIED);
  });

  it("wrong phases are out-of-sequence; a failed context takes no more input", async () => {
    const server = makeServer();
    const ctx = server.createContext();
    await rejects(ctx.authenticate(makeClient().negotiate()), "out-of-sequence", SEC_E_OUT_OF_SEQUENCE);
    const client = makeClient();
    assert.throws(
      () => client.authenticate(new Uint8Array(10)),
      (e) => e instanceof NtlmError && e.kind === "out-of-sequence",
    );
    assert.equal(client.phase, "failed");
    const ctx2 = server.createContext();
    assert.throws(
      () => ctx2.challenge(new Uint8Array([1, 2, 3])),
      (e) => e instanceof NtlmError && e.status === SEC_E_INVALID_TOKEN,
    );
    assert.throws(
      () => ctx2.challenge(makeClient().negotiate()),
      (e) => e instanceof NtlmError && e.kind === "out-of-sequence",
    );
  });

  it("garbage and truncated AUTHENTICATE messages are invalid tokens", async () => {
    for (const cut of [0, 12, 40, 64, 100]) {
      const m = messages(makeClient(), makeServer());
      await rejects(
        m.context.authenticate(m.authenticate.subarray(0, cut)),
        "invalid-token",
        SEC_E_INVALID_TOKEN,
      );
    }
  });
});

describe("client-side refusals", () => {
  it("a CHALLENGE without extended session security when integrity is asked", () => {
    const server = makeServer();
    const client = makeClient();
    const challenge = parseChallenge(server.createContext().challenge(client.negotiate()));
    const downgraded = encodeChallenge({
      ...challenge,
      flags: challenge.flags & ~NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY,
    });
    assert.throws(
      () => client.authenticate(downgraded),
      (e) =>
        e instanceof NtlmError && e.kind === "algorithm-mismatch" && e.status === SEC_E_ALGORITHM_MISMATCH,
    );
    assert.equal(client.phase, "failed");
  });

  it("a garbage CHALLENGE", () => {
    const client = makeClient();
    client.negotiate();
    assert.throws(
      () => client.authenticate(unhex("4e544c4d53535000020000")),
      (e) => e instanceof NtlmError && e.kind === "invalid-token",
    );
  });
});

describe("corrupted tokens end in an NtlmError, never another exception", () => {
  let seed = 7;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  const mutate = (bytes: Uint8Array) => {
    const out = bytes.slice();
    for (let k = 0, n = 1 + (rand() % 4); k < n; k++) {
      const at = rand() % out.length;
      out[at] = out[at]! ^ (1 + (rand() % 255));
    }
    return rand() % 5 === 0 ? out.subarray(0, rand() % out.length) : out;
  };

  it("AUTHENTICATE messages mutated on the way to the server are all refused (the MIC covers every byte)", async () => {
    const server = makeServer();
    for (let i = 0; i < 200; i++) {
      const m = messages(makeClient(), server);
      const mutated = mutate(m.authenticate);
      await assert.rejects(m.context.authenticate(mutated), (e) => e instanceof NtlmError, `round ${i}`);
    }
  });

  it("CHALLENGE messages mutated on the way to the client", () => {
    const server = makeServer();
    for (let i = 0; i < 200; i++) {
      const client = makeClient();
      const challenge = server.createContext().challenge(client.negotiate());
      try {
        client.authenticate(mutate(challenge));
      } catch (e) {
        assert.ok(e instanceof NtlmError, String(e));
      }
    }
  });
});
