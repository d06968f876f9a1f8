/**
 * `AuthContext` with Kerberos and Negotiate against a real MIT KDC on loopback: alice's password
 * (AS exchange) → a server with the HTTP/localhost keytab; the client principal, the package
 * Negotiate chose, mutual authentication, the shared session key, sealed messages both ways.
 * And the HTTP client's secure default: a server that authenticates the client but omits its
 * final (mutual-authentication) token makes fetch fail with SEC_E_MUTUAL_AUTH_FAILED.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import http from "node:http";
import { after, before, describe, it } from "node:test";
import { fetch } from "undici";
import { NegotiateDispatcher } from "../../src/fetch/index.js";
import {
  AuthContext,
  type AuthContext as AuthContextType,
  AuthError,
  acquireAuthCredentials,
  HttpAuthAcceptor,
} from "../../src/index.js";
import { type KerberosRealm, REALM, startKerberosRealm } from "../support/kerberos-sspi.js";
import { mitKrb5Installed, requireMitKrb5 } from "../support/mit-kdc.js";

let realm: KerberosRealm | undefined;
const saved = process.env.KRB5_CONFIG;
before(async () => {
  if (!mitKrb5Installed()) return;
  realm = await startKerberosRealm();
  process.env.KRB5_CONFIG = realm.krb5Conf;
});
after(async () => {
  await realm?.stop();
  if (saved === undefined) delete process.env.KRB5_CONFIG;
  else process.env.KRB5_CONFIG = saved;
});

async function exchange(client: AuthContextType, server: AuthContextType): Promise<void> {
  let fromServer: Uint8Array | null = null;
  for (let legs = 0; legs < 6; legs++) {
    const c = await client.step(fromServer);
    if (c.token === null && client.done) return;
    const s = await server.step(c.token);
    fromServer = s.token;
    if (fromServer === null) return;
  }
  throw new Error("no completion in 6 legs");
}

for (const pkg of ["Kerberos", "Negotiate"]) {
  describe(`AuthContext (${pkg}) with a real KDC`, () => {
    it("alice's password → the HTTP/localhost keytab: names, package, mutual authentication, sealed messages", async (t) => {
      if (!requireMitKrb5(t) || !realm) return;
      const clientCredentials = await acquireAuthCredentials({
        package: pkg,
        role: "client",
        identity: { user: `alice@${REALM}`, password: "alicepw" },
      });
      const serverCredentials = await acquireAuthCredentials({
        package: pkg,
        role: "server",
        authData:
          pkg === "Kerberos"
            ? { keytab: realm.serviceKeytab }
            : { packages: { Kerberos: { keytab: realm.serviceKeytab } } },
      });
      const client = new AuthContext(clientCredentials, { target: "HTTP/localhost" });
      const server = new AuthContext(serverCredentials);
      try {
        await exchange(client, server);
        assert.ok(client.done && server.done);
        assert.equal(client.mutuallyAuthenticated, true);
        assert.equal(server.names.client, `alice@${REALM}`);
        assert.equal(server.package, "Kerberos");
        assert.equal(client.package, "Kerberos");
        assert.deepEqual(client.sessionKey, server.sessionKey);
        const sealed = client.wrap(new TextEncoder().encode("to the server"));
        assert.equal(new TextDecoder().decode(server.unwrap(sealed)), "to the server");
        const back = server.wrap(new TextEncoder().encode("to the client"));
        assert.equal(new TextDecoder().decode(client.unwrap(back)), "to the client");
        const data = new TextEncoder().encode("signed");
        server.verifySignature(data, client.signature(data));
      } finally {
        await Promise.all([client.close(), server.close()]);
        await Promise.all([clientCredentials.close(), serverCredentials.close()]);
      }
    });
  });
}

describe("fetch requires the server's mutual-authentication token (Kerberos)", () => {
  it("a server that drops its final token: SEC_E_MUTUAL_AUTH_FAILED, the response never reaches the caller", async (t) => {
    if (!requireMitKrb5(t) || !realm) return;
    const acceptor = await HttpAuthAcceptor.create({
      package: "Negotiate",
      authData: { packages: { Kerberos: { keytab: realm.serviceKeytab } } },
    });
    const server = http.createServer((req, res) => {
      const auth = acceptor.forConnection(null);
      void auth.authorize(req.headers.authorization).then((verdict) => {
        if (verdict.kind === "challenge") {
          res.writeHead(401, { "WWW-Authenticate": verdict.header }).end();
          return;
        }
        res.end("secret"); // authenticated, but no WWW-Authenticate with the final token
      });
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const dispatcher = new NegotiateDispatcher({
      auth: "negotiate",
      identity: { user: `alice@${REALM}`, password: "alicepw" },
    });
    try {
      const port = (server.address() as { port: number }).port;
      await assert.rejects(fetch(`http://localhost:${port}/`, { dispatcher }), (e: unknown) => {
        const cause = (e as { cause?: unknown }).cause;
        assert.ok(cause instanceof AuthError, `${String(cause)} ${(cause as Error)?.stack}`);
        assert.equal(cause.statusName, "SEC_E_MUTUAL_AUTH_FAILED");
        return true;
      });
      const relaxed = new NegotiateDispatcher({
        auth: "negotiate",
        identity: { user: `alice@${REALM}`, password: "alicepw" },
        mutualAuth: false,
      });
      try {
        const response = await fetch(`http://localhost:${port}/`, { dispatcher: relaxed });
        assert.equal(await response.text(), "secret", "mutualAuth: false is the explicit opt-out");
      } finally {
        await relaxed.close();
      }
    } finally {
      await dispatcher.close();
      server.closeAllConnections();
      server.close();
      await acceptor.close();
    }
  });
});
