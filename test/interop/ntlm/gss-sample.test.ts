/**
 * MIT's gss-sample programs with the gss-ntlmssp mechanism, token by token over TCP on 127.0.0.1:
 * our InitializeSecurityContext (the NTLM SSPI package) → `gss-server`, with EncryptMessage's
 * sealed message out and its MIC checked with VerifySignature; and `gss-client` (NTLM mech) → our
 * server state machine. (gss-client asks no confidentiality, yet gss-ntlmssp's gss_wrap seals
 * anyway: unsealing that needs the state machine's `alwaysSeal`, which SSPI's DecryptMessage —
 * confidentiality only when negotiated, as on Windows — does not offer.)
 */
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { after, describe, it } from "node:test";
import {
  ISC_REQ_CONFIDENTIALITY,
  ISC_REQ_INTEGRITY,
  SEC_E_OK,
  SEC_I_CONTINUE_NEEDED,
} from "../../../src/index.js";
import { makeServer } from "../../ntlm/support/exchange.js";
import {
  frame,
  readToken,
  TOKEN_CONTEXT,
  TOKEN_CONTEXT_NEXT,
  TOKEN_ENCRYPTED,
  TOKEN_MIC,
  TOKEN_NOOP,
  TOKEN_SEND_MIC,
  TOKEN_WRAPPED,
} from "../../ntlm/support/gss-sample.js";
import { requirePeer, UserFile } from "../../ntlm/support/line-peer.js";
import { SspiNtlmEnd } from "../../ntlm/support/sspi-ntlm.js";
import {
  closeServer,
  freePort,
  rawServer,
  SocketReader,
  spawnPeer,
  waitForOutput,
} from "../../support/peers.js";

const users = new UserFile("TESTDOM:alice:alicepw\n");
after(() => users.remove());
const GSS_SAMPLES = {
  what: "MIT gss-sample programs with gss-ntlmssp (Debian packages krb5-gss-samples, gss-ntlmssp)",
  probe: [
    "sh",
    "-c",
    "command -v gss-client && command -v gss-server && test -e /etc/gss/mech.d/mech.ntlmssp.conf",
  ],
};
const NTLM_MECH = "{ 1 3 6 1 4 1 311 2 2 10 }";

describe("MIT gss-sample with gss-ntlmssp", () => {
  it("gss-client → our server: context, sealed message in, MIC out", async (t) => {
    if (!requirePeer(t, GSS_SAMPLES.what, GSS_SAMPLES.probe)) return;
    const server = makeServer();
    const seen: string[] = [];
    let failure: unknown;
    const { server: tcp, port } = await rawServer((socket: Socket) => {
      const reader = new SocketReader(socket);
      (async () => {
        const first = await readToken(reader);
        assert.equal(first.flags, TOKEN_NOOP | TOKEN_CONTEXT_NEXT);
        const context = server.createContext();
        socket.write(frame(TOKEN_CONTEXT, context.challenge((await readToken(reader)).token)));
        const user = await context.authenticate((await readToken(reader)).token);
        seen.push(`${user.domain}\\${user.user}`);
        for (;;) {
          const { flags, token } = await readToken(reader);
          if (flags & TOKEN_NOOP) break;
          assert.ok(
            flags & TOKEN_WRAPPED && flags & TOKEN_ENCRYPTED && flags & TOKEN_SEND_MIC,
            `flags ${flags}`,
          );
          // gss-client asks no confidentiality (no SEAL), yet gss-ntlmssp's gss_wrap always seals.
          const message = user.session!.unwrap(token, { alwaysSeal: true });
          seen.push(Buffer.from(message).toString());
          socket.write(frame(TOKEN_MIC, user.session!.sign(message)));
        }
        socket.end();
      })().catch((e) => {
        failure = e;
        socket.destroy();
      });
    });
    const client = spawnPeer(
      "sh",
      [
        "-c",
        `exec env NTLM_USER_FILE='${users.path}' KRB5_CONFIG=/dev/null gss-client -q -port ${port} -mech '${NTLM_MECH}' 127.0.0.1 host@localhost 'hello from gss-client'`,
      ],
      30_000,
    );
    try {
      const code = await client.exited;
      assert.equal(failure, undefined, String(failure));
      assert.equal(code, 0, client.output());
      assert.deepEqual(seen, ["TESTDOM\\alice", "hello from gss-client"]);
    } finally {
      client.kill();
      await closeServer(tcp);
    }
  });

  it("our InitializeSecurityContext → gss-server: context, EncryptMessage out, its MIC verified", async (t) => {
    if (!requirePeer(t, GSS_SAMPLES.what, GSS_SAMPLES.probe)) return;
    const port = await freePort();
    const server = spawnPeer(
      "sh",
      [
        "-c",
        `exec env NTLM_USER_FILE='${users.path}' KRB5_CONFIG=/dev/null gss-server -port ${port} -once host@localhost`,
      ],
      30_000,
    );
    let socket: Socket | undefined;
    try {
      const started = Date.now();
      for (;;) {
        try {
          socket = await new Promise<Socket>((resolve, reject) => {
            const s = connect(port, "127.0.0.1", () => resolve(s));
            s.once("error", reject);
          });
          break;
        } catch (e) {
          if (Date.now() - started > 10_000)
            throw new Error(`gss-server did not listen: ${server.output()} ${String(e)}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      const reader = new SocketReader(socket);
      const client = await SspiNtlmEnd.initiator(
        { User: "alice", Domain: "TESTDOM", Password: "alicepw" },
        { target: "host/localhost", fContextReq: ISC_REQ_INTEGRITY | ISC_REQ_CONFIDENTIALITY },
      );
      try {
        const negotiate = await client.step(null);
        assert.equal(negotiate.status, SEC_I_CONTINUE_NEEDED);
        socket.write(frame(TOKEN_NOOP | TOKEN_CONTEXT_NEXT, new Uint8Array(0)));
        socket.write(frame(TOKEN_CONTEXT, negotiate.output));
        const challenge = await readToken(reader);
        assert.equal(challenge.flags, TOKEN_CONTEXT);
        const authenticate = await client.step(challenge.token);
        assert.equal(authenticate.status, SEC_E_OK, client.reason);
        socket.write(frame(TOKEN_CONTEXT, authenticate.output));
        const message = new TextEncoder().encode("hello from async-sspi");
        socket.write(frame(TOKEN_WRAPPED | TOKEN_ENCRYPTED | TOKEN_SEND_MIC, client.wrap(message)));
        const mic = await readToken(reader);
        assert.equal(mic.flags, TOKEN_MIC, server.output());
        assert.equal(client.verify(message, mic.token), SEC_E_OK, "VerifySignature of gss-server's MIC");
      } finally {
        client.dispose();
      }
      socket.write(frame(TOKEN_NOOP, new Uint8Array(0)));
      await waitForOutput(server, /Accepted connection: "TESTDOM\\alice"/);
      assert.match(server.output(), /Accepted connection: "TESTDOM\\alice"/);
      assert.equal(await server.exited, 0, server.output());
    } finally {
      socket?.destroy();
      server.kill();
    }
  });
});
