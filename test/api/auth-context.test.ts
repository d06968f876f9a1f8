/**
 * `AuthContext` over the NTLM package, client and server in this process: the token loop, the
 * names and package, the session key both sides share, signatures and sealed messages both
 * ways (tampering refused), a wrong password as an `AuthError` with its status and reason, and
 * channel bindings taken from one of our TLS connections (matching accepted, another
 * connection's refused).
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  AuthContext,
  type AuthContext as AuthContextType,
  AuthError,
  acquireAuthCredentials,
  type SEC_CHANNEL_BINDINGS,
} from "../../src/index.js";
import { tempDir } from "../cli/serve-support.js";

const dir = tempDir();
const usersFile = join(dir.path, "users.txt");
before(() => writeFileSync(usersFile, "TESTDOM:alice:alicepw\n"));
after(() => dir.remove());

async function pair(
  password: string,
  bindings: { client?: SEC_CHANNEL_BINDINGS; server?: SEC_CHANNEL_BINDINGS; policy?: string } = {},
): Promise<{ client: AuthContextType; server: AuthContextType; close(): Promise<void> }> {
  const clientCredentials = await acquireAuthCredentials({
    package: "NTLM",
    role: "client",
    identity: { user: "TESTDOM\\alice", password },
  });
  const serverCredentials = await acquireAuthCredentials({
    package: "NTLM",
    role: "server",
    authData: { userFile: usersFile, channelBindingPolicy: bindings.policy ?? "when-supported" },
  });
  const client = new AuthContext(clientCredentials, {
    target: "HTTP/localhost",
    channelBindings: bindings.client ?? null,
  });
  const server = new AuthContext(serverCredentials, { channelBindings: bindings.server ?? null });
  return {
    client,
    server,
    async close() {
      await Promise.all([client.close(), server.close()]);
      await Promise.all([clientCredentials.close(), serverCredentials.close()]);
    },
  };
}

/** The token loop every application writes, bounded. */
async function exchange(client: AuthContextType, server: AuthContextType): Promise<number> {
  let fromServer: Uint8Array | null = null;
  for (let legs = 1; legs <= 6; legs++) {
    const c = await client.step(fromServer);
    if (c.token === null) return legs;
    const s = await server.step(c.token);
    fromServer = s.token;
    if (s.done && fromServer === null) return legs;
  }
  throw new Error("no completion in 6 legs");
}

const bytes = (text: string) => new Uint8Array(Buffer.from(text));

describe("AuthContext (NTLM)", () => {
  it("authenticates: names, package, a shared session key", async () => {
    const { client, server, close } = await pair("alicepw");
    try {
      assert.equal(await exchange(client, server), 2);
      assert.ok(client.done && server.done);
      assert.equal(server.names.client, "TESTDOM\\alice");
      assert.equal(server.package, "NTLM");
      assert.equal(client.package, "NTLM");
      assert.equal(server.sessionKey.byteLength, 16);
      assert.deepEqual(client.sessionKey, server.sessionKey);
    } finally {
      await close();
    }
  });

  it("signs and seals both ways; tampering is SEC_E_MESSAGE_ALTERED", async () => {
    const { client, server, close } = await pair("alicepw");
    try {
      await exchange(client, server);
      const signed = bytes("GET /payroll");
      server.verifySignature(signed, client.signature(signed));
      const sealed = server.wrap(bytes("the answer"));
      assert.notEqual(Buffer.from(sealed).indexOf("the answer"), 0);
      assert.equal(Buffer.from(client.unwrap(sealed)).toString(), "the answer");
      const tampered = client.wrap(bytes("transfer 10"));
      tampered[tampered.length - 1]! ^= 1;
      assert.throws(
        () => server.unwrap(tampered),
        (e: unknown) => e instanceof AuthError && e.statusName === "SEC_E_MESSAGE_ALTERED",
      );
      assert.throws(
        () => client.verifySignature(bytes("other"), server.signature(bytes("this"))),
        (e: unknown) => e instanceof AuthError && e.statusName === "SEC_E_MESSAGE_ALTERED",
      );
    } finally {
      await close();
    }
  });

  it("a wrong password fails the server's step with SEC_E_LOGON_DENIED and a reason", async () => {
    const { client, server, close } = await pair("wrong");
    try {
      await assert.rejects(exchange(client, server), (e: unknown) => {
        assert.ok(e instanceof AuthError);
        assert.equal(e.statusName, "SEC_E_LOGON_DENIED");
        assert.equal(e.operation, "AcceptSecurityContext");
        assert.ok(e.reason && !e.reason.includes("wrong"), e.reason ?? "");
        return true;
      });
      assert.throws(() => server.names, AuthError);
    } finally {
      await close();
    }
  });

  it("channel bindings: the same binding is accepted, another connection's is SEC_E_BAD_BINDINGS", async () => {
    const mine: SEC_CHANNEL_BINDINGS = { applicationData: bytes("tls-server-end-point:aaaa") };
    const other: SEC_CHANNEL_BINDINGS = { applicationData: bytes("tls-server-end-point:bbbb") };
    const good = await pair("alicepw", { client: mine, server: mine, policy: "required" });
    try {
      await exchange(good.client, good.server);
      assert.ok(good.server.done);
    } finally {
      await good.close();
    }
    const bad = await pair("alicepw", { client: other, server: mine, policy: "required" });
    try {
      await assert.rejects(
        exchange(bad.client, bad.server),
        (e: unknown) => e instanceof AuthError && e.statusName === "SEC_E_BAD_BINDINGS",
      );
    } finally {
      await bad.close();
    }
  });

  it("misuse: messages before completion and steps after close are SEC_E_INVALID_HANDLE", async () => {
    const { client, server, close } = await pair("alicepw");
    try {
      assert.throws(
        () => client.signature(bytes("x")),
        (e: unknown) => e instanceof AuthError && e.statusName === "SEC_E_INVALID_HANDLE",
      );
      await client.close();
      await assert.rejects(
        client.step(),
        (e: unknown) => e instanceof AuthError && e.statusName === "SEC_E_INVALID_HANDLE",
      );
      void server;
    } finally {
      await close();
    }
  });
});
