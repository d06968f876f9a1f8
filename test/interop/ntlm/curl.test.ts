/**
 * `async-sspi serve --http --auth ntlm` (the NTLM SSPI package behind HTTPS on our Schannel
 * package), against curl's NTLM client — `curl --ntlm -u 'DOMAIN\user:pass' --cacert CA` — and
 * against our own NTLM client sending this TLS connection's channel bindings:
 * `WWW-Authenticate: NTLM` legs on one kept-alive connection, the user on the page, a wrong
 * password 401, and `--channel-binding require` refusing a client without the binding (curl
 * sends none) while accepting one with it.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  box,
  channelBindingsBuffer,
  connectTls,
  QueryContextAttributes,
  type SEC_CHANNEL_BINDINGS,
  SEC_E_OK,
  SEC_I_CONTINUE_NEEDED,
  SECPKG_ATTR_ENDPOINT_BINDINGS,
  type SspiTlsStream,
} from "../../../src/index.js";
import { kill, type RunningServe, startServe, tempDir, waitFor } from "../../cli/serve-support.js";
import { requirePeer } from "../../ntlm/support/line-peer.js";
import { SspiNtlmEnd } from "../../ntlm/support/sspi-ntlm.js";
import { spawnPeer } from "../../support/peers.js";

const CURL = {
  what: "curl with NTLM support (Debian package curl)",
  probe: ["sh", "-c", "curl -V | grep -q NTLM"],
};

const dir = tempDir();
const usersFile = join(dir.path, "users.txt");
before(() => writeFileSync(usersFile, "TESTDOM:alice:alicepw\n"));
after(() => dir.remove());

/** Runs curl (never blocking the event loop): the body and the final status code. */
async function curl(
  serve: RunningServe,
  credentials: string,
): Promise<{ body: string; code: string; connects: string }> {
  const peer = spawnPeer(
    "curl",
    [
      "-s",
      "--max-time",
      "20",
      "--ntlm",
      "-u",
      credentials,
      "--cacert",
      serve.caFile,
      "-w",
      "\\n%{http_code} %{num_connects}",
      `https://127.0.0.1:${serve.port}/`,
    ],
    30_000,
  );
  try {
    await peer.exited;
    const out = peer.output();
    const cut = out.lastIndexOf("\n");
    const [code = "", connects = ""] = out.slice(cut + 1).split(" ");
    return { body: out.slice(0, cut), code, connects };
  } finally {
    peer.kill();
  }
}

async function withServe(policy: string | null, body: (serve: RunningServe) => Promise<void>): Promise<void> {
  const serve = await startServe(
    ["--http", "--auth", "ntlm", "--ntlm-users", usersFile, ...(policy ? ["--channel-binding", policy] : [])],
    dir.path,
  );
  try {
    await body(serve);
  } finally {
    await kill(serve);
  }
}

describe("curl --ntlm → async-sspi serve --http --auth ntlm", () => {
  it("authenticates on one kept-alive connection; the page shows the user", async (t) => {
    if (!requirePeer(t, CURL.what, CURL.probe)) return;
    await withServe(null, async (serve) => {
      const r = await curl(serve, "TESTDOM\\alice:alicepw");
      assert.equal(r.code, "200", r.body);
      assert.equal(r.connects, "1", "the NTLM legs share one connection");
      assert.match(r.body, /Authenticated user<\/th><td>TESTDOM\\alice</);
      await waitFor(serve.stdout, /NTLM authenticated TESTDOM\\alice \(channel bindings checked\)/);
    });
  });

  it("a wrong password is 401; the server logs SEC_E_LOGON_DENIED", async (t) => {
    if (!requirePeer(t, CURL.what, CURL.probe)) return;
    await withServe(null, async (serve) => {
      const r = await curl(serve, "TESTDOM\\alice:wrong");
      assert.equal(r.code, "401");
      await waitFor(serve.stdout, /NTLM refused: AcceptSecurityContext: SEC_E_LOGON_DENIED/);
      assert.ok(!serve.stdout().includes("wrong"), "the password is not logged");
    });
  });

  it("--channel-binding require: curl, which sends no bindings, is 401 (SEC_E_BAD_BINDINGS)", async (t) => {
    if (!requirePeer(t, CURL.what, CURL.probe)) return;
    await withServe("require", async (serve) => {
      assert.equal((await curl(serve, "TESTDOM\\alice:alicepw")).code, "401");
      await waitFor(serve.stdout, /NTLM refused: AcceptSecurityContext: SEC_E_BAD_BINDINGS/);
    });
  });
});

