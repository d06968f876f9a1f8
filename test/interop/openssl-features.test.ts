/**
 * Feature cells against the `openssl` binary: ALPN agreement and mismatch, SNI with two
 * certificates, mutual TLS (accepted, missing, untrusted), resumption (`-sess_out`/`-sess_in`),
 * KeyUpdate (`k`/`K` and ours), TLS 1.2 renegotiation (`R`) refused with no_renegotiation,
 * 16 MiB each way, close_notify both ways, and a peer vanishing mid-handshake and mid-record.
 * Negative cells check our status and that openssl reports the alert we sent.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, test } from "node:test";
import { peerCertificateOf } from "../../src/api/tls-attributes.js";
import { promises as sspi } from "../../src/index.js";
import { TempFiles, waitForOutput } from "../support/peers.js";
import { type Listener, leakCheck, listen, requireBinary } from "../support/sspi-driver.js";
import { type Fixtures, fixtures } from "../support/tls-fixtures.js";
import {
  cuttingProxy,
  dataAndClose,
  largeTransfer,
  ourClientAgainst,
  peerClientAgainstUs,
} from "./features.js";
import { OurEnd, ourCredential, sha256 } from "./our-side.js";
import { opensslClient, opensslServer, type ToolPeer } from "./peer-ends.js";
import { type CellSpec, KnownGap, Matrix } from "./results.js";
import { payload, VERSIONS, type Version } from "./tls-tables.js";

const matrix = new Matrix(import.meta.filename ?? "openssl-features.test.js");
const files = new TempFiles();
const leaks = leakCheck();
let f: Fixtures;
let ca: string;
before(async () => {
  f = await fixtures();
  ca = files.write("ca.pem", f.ca.certificate);
});
after(async () => {
  if (listener) await listener.close();
  files.remove();
  await leaks.verify();
});

const v = (version: Version) => (version === "TLSv1.3" ? "-tls1_3" : "-tls1_2");
const toUs = (area: string, cell: string, limitMs?: number): CellSpec => ({
  peer: "OpenSSL",
  direction: "peer client → our server",
  area,
  cell,
  ...(limitMs && { limitMs }),
});
const toPeer = (area: string, cell: string, limitMs?: number): CellSpec => ({
  peer: "OpenSSL",
  direction: "our client → peer server",
  area,
  cell,
  ...(limitMs && { limitMs }),
});

/** s_client against our server, verifying our chain. */
function sClient(port: number, version: Version, ...args: string[]): ToolPeer {
  return opensslClient(port, [
    "-servername",
    "localhost",
    "-CAfile",
    ca,
    "-verify_return_error",
    v(version),
    ...args,
  ]);
}

function serverCert(name = "ecdsa-p256" as const) {
  return f.servers[name];
}

/** Waits until openssl printed `pattern` (the alert it received), bounded. */
async function peerReports(peer: ToolPeer, pattern: RegExp): Promise<string> {
  await waitForOutput(peer.process, pattern, 5_000);
  const m = peer.output().match(pattern);
  assert.ok(m, `the peer reports ${pattern}; output:\n${peer.output().slice(-1200)}`);
  return m[0];
}

let listener: Listener;
before(async () => {
  listener = await listen();
});

