/**
 * Our HTTP clients with NTLM against real servers: the fetch dispatcher (`async-sspi/fetch`),
 * the `https.Agent` and the `async-sspi fetch` CLI → `async-sspi serve --http --auth ntlm
 * --channel-binding require` (a separate process; the tls-server-end-point binding from Node's
 * TLS connection must match the one serve's Schannel package reports), on one kept-alive
 * connection; a wrong password; a client without bindings refused; and a `407` from a forward
 * proxy answered on the proxy connection.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fetch } from "undici";
import { type AuthOutcome, NegotiateDispatcher } from "../../../src/fetch/index.js";
import { AuthError, NegotiateAgent } from "../../../src/index.js";
import {
  cli,
  kill,
  type RunningServe,
  runProcess,
  startServe,
  tempDir,
  waitFor,
} from "../../cli/serve-support.js";
import { startAuthProxy } from "../../support/auth-proxy.js";

const dir = tempDir();
const usersFile = join(dir.path, "users.txt");
let serve: RunningServe;
before(async () => {
  writeFileSync(usersFile, "TESTDOM:alice:alicepw\n");
  serve = await startServe(
    ["--http", "--auth", "ntlm", "--ntlm-users", usersFile, "--channel-binding", "require"],
    dir.path,
  );
});
after(async () => {
  await kill(serve);
  dir.remove();
});

const ALICE = { user: "TESTDOM\\alice", password: "alicepw" };
const userOnPage = (page: string) => /Authenticated user<\/th><td>([^<]*)</.exec(page)?.[1];
const peersOnPage = (page: string) => /Peer<\/th><td>([^<]*)</.exec(page)?.[1];

function dispatcher(options: ConstructorParameters<typeof NegotiateDispatcher>[0] = {}) {
  const outcomes: AuthOutcome[] = [];
  const d = new NegotiateDispatcher({
    auth: "ntlm",
    identity: ALICE,
    connect: { ca: readFileSync(serve.caFile), servername: "localhost" },
    onAuthenticated: (o) => outcomes.push(o),
    ...options,
  });
  return { d, outcomes };
}

describe("fetch with NegotiateDispatcher → serve --auth ntlm --channel-binding require", () => {
  it("authenticates once per connection with channel bindings; later requests reuse it", async () => {
    const { d, outcomes } = dispatcher();
    try {
      const url = `https://127.0.0.1:${serve.port}/`;
      const first = await fetch(url, { dispatcher: d });
      assert.equal(first.status, 200);
      const page = await first.text();
      assert.equal(userOnPage(page), "TESTDOM\\alice");
      assert.match(page, /Authentication package<\/th><td>NTLM</);
      const second = await fetch(`${url}again`, { dispatcher: d, method: "POST", body: "a body" });
      assert.equal(second.status, 200);
      const secondPage = await second.text();
      assert.equal(peersOnPage(secondPage), peersOnPage(page), "the same kept-alive connection");
      assert.deepEqual(
        outcomes.map((o) => [o.scheme, o.package, o.status, o.by]),
        [["NTLM", "NTLM", 200, "server"]],
        "one authentication for both requests",
      );
      await waitFor(serve.stdout, /NTLM authenticated TESTDOM\\alice \(channel bindings checked\)/);
    } finally {
      await d.close();
    }
  });

  it("a wrong password comes back as the server's 401", async () => {
    const { d, outcomes } = dispatcher({ identity: { ...ALICE, password: "wrong" } });
    try {
      const response = await fetch(`https://127.0.0.1:${serve.port}/`, { dispatcher: d });
      assert.equal(response.status, 401);
      assert.equal(response.headers.get("www-authenticate"), "NTLM");
      await response.arrayBuffer();
      assert.equal(outcomes[0]?.status, 401);
      await waitFor(serve.stdout, /NTLM refused: AcceptSecurityContext: SEC_E_LOGON_DENIED/);
    } finally {
      await d.close();
    }
  });

  it("without channel bindings the server (require) refuses: SEC_E_BAD_BINDINGS in its log", async () => {
    const { d } = dispatcher({ channelBindings: false });
    try {
      const response = await fetch(`https://127.0.0.1:${serve.port}/`, { dispatcher: d });
      assert.equal(response.status, 401);
      await response.arrayBuffer();
      await waitFor(serve.stdout, /NTLM refused: AcceptSecurityContext: SEC_E_BAD_BINDINGS/);
    } finally {
      await d.close();
    }
  });
});

function get(url: string, agent: https.Agent): Promise<{ status: number; page: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { agent, servername: "localhost" }, (response) => {
        let page = "";
        response.setEncoding("utf8").on("data", (d: string) => {
          page += d;
        });
        response.on("end", () => resolve({ status: response.statusCode ?? 0, page }));
      })
      .on("error", reject);
  });
}

describe("https.get with NegotiateAgent → serve --auth ntlm --channel-binding require", () => {
  it("the connection is authenticated before the request; the page shows the user", async () => {
    const agent = new NegotiateAgent({ auth: "ntlm", identity: ALICE, ca: readFileSync(serve.caFile) });
    try {
      const { status, page } = await get(`https://127.0.0.1:${serve.port}/agent`, agent);
      assert.equal(status, 200);
      assert.equal(userOnPage(page), "TESTDOM\\alice");
    } finally {
      agent.destroy();
    }
  });

  it("a wrong password is the request's error: AuthError SEC_E_LOGON_DENIED", async () => {
    const agent = new NegotiateAgent({
      auth: "ntlm",
      identity: { ...ALICE, password: "wrong" },
      ca: readFileSync(serve.caFile),
    });
    try {
      await assert.rejects(
        get(`https://127.0.0.1:${serve.port}/`, agent),
        (e: unknown) => e instanceof AuthError && e.statusName === "SEC_E_LOGON_DENIED",
      );
    } finally {
      agent.destroy();
    }
  });
});

describe("async-sspi fetch → serve --auth ntlm", () => {
  const run = (args: string[], password: string) =>
    runProcess(
      process.execPath,
      [cli, "fetch", `https://localhost:${serve.port}/`, "--ca", serve.caFile, ...args],
      {
        env: { ...process.env, ALICE_PASSWORD: password },
      },
    );

  it("prints the page; -v reports the package on stderr; exit 0", async () => {
    const r = await run(
      ["--auth", "ntlm", "--user", "TESTDOM\\alice", "--password-env", "ALICE_PASSWORD", "-v"],
      "alicepw",
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(userOnPage(r.stdout), "TESTDOM\\alice");
    assert.match(r.stderr, /\* NTLM: authenticated to the server/);
    assert.match(r.stderr, /< HTTP 200 OK/);
  });

  it("a wrong password exits 3", async () => {
    const r = await run(
      ["--auth", "ntlm", "--user", "TESTDOM\\alice", "--password-env", "ALICE_PASSWORD"],
      "nope",
    );
    assert.equal(r.code, 3);
    assert.match(r.stderr, /authentication failed \(HTTP 401\)/);
  });

  it("the default credentials: NTLM_USER_FILE", async () => {
    const r = await runProcess(
      process.execPath,
      [cli, "fetch", `https://localhost:${serve.port}/`, "--ca", serve.caFile, "--auth", "ntlm"],
      { env: { ...process.env, NTLM_USER_FILE: usersFile } },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(userOnPage(r.stdout), "TESTDOM\\alice");
  });

  it("usage errors exit 2", async () => {
    const r = await runProcess(process.execPath, [cli, "fetch", "https://localhost/", "--user", "x"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--user and --password-env go together/);
  });
});

describe("407 Proxy-Authenticate: NTLM from a forward proxy", () => {
  it("the dispatcher answers the proxy on its connection and the request reaches the origin", async () => {
    const origin = http.createServer((req, res) =>
      res.end(`origin saw proxy user ${req.headers["x-proxy-user"]}`),
    );
    origin.listen(0, "127.0.0.1");
    await once(origin, "listening");
    const proxy = await startAuthProxy("NTLM", { userFile: usersFile });
    const { d, outcomes } = dispatcher({ proxy: `http://127.0.0.1:${proxy.port}` });
    try {
      const port = (origin.address() as { port: number }).port;
      const response = await fetch(`http://127.0.0.1:${port}/through-proxy`, { dispatcher: d });
      assert.equal(response.status, 200);
      assert.equal(await response.text(), "origin saw proxy user TESTDOM\\alice");
      assert.deepEqual(proxy.log, ["authenticated TESTDOM\\alice (NTLM)"]);
      assert.equal(outcomes[0]?.by, "proxy");
    } finally {
      await d.close();
      await proxy.close();
      origin.closeAllConnections();
      origin.close();
    }
  });
});
