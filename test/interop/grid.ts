/**
 * The full grid (OpenSSL and Node's tls): TLS 1.3 and 1.2 × every AEAD suite × X25519 / P-256 /
 * P-384 (+ a forced HelloRetryRequest in TLS 1.3) × ECDSA / RSA / Ed25519 server certificates,
 * in both directions. One connection per cell: the handshake, the parameters on both sides, 4 KiB
 * each way (by hash), our close_notify answered by the peer and a clean end on its side.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { CertificateKeyType } from "../../src/devcert/certificates.js";
import { promises as sspi } from "../../src/index.js";
import type { Listener } from "../support/sspi-driver.js";
import type { Fixtures } from "../support/tls-fixtures.js";
import { OurEnd, ourCredential, sha256 } from "./our-side.js";
import type { PeerEnd } from "./peer-ends.js";
import type { Matrix, Negotiated } from "./results.js";
import { KEY_TYPES, payload, type Suite, suitesFor, until, type Version } from "./tls-tables.js";

export type GroupCell = "X25519" | "P-256" | "P-384" | "HRR";

export interface GridCell {
  version: Version;
  suite: Suite;
  keyType: CertificateKeyType;
  group: GroupCell;
  name: string;
}

/** The grid's cells of one version. */
export function gridCells(version: Version): GridCell[] {
  const groups: GroupCell[] =
    version === "TLSv1.3" ? ["X25519", "P-256", "P-384", "HRR"] : ["X25519", "P-256", "P-384"];
  return KEY_TYPES.flatMap((keyType) =>
    suitesFor(version, keyType).flatMap((suite) =>
      groups.map((group) => ({
        version,
        suite,
        keyType,
        group,
        name: `${version} ${suite.iana} ${group === "HRR" ? "HRR X25519→P-256" : group} ${keyType}`,
      })),
    ),
  );
}

/** Groups a client offers for the cell (HRR: an X25519 key share the server does not accept). */
export function clientGroups(cell: GridCell): string[] {
  if (cell.group === "HRR") return ["X25519", "P-256"];
  // TLS 1.2 (RFC 8422 §5.1.1): an ECDSA certificate is usable only on a curve the client lists.
  if (cell.version === "TLSv1.2" && cell.keyType === "ecdsa-p256" && cell.group !== "P-256")
    return [cell.group, "P-256"];
  return [cell.group];
}

/** Groups a server accepts for the cell. */
export function serverGroups(cell: GridCell): string[] {
  return cell.group === "HRR" ? ["P-256"] : [cell.group];
}

export function expectedGroup(cell: GridCell): string {
  return cell.group === "HRR" ? "P-256" : cell.group;
}

/** A peer of the full grid. */
export interface GridPeer {
  name: string;
  /** How our credential forces the suite against this peer. */
  restrictBy: "cipherSuites" | "pDisabledCrypto";
  server(cell: GridCell): Promise<PeerEnd & { port: number }>;
  client(cell: GridCell, port: number): PeerEnd;
}

const SIZE = 4096;

function checkBothSides(cell: GridCell, ours: Negotiated, peer: PeerEnd): void {
  assert.equal(ours.protocol, cell.version, "our protocol");
  assert.equal(ours.suite, cell.suite.iana, "our suite");
  assert.equal(ours.group, expectedGroup(cell), "our group");
  assert.equal(ours.hrr, cell.group === "HRR", "HelloRetryRequest on the wire");
  const view = peer.view();
  if (view.protocol !== undefined) assert.equal(view.protocol, cell.version, "the peer's protocol");
  if (view.suite !== undefined) assert.equal(view.suite, cell.suite.iana, "the peer's suite");
  if (view.group !== undefined) assert.equal(view.group, expectedGroup(cell), "the peer's group");
}

async function exchangeAndClose(ours: OurEnd, peer: PeerEnd, what: string): Promise<void> {
  const out = payload(SIZE);
  ours.send(out);
  await peer.waitFor(out);
  const back = payload(SIZE);
  peer.send(back);
  assert.equal(sha256(await ours.receive(SIZE)), sha256(back), `${what}: the peer's bytes`);
  await ours.closeFirst(what);
  await peer.closedCleanly();
}

/** Our client against the peer's server, every cell of `version`. */
export async function gridOurClient(
  matrix: Matrix,
  peer: GridPeer,
  version: Version,
  f: Fixtures,
): Promise<number> {
  const cells = gridCells(version);
  for (const cell of cells) {
    await matrix.cell(
      { peer: peer.name, direction: "our client → peer server", area: "grid", cell: cell.name },
      async () => {
        const server = await peer.server(cell);
        const cred = await ourCredential("client", {
          version,
          suite: cell.suite,
          restrictBy: peer.restrictBy,
          groups: clientGroups(cell),
          roots: [f.ca.certificate],
        });
        let ours: OurEnd | null = null;
        try {
          ours = await OurEnd.connect(server.port, cred);
          ours.assertEstablished(cell.name);
          const n = ours.negotiated();
          await until(() => Object.keys(server.view()).length > 0, "the peer's report", 8_000);
          checkBothSides(cell, n, server);
          await exchangeAndClose(ours, server, cell.name);
          return n;
        } finally {
          await ours?.dispose();
          await server.stop();
          await sspi.FreeCredentialsHandle(cred);
        }
      },
    );
  }
  return cells.length;
}

/** The peer's client against our server, every cell of `version`. */
export async function gridOurServer(
  matrix: Matrix,
  peer: GridPeer,
  version: Version,
  f: Fixtures,
  listener: Listener,
): Promise<number> {
  const cells = gridCells(version);
  for (const cell of cells) {
    await matrix.cell(
      { peer: peer.name, direction: "peer client → our server", area: "grid", cell: cell.name },
      async () => {
        const cred = await ourCredential("server", {
          version,
          suite: cell.suite,
          restrictBy: peer.restrictBy,
          groups: serverGroups(cell),
          certificates: [f.servers[cell.keyType]],
        });
        const client = peer.client(cell, listener.port);
        let ours: OurEnd | null = null;
        try {
          ours = await OurEnd.accept(await listener.next(), cred);
          ours.assertEstablished(cell.name);
          const n = ours.negotiated();
          await until(() => Object.keys(client.view()).length > 0, "the peer's report", 8_000);
          checkBothSides(cell, n, client);
          await exchangeAndClose(ours, client, cell.name);
          return n;
        } finally {
          await ours?.dispose();
          await client.stop();
          await sspi.FreeCredentialsHandle(cred);
        }
      },
    );
  }
  return cells.length;
}