test("OpenSSL: ALPN, SNI, mutual TLS (s_client → our server; our client → s_server)", async (t) => {
  if (!requireBinary(t)) return;
  for (const version of VERSIONS) {
    await matrix.cell(toUs("alpn", `${version} agreement: offers h2,http/1.1, we accept http/1.1`), () =>
      peerClientAgainstUs(
        listener,
        { version, certificates: [serverCert()], alpn: ["http/1.1"] },
        {},
        (port) => sClient(port, version, "-alpn", "h2,http/1.1", "-nocommands"),
        async (ours, peer) => {
          const n = await dataAndClose(ours, peer, "alpn");
          assert.equal(n.alpn, "http/1.1");
          assert.equal(peer.view().alpn, "http/1.1", "s_client's ALPN");
          return n;
        },
      ),
    );
    await matrix.cell(toUs("alpn", `${version} mismatch: offers http/1.1, we accept only h2`), () =>
      peerClientAgainstUs(
        listener,
        { version, certificates: [serverCert()], alpn: ["h2"] },
        {},
        (port) => sClient(port, version, "-alpn", "http/1.1", "-nocommands"),
        async (ours, peer) => {
          assert.equal(ours.statusName, "SEC_E_APPLICATION_PROTOCOL_MISMATCH");
          assert.equal(ours.alert, "2/120", "we send a fatal no_application_protocol alert");
          const seen = await peerReports(peer, /alert no application protocol|no_application_protocol/i);
          return { note: `ours ${ours.statusName}; s_client: "${seen}"` };
        },
      ),
    );
    await matrix.cell(
      toPeer("alpn", `${version} agreement: we offer h2,http/1.1, s_server -alpn http/1.1`),
      () =>
        ourClientAgainst(
          () =>
            opensslServer([
              "-cert",
              files.write("s.pem", serverCert().certificate),
              "-key",
              files.write("s.key", serverCert().privateKey),
              v(version),
              "-alpn",
              "http/1.1",
            ]),
          { version, roots: [f.ca.certificate] },
          { alpn: ["h2", "http/1.1"] },
          async (ours, peer) => {
            const n = await dataAndClose(ours, peer, "alpn");
            assert.equal(n.alpn, "http/1.1");
            return n;
          },
        ),
    );
    await matrix.cell(toPeer("alpn", `${version} mismatch: we offer h2, s_server -alpn http/1.1`), () =>
      ourClientAgainst(
        () =>
          opensslServer([
            "-cert",
            files.write("s.pem", serverCert().certificate),
            "-key",
            files.write("s.key", serverCert().privateKey),
            v(version),
            "-alpn",
            "http/1.1",
          ]),
        { version, roots: [f.ca.certificate] },
        { alpn: ["h2"] },
        async (ours, peer) => {
          // OpenSSL's s_server refuses with a fatal no_application_protocol (RFC 7301 §3.2).
          assert.equal(ours.statusName, "SEC_E_ILLEGAL_MESSAGE");
          const reason = ours.reason();
          assert.match(reason, /alert received: no_application_protocol/);
          await peer.process.exited;
          return { note: `ours ${ours.statusName} (${reason.replace(/^.*\[/, "[")})` };
        },
      ),
    );
    for (const name of ["alt.example.test", "localhost"]) {
      await matrix.cell(toUs("sni", `${version} two certificates, SNI ${name}`), () =>
        peerClientAgainstUs(
          listener,
          { version, certificates: [serverCert(), f.alt] },
          {},
          (port) =>
            opensslClient(port, [
              "-servername",
              name,
              "-CAfile",
              ca,
              "-verify_hostname",
              name,
              "-verify_return_error",
              v(version),
              "-nocommands",
            ]),
          async (ours, peer) => {
            const n = await dataAndClose(ours, peer, "sni");
            assert.equal(n.certificate, name, "the certificate we chose");
            assert.match(
              peer.output(),
              new RegExp(`subject=CN ?= ?${name.replace(/\./g, "\\.")}`),
              "s_client got it",
            );
            return n;
          },
        ),
      );
      await matrix.cell(
        toPeer("sni", `${version} s_server -cert/-cert2 -servername, we ask for ${name}`),
        () =>
          ourClientAgainst(
            () =>
              opensslServer([
                "-cert",
                files.write("s.pem", serverCert().certificate),
                "-key",
                files.write("s.key", serverCert().privateKey),
                "-cert2",
                files.write("alt.pem", f.alt.certificate),
                "-key2",
                files.write("alt.key", f.alt.privateKey),
                "-servername",
                "alt.example.test",
                v(version),
              ]),
            { version, roots: [f.ca.certificate] },
            { target: name },
            async (ours, peer) => {
              const n = await dataAndClose(ours, peer, "sni");
              assert.equal(n.certificate, name, "the certificate we received");
              return n;
            },
          ),
      );
    }
    // Mutual TLS, our server.
    const mtlsServer = { version, certificates: [serverCert()], roots: [f.ca.certificate] };
    await matrix.cell(toUs("mtls", `${version} client certificate accepted`), () =>
      peerClientAgainstUs(
        listener,
        mtlsServer,
        { mutualAuth: true },
        (port) =>
          sClient(
            port,
            version,
            "-cert",
            files.write("c.pem", f.client.certificate),
            "-key",
            files.write("c.key", f.client.privateKey),
            "-nocommands",
          ),
        async (ours, peer) => {
          const n = await dataAndClose(ours, peer, "mtls");
          return {
            ...n,
            note: `client certificate CN=${peerCertificateOf(ours.hs.handle)?.subject.match(/CN=([^\n,]+)/)?.[1]}`,
          };
        },
      ),
    );
    await matrix.cell(toUs("mtls", `${version} client certificate missing`), () =>
      peerClientAgainstUs(
        listener,
        mtlsServer,
        { mutualAuth: true },
        (port) => sClient(port, version, "-nocommands"),
        async (ours, peer) => {
          assert.notEqual(ours.statusName, "SEC_E_OK", "refused");
          assert.ok(ours.alert, "an alert is sent");
          const seen = await peerReports(
            peer,
            version === "TLSv1.3"
              ? /alert certificate required|certificate_required/i
              : /alert handshake failure|sslv3 alert handshake failure/i,
          );
          return { note: `ours ${ours.statusName}, alert ${ours.alert}; s_client: "${seen}"` };
        },
      ),
    );
    await matrix.cell(toUs("mtls", `${version} client certificate from an untrusted CA`), () =>
      peerClientAgainstUs(
        listener,
        mtlsServer,
        { mutualAuth: true },
        (port) =>
          sClient(
            port,
            version,
            "-cert",
            files.write("u.pem", f.untrustedClient.certificate),
            "-key",
            files.write("u.key", f.untrustedClient.privateKey),
            "-nocommands",
          ),
        async (ours, peer) => {
          assert.notEqual(ours.statusName, "SEC_E_OK", "refused");
          assert.ok(ours.alert, "an alert is sent");
          const seen = await peerReports(peer, /alert unknown ca|tlsv1 alert unknown ca/i);
          return { note: `ours ${ours.statusName}, alert ${ours.alert}; s_client: "${seen}"` };
        },
      ),
    );
    // Mutual TLS, our client against s_server -Verify.
    const sVerify =
      (extra: string[] = []) =>
      () =>
        opensslServer([
          "-cert",
          files.write("s.pem", serverCert().certificate),
          "-key",
          files.write("s.key", serverCert().privateKey),
          "-Verify",
          "1",
          "-CAfile",
          ca,
          "-verify_return_error",
          v(version),
          ...extra,
        ]);
    await matrix.cell(toPeer("mtls", `${version} s_server -Verify: our client certificate accepted`), () =>
      ourClientAgainst(
        sVerify(),
        { version, roots: [f.ca.certificate], certificates: [f.client] },
        {},
        async (ours, peer) => {
          const n = await dataAndClose(ours, peer, "mtls");
          assert.match(peer.output(), /subject=CN ?= ?engine client/, "s_server saw our certificate");
          return n;
        },
      ),
    );
    await matrix.cell(toPeer("mtls", `${version} s_server -Verify: we send no certificate`), () =>
      ourClientAgainst(
        sVerify(),
        { version, roots: [f.ca.certificate] },
        { continueWithoutCertificate: true },
        async (ours, peer) => {
          // TLS 1.3: the server's refusal comes after our Finished, so we see it on the next read.
          const status = ours.statusName === "SEC_E_OK" ? (await ours.nextStatus()).status : ours.statusName;
          assert.notEqual(status, "SEC_E_OK");
          const seen = await peerReports(peer, /peer did not return a certificate|certificate required/i);
          return { note: `ours ${status}; s_server: "${seen}"` };
        },
      ),
    );
  }
  matrix.assertAllPassed();
});

