/**
 * The Negotiate package through the SSPI surface, ours against ours: registration as Windows
 * reports it, the 4-leg NTLM flow through each front door with the mechListMIC both ways and
 * sealed messages after it (the MS-SPNG RC4 reset on both sides), the attributes that name the
 * chosen package, downgrade protection (tampered mechListMIC, an altered mechanism list), a bare
 * NTLM client accepted as Windows does, channel bindings passed to the chosen package, and the
 * credential forms.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  AcquireCredentialsHandle,
  box,
  CredHandle,
  channelBindingsBuffer,
  EnumerateSecurityPackages,
  FreeCredentialsHandle,
  ISC_REQ_CONFIDENTIALITY,
  ISC_REQ_INTEGRITY,
  NEGOSSP_NAME,
  QuerySecurityPackageInfo,
  SEC_E_BAD_BINDINGS,
  SEC_E_DOWNGRADE_DETECTED,
  SEC_E_INVALID_PARAMETER,
  SEC_E_INVALID_TOKEN,
  SEC_E_LOGON_DENIED,
  SEC_E_NO_CREDENTIALS,
  SEC_E_OK,
  SEC_I_CONTINUE_NEEDED,
  SECPKG_ATTR_NAMES,
  SECPKG_ATTR_NEGOTIATION_INFO,
  SECPKG_ATTR_NEGOTIATION_PACKAGE,
  SECPKG_ATTR_SESSION_KEY,
  SECPKG_CRED_BOTH,
  SECPKG_CRED_INBOUND,
  SECPKG_CRED_OUTBOUND,
  SECPKG_NEGOTIATION_COMPLETE,
  SECPKG_NEGOTIATION_IN_PROGRESS,
  type SecPkgInfo,
  SspiGetLastErrorInfo,
} from "../../src/index.js";
import { NTLMSSP_OID } from "../../src/negotiate/mechanisms.js";
import {
  decodeNegotiationToken,
  encodeNegTokenInit,
  encodeNegTokenResp,
  NEG_STATE,
} from "../../src/negotiate/spnego-token.js";
import { tlsServerEndPointBindings } from "../../src/ntlm/crypto/channel-bindings.js";
import { unhex } from "../ntlm/support/bytes.js";
import { acceptorCredentials, FRONT_DOORS, type FrontDoor, SspiNtlmEnd } from "../ntlm/support/sspi-ntlm.js";
import { tokenLoop } from "../support/token-loop.js";

const ALICE = { User: "alice", Domain: "TESTDOM", Password: "alicepw", PackageList: "NTLM" };
const TARGET = "HTTP/server.testdom.test";
const text = (s: string) => new TextEncoder().encode(s);

interface Ends {
  client: SspiNtlmEnd;
  server: SspiNtlmEnd;
}

async function ends(
  o: {
    door?: FrontDoor;
    identity?: unknown;
    acceptor?: unknown;
    clientPackage?: string;
    cb?: [Uint8Array?, Uint8Array?];
  } = {},
): Promise<Ends> {
  const door = o.door ?? "promise";
  const [clientCb, serverCb] = o.cb ?? [];
  const client = await SspiNtlmEnd.initiator(o.identity === undefined ? ALICE : o.identity, {
    door,
    package: o.clientPackage ?? NEGOSSP_NAME,
    cbMaxToken: 48256,
    target: TARGET,
    fContextReq: ISC_REQ_INTEGRITY | ISC_REQ_CONFIDENTIALITY,
    ...(clientCb && { bindings: channelBindingsBuffer({ applicationData: clientCb }) }),
  });
  const server = await SspiNtlmEnd.acceptor(o.acceptor ?? { packages: { NTLM: acceptorCredentials() } }, {
    door,
    package: NEGOSSP_NAME,
    cbMaxToken: 48256,
    ...(serverCb && { bindings: channelBindingsBuffer({ applicationData: serverCb }) }),
  });
  return { client, server };
}

const dispose = (e: Ends) => {
  e.client.dispose();
  e.server.dispose();
};

describe("Negotiate through the SSPI surface", () => {
  it("is registered as Windows reports it", () => {
    const info = box<SecPkgInfo | null>(null);
    assert.equal(QuerySecurityPackageInfo("negotiate", info), SEC_E_OK);
    assert.deepEqual(
      { ...info.value },
      {
        fCapabilities: 0x00083bb3,
        wVersion: 1,
        wRPCID: 9,
        cbMaxToken: 48256,
        Name: "Negotiate",
        Comment: "Microsoft Package Negotiator",
      },
    );
    const count = box(0);
    const list = box<SecPkgInfo[] | null>(null);
    assert.equal(EnumerateSecurityPackages(count, list), SEC_E_OK);
    assert.ok(list.value!.some((p) => p.Name === "Negotiate"));
  });

  for (const door of FRONT_DOORS)
    it(`runs NTLM in 4 legs with the mechListMIC both ways (${door})`, async () => {
      const e = await ends({ door });
      try {
        const legs = await tokenLoop(e.client, e.server);
        assert.deepEqual(
          legs.map((l) => [l.side, l.status]),
          [
            ["client", SEC_I_CONTINUE_NEEDED],
            ["server", SEC_I_CONTINUE_NEEDED],
            ["client", SEC_I_CONTINUE_NEEDED],
            ["server", SEC_E_OK],
            ["client", SEC_E_OK],
          ],
          e.client.reason || e.server.reason,
        );
        const [init, challenge, authenticate, final] = legs
          .slice(0, 4)
          .map((l) => decodeNegotiationToken(l.output));
        assert.ok(init?.kind === "init" && init.mechToken);
        assert.deepEqual(init.mechTypes, [NTLMSSP_OID], "PackageList NTLM: only NTLM is offered");
        assert.deepEqual(
          { ...challenge, responseToken: undefined },
          {
            kind: "resp",
            negState: NEG_STATE.ACCEPT_INCOMPLETE,
            supportedMech: NTLMSSP_OID,
            responseToken: undefined,
          },
        );
        assert.ok(authenticate?.kind === "resp" && authenticate.responseToken && authenticate.mechListMIC);
        assert.ok(final?.kind === "resp");
        assert.equal(final.negState, NEG_STATE.ACCEPT_COMPLETED);
        assert.equal(final.mechListMIC?.length, 16, "the server's NTLM signature over the mechanism list");
        assert.equal(legs[4]!.output.length, 0);

        // sealed messages after the MICs: both RC4 handles were reset the same way
        assert.equal(Buffer.from(e.server.unwrap(e.client.wrap(text("ping")))).toString(), "ping");
        assert.equal(Buffer.from(e.client.unwrap(e.server.wrap(text("pong")))).toString(), "pong");
        assert.equal(Buffer.from(e.server.unwrap(e.client.wrap(text("again")))).toString(), "again");
        assert.equal(e.server.verify(text("signed"), e.client.sign(text("signed"))), SEC_E_OK);
      } finally {
        dispose(e);
      }
    });

  it("reports the chosen package: NEGOTIATION_INFO, NEGOTIATION_PACKAGE; other attributes are NTLM's", async () => {
    const e = await ends();
    try {
      assert.equal((await e.client.step(null)).status, SEC_I_CONTINUE_NEEDED);
      const during = e.client.query<{ PackageInfo: SecPkgInfo; NegotiationState: number }>(
        SECPKG_ATTR_NEGOTIATION_INFO,
      );
      assert.equal(during.PackageInfo.Name, "NTLM");
      assert.equal(during.NegotiationState, SECPKG_NEGOTIATION_IN_PROGRESS);
      e.client.dispose();
      const x = await ends();
      Object.assign(e, x);
      await tokenLoop(x.client, x.server);
      for (const end of [x.client, x.server]) {
        const info = end.query<{ PackageInfo: SecPkgInfo; NegotiationState: number }>(
          SECPKG_ATTR_NEGOTIATION_INFO,
        );
        assert.equal(info.PackageInfo.Name, "NTLM");
        assert.equal(info.NegotiationState, SECPKG_NEGOTIATION_COMPLETE);
        assert.equal(
          end.query<{ PackageInfo: SecPkgInfo }>(SECPKG_ATTR_NEGOTIATION_PACKAGE).PackageInfo.Name,
          "NTLM",
        );
      }
      assert.equal(x.server.query<{ sUserName: string }>(SECPKG_ATTR_NAMES).sUserName, "TESTDOM\\alice");
      assert.deepEqual(
        x.client.query<{ SessionKey: Uint8Array }>(SECPKG_ATTR_SESSION_KEY).SessionKey,
        x.server.query<{ SessionKey: Uint8Array }>(SECPKG_ATTR_SESSION_KEY).SessionKey,
      );
    } finally {
      dispose(e);
    }
  });

  it("refuses a tampered mechListMIC from the client with SEC_E_DOWNGRADE_DETECTED", async () => {
    const e = await ends();
    try {
      const legs = await tokenLoop(e.client, e.server, { alter: (leg, t) => (leg === 2 ? flipMic(t) : t) });
      assert.equal(legs.at(-1)!.side, "server");
      assert.equal(legs.at(-1)!.status, SEC_E_DOWNGRADE_DETECTED);
      assert.match(e.server.reason, /mechListMIC does not verify/);
    } finally {
      dispose(e);
    }
  });

  it("refuses a tampered mechListMIC from the server with SEC_E_DOWNGRADE_DETECTED", async () => {
    const e = await ends();
    try {
      const legs = await tokenLoop(e.client, e.server, { alter: (leg, t) => (leg === 3 ? flipMic(t) : t) });
      assert.equal(legs.at(-1)!.side, "client");
      assert.equal(legs.at(-1)!.status, SEC_E_DOWNGRADE_DETECTED);
    } finally {
      dispose(e);
    }
  });

  it("detects a mechanism list altered on the way (the server asks for and checks the MIC)", async () => {
    const e = await ends();
    try {
      // an attacker puts another mechanism first: the server must not take NTLM unchecked
      const legs = await tokenLoop(e.client, e.server, {
        alter: (leg, t) => {
          if (leg !== 0) return t;
          const init = decodeNegotiationToken(t);
          assert.ok(init.kind === "init");
          return encodeNegTokenInit({
            mechTypes: ["1.3.6.1.4.1.311.2.2.30", ...init.mechTypes],
            mechToken: init.mechToken!,
          });
        },
      });
      const request = decodeNegotiationToken(legs[1]!.output);
      assert.ok(request.kind === "resp");
      assert.equal(request.negState, NEG_STATE.REQUEST_MIC);
      assert.equal(request.responseToken, undefined, "the optimistic token was for another mechanism");
      assert.equal(legs.at(-1)!.side, "server");
      assert.equal(legs.at(-1)!.status, SEC_E_DOWNGRADE_DETECTED);
    } finally {
      dispose(e);
    }
  });

  it("accepts a bare NTLM client, as Windows does, and answers bare NTLM", async () => {
    const e = await ends({
      clientPackage: "NTLM",
      identity: { User: "alice", Domain: "TESTDOM", Password: "alicepw" },
    });
    try {
      const legs = await tokenLoop(e.client, e.server);
      assert.deepEqual(
        legs.map((l) => l.status),
        [SEC_I_CONTINUE_NEEDED, SEC_I_CONTINUE_NEEDED, SEC_E_OK, SEC_E_OK],
      );
      assert.equal(Buffer.from(legs[1]!.output.subarray(0, 8)).toString("latin1"), "NTLMSSP\0");
      const info = e.server.query<{ PackageInfo: SecPkgInfo; NegotiationState: number }>(
        SECPKG_ATTR_NEGOTIATION_INFO,
      );
      assert.equal(info.PackageInfo.Name, "NTLM");
      assert.equal(info.NegotiationState, SECPKG_NEGOTIATION_COMPLETE);
      assert.equal(Buffer.from(e.server.unwrap(e.client.wrap(text("bare")))).toString(), "bare");
    } finally {
      dispose(e);
    }
  });

  it("passes channel bindings to the chosen package: a match authenticates, a mismatch is SEC_E_BAD_BINDINGS", async () => {
    const a = tlsServerEndPointBindings(unhex("a1".repeat(32))).applicationData;
    const b = tlsServerEndPointBindings(unhex("b2".repeat(32))).applicationData;
    const acceptor = { packages: { NTLM: acceptorCredentials({ channelBindingPolicy: "required" }) } };
    for (const [clientCb, expected] of [
      [a, SEC_E_OK],
      [b, SEC_E_BAD_BINDINGS],
    ] as const) {
      const e = await ends({ acceptor, cb: [clientCb, a] });
      try {
        const legs = await tokenLoop(e.client, e.server);
        const serverLast = legs.filter((l) => l.side === "server").at(-1)!;
        assert.equal(serverLast.status, expected, e.server.reason);
        if (expected !== SEC_E_OK) {
          const reject = decodeNegotiationToken(serverLast.output);
          assert.ok(reject.kind === "resp");
          assert.equal(reject.negState, NEG_STATE.REJECT, "the client is told the negotiation failed");
        }
      } finally {
        dispose(e);
      }
    }
  });

  it("a wrong password is SEC_E_LOGON_DENIED at the server, and the client reads the rejection", async () => {
    const e = await ends({ identity: { ...ALICE, Password: "wrong" } });
    try {
      const legs = await tokenLoop(e.client, e.server);
      assert.deepEqual(
        legs.slice(-2).map((l) => [l.side, l.status]),
        [
          ["client", SEC_I_CONTINUE_NEEDED],
          ["server", SEC_E_LOGON_DENIED],
        ],
      );
      assert.equal((await e.client.step(legs.at(-1)!.output)).status, SEC_E_LOGON_DENIED);
    } finally {
      dispose(e);
    }
  });

  it("refuses garbage with SEC_E_INVALID_TOKEN and a server that chose an unoffered mechanism", async () => {
    const e = await ends();
    try {
      assert.equal((await e.server.step(unhex("a0030201ff"))).status, SEC_E_INVALID_TOKEN);
      await e.client.step(null);
      const bogus = encodeNegTokenResp({
        negState: NEG_STATE.ACCEPT_INCOMPLETE,
        supportedMech: "1.2.840.113554.1.2.2",
      });
      assert.equal((await e.client.step(bogus)).status, SEC_E_INVALID_TOKEN);
      assert.match(e.client.reason, /not offered/);
    } finally {
      dispose(e);
    }
  });

  it("null pAuthData: each package's defaults (no credential cache: Kerberos left out; NTLM_USER_FILE)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "negotiate-defaults-"));
    const saved = { NTLM_USER_FILE: process.env.NTLM_USER_FILE, KRB5CCNAME: process.env.KRB5CCNAME };
    process.env.NTLM_USER_FILE = join(dir, "users");
    process.env.KRB5CCNAME = `FILE:${join(dir, "no-such-ccache")}`;
    writeFileSync(process.env.NTLM_USER_FILE, "TESTDOM:alice:alicepw\n");
    let e: Ends | undefined;
    try {
      e = await ends({ identity: null });
      const legs = await tokenLoop(e.client, e.server);
      assert.equal(legs.at(-1)!.status, SEC_E_OK, e.client.reason || e.server.reason);
      const init = decodeNegotiationToken(legs[0]!.output);
      assert.ok(init.kind === "init");
      assert.deepEqual(init.mechTypes, [NTLMSSP_OID], "no ticket: only NTLM is offered");
      assert.equal(e.server.query<{ sUserName: string }>(SECPKG_ATTR_NAMES).sUserName, "TESTDOM\\alice");
    } finally {
      if (e) dispose(e);
      for (const [k, v] of Object.entries(saved))
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("acquires credentials in each documented form and refuses the others", () => {
    const acquire = (use: number, authData: unknown) => {
      const cred = new CredHandle();
      const status = AcquireCredentialsHandle(null, "Negotiate", use, null, authData, null, null, cred, null);
      if (status === SEC_E_OK) FreeCredentialsHandle(cred);
      return { status, reason: SspiGetLastErrorInfo()?.message ?? "" };
    };
    assert.equal(acquire(SECPKG_CRED_OUTBOUND, ALICE).status, SEC_E_OK);
    assert.equal(
      acquire(SECPKG_CRED_INBOUND, { packages: { NTLM: acceptorCredentials() } }).status,
      SEC_E_OK,
    );
    assert.equal(acquire(SECPKG_CRED_BOTH, ALICE).status, SEC_E_INVALID_PARAMETER);
    assert.equal(
      acquire(SECPKG_CRED_OUTBOUND, { ...ALICE, PackageList: "Digest" }).status,
      SEC_E_INVALID_PARAMETER,
    );
    assert.equal(
      acquire(SECPKG_CRED_OUTBOUND, { packages: { Digest: null } }).status,
      SEC_E_INVALID_PARAMETER,
    );
    const none = acquire(SECPKG_CRED_OUTBOUND, { ...ALICE, PackageList: "!NTLM,!Kerberos" });
    assert.equal(none.status, SEC_E_NO_CREDENTIALS);
    assert.match(none.reason, /no package Negotiate can use/);
  });
});

/** Flips a bit of the mechListMIC of a NegTokenResp. */
function flipMic(token: Uint8Array): Uint8Array {
  const resp = decodeNegotiationToken(token);
  assert.ok(resp.kind === "resp" && resp.mechListMIC, "the token carries a mechListMIC");
  const mic = resp.mechListMIC.slice();
  mic[5]! ^= 1;
  const { kind: _, ...fields } = resp;
  return encodeNegTokenResp({ ...fields, mechListMIC: mic });
}
