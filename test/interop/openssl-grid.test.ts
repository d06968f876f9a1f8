/**
 * Interop grid against the `openssl` binary: `s_server` for our client, `s_client` for our
 * server; TLS 1.3 and 1.2 × suites × groups (+ HRR) × key types (see grid.ts).
 */
import { after, before, test } from "node:test";
import { TempFiles } from "../support/peers.js";
import { leakCheck, listen, requireBinary } from "../support/sspi-driver.js";
import { type Fixtures, fixtures } from "../support/tls-fixtures.js";
import {
  clientGroups,
  type GridCell,
  type GridPeer,
  gridOurClient,
  gridOurServer,
  serverGroups,
} from "./grid.js";
import { opensslClient, opensslServer } from "./peer-ends.js";
import { Matrix } from "./results.js";
import { VERSIONS } from "./tls-tables.js";

const matrix = new Matrix(import.meta.filename ?? "openssl-grid.test.js");
const files = new TempFiles();
const leaks = leakCheck();
let f: Fixtures;
before(async () => {
  f = await fixtures();
});
after(async () => {
  files.remove();
  await leaks.verify();
});

function versionArgs(cell: GridCell): string[] {
  return cell.version === "TLSv1.3"
    ? ["-tls1_3", "-ciphersuites", cell.suite.openssl]
    : ["-tls1_2", "-cipher", cell.suite.openssl];
}

const openssl: GridPeer = {
  name: "OpenSSL",
  restrictBy: "pDisabledCrypto",
  server: (cell) =>
    opensslServer([
      "-cert",
      files.write(`${cell.keyType}.pem`, f.servers[cell.keyType].certificate),
      "-key",
      files.write(`${cell.keyType}.key`, f.servers[cell.keyType].privateKey),
      "-groups",
      serverGroups(cell).join(":"),
      ...versionArgs(cell),
    ]),
  client: (cell, port) =>
    opensslClient(port, [
      "-servername",
      "localhost",
      "-CAfile",
      files.write("ca.pem", f.ca.certificate),
      "-verify_return_error",
      "-brief",
      "-nocommands",
      "-groups",
      clientGroups(cell).join(":"),
      ...versionArgs(cell),
    ]),
};

for (const version of VERSIONS) {
  test(`OpenSSL grid, our client → s_server, ${version}`, async (t) => {
    if (!requireBinary(t)) return;
    await gridOurClient(matrix, openssl, version, f);
    matrix.assertAllPassed();
  });

  test(`OpenSSL grid, s_client → our server, ${version}`, async (t) => {
    if (!requireBinary(t)) return;
    const listener = await listen();
    try {
      await gridOurServer(matrix, openssl, version, f, listener);
    } finally {
      await listener.close();
    }
    matrix.assertAllPassed();
  });
}