test("OpenSSL: resumption with s_client -sess_out/-sess_in, and our client against s_server", async (t) => {
  if (!requireBinary(t)) return;
  for (const version of VERSIONS) {
    const cred = await ourCredential("server", { version, certificates: [serverCert()] });
    const session = `${files.dir}/session-${version}.pem`;
    try {
      for (const round of ["first", "second"] as const) {
        await matrix.cell(
          toUs(
            "resumption",
            `${version} ${round === "first" ? "full handshake, -sess_out" : "-sess_in: resumed"}`,
          ),
          async () => {
            const peer = sClient(
              listener.port,
              version,
              "-nocommands",
              ...(round === "first" ? ["-sess_out", session] : ["-sess_in", session]),
            );
            let ours: OurEnd | null = null;
            try {
              ours = await OurEnd.accept(await listener.next(), cred);
              const n = await dataAndClose(ours, peer, "resumption");
              assert.equal(n.resumed, round === "second", "our SSL_SESSION_RECONNECT");
              assert.match(peer.output(), round === "second" ? /\bReused, TLSv/ : /\bNew, TLSv/);
              if (round === "first") assert.ok(existsSync(session), "s_client saved the session");
              return n;
            } finally {
              await ours?.dispose();
              await peer.stop();
            }
          },
        );
      }
    } finally {
      await sspi.FreeCredentialsHandle(cred);
    }
    // Our client: two connections with one credential against one s_server (-naccept 2).
    await matrix.cell(toPeer("resumption", `${version} our client, second connection resumed`), async () => {
      const server = await opensslServer([
        "-cert",
        files.write("s.pem", serverCert().certificate),
        "-key",
        files.write("s.key", serverCert().privateKey),
        v(version),
        "-naccept",
        "2",
      ]);
      const cred = await ourCredential("client", { version, roots: [f.ca.certificate] });
      const results: boolean[] = [];
      try {
        for (let i = 0; i < 2; i++) {
          const ours = await OurEnd.connect(server.port, cred);
          try {
            ours.assertEstablished("resumption");
            const n = ours.negotiated();
            const out = payload(64);
            ours.send(out);
            await server.waitFor(out);
            // Give TLS 1.3 tickets a read: the peer's 64 bytes come after them.
            const back = payload(64);
            server.send(back);
            assert.equal(sha256(await ours.receive(64)), sha256(back));
            results.push(n.resumed === true);
            await ours.closeFirst("resumption");
          } finally {
            await ours.dispose();
          }
        }
        assert.deepEqual(results, [false, true], "first full, second resumed");
        assert.match(server.output(), /Reused session-id|1 session cache hits|Reused/i);
        return { protocol: version, resumed: true, note: "s_server reports the reuse" };
      } finally {
        await server.stop();
        await sspi.FreeCredentialsHandle(cred);
      }
    });
  }
  matrix.assertAllPassed();
});

