/**
 * The NTLM package through the SSPI surface: registration, the exchange through each front door
 * (blocking, promises, Sspi*Async), the flags, every failure status with a safe reason, the
 * per-message functions and the attributes.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import {
  ASC_REQ_ALLOW_MISSING_BINDINGS,
  ASC_REQ_CONFIDENTIALITY,
  ASC_REQ_CONNECTION,
  ASC_REQ_INTEGRITY,
  ASC_RET_CONFIDENTIALITY,
  ASC_RET_CONNECTION,
  ASC_RET_INTEGRITY,
  box,
  CredHandle,
  CtxtHandle,
  channelBindingsBuffer,
  DecryptMessage,
  DeleteSecurityContext,
  EncryptMessage,
  EnumerateSecurityPackages,
  FreeContextBuffer,
  FreeCredentialsHandle,
  ISC_REQ_ALLOCATE_MEMORY,
  ISC_REQ_CONFIDENTIALITY,
  ISC_REQ_CONNECTION,
  ISC_REQ_DATAGRAM,
  ISC_REQ_INTEGRITY,
  ISC_RET_ALLOCATED_MEMORY,
  ISC_RET_CONFIDENTIALITY,
  ISC_RET_CONNECTION,
  ISC_RET_INTEGRITY,
  MakeSignature,
  QueryContextAttributes,
  QuerySecurityPackageInfo,
  SEC_E_BAD_BINDINGS,
  SEC_E_BUFFER_TOO_SMALL,
  SEC_E_INCOMPLETE_MESSAGE,
  SEC_E_INVALID_PARAMETER,
  SEC_E_INVALID_TOKEN,
  SEC_E_LOGON_DENIED,
  SEC_E_MESSAGE_ALTERED,
  SEC_E_NO_CREDENTIALS,
  SEC_E_OK,
  SEC_E_OUT_OF_SEQUENCE,
  SEC_E_UNSUPPORTED_FUNCTION,
  SEC_E_WRONG_CREDENTIAL_HANDLE,
  SEC_I_CONTINUE_NEEDED,
  SECBUFFER_DATA,
  SECBUFFER_READONLY,
  SECBUFFER_TOKEN,
  SECPKG_ATTR_CLIENT_SPECIFIED_TARGET,
  SECPKG_ATTR_FLAGS,
  SECPKG_ATTR_LIFESPAN,
  SECPKG_ATTR_NAMES,
  SECPKG_ATTR_NATIVE_NAMES,
  SECPKG_ATTR_NEGOTIATION_INFO,
  SECPKG_ATTR_PACKAGE_INFO,
  SECPKG_ATTR_SESSION_KEY,
  SECPKG_ATTR_SIZES,
  SECPKG_CRED_BOTH,
  SECPKG_CRED_INBOUND,
  SECPKG_CRED_OUTBOUND,
  SECPKG_NEGOTIATION_COMPLETE,
  type SecHandle,
  SecIsValidHandle,
  type SecPkgInfo,
  SspiGetLastErrorInfo,
  secBuffer,
  secBufferDesc,
  TIMESTAMP_NEVER,
  VerifySignature,
} from "../../src/index.js";
import { ntHash } from "../../src/ntlm/crypto/ntowf.js";
import { MIC_OFFSET } from "../../src/ntlm/messages/authenticate-message.js";
import { leakCheck } from "../support/sspi-driver.js";
import { unhex } from "./support/bytes.js";
import {
  acceptorCredentials,
  acquire,
  FRONT_DOORS,
  initialize,
  type SspiExchange,
  sspiExchange,
  tokenInput,
  tokenOutput,
} from "./support/sspi-ntlm.js";

const leaks = leakCheck();
after(() => leaks.verify());

const SECURE = ISC_REQ_INTEGRITY | ISC_REQ_CONFIDENTIALITY | ISC_REQ_CONNECTION;
const SECURE_ASC = ASC_REQ_INTEGRITY | ASC_REQ_CONFIDENTIALITY | ASC_REQ_CONNECTION;
const text = (s: string) => new TextEncoder().encode(s);
const utf8 = (b: Uint8Array) => Buffer.from(b).toString();

/** Runs `body` with an exchange and always releases its handles. */
async function withExchange(
  options: Parameters<typeof sspiExchange>[0],
  body: (x: SspiExchange) => void | Promise<void>,
): Promise<void> {
  const x = await sspiExchange(options);
  try {
    await body(x);
  } finally {
    x.dispose();
  }
}

