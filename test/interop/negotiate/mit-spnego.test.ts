/**
 * Negotiate choosing Kerberos against MIT's SPNEGO, with a real MIT KDC on 127.0.0.1 and `kinit`:
 * - our client (the credential cache `kinit` wrote) → MIT `gss-server` over the gss-sample
 *   protocol: the optimistic AP-REQ under Windows' OID list, EncryptMessage out, its MIC verified;
 * - MIT `gss-client -spnego` → our Negotiate server (keytab): wrapped message in, our MIC out;
 * - MIT's SPNEGO initiator (python3-gssapi) with channel bindings → our server: a match is
 *   accepted, a mismatch refused with SEC_E_BAD_BINDINGS.
 * A missing peer skips locally and fails under CI=true.
 */
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import {
  box,
  channelBindingsBuffer,
  ISC_REQ_CONFIDENTIALITY,
  ISC_REQ_INTEGRITY,
  ISC_REQ_MUTUAL_AUTH,
  NEGOSSP_NAME,
  QueryContextAttributes,
  SEC_E_BAD_BINDINGS,
  SEC_E_OK,
  SEC_I_CONTINUE_NEEDED,
  SECPKG_ATTR_NEGOTIATION_INFO,
  type SecPkgInfo,
} from "../../../src/index.js";
import { KRB5_OID, MS_KRB5_OID } from "../../../src/negotiate/mechanisms.js";
import { decodeNegotiationToken } from "../../../src/negotiate/spnego-token.js";
import { tlsServerEndPointBindings } from "../../../src/ntlm/crypto/channel-bindings.js";
import { unhex } from "../../ntlm/support/bytes.js";
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
import { GSS_NTLMSSP, requirePeer, UserFile } from "../../ntlm/support/line-peer.js";
import { b64, GssapiPeer, requirePythonGssapi, unb64 } from "../../support/gssapi-peer.js";
import { KerberosEnd, type KerberosRealm, REALM, startKerberosRealm } from "../../support/kerberos-sspi.js";
import { mitKrb5Installed, requireMitKrb5 } from "../../support/mit-kdc.js";
import {
  closeServer,
  freePort,
  rawServer,
  SocketReader,
  spawnPeer,
  waitForOutput,
} from "../../support/peers.js";

const GSS_SAMPLES = {
  what: "MIT gss-sample programs (Debian package krb5-gss-samples)",
  probe: ["sh", "-c", "command -v gss-client && command -v gss-server"],
};
const MUTUAL = ISC_REQ_MUTUAL_AUTH | ISC_REQ_INTEGRITY | ISC_REQ_CONFIDENTIALITY;
const text = (s: string) => new TextEncoder().encode(s);

