/**
 * GnuTLS (`gnutls-cli` / `gnutls-serv`, Debian gnutls-bin), one factor at a time around a default
 * (TLS 1.3, AES-128-GCM, X25519, ECDSA P-256): versions, every AEAD suite, groups (+ a forced
 * HelloRetryRequest), key types, ALPN, SNI, mutual TLS, resumption (`--resume`), close_notify.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import type { CertificateKeyType } from "../../src/devcert/certificates.js";
import { requireBinary } from "../cli/serve-support.js";
import { freePort, spawnPeer, TempFiles, waitForOutput } from "../support/peers.js";
import { type Listener, leakCheck, listen } from "../support/sspi-driver.js";
import { type Fixtures, fixtures } from "../support/tls-fixtures.js";
import { dataAndClose, ourClientAgainst, peerClientAgainstUs } from "./features.js";
import { type OurCredentialOptions, type OurEnd, sha256 } from "./our-side.js";
import { type PeerView, ToolPeer } from "./peer-ends.js";
import { type CellSpec, Matrix, type Negotiated } from "./results.js";
import { ECDSA12, RSA12, type Suite, TLS13, type Version } from "./tls-tables.js";

const matrix = new Matrix(import.meta.filename ?? "gnutls.test.js");
const files = new TempFiles();
const leaks = leakCheck();
let f: Fixtures;
let ca: string;
let listener: Listener;
before(async () => {
  f = await fixtures();
  ca = files.write("ca.pem", f.ca.certificate);
  listener = await listen();
});
after(async () => {
  if (listener) await listener.close();
  files.remove();
  await leaks.verify();
});

const GNUTLS_GROUP: Record<string, string> = {
  X25519: "GROUP-X25519",
  "P-256": "GROUP-SECP256R1",
  "P-384": "GROUP-SECP384R1",
};
const GNUTLS_CIPHER: Record<Suite["cipher"], string> = {
  "AES-128": "AES-128-GCM",
  "AES-256": "AES-256-GCM",
  CHACHA20: "CHACHA20-POLY1305",
};

/** Parses gnutls' "- Description: (TLS1.3-X.509)-(ECDHE-X25519)-(ECDSA-SECP256R1-SHA256)-(AES-128-GCM)". */
function parseGnutls(text: string): PeerView {
  const d = text.match(/- Description: \((TLS1\.[23])[^)]*\)-\(ECDHE-(\w+)\)-\([^)]*\)-\(([\w-]+)\)/);
  if (!d) return {};
  const group = ({ X25519: "X25519", SECP256R1: "P-256", SECP384R1: "P-384" } as Record<string, string>)[
    d[2]!
  ];
  return {
    protocol: d[1]!.replace("TLS", "TLSv"),
    ...(group && { group }),
    suite: d[3]!,
    ...(/Resume Handshake was completed|This is a resumed session/.test(text) && { resumed: true }),
  };
}

interface Factor {
  name: string;
  version?: Version;
  suite?: Suite;
  /** Groups the client offers (GnuTLS order). */
  clientGroups?: string[];
  serverGroups?: string[];
  keyType?: CertificateKeyType;
  hrr?: boolean;
}

/** One factor changed from the default each. */
const FACTORS: Factor[] = [
  { name: "default (TLSv1.3, AES-128-GCM, X25519, ECDSA)" },
  { name: "TLSv1.2", version: "TLSv1.2" },
  ...[...TLS13].map((suite) => ({ name: `TLSv1.3 ${suite.iana}`, suite })),
  ...[ECDSA12[0]!, ECDSA12[1]!, ECDSA12[2]!].map((suite) => ({
    name: `TLSv1.2 ${suite.iana}`,
    version: "TLSv1.2" as const,
    suite,
  })),
  { name: "TLSv1.2 RSA certificate", version: "TLSv1.2", keyType: "rsa-2048", suite: RSA12[0]! },
  { name: "group P-256", clientGroups: ["P-256"], serverGroups: ["P-256"] },
  { name: "group P-384", clientGroups: ["P-384"], serverGroups: ["P-384"] },
  {
    name: "HRR: client offers X25519, P-256, P-384; server accepts only P-384",
    clientGroups: ["X25519", "P-256", "P-384"],
    serverGroups: ["P-384"],
    hrr: true,
  },
  { name: "RSA certificate", keyType: "rsa-2048" },
  { name: "Ed25519 certificate", keyType: "ed25519" },
];

