/**
 * Interop grid against Node's own `tls` (tls.createServer for our client, tls.connect for our
 * server); TLS 1.3 and 1.2 × suites × groups (+ HRR) × key types (see grid.ts).
 */
import { after, before, test } from "node:test";
import { leakCheck, listen } from "../support/sspi-driver.js";
import { type Fixtures, fixtures } from "../support/tls-fixtures.js";
import { clientGroups, type GridPeer, gridOurClient, gridOurServer, serverGroups } from "./grid.js";
import { nodeClient, nodeServer } from "./peer-ends.js";
import { Matrix } from "./results.js";
import { VERSIONS } from "./tls-tables.js";

const matrix = new Matrix(import.meta.filename ?? "node-grid.test.js");
const leaks = leakCheck();
let f: Fixtures;
before(async () => {
  f = await fixtures();
});
after(async () => {
  await leaks.verify();
});

const node: GridPeer = {
  name: "Node tls",
  restrictBy: "cipherSuites",
  server: (cell) =>
    nodeServer({
      cert: f.servers[cell.keyType].certificate,
      key: f.servers[cell.keyType].privateKey,
      minVersion: cell.version,
      maxVersion: cell.version,
      ciphers: cell.suite.openssl,
      ecdhCurve: serverGroups(cell).join(":"),
    }),
  client: (cell, port) =>
    nodeClient(port, {
      servername: "localhost",
      ca: f.ca.certificate,
      minVersion: cell.version,
      maxVersion: cell.version,
      ciphers: cell.suite.openssl,
      ecdhCurve: clientGroups(cell).join(":"),
    }),
};

for (const version of VERSIONS) {
  test(`Node tls grid, our client → tls.createServer, ${version}`, async () => {
    await gridOurClient(matrix, node, version, f);
    matrix.assertAllPassed();
  });

  test(`Node tls grid, tls.connect → our server, ${version}`, async () => {
    const listener = await listen();
    try {
      await gridOurServer(matrix, node, version, f, listener);
    } finally {
      await listener.close();
    }
    matrix.assertAllPassed();
  });
}