/** The server's last error reason, checked for leaks. */
function reasonOf(handle: SecHandle, ...secrets: string[]): string {
  const info = SspiGetLastErrorInfo(handle);
  assert.ok(info, "SspiGetLastErrorInfo explains the failure");
  for (const secret of secrets)
    assert.ok(!info.message.includes(secret), `"${secret}" leaked: ${info.message}`);
  return info.reason ?? "";
}

/** Deletes a context and frees a credential a test made by hand. */
function release(ctx: SecHandle, cred: SecHandle): void {
  assert.equal(DeleteSecurityContext(ctx), SEC_E_OK);
  assert.equal(FreeCredentialsHandle(cred), SEC_E_OK);
}

/** EncryptMessage layout: [TOKEN(16), DATA]. */
function seal(ctx: SecHandle, message: Uint8Array) {
  const token = secBuffer(SECBUFFER_TOKEN, 16);
  const data = secBuffer(SECBUFFER_DATA, message.slice());
  return { status: EncryptMessage(ctx, 0, secBufferDesc(token, data), 0), token, data };
}

function unseal(ctx: SecHandle, token: Uint8Array, data: Uint8Array) {
  const buffers = secBufferDesc(
    secBuffer(SECBUFFER_TOKEN, token.slice()),
    secBuffer(SECBUFFER_DATA, data.slice()),
  );
  const qop = box(-1);
  const status = DecryptMessage(ctx, buffers, 0, qop);
  return { status, plaintext: buffers.pBuffers[1]!.pvBuffer!, qop: qop.value };
}

describe("NTLM package registration", () => {
  it("EnumerateSecurityPackages and QuerySecurityPackageInfo give Windows' SecPkgInfo", () => {
    const expected: SecPkgInfo = {
      fCapabilities: 0x00082b37,
      wVersion: 1,
      wRPCID: 10,
      cbMaxToken: 2888,
      Name: "NTLM",
      Comment: "NTLM Security Package",
    };
    const count = box(0);
    const list = box<SecPkgInfo[] | null>(null);
    assert.equal(EnumerateSecurityPackages(count, list), SEC_E_OK);
    assert.deepEqual(
      list.value!.find((p) => p.Name === "NTLM"),
      expected,
    );
    assert.equal(FreeContextBuffer(list.value), SEC_E_OK);
    const info = box<SecPkgInfo | null>(null);
    assert.equal(QuerySecurityPackageInfo("ntlm", info), SEC_E_OK);
    assert.deepEqual(info.value, expected);
    FreeContextBuffer(info.value);
  });
});

