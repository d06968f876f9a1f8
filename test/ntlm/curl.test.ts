/**
 * curl's NTLM client (`curl --ntlm`) against our server state machine behind a minimal HTTP
 * responder on 127.0.0.1: `WWW-Authenticate: NTLM` on a kept-alive connection, one server
 * context per connection, the authenticated user in the body. (The SSPI-wired `serve --auth
 * ntlm` comes with the package wiring; this checks the protocol against curl now.)
 */
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { describe, it } from "node:test";
import { NtlmError } from "../../src/ntlm/ntlm-error.js";
import type { NtlmServer, NtlmServerContext } from "../../src/ntlm/server.js";
import { closeServer, spawnPeer } from "../support/peers.js";
import { makeServer } from "./support/exchange.js";
import { requirePeer } from "./support/line-peer.js";

/** An HTTP server that authenticates every request with NTLM, one context per TCP connection. */
async function ntlmHttpServer(server: NtlmServer) {
  const contexts = new WeakMap<Socket, NtlmServerContext>();
  const failures: NtlmError[] = [];
  const http = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const deny = (token?: Uint8Array) => {
      res.writeHead(401, {
        "WWW-Authenticate": token ? `NTLM ${Buffer.from(token).toString("base64")}` : "NTLM",
      });
      res.end();
    };
    const header = req.headers.authorization ?? "";
    if (!header.startsWith("NTLM ")) return deny();
    const token = new Uint8Array(Buffer.from(header.slice(5), "base64"));
    try {
      const context = contexts.get(req.socket);
      if (context?.phase !== "expect-authenticate") {
        const fresh = server.createContext();
        contexts.set(req.socket, fresh);
        return deny(fresh.challenge(token));
      }
      const user = await context.authenticate(token);
      res.writeHead(200, { "Content-Type": "text/plain" });
      res.end(`hello ${user.domain}\\${user.user}\n`);
    } catch (e) {
      if (e instanceof NtlmError) failures.push(e);
      contexts.delete(req.socket);
      deny();
    }
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return { http, port: (http.address() as { port: number }).port, failures };
}

/** Runs curl without blocking the event loop (the server is in this process). */
async function curl(port: number, credentials: string): Promise<string> {
  const peer = spawnPeer(
    "curl",
    [
      "-s",
      "--max-time",
      "20",
      "--ntlm",
      "-u",
      credentials,
      "-w",
      "\\n%{http_code}",
      `http://127.0.0.1:${port}/`,
    ],
    30_000,
  );
  try {
    await peer.exited;
    return peer.output();
  } finally {
    peer.kill();
  }
}

const CURL = {
  what: "curl with NTLM support (Debian package curl)",
  probe: ["sh", "-c", "curl -V | grep -q NTLM"],
};

describe("curl --ntlm → our server", () => {
  it("authenticates on a kept-alive connection", async (t) => {
    if (!requirePeer(t, CURL.what, CURL.probe)) return;
    const { http, port, failures } = await ntlmHttpServer(makeServer());
    try {
      assert.equal(await curl(port, "TESTDOM\\alice:alicepw"), "hello TESTDOM\\alice\n\n200");
      assert.deepEqual(failures, []);
    } finally {
      await closeServer(http);
    }
  });

  it("a wrong password ends in 401 with SEC_E_LOGON_DENIED on the server", async (t) => {
    if (!requirePeer(t, CURL.what, CURL.probe)) return;
    const { http, port, failures } = await ntlmHttpServer(makeServer());
    try {
      assert.match(await curl(port, "TESTDOM\\alice:wrong"), /401$/);
      assert.equal(failures[0]?.kind, "logon-denied");
    } finally {
      await closeServer(http);
    }
  });
});