/** Our HTTPS client: NTLM through the SSPI package, with or without this connection's bindings. */
async function ourClient(serve: RunningServe, withBindings: boolean): Promise<string[]> {
  const socket = connect(serve.port, "127.0.0.1");
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  const stream: SspiTlsStream = await connectTls(socket, {
    serverName: "localhost",
    trustedRoots: [readFileSync(serve.caFile, "utf8")],
  });
  const responses: string[] = [];
  let pending = "";
  let waiter: (() => void) | null = null;
  stream.on("data", (d: Buffer) => {
    pending += d.toString("latin1");
    waiter?.();
  });
  const nextResponse = async (): Promise<{ status: string; header: string | undefined; text: string }> => {
    for (;;) {
      const end = pending.indexOf("\r\n\r\n");
      const length = end < 0 ? -1 : Number(/content-length: (\d+)/i.exec(pending.slice(0, end))?.[1] ?? 0);
      if (end >= 0 && pending.length >= end + 4 + length) {
        const text = pending.slice(0, end + 4 + length);
        pending = pending.slice(end + 4 + length);
        return {
          status: text.split(" ")[1] ?? "",
          header: /www-authenticate: NTLM ([A-Za-z0-9+/=]+)/i.exec(text)?.[1],
          text,
        };
      }
      await new Promise<void>((resolve, reject) => {
        waiter = resolve;
        setTimeout(() => reject(new Error(`no response: ${pending}`)), 10_000);
      });
    }
  };
  const request = (authorization: Uint8Array) =>
    stream.write(
      `GET / HTTP/1.1\r\nHost: localhost\r\nAuthorization: NTLM ${Buffer.from(authorization).toString("base64")}\r\n\r\n`,
    );
  const bindings = box<{ Bindings: SEC_CHANNEL_BINDINGS } | null>(null);
  assert.equal(
    QueryContextAttributes(stream.context.handle, SECPKG_ATTR_ENDPOINT_BINDINGS, bindings),
    SEC_E_OK,
  );
  const end = await SspiNtlmEnd.initiator(
    { User: "alice", Domain: "TESTDOM", Password: "alicepw" },
    {
      target: "HTTP/localhost",
      ...(withBindings ? { bindings: channelBindingsBuffer(bindings.value!.Bindings) } : {}),
    },
  );
  try {
    const negotiate = await end.step(null);
    assert.equal(negotiate.status, SEC_I_CONTINUE_NEEDED);
    request(negotiate.output);
    const challenge = await nextResponse();
    responses.push(challenge.status);
    const authenticate = await end.step(new Uint8Array(Buffer.from(challenge.header ?? "", "base64")));
    assert.equal(authenticate.status, SEC_E_OK, end.reason);
    request(authenticate.output);
    const final = await nextResponse();
    responses.push(final.status, /Authenticated user<\/th><td>([^<]*)</.exec(final.text)?.[1] ?? "");
    return responses;
  } finally {
    end.dispose();
    stream.destroy();
  }
}

describe("our NTLM client with channel bindings → serve --channel-binding require", () => {
  it("this connection's binding is accepted; without it the same client is refused", async () => {
    await withServe("require", async (serve) => {
      assert.deepEqual(await ourClient(serve, true), ["401", "200", "TESTDOM\\alice"]);
      assert.deepEqual(await ourClient(serve, false), ["401", "401", ""]);
      await waitFor(serve.stdout, /NTLM refused: AcceptSecurityContext: SEC_E_BAD_BINDINGS/);
    });
  });
});