describe("NTLM exchange through each front door", () => {
  for (const door of FRONT_DOORS) {
    it(`${door}: CONTINUE, CONTINUE, OK, OK; sealed and signed messages both ways`, async () => {
      await withExchange({ door, iscReq: SECURE, ascReq: SECURE_ASC }, (x) => {
        assert.deepEqual(x.statuses, [SEC_I_CONTINUE_NEEDED, SEC_I_CONTINUE_NEEDED, SEC_E_OK, SEC_E_OK]);
        assert.equal(utf8(x.tokens[0]!.subarray(0, 8)), "NTLMSSP\0");
        assert.deepEqual(
          x.tokens.map((t) => (t.length >= 12 ? t[8] : 0)),
          [1, 2, 3, 0],
          "NEGOTIATE, CHALLENGE, AUTHENTICATE, then no token",
        );
        assert.equal(x.tokens[3]!.length, 0);
        assert.equal(
          x.clientAttr.value & (ISC_RET_INTEGRITY | ISC_RET_CONFIDENTIALITY | ISC_RET_CONNECTION),
          ISC_RET_INTEGRITY | ISC_RET_CONFIDENTIALITY | ISC_RET_CONNECTION,
        );
        assert.equal(
          x.serverAttr.value & (ASC_RET_INTEGRITY | ASC_RET_CONFIDENTIALITY | ASC_RET_CONNECTION),
          ASC_RET_INTEGRITY | ASC_RET_CONFIDENTIALITY | ASC_RET_CONNECTION,
        );
        const names = box<unknown>(null);
        assert.equal(QueryContextAttributes(x.server, SECPKG_ATTR_NAMES, names), SEC_E_OK);
        assert.deepEqual(names.value, { sUserName: "TESTDOM\\alice" });

        const toServer = seal(x.client, text("hello server"));
        assert.equal(toServer.status, SEC_E_OK);
        assert.equal(toServer.token.cbBuffer, 16);
        assert.notEqual(utf8(toServer.data.pvBuffer!), "hello server", "sealed in place");
        const got = unseal(x.server, toServer.token.pvBuffer!, toServer.data.pvBuffer!);
        assert.equal(got.status, SEC_E_OK);
        assert.equal(utf8(got.plaintext), "hello server");
        assert.equal(got.qop, 0);
        const toClient = seal(x.server, text("hello client"));
        assert.equal(
          utf8(unseal(x.client, toClient.token.pvBuffer!, toClient.data.pvBuffer!).plaintext),
          "hello client",
        );

        const sig = secBuffer(SECBUFFER_TOKEN, 16);
        const signed = text("signed, not sealed");
        assert.equal(
          MakeSignature(x.client, 0, secBufferDesc(secBuffer(SECBUFFER_DATA, signed), sig), 0),
          SEC_E_OK,
        );
        assert.equal(
          VerifySignature(
            x.server,
            secBufferDesc(secBuffer(SECBUFFER_DATA, signed), secBuffer(SECBUFFER_TOKEN, sig.pvBuffer!)),
            0,
            null,
          ),
          SEC_E_OK,
        );
      });
    });
  }

  it("ISC_REQ_ALLOCATE_MEMORY: the token is allocated and ISC_RET_ALLOCATED_MEMORY reported", async () => {
    const cred = new CredHandle();
    assert.equal(
      await acquire(
        "blocking",
        SECPKG_CRED_OUTBOUND,
        { User: "alice", Domain: "TESTDOM", Password: "alicepw" },
        cred,
      ),
      SEC_E_OK,
    );
    const out = secBufferDesc(secBuffer(SECBUFFER_TOKEN));
    const attr = box(0);
    const ctx = new CtxtHandle();
    const status = await initialize(
      "blocking",
      cred,
      ctx,
      null,
      ISC_REQ_ALLOCATE_MEMORY | SECURE,
      tokenInput(null),
      out,
      attr,
    );
    assert.equal(status, SEC_I_CONTINUE_NEEDED);
    assert.ok(out.pBuffers[0]!.cbBuffer > 0);
    assert.ok((attr.value & ISC_RET_ALLOCATED_MEMORY) !== 0);
    assert.equal(FreeContextBuffer(out.pBuffers[0]!.pvBuffer), SEC_E_OK);
    release(ctx, cred);
  });

  it("a caller-supplied output buffer too small is SEC_E_BUFFER_TOO_SMALL with the size needed", async () => {
    const cred = new CredHandle();
    await acquire(
      "blocking",
      SECPKG_CRED_OUTBOUND,
      { User: "alice", Domain: "TESTDOM", Password: "alicepw" },
      cred,
    );
    const ctx = new CtxtHandle();
    const out = secBufferDesc(secBuffer(SECBUFFER_TOKEN, 4));
    assert.equal(await initialize("blocking", cred, ctx, null, 0, null, out, box(0)), SEC_E_BUFFER_TOO_SMALL);
    const needed = out.pBuffers[0]!.cbBuffer;
    assert.ok(needed > 4);
    // the retry with a large enough buffer gets the held result: the same NEGOTIATE
    const retry = secBufferDesc(secBuffer(SECBUFFER_TOKEN, needed));
    assert.equal(
      await initialize("blocking", null, ctx, null, 0, null, retry, box(0)),
      SEC_I_CONTINUE_NEEDED,
    );
    assert.equal(retry.pBuffers[0]!.cbBuffer, needed);
    release(ctx, cred);
  });

  it("an NT hash works instead of the password", async () => {
    await withExchange({ identity: { User: "alice", Domain: "TESTDOM", NtHash: ntHash("alicepw") } }, (x) => {
      assert.deepEqual(x.statuses.at(-1), SEC_E_OK);
    });
  });

  it("without INTEGRITY/CONFIDENTIALITY nothing is reported and EncryptMessage is unsupported", async () => {
    await withExchange({ iscReq: ISC_REQ_CONNECTION }, (x) => {
      assert.equal(x.statuses.at(-1), SEC_E_OK);
      assert.equal(x.clientAttr.value & (ISC_RET_INTEGRITY | ISC_RET_CONFIDENTIALITY), 0);
      assert.equal(seal(x.client, text("x")).status, SEC_E_UNSUPPORTED_FUNCTION);
    });
  });
});