const sServer =
  (version: Version, ...extra: string[]) =>
  () =>
    opensslServer([
      "-cert",
      files.write("s.pem", serverCert().certificate),
      "-key",
      files.write("s.key", serverCert().privateKey),
      v(version),
      ...extra,
    ]);

/** Waits until openssl's stdout holds `text`. */
const printed = (peer: ToolPeer, text: string) =>
  peer.waitFor(Buffer.from(text), `openssl printing ${text.trim()}`);

test("OpenSSL: KeyUpdate (k/K and ours), TLS 1.2 renegotiation refused, close_notify both ways", async (t) => {
  if (!requireBinary(t)) return;
  const tls13 = { version: "TLSv1.3" as const, certificates: [serverCert()] };
  for (const command of ["k", "K"]) {
    await matrix.cell(
      toUs(
        "keyupdate",
        `TLSv1.3 s_client \`${command}\` (update ${command === "K" ? "requested" : "not requested"})`,
      ),
      () =>
        peerClientAgainstUs(
          listener,
          tls13,
          {},
          (port) => sClient(port, "TLSv1.3"),
          async (ours, peer) => {
            ours.assertEstablished("keyupdate");
            await waitForOutput(peer.process, /Verify return code: 0/);
            peer.send(Buffer.from(`${command}\n`));
            await waitForOutput(peer.process, /KEYUPDATE/);
            peer.send(Buffer.from("after-update\n"));
            const r = await ours.receiveAnswering(13);
            assert.equal(r.plaintext.toString(), "after-update\n");
            assert.deepEqual(
              r.statuses,
              command === "K" ? ["SEC_I_RENEGOTIATE", "answer SEC_E_OK (27 B sent)"] : [],
            );
            ours.send(Buffer.from("server-after-update\n"));
            await printed(peer, "server-after-update\n");
            assert.doesNotMatch(peer.output(), /alert|error:/i);
            return { ...ours.negotiated(), note: `our statuses: ${r.statuses.join(", ") || "none"}` };
          },
        ),
    );
    await matrix.cell(toPeer("keyupdate", `TLSv1.3 s_server \`${command}\``), () =>
      ourClientAgainst(
        sServer("TLSv1.3"),
        { version: "TLSv1.3", roots: [f.ca.certificate] },
        {},
        async (ours, peer) => {
          ours.assertEstablished("keyupdate");
          ours.send(Buffer.from("client-data\n"));
          await printed(peer, "client-data\n");
          // Application data comes after the session tickets: once it arrived, the next record is the KeyUpdate.
          peer.send(Buffer.from("server-first\n"));
          assert.equal((await ours.receiveAnswering(13)).plaintext.toString(), "server-first\n");
          peer.send(Buffer.from(`${command}\n`));
          // s_server's stdout is block-buffered: the KeyUpdate record's arrival is the signal.
          const update = await ours.awaitNextRecord();
          peer.send(Buffer.from("server-after-update\n"));
          assert.deepEqual(
            update,
            command === "K" ? ["SEC_I_RENEGOTIATE"] : [],
            "statuses for the KeyUpdate",
          );
          const r = await ours.receiveAnswering(20);
          assert.equal(r.plaintext.toString(), "server-after-update\n");
          ours.send(Buffer.from("client-after-update\n"));
          await printed(peer, "client-after-update\n");
          assert.doesNotMatch(peer.output(), /alert|error:/i);
          return {
            ...ours.negotiated(),
            note: `our statuses: ${[...update, ...r.statuses].join(", ") || "none"}`,
          };
        },
      ),
    );
  }
  await matrix.cell(toUs("keyupdate", "TLSv1.3 ours initiating (update_requested), 3 times"), () =>
    peerClientAgainstUs(
      listener,
      tls13,
      {},
      (port) => sClient(port, "TLSv1.3", "-nocommands"),
      async (ours, peer) => {
        ours.assertEstablished("keyupdate");
        for (let i = 0; i < 3; i++) {
          await ours.keyUpdate(true);
          ours.send(Buffer.from(`server-${i}\n`));
          await printed(peer, `server-${i}\n`);
          peer.send(Buffer.from(`client-${i}\n`));
          const r = await ours.receiveAnswering(9);
          assert.equal(r.plaintext.toString(), `client-${i}\n`);
        }
        return ours.negotiated();
      },
    ),
  );
  await matrix.cell(toUs("renegotiation", "TLSv1.2 s_client `R`: refused with no_renegotiation"), () =>
    peerClientAgainstUs(
      listener,
      { version: "TLSv1.2", certificates: [serverCert()] },
      {},
      (port) => sClient(port, "TLSv1.2"),
      async (ours, peer) => {
        ours.assertEstablished("renegotiation");
        await waitForOutput(peer.process, /Verify return code: 0/);
        peer.send(Buffer.from("R\n"));
        const r = await ours.receiveAnswering(1);
        assert.equal(r.statuses[0], "SEC_I_RENEGOTIATE", "DecryptMessage reports the ClientHello");
        assert.match(r.statuses[1] ?? "", /^answer SEC_E_OK \(\d+ B sent\)/, "ISC/ASC returns the alert");
        const seen = await peerReports(peer, /no renegotiation/i);
        const code = await peer.process.exited;
        return {
          protocol: "TLSv1.2",
          note: `ours: ${r.statuses.join(", ")}; s_client: "${seen}", exit ${code}`,
        };
      },
    ),
  );
  await matrix.cell(
    toPeer("renegotiation", "TLSv1.2 s_server `R` (HelloRequest): refused with no_renegotiation"),
    () =>
      ourClientAgainst(
        sServer("TLSv1.2"),
        { version: "TLSv1.2", roots: [f.ca.certificate] },
        {},
        async (ours, peer) => {
          ours.assertEstablished("renegotiation");
          ours.send(Buffer.from("client-data\n"));
          await printed(peer, "client-data\n");
          peer.send(Buffer.from("R\n"));
          const r = await ours.receiveAnswering(1);
          assert.equal(r.statuses[0], "SEC_I_RENEGOTIATE", "DecryptMessage reports the HelloRequest");
          assert.match(r.statuses[1] ?? "", /^answer SEC_E_OK \(\d+ B sent\)/, "ISC/ASC returns the alert");
          const seen = await peerReports(peer, /no renegotiation|NO_RENEGOTIATION/i);
          return { protocol: "TLSv1.2", note: `ours: ${r.statuses.join(", ")}; s_server: "${seen}"` };
        },
      ),
  );
  for (const version of VERSIONS) {
    await matrix.cell(toUs("close_notify", `${version} s_client closes first (stdin EOF)`), () =>
      peerClientAgainstUs(
        listener,
        { version, certificates: [serverCert()] },
        {},
        (port) => sClient(port, version, "-nocommands"),
        async (ours, peer) => {
          ours.assertEstablished("close");
          await waitForOutput(peer.process, /Verify return code: 0/);
          peer.close();
          await ours.closeSecond("close");
          await peer.closedCleanly();
          return ours.negotiated();
        },
      ),
    );
    await matrix.cell(toPeer("close_notify", `${version} s_server closes first (stdin EOF)`), () =>
      ourClientAgainst(sServer(version), { version, roots: [f.ca.certificate] }, {}, async (ours, peer) => {
        ours.assertEstablished("close");
        ours.send(Buffer.from("client-data\n"));
        await printed(peer, "client-data\n");
        peer.close();
        const r = await ours.nextStatus();
        if (r.status === "end of stream")
          throw new KnownGap(
            "s_server sends no close_notify of its own: on stdin EOF (or `Q`) it closes the socket after SSL_set_shutdown, without SSL_shutdown (apps/s_server.c). Our side returns at the end of the stream (no hang).",
            peer
              .output()
              .split("\n")
              .filter((l) => /DONE|shutting down|CONNECTION CLOSED/.test(l))
              .join("\n"),
          );
        assert.equal(r.status, "SEC_I_CONTEXT_EXPIRED");
        return ours.negotiated();
      }),
    );
    await matrix.cell(toUs("close_notify", `${version} we close first`), () =>
      peerClientAgainstUs(
        listener,
        { version, certificates: [serverCert()] },
        {},
        (port) => sClient(port, version, "-nocommands"),
        (ours, peer) => dataAndClose(ours, peer, "close"),
      ),
    );
    await matrix.cell(toPeer("close_notify", `${version} we close first`), () =>
      ourClientAgainst(sServer(version), { version, roots: [f.ca.certificate] }, {}, (ours, peer) =>
        dataAndClose(ours, peer, "close"),
      ),
    );
  }
  matrix.assertAllPassed();
});