async function connectWithin(port: number, ms: number, what: () => string): Promise<Socket> {
  const started = Date.now();
  for (;;) {
    try {
      return await new Promise<Socket>((resolve, reject) => {
        const s = connect(port, "127.0.0.1", () => resolve(s));
        s.once("error", reject);
      });
    } catch (e) {
      if (Date.now() - started > ms) throw new Error(`gss-server did not listen: ${what()} ${String(e)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

describe("Negotiate (Kerberos) with MIT SPNEGO", () => {
  let realm: KerberosRealm | undefined;
  before(async () => {
    if (!mitKrb5Installed()) return;
    realm = await startKerberosRealm();
    realm.kdc.run("kinit", [`alice@${REALM}`], "alicepw\n");
  });
  after(async () => {
    await realm?.stop();
  });
  /** MIT's environment: the realm's krb5.conf, the kinit cache, the service keytab; no NTLM. */
  const mitEnv = () => {
    const { NTLM_USER_FILE: _, ...env } = { ...process.env, ...realm!.kdc.env };
    return { ...env, KRB5_KTNAME: `FILE:${realm!.serviceKeytab}` };
  };
  const envPrefix = () =>
    Object.entries({ KRB5_CONFIG: realm!.krb5Conf, KRB5CCNAME: realm!.kdc.env.KRB5CCNAME! })
      .map(([k, v]) => `${k}='${v}'`)
      .join(" ");

  it("our client (kinit's credential cache) → gss-server: 2 legs, EncryptMessage out, its MIC verified", async (t) => {
    if (!requireMitKrb5(t) || !requirePeer(t, GSS_SAMPLES.what, GSS_SAMPLES.probe)) return;
    const port = await freePort();
    const server = spawnPeer(
      "sh",
      [
        "-c",
        `exec env -u NTLM_USER_FILE ${envPrefix()} gss-server -port ${port} -once -keytab '${realm!.serviceKeytab}' HTTP@localhost`,
      ],
      30_000,
    );
    let socket: Socket | undefined;
    const client = await KerberosEnd.initiator(
      { packages: { Kerberos: { krb5Conf: realm!.krb5Conf } } },
      { package: NEGOSSP_NAME, target: "HTTP/localhost", fContextReq: MUTUAL },
    );
    try {
      socket = await connectWithin(port, 10_000, () => server.output());
      const reader = new SocketReader(socket);
      const first = await client.step(null);
      assert.equal(first.status, SEC_I_CONTINUE_NEEDED, client.reason);
      const init = decodeNegotiationToken(first.output);
      assert.ok(init.kind === "init");
      assert.deepEqual(init.mechTypes, [MS_KRB5_OID, KRB5_OID], "the credential cache: Kerberos only");
      socket.write(frame(TOKEN_NOOP | TOKEN_CONTEXT_NEXT, new Uint8Array(0)));
      socket.write(frame(TOKEN_CONTEXT, first.output));
      const reply = await readToken(reader);
      assert.equal(reply.flags, TOKEN_CONTEXT, server.output());
      const resp = decodeNegotiationToken(reply.token);
      assert.ok(resp.kind === "resp");
      assert.equal(resp.negState, 0, "MIT took the optimistic AP-REQ under the Microsoft OID");
      assert.equal(resp.supportedMech, MS_KRB5_OID);
      assert.equal(resp.mechListMIC, undefined, "the preferred mechanism was taken: no MIC");
      const last = await client.step(reply.token);
      assert.equal(last.status, SEC_E_OK, client.reason);
      assert.equal(last.output.length, 0, "nothing more to send");
      const message = text("hello from async-sspi over SPNEGO");
      socket.write(frame(TOKEN_WRAPPED | TOKEN_ENCRYPTED | TOKEN_SEND_MIC, client.wrap(message)));
      const mic = await readToken(reader);
      assert.equal(mic.flags, TOKEN_MIC, server.output());
      assert.equal(client.verify(message, mic.token), SEC_E_OK, "VerifySignature of gss-server's MIC");
      socket.write(frame(TOKEN_NOOP, new Uint8Array(0)));
      await waitForOutput(server, /Accepted connection: "alice@EXAMPLE.TEST"/);
      assert.equal(await server.exited, 0, server.output());
    } finally {
      client.dispose();
      socket?.destroy();
      server.kill();
    }
  });

  it("gss-client -spnego → our Negotiate server (keytab): wrapped message in, our MIC out", async (t) => {
    if (!requireMitKrb5(t) || !requirePeer(t, GSS_SAMPLES.what, GSS_SAMPLES.probe)) return;
    const seen: string[] = [];
    let failure: unknown;
    const ends: KerberosEnd[] = [];
    const { server: tcp, port } = await rawServer((socket: Socket) => {
      const reader = new SocketReader(socket);
      (async () => {
        const first = await readToken(reader);
        assert.equal(first.flags, TOKEN_NOOP | TOKEN_CONTEXT_NEXT);
        const end = await KerberosEnd.acceptor(
          { packages: { Kerberos: { keytab: realm!.serviceKeytab, krb5Conf: realm!.krb5Conf } } },
          { package: NEGOSSP_NAME },
        );
        ends.push(end);
        for (;;) {
          const { token } = await readToken(reader);
          const r = await end.step(token);
          if (r.output.length > 0) socket.write(frame(TOKEN_CONTEXT, r.output));
          if (r.status === SEC_E_OK) break;
          assert.equal(r.status, SEC_I_CONTINUE_NEEDED, end.reason);
        }
        const info = box<unknown>(null);
        assert.equal(QueryContextAttributes(end.context, SECPKG_ATTR_NEGOTIATION_INFO, info), SEC_E_OK);
        seen.push((info.value as { PackageInfo: SecPkgInfo }).PackageInfo.Name);
        for (;;) {
          const { flags, token } = await readToken(reader);
          if (flags & TOKEN_NOOP) break;
          assert.ok(flags & TOKEN_WRAPPED && flags & TOKEN_SEND_MIC, `flags ${flags}`);
          const { status, data } = end.unwrap(token);
          assert.equal(status, SEC_E_OK, end.reason);
          seen.push(Buffer.from(data).toString());
          socket.write(frame(TOKEN_MIC, end.sign(data)));
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
        `exec env -u NTLM_USER_FILE ${envPrefix()} gss-client -q -spnego -port ${port} 127.0.0.1 HTTP@localhost 'hello from gss-client -spnego'`,
      ],
      30_000,
    );
    try {
      const code = await client.exited;
      assert.equal(failure, undefined, String(failure));
      assert.equal(code, 0, client.output());
      assert.deepEqual(seen, ["Kerberos", "hello from gss-client -spnego"]);
    } finally {
      client.kill();
      for (const end of ends) end.dispose();
      await closeServer(tcp);
    }
  });

  it("our client (Kerberos and NTLM) → MIT's SPNEGO acceptor with only NTLM: switched in-band, MICs both ways", async (t) => {
    if (!requireMitKrb5(t) || !requirePythonGssapi(t) || !requirePeer(t, GSS_NTLMSSP.what, GSS_NTLMSSP.probe))
      return;
    const users = new UserFile(`${REALM}:alice:alicepw\n`);
    const peer = new GssapiPeer("acceptor", "HTTP@localhost", {
      ...mitEnv(),
      KRB5_KTNAME: "FILE:/nonexistent/async-sspi-no-keytab",
      NTLM_USER_FILE: users.path,
    });
    const end = await KerberosEnd.initiator(
      {
        packages: {
          Kerberos: { krb5Conf: realm!.krb5Conf },
          NTLM: { User: "alice", Domain: REALM, Password: "alicepw" },
        },
      },
      { package: NEGOSSP_NAME, target: "HTTP/localhost", fContextReq: MUTUAL },
    );
    try {
      const legs: string[] = [];
      let token: Uint8Array | null = null;
      for (let leg = 0; leg < 8; leg++) {
        const mine = await end.step(token);
        legs.push(
          `ours ${mine.status === SEC_E_OK ? "OK" : mine.status === SEC_I_CONTINUE_NEEDED ? "CONTINUE" : end.reason}`,
        );
        if (mine.output.length === 0) break;
        const theirs = await peer.call({ op: "step", token: b64(mine.output) });
        assert.equal(theirs.error, undefined, `MIT after ${legs.join(", ")}`);
        legs.push(`MIT ${theirs.complete ? "complete" : "continue"}`);
        if (!theirs.token) break;
        token = unb64(theirs.token);
      }
      assert.deepEqual(legs, [
        "ours CONTINUE", // NegTokenInit [MS-KRB5, KRB5, NTLM] + AP-REQ
        "MIT continue", // request-mic, NTLM
        "ours CONTINUE", // NEGOTIATE
        "MIT continue", // CHALLENGE
        "ours CONTINUE", // AUTHENTICATE + mechListMIC
        "MIT complete", // accept-completed + mechListMIC
        "ours OK",
      ]);
      const info = box<unknown>(null);
      assert.equal(QueryContextAttributes(end.context, SECPKG_ATTR_NEGOTIATION_INFO, info), SEC_E_OK);
      assert.equal((info.value as { PackageInfo: SecPkgInfo }).PackageInfo.Name, "NTLM");
      const sealed = end.encrypt(text("after the switch"));
      const back = await peer.call({ op: "unwrap", token: b64(Buffer.concat([sealed.token, sealed.data])) });
      assert.equal(back.error, undefined);
      assert.equal(Buffer.from(unb64(back.data!)).toString(), "after the switch");
    } finally {
      peer.close();
      end.dispose();
      users.remove();
    }
  });

  it("MIT's SPNEGO initiator with channel bindings → our server: a match is accepted, a mismatch refused", async (t) => {
    if (!requireMitKrb5(t) || !requirePythonGssapi(t)) return;
    const bindings = (byte: string) => tlsServerEndPointBindings(unhex(byte.repeat(32))).applicationData;
    for (const [clientCb, expected] of [
      [bindings("a1"), SEC_E_OK],
      [bindings("b2"), SEC_E_BAD_BINDINGS],
    ] as const) {
      const peer = new GssapiPeer(
        "initiator",
        "HTTP@localhost",
        { ...mitEnv(), GSSAPI_PEER_MECH: "spnego" },
        clientCb,
      );
      const end = await KerberosEnd.acceptor(
        {
          packages: {
            Kerberos: {
              keytab: realm!.serviceKeytab,
              krb5Conf: realm!.krb5Conf,
              channelBindingPolicy: "required",
            },
          },
        },
        { package: NEGOSSP_NAME, bindings: channelBindingsBuffer({ applicationData: bindings("a1") }) },
      );
      try {
        const init = await peer.call({ op: "step", token: null });
        assert.equal(init.error, undefined);
        const r = await end.step(unb64(init.token!));
        assert.equal(r.status, expected, end.reason);
        if (expected === SEC_E_OK) {
          const done = await peer.call({ op: "step", token: b64(r.output) });
          assert.equal(done.error, undefined, "MIT accepted our AP-REP");
          assert.equal(done.complete, true);
          const wrapped = await peer.call({ op: "wrap", data: b64(text("bound")), conf: true });
          assert.equal(Buffer.from(end.unwrap(unb64(wrapped.token!)).data).toString(), "bound");
        } else {
          const reject = decodeNegotiationToken(r.output);
          assert.ok(reject.kind === "resp");
          assert.equal(reject.negState, 2, "reject");
        }
      } finally {
        peer.close();
        end.dispose();
      }
    }
  });
});