function priority(factor: Factor): string {
  const version = factor.version ?? "TLSv1.3";
  const cipher = GNUTLS_CIPHER[(factor.suite ?? TLS13[0]!).cipher];
  const offered = [...(factor.clientGroups ?? ["X25519"])];
  // TLS 1.2 (RFC 8422 §5.1.1): an ECDSA P-256 certificate needs P-256 in the client's list.
  if (version === "TLSv1.2" && !offered.includes("P-256")) offered.push("P-256");
  const groups = offered.map((g) => `+${GNUTLS_GROUP[g]}`).join(":");
  return `NORMAL:-VERS-ALL:+VERS-${version.replace("TLSv", "TLS")}:-CIPHER-ALL:+${cipher}:-GROUP-ALL:${groups}`;
}

function ourOptions(factor: Factor, role: "client" | "server"): OurCredentialOptions {
  const keyType = factor.keyType ?? "ecdsa-p256";
  return role === "server"
    ? {
        version: factor.version ?? "TLSv1.3",
        certificates: [f.servers[keyType]],
        ...(factor.serverGroups && { groups: factor.serverGroups }),
        ...(factor.suite && { suite: factor.suite }),
      }
    : {
        version: factor.version ?? "TLSv1.3",
        roots: [f.ca.certificate],
        ...(factor.suite && { suite: factor.suite }),
      };
}

function check(factor: Factor, n: Negotiated, peer: PeerView): Negotiated {
  assert.equal(n.protocol, factor.version ?? "TLSv1.3");
  if (factor.suite) assert.equal(n.suite, factor.suite.iana);
  assert.equal(n.hrr, factor.hrr === true, "HelloRetryRequest on the wire");
  assert.equal(peer.protocol, n.protocol, "gnutls' protocol");
  assert.equal(peer.group, n.group, "gnutls' group");
  return { ...n, note: `gnutls: ${peer.protocol} ${peer.group} ${peer.suite}` };
}

/** gnutls-cli to our server on `port`. */
function gnutlsCli(port: number, prio: string, ...extra: string[]): ToolPeer {
  return new ToolPeer(
    spawnPeer(
      "gnutls-cli",
      ["-p", String(port), "--x509cafile", ca, "--priority", prio, ...extra, "localhost"],
      20_000,
    ),
    parseGnutls,
  );
}

/** gnutls-serv --echo on a free port. */
async function gnutlsServ(keyType: CertificateKeyType, prio: string, ...extra: string[]) {
  const port = await freePort();
  const cert = f.servers[keyType];
  const p = spawnPeer(
    "gnutls-serv",
    [
      "-p",
      String(port),
      "--echo",
      "--disable-client-cert",
      "--crlf",
      "--x509certfile",
      files.write(`g-${keyType}.pem`, cert.certificate),
      "--x509keyfile",
      files.write(`g-${keyType}.key`, cert.privateKey),
      "--priority",
      prio,
      ...extra,
    ],
    20_000,
  );
  const peer = Object.assign(new ToolPeer(p, parseGnutls), { port });
  try {
    await waitForOutput(p, /listening on IPv4/);
    return peer;
  } catch (error) {
    await peer.stop();
    throw error;
  }
}

const toUs = (area: string, cell: string): CellSpec => ({
  peer: "GnuTLS",
  direction: "peer client → our server",
  area,
  cell,
});
const toPeer = (area: string, cell: string): CellSpec => ({
  peer: "GnuTLS",
  direction: "our client → peer server",
  area,
  cell,
});

/** Against the echo server: our bytes come back (by hash), then we close first. */
async function echoAndClose(ours: OurEnd): Promise<void> {
  ours.assertEstablished("gnutls-serv");
  // gnutls-serv --echo answers line by line: text lines, not binary.
  const out = Buffer.from(Array.from({ length: 64 }, () => `${randomBytes(31).toString("hex")}\n`).join(""));
  ours.send(out);
  assert.equal(sha256(await ours.receive(out.byteLength)), sha256(out), "echoed bytes");
  await ours.closeFirst("gnutls-serv");
}