test("OpenSSL: 16 MiB each way by SHA-256; a peer vanishing mid-handshake and mid-record", async (t) => {
  if (!requireBinary(t)) return;
  const SIZE = 16 * 1_048_576;
  for (const version of VERSIONS) {
    await matrix.cell(toUs("large", `${version} 16 MiB each way (s_client -quiet)`, 40_000), () =>
      peerClientAgainstUs(
        listener,
        { version, certificates: [serverCert()] },
        {},
        (port) => sClient(port, version, "-quiet", "-nocommands"),
        async (ours, peer) => {
          const note = await largeTransfer(ours, peer, SIZE);
          return { ...ours.negotiated(), note };
        },
      ),
    );
  }
  await matrix.cell(toPeer("large", "TLSv1.3 16 MiB each way (s_server)", 40_000), () =>
    ourClientAgainst(
      sServer("TLSv1.3"),
      { version: "TLSv1.3", roots: [f.ca.certificate] },
      {},
      async (ours, peer) => {
        const note = await largeTransfer(ours, peer, SIZE);
        return { ...ours.negotiated(), note };
      },
    ),
  );
  // Mid-handshake: s_client is killed once its ClientHello arrived.
  await matrix.cell(toUs("vanish", "TLSv1.3 s_client killed after its ClientHello"), async () => {
    const cred = await ourCredential("server", { version: "TLSv1.3", certificates: [serverCert()] });
    const peer = sClient(listener.port, "TLSv1.3", "-nocommands");
    let ours: OurEnd | null = null;
    try {
      const reader = await listener.next();
      assert.ok(await reader.more(), "the ClientHello");
      peer.process.kill();
      await peer.process.exited;
      ours = await OurEnd.accept(reader, cred);
      assert.notEqual(ours.statusName, "SEC_E_OK");
      return { note: `our handshake returned ${ours.statusName} when the socket ended` };
    } finally {
      await ours?.dispose();
      await peer.stop();
      await sspi.FreeCredentialsHandle(cred);
    }
  });
  for (const version of VERSIONS) {
    await matrix.cell(
      toPeer("vanish", `${version} s_server vanishes after 60 bytes of its first flight`),
      async () => {
        const server = await sServer(version)();
        const proxy = await cuttingProxy(server.port);
        proxy.cut(60, "target");
        const cred = await ourCredential("client", { version, roots: [f.ca.certificate] });
        let ours: OurEnd | null = null;
        try {
          ours = await OurEnd.connect(proxy.port, cred);
          assert.notEqual(ours.statusName, "SEC_E_OK");
          return { note: `our handshake returned ${ours.statusName} when the socket ended` };
        } finally {
          await ours?.dispose();
          await proxy.close();
          await server.stop();
          await sspi.FreeCredentialsHandle(cred);
        }
      },
    );
    await matrix.cell(toPeer("vanish", `${version} s_server vanishes 10 bytes into a record`), async () => {
      const server = await sServer(version)();
      const proxy = await cuttingProxy(server.port);
      const cred = await ourCredential("client", { version, roots: [f.ca.certificate] });
      let ours: OurEnd | null = null;
      try {
        ours = await OurEnd.connect(proxy.port, cred);
        ours.assertEstablished("vanish");
        ours.send(Buffer.from("client-data\n"));
        await printed(server, "client-data\n");
        server.send(Buffer.from("first\n"));
        assert.equal((await ours.receive(6)).toString(), "first\n");
        proxy.cut(10, "target");
        server.send(payload(4096));
        const r = await ours.nextStatus();
        assert.equal(r.status, "end of stream");
        assert.equal(r.plaintext.byteLength, 0, "no plaintext from a truncated record");
        return {
          ...ours.negotiated(),
          note: "DecryptMessage: SEC_E_INCOMPLETE_MESSAGE, then the stream ended (no hang)",
        };
      } finally {
        await ours?.dispose();
        await proxy.close();
        await server.stop();
        await sspi.FreeCredentialsHandle(cred);
      }
    });
  }
  await matrix.cell(toUs("vanish", "TLSv1.3 s_client vanishes 10 bytes into a record"), async () => {
    const proxy = await cuttingProxy(listener.port);
    const cred = await ourCredential("server", { version: "TLSv1.3", certificates: [serverCert()] });
    const peer = sClient(proxy.port, "TLSv1.3", "-nocommands");
    let ours: OurEnd | null = null;
    try {
      ours = await OurEnd.accept(await listener.next(), cred);
      ours.assertEstablished("vanish");
      peer.send(Buffer.from("first\n"));
      assert.equal((await ours.receive(6)).toString(), "first\n");
      proxy.cut(10, "client");
      peer.send(payload(4096));
      const r = await ours.nextStatus();
      assert.equal(r.status, "end of stream");
      assert.equal(r.plaintext.byteLength, 0);
      return {
        ...ours.negotiated(),
        note: "DecryptMessage: SEC_E_INCOMPLETE_MESSAGE, then the stream ended (no hang)",
      };
    } finally {
      await ours?.dispose();
      await peer.stop();
      await proxy.close();
      await sspi.FreeCredentialsHandle(cred);
    }
  });
  matrix.assertAllPassed();
});
