/**
 * `withHttpAuthentication` (the `httpAuthentication` middleware) on Node's own
 * `https.createServer`, with the NTLM package: our fetch dispatcher with the tls-server-end-point
 * binding both sides compute from Node's TLS sockets (required, so a client without it is
 * refused), curl's NTLM client (a real peer, no bindings: accepted with the default policy), a
 * request without credentials challenged, and the user handed to the handler.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { writeFileSync } from "node:fs";
import https from "node:https";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Agent, fetch } from "undici";
import { NegotiateDispatcher } from "../../src/fetch/index.js";
import { withHttpAuthentication } from "../../src/index.js";
import { tempDir } from "../cli/serve-support.js";
import { requirePeer } from "../ntlm/support/line-peer.js";
import { spawnPeer } from "../support/peers.js";
import { pki } from "../support/pki.js";

const CURL = {
  what: "curl with NTLM support (Debian package curl)",
  probe: ["sh", "-c", "curl -V | grep -q NTLM"],
};

const dir = tempDir();
const usersFile = join(dir.path, "users.txt");
const caFile = join(dir.path, "ca.pem");
before(async () => {
  writeFileSync(usersFile, "TESTDOM:alice:alicepw\n");
  writeFileSync(caFile, (await pki()).ca.certificate);
});
after(() => dir.remove());

/** An https server whose handler answers with the authenticated user; `refusals` collects statuses. */
async function startServer(policy: "when-supported" | "required") {
  const { server: certificate } = await pki();
  const refusals: string[] = [];
  const server = https.createServer(
    { cert: certificate.certificate, key: certificate.privateKey },
    withHttpAuthentication(
      {
        package: "NTLM",
        authData: { userFile: usersFile, channelBindingPolicy: policy },
        onRefused: (error) => refusals.push(error.statusName),
      },
      (req, res) => res.end(`hello ${req.authentication.user} via ${req.authentication.package}`),
    ),
  );
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as { port: number }).port,
    refusals,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

async function ourFetch(port: number, channelBindings: boolean) {
  const dispatcher = new NegotiateDispatcher({
    auth: "ntlm",
    identity: { user: "TESTDOM\\alice", password: "alicepw" },
    channelBindings,
    connect: { ca: (await pki()).ca.certificate, servername: "server.test" },
  });
  try {
    const response = await fetch(`https://127.0.0.1:${port}/`, { dispatcher });
    return { status: response.status, text: await response.text() };
  } finally {
    await dispatcher.close();
  }
}

describe("withHttpAuthentication on https.createServer (NTLM)", () => {
  it("our fetch with channel bindings is authenticated; without them (required) it is refused", async () => {
    const server = await startServer("required");
    try {
      assert.deepEqual(await ourFetch(server.port, true), {
        status: 200,
        text: "hello TESTDOM\\alice via NTLM",
      });
      assert.equal((await ourFetch(server.port, false)).status, 401);
      assert.deepEqual(server.refusals, ["SEC_E_BAD_BINDINGS"]);
    } finally {
      server.close();
    }
  });

  it("a request without credentials gets 401 WWW-Authenticate: NTLM", async () => {
    const server = await startServer("when-supported");
    const plain = new Agent({ connect: { ca: (await pki()).ca.certificate, servername: "server.test" } });
    try {
      const response = await fetch(`https://127.0.0.1:${server.port}/`, { dispatcher: plain });
      assert.equal(response.status, 401);
      assert.equal(response.headers.get("www-authenticate"), "NTLM");
      await response.arrayBuffer();
    } finally {
      await plain.close();
      server.close();
    }
  });

  it("curl --ntlm authenticates on one connection", async (t) => {
    if (!requirePeer(t, CURL.what, CURL.probe)) return;
    const server = await startServer("when-supported");
    try {
      const curl = spawnPeer(
        "curl",
        [
          "-s",
          "--max-time",
          "20",
          "--ntlm",
          "-u",
          "TESTDOM\\alice:alicepw",
          "--cacert",
          caFile,
          "--resolve",
          `server.test:${server.port}:127.0.0.1`,
          "-w",
          "\\n%{http_code} %{num_connects}",
          `https://server.test:${server.port}/`,
        ],
        30_000,
      );
      await curl.exited;
      assert.equal(curl.output(), "hello TESTDOM\\alice via NTLM\n200 1");
    } finally {
      server.close();
    }
  });
});