describe("NTLM failure statuses through the SSPI surface", () => {
  it("wrong password and unknown user: SEC_E_LOGON_DENIED with the same reason, nothing leaked", async () => {
    const reasons: string[] = [];
    for (const identity of [
      { User: "alice", Domain: "TESTDOM", Password: "Wrong-Secret-1" },
      { User: "mallory-unknown", Domain: "TESTDOM", Password: "Wrong-Secret-2" },
    ]) {
      await withExchange({ identity }, (x) => {
        assert.deepEqual(x.statuses, [
          SEC_I_CONTINUE_NEEDED,
          SEC_I_CONTINUE_NEEDED,
          SEC_E_OK,
          SEC_E_LOGON_DENIED,
        ]);
        reasons.push(reasonOf(x.server, identity.Password, identity.User, "alicepw"));
      });
    }
    assert.equal(reasons[0], reasons[1]);
  });

  it("a tampered MIC is SEC_E_MESSAGE_ALTERED", async () => {
    const alter = (leg: number, t: Uint8Array) => {
      if (leg !== 2) return t;
      const copy = t.slice();
      copy[MIC_OFFSET]! ^= 1;
      return copy;
    };
    await withExchange({ alter }, (x) => {
      assert.equal(x.statuses.at(-1), SEC_E_MESSAGE_ALTERED);
      reasonOf(x.server, "alicepw");
    });
  });

  it("a replayed AUTHENTICATE is SEC_E_LOGON_DENIED", async () => {
    let captured: Uint8Array | null = null;
    await withExchange({}, (x) => {
      captured = x.tokens[2]!;
    });
    // a second exchange whose AUTHENTICATE is replaced by the first's
    await withExchange({ alter: (leg, t) => (leg === 2 ? captured! : t) }, (x) => {
      assert.equal(x.statuses.at(-1), SEC_E_LOGON_DENIED);
    });
  });

  it("truncated and garbage tokens are SEC_E_INVALID_TOKEN on both sides", async () => {
    for (const leg of [0, 1, 2]) {
      for (const mangle of [(t: Uint8Array) => t.subarray(0, 20), () => unhex("deadbeef".repeat(10))]) {
        await withExchange({ alter: (l, t) => (l === leg ? mangle(t) : t) }, (x) => {
          assert.equal(x.statuses.at(-1), SEC_E_INVALID_TOKEN, `leg ${leg}`);
        });
      }
    }
  });

  it("different channel bindings are SEC_E_BAD_BINDINGS; required and none sent too", async () => {
    const cb = (byte: string) => channelBindingsBuffer({ applicationData: unhex(byte.repeat(32)) });
    await withExchange({ clientBindings: cb("a1"), serverBindings: cb("a1") }, (x) =>
      assert.equal(x.statuses.at(-1), SEC_E_OK),
    );
    await withExchange({ clientBindings: cb("a1"), serverBindings: cb("b2") }, (x) => {
      assert.equal(x.statuses.at(-1), SEC_E_BAD_BINDINGS);
      reasonOf(x.server, "alicepw");
    });
    const required = acceptorCredentials({ channelBindingPolicy: "required" });
    await withExchange({ acceptor: required, serverBindings: cb("a1") }, (x) =>
      assert.equal(x.statuses.at(-1), SEC_E_BAD_BINDINGS),
    );
    await withExchange({ acceptor: required, clientBindings: cb("a1"), serverBindings: cb("a1") }, (x) =>
      assert.equal(x.statuses.at(-1), SEC_E_OK),
    );
    await withExchange(
      { acceptor: required, serverBindings: cb("a1"), ascReq: ASC_REQ_ALLOW_MISSING_BINDINGS },
      (x) => assert.equal(x.statuses.at(-1), SEC_E_OK, "ASC_REQ_ALLOW_MISSING_BINDINGS relaxes required"),
    );
  });

  it("the blocking AcceptSecurityContext refuses an asynchronous user store; the asynchronous one awaits it", async () => {
    const lookup = (user: string) => Promise.resolve(user === "alice" ? ntHash("alicepw") : undefined);
    const acceptor = acceptorCredentials({ lookup });
    await withExchange({ door: "blocking", acceptor }, (x) => {
      assert.equal(x.statuses.at(-1), SEC_E_UNSUPPORTED_FUNCTION);
      assert.match(reasonOf(x.server), /asynchronous AcceptSecurityContext/);
    });
    for (const door of ["promise", "async"] as const)
      await withExchange({ door, acceptor }, (x) => assert.equal(x.statuses.at(-1), SEC_E_OK));
  });

  it("a lookup that throws or rejects is SEC_E_LOGON_DENIED, no exception escapes", async () => {
    for (const lookup of [
      () => {
        throw new Error("directory down alicepw");
      },
      () => Promise.reject(new Error("down")),
    ]) {
      await withExchange({ door: "promise", acceptor: acceptorCredentials({ lookup }) }, (x) => {
        assert.equal(x.statuses.at(-1), SEC_E_LOGON_DENIED);
        reasonOf(x.server, "alicepw", "directory down");
      });
    }
  });

  it("credentials: default from NTLM_USER_FILE, none → SEC_E_NO_CREDENTIALS; bad pAuthData → SEC_E_INVALID_PARAMETER", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ntlm-sspi-"));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "users");
    writeFileSync(file, "TESTDOM:alice:alicepw\n");
    const saved = process.env.NTLM_USER_FILE;
    try {
      delete process.env.NTLM_USER_FILE;
      for (const door of FRONT_DOORS) {
        assert.equal(
          await acquire(door, SECPKG_CRED_OUTBOUND, null, new CredHandle()),
          SEC_E_NO_CREDENTIALS,
          door,
        );
        assert.equal(
          await acquire(door, SECPKG_CRED_INBOUND, null, new CredHandle()),
          SEC_E_NO_CREDENTIALS,
          door,
        );
      }
      process.env.NTLM_USER_FILE = file;
      await withExchange({ identity: null, acceptor: { userFile: file } }, (x) =>
        assert.equal(x.statuses.at(-1), SEC_E_OK),
      );
      assert.equal(
        await acquire("blocking", SECPKG_CRED_OUTBOUND, null, new CredHandle(), "TESTDOM\\nobody"),
        SEC_E_NO_CREDENTIALS,
      );
    } finally {
      if (saved === undefined) delete process.env.NTLM_USER_FILE;
      else process.env.NTLM_USER_FILE = saved;
    }
    for (const bad of [
      42,
      { User: 1 },
      { User: "a", Password: "p", NtHash: new Uint8Array(16) },
      { User: "a", NtHash: new Uint8Array(3) },
    ])
      assert.equal(
        await acquire("blocking", SECPKG_CRED_OUTBOUND, bad, new CredHandle()),
        SEC_E_INVALID_PARAMETER,
      );
    assert.equal(
      await acquire("blocking", SECPKG_CRED_INBOUND, { channelBindingPolicy: "sometimes" }, new CredHandle()),
      SEC_E_INVALID_PARAMETER,
    );
    assert.equal(
      await acquire("blocking", SECPKG_CRED_BOTH, null, new CredHandle()),
      SEC_E_INVALID_PARAMETER,
    );
  });

  it("a credential of the wrong direction is SEC_E_WRONG_CREDENTIAL_HANDLE; datagram is unsupported", async () => {
    const inbound = new CredHandle();
    await acquire("blocking", SECPKG_CRED_INBOUND, acceptorCredentials(), inbound);
    const first = new CtxtHandle();
    const wrong = await initialize(
      "blocking",
      inbound,
      first,
      null,
      0,
      tokenInput(null),
      tokenOutput(),
      box(0),
    );
    assert.equal(wrong, SEC_E_WRONG_CREDENTIAL_HANDLE);
    assert.equal(SecIsValidHandle(first), false, "no context was created");
    assert.equal(FreeCredentialsHandle(inbound), SEC_E_OK);
    const outbound = new CredHandle();
    await acquire("blocking", SECPKG_CRED_OUTBOUND, { User: "a", Password: "b" }, outbound);
    const datagram = new CtxtHandle();
    const status = await initialize(
      "blocking",
      outbound,
      datagram,
      null,
      ISC_REQ_DATAGRAM,
      null,
      tokenOutput(),
      box(0),
    );
    assert.equal(status, SEC_E_UNSUPPORTED_FUNCTION);
    release(datagram, outbound);
  });
});