test("GnuTLS: gnutls-cli → our server, one factor at a time", async (t) => {
  if (!requireBinary(t, "gnutls-cli", "apt-get install -y gnutls-bin")) return;
  for (const factor of FACTORS) {
    await matrix.cell(toUs("factor", factor.name), () =>
      peerClientAgainstUs(
        listener,
        ourOptions(factor, "server"),
        {},
        (port) => gnutlsCli(port, priority(factor)),
        async (ours, peer) => {
          const n = await dataAndClose(ours, peer, factor.name, "exits");
          return check(factor, n, peer.view());
        },
      ),
    );
  }
  matrix.assertAllPassed();
});

test("GnuTLS: our client → gnutls-serv, one factor at a time", async (t) => {
  if (!requireBinary(t, "gnutls-serv", "apt-get install -y gnutls-bin")) return;
  for (const factor of FACTORS) {
    await matrix.cell(toPeer("factor", factor.name), () => {
      // The server side's groups are gnutls-serv's priority; ours offer the client groups.
      const serverFactor = { ...factor, clientGroups: factor.serverGroups ?? factor.clientGroups };
      return ourClientAgainst(
        () => gnutlsServ(factor.keyType ?? "ecdsa-p256", priority(serverFactor)),
        { ...ourOptions(factor, "client"), ...(factor.clientGroups && { groups: factor.clientGroups }) },
        {},
        async (ours, peer) => {
          await echoAndClose(ours);
          await waitForOutput(peer.process, /- Description:/, 5_000);
          return check(factor, ours.negotiated(), peer.view());
        },
      );
    });
  }
  matrix.assertAllPassed();
});

test("GnuTLS: ALPN, SNI, mutual TLS, resumption (--resume), close_notify", async (t) => {
  if (!requireBinary(t, "gnutls-cli", "apt-get install -y gnutls-bin")) return;
  const def = FACTORS[0]!;
  const server = (extra: Partial<OurCredentialOptions> = {}) => ({ ...ourOptions(def, "server"), ...extra });
  await matrix.cell(toUs("alpn", "agreement: offers h2, http/1.1; we accept http/1.1"), () =>
    peerClientAgainstUs(
      listener,
      server({ alpn: ["http/1.1"] }),
      {},
      (port) => gnutlsCli(port, priority(def), "--alpn", "h2", "--alpn", "http/1.1"),
      async (ours, peer) => {
        const n = await dataAndClose(ours, peer, "alpn", "exits");
        assert.equal(n.alpn, "http/1.1");
        assert.match(peer.output(), /- Application protocol: http\/1\.1/);
        return n;
      },
    ),
  );
  await matrix.cell(toUs("alpn", "mismatch: offers http/1.1, we accept only h2"), () =>
    peerClientAgainstUs(
      listener,
      server({ alpn: ["h2"] }),
      {},
      (port) => gnutlsCli(port, priority(def), "--alpn", "http/1.1"),
      async (ours, peer) => {
        assert.equal(ours.statusName, "SEC_E_APPLICATION_PROTOCOL_MISMATCH");
        assert.equal(ours.alert, "2/120");
        await waitForOutput(peer.process, /Received alert \[120\]: [^\n]*/, 5_000);
        const seen = peer.output().match(/Received alert \[120\]: [^\n]*/)?.[0] ?? "";
        assert.notEqual(seen, "", `gnutls reports the alert: ${peer.output().slice(-800)}`);
        return { note: `ours ${ours.statusName}; gnutls-cli: "${seen.trim()}"` };
      },
    ),
  );
  await matrix.cell(toUs("sni", "two certificates, SNI alt.example.test"), () =>
    peerClientAgainstUs(
      listener,
      server({ certificates: [f.servers["ecdsa-p256"], f.alt] }),
      {},
      (port) =>
        new ToolPeer(
          spawnPeer(
            "gnutls-cli",
            [
              "-p",
              String(port),
              "--x509cafile",
              ca,
              "--priority",
              priority(def),
              "--sni-hostname",
              "alt.example.test",
              "--verify-hostname",
              "alt.example.test",
              "127.0.0.1",
            ],
            20_000,
          ),
          parseGnutls,
        ),
      async (ours, peer) => {
        const n = await dataAndClose(ours, peer, "sni", "exits");
        assert.equal(n.certificate, "alt.example.test");
        assert.match(peer.output(), /subject `CN=alt\.example\.test'/);
        return n;
      },
    ),
  );
  const mtls = server({ roots: [f.ca.certificate] });
  await matrix.cell(toUs("mtls", "client certificate accepted"), () =>
    peerClientAgainstUs(
      listener,
      mtls,
      { mutualAuth: true },
      (port) =>
        gnutlsCli(
          port,
          priority(def),
          "--x509certfile",
          files.write("c.pem", f.client.certificate),
          "--x509keyfile",
          files.write("c.key", f.client.privateKey),
        ),
      (ours, peer) => dataAndClose(ours, peer, "mtls", "exits"),
    ),
  );
  for (const [name, args, alert] of [
    ["client certificate missing", [] as string[], /Received alert \[116\]: [^\n]*/],
    [
      "client certificate from an untrusted CA",
      [
        "--x509certfile",
        files.write("u.pem", f.untrustedClient.certificate),
        "--x509keyfile",
        files.write("u.key", f.untrustedClient.privateKey),
      ],
      /Received alert \[48\]: [^\n]*/,
    ],
  ] as const) {
    await matrix.cell(toUs("mtls", name), () =>
      peerClientAgainstUs(
        listener,
        mtls,
        { mutualAuth: true },
        (port) => gnutlsCli(port, priority(def), ...args),
        async (ours, peer) => {
          assert.notEqual(ours.statusName, "SEC_E_OK");
          assert.ok(ours.alert, "an alert is sent");
          peer.send(Buffer.from("x"));
          await waitForOutput(peer.process, alert, 5_000);
          const seen = peer.output().match(new RegExp(`.*(?:${alert.source}).*`, "i"))?.[0] ?? "";
          assert.notEqual(seen, "", peer.output().slice(-800));
          return { note: `ours ${ours.statusName}, alert ${ours.alert}; gnutls-cli: "${seen.trim()}"` };
        },
      ),
    );
  }
  for (const version of ["TLSv1.3", "TLSv1.2"] as const) {
    await matrix.cell(
      toUs("resumption", `${version} gnutls-cli --resume: second connection resumed`),
      async () => {
        const factor = { ...def, version, name: version };
        const { promises: sspi } = await import("../../src/index.js");
        const { ourCredential, OurEnd } = await import("./our-side.js");
        const cred = await ourCredential("server", ourOptions(factor, "server"));
        const peer = gnutlsCli(listener.port, priority(factor), "--resume");
        const resumed: boolean[] = [];
        try {
          for (let i = 0; i < 2; i++) {
            const ours = await OurEnd.accept(await listener.next(), cred);
            try {
              ours.assertEstablished("resume");
              resumed.push(ours.negotiated().resumed === true);
              // gnutls-cli closes each connection itself (close_notify) before the next one.
              if (i === 0) await ours.closeSecond("resume");
            } finally {
              await ours.dispose();
            }
          }
          assert.deepEqual(resumed, [false, true]);
          await waitForOutput(
            peer.process,
            /This is a resumed session|Resume Handshake was completed/,
            5_000,
          );
          return { protocol: version, resumed: true, note: 'gnutls-cli: "*** This is a resumed session"' };
        } finally {
          await peer.stop();
          await sspi.FreeCredentialsHandle(cred);
        }
      },
    );
  }
  await matrix.cell(toUs("close_notify", "gnutls-cli closes first (stdin EOF)"), () =>
    peerClientAgainstUs(
      listener,
      server(),
      {},
      (port) => gnutlsCli(port, priority(def)),
      async (ours, peer) => {
        ours.assertEstablished("close");
        await waitForOutput(peer.process, /Handshake was completed/, 5_000);
        peer.close();
        await ours.closeSecond("close");
        return ours.negotiated();
      },
    ),
  );
  matrix.assertAllPassed();
});