describe("NTLM messages and attributes through the SSPI surface", () => {
  it("replayed and reordered messages are SEC_E_OUT_OF_SEQUENCE, the stream goes on; altered is SEC_E_MESSAGE_ALTERED", async () => {
    await withExchange({ iscReq: SECURE }, (x) => {
      const first = seal(x.client, text("one"));
      const second = seal(x.client, text("two"));
      assert.equal(
        unseal(x.server, second.token.pvBuffer!, second.data.pvBuffer!).status,
        SEC_E_OUT_OF_SEQUENCE,
      );
      assert.equal(utf8(unseal(x.server, first.token.pvBuffer!, first.data.pvBuffer!).plaintext), "one");
      assert.equal(
        unseal(x.server, first.token.pvBuffer!, first.data.pvBuffer!).status,
        SEC_E_OUT_OF_SEQUENCE,
        "replay",
      );
      assert.equal(utf8(unseal(x.server, second.token.pvBuffer!, second.data.pvBuffer!).plaintext), "two");
      const third = seal(x.client, text("three"));
      const altered = third.data.pvBuffer!.slice();
      altered[0]! ^= 1;
      assert.equal(unseal(x.server, third.token.pvBuffer!, altered).status, SEC_E_MESSAGE_ALTERED);
      reasonOf(x.server);
    });
  });

  it("several DATA buffers are one message; a READONLY one is signed, not sealed", async () => {
    await withExchange({ iscReq: SECURE }, (x) => {
      const header = text("header-in-clear");
      const token = secBuffer(SECBUFFER_TOKEN, 16);
      const parts = [
        secBuffer(SECBUFFER_DATA, text("part one,")),
        secBuffer(SECBUFFER_DATA | SECBUFFER_READONLY, header.slice()),
        secBuffer(SECBUFFER_DATA, text(" part two")),
      ];
      assert.equal(EncryptMessage(x.client, 0, secBufferDesc(token, ...parts), 0), SEC_E_OK);
      assert.equal(utf8(parts[1]!.pvBuffer!), "header-in-clear");
      assert.equal(DecryptMessage(x.server, secBufferDesc(token, ...parts), 0, null), SEC_E_OK);
      assert.equal(parts.map((p) => utf8(p.pvBuffer!)).join(""), "part one,header-in-clear part two");
      const sig = secBuffer(SECBUFFER_TOKEN, 8);
      assert.equal(
        MakeSignature(x.client, 0, secBufferDesc(secBuffer(SECBUFFER_DATA, text("x")), sig), 0),
        SEC_E_BUFFER_TOO_SMALL,
      );
    });
  });

  it("SIZES, FLAGS, NAMES, NATIVE_NAMES, SESSION_KEY, NEGOTIATION_INFO, PACKAGE_INFO, LIFESPAN, CLIENT_SPECIFIED_TARGET", async () => {
    await withExchange({ iscReq: SECURE }, (x) => {
      const q = (h: SecHandle, attribute: number) => {
        const b = box<unknown>(null);
        assert.equal(QueryContextAttributes(h, attribute, b), SEC_E_OK, `attribute ${attribute}`);
        return b.value as Record<string, unknown>;
      };
      for (const h of [x.client, x.server]) {
        assert.deepEqual(q(h, SECPKG_ATTR_SIZES), {
          cbMaxToken: 2888,
          cbMaxSignature: 16,
          cbBlockSize: 0,
          cbSecurityTrailer: 16,
        });
        assert.equal((q(h, SECPKG_ATTR_PACKAGE_INFO).PackageInfo as SecPkgInfo).Name, "NTLM");
        assert.equal(q(h, SECPKG_ATTR_NEGOTIATION_INFO).NegotiationState, SECPKG_NEGOTIATION_COMPLETE);
        assert.equal(q(h, SECPKG_ATTR_NATIVE_NAMES).sClientName, "TESTDOM\\alice");
        assert.equal(q(h, SECPKG_ATTR_NATIVE_NAMES).sServerName, "HTTP/server.testdom.test");
        assert.equal(q(h, SECPKG_ATTR_LIFESPAN).tsExpiry, TIMESTAMP_NEVER);
      }
      assert.equal(q(x.client, SECPKG_ATTR_FLAGS).Flags, x.clientAttr.value);
      assert.equal(q(x.server, SECPKG_ATTR_FLAGS).Flags, x.serverAttr.value);
      const ck = q(x.client, SECPKG_ATTR_SESSION_KEY);
      const sk = q(x.server, SECPKG_ATTR_SESSION_KEY);
      assert.equal(ck.SessionKeyLength, 16);
      assert.deepEqual(ck.SessionKey, sk.SessionKey, "both ends hold the same ExportedSessionKey");
      assert.equal(FreeContextBuffer(ck.SessionKey), SEC_E_OK);
      assert.deepEqual(q(x.server, SECPKG_ATTR_CLIENT_SPECIFIED_TARGET), {
        sTargetName: "HTTP/server.testdom.test",
      });
    });
  });

  it("before completion: SIZES answers, NAMES is SEC_E_INCOMPLETE_MESSAGE", async () => {
    await withExchange({ alter: (leg, t) => (leg === 1 ? new Uint8Array(3) : t) }, (x) => {
      assert.equal(QueryContextAttributes(x.client, SECPKG_ATTR_SIZES, box(null)), SEC_E_OK);
      assert.equal(QueryContextAttributes(x.client, SECPKG_ATTR_NAMES, box(null)), SEC_E_INCOMPLETE_MESSAGE);
      assert.equal(QueryContextAttributes(x.server, SECPKG_ATTR_NAMES, box(null)), SEC_E_INCOMPLETE_MESSAGE);
    });
  });
});
