import assert from "node:assert/strict";
import { after, test } from "node:test";
import type { EngineStepResult } from "../../../src/schannel/engine/engine-types.js";
import { NativeEngineHost } from "../../../src/service/native-host.js";
import { formatStatus, SEC_E_OK, SEC_I_CONTINUE_NEEDED } from "../../../src/sspi/status.js";
import { clientConfig, fixtures, serverConfig } from "../../support/tls-fixtures.js";

const host = new NativeEngineHost();
after(() => host.dispose());

async function ok<T extends { status: number; reason?: string }>(p: Promise<T>): Promise<T> {
  const r = await p;
  assert.equal(r.status, SEC_E_OK, `${formatStatus(r.status)} ${r.reason ?? ""}`);
  return r;
}

/** Shuttles tokens between two engines until both report SEC_E_OK or one fails. */
async function pair(clientCtx: number, serverCtx: number) {
  let toServer = (await host.step(clientCtx, new Uint8Array(0))).output;
  let client: EngineStepResult | undefined;
  let server: EngineStepResult | undefined;
  for (let i = 0; i < 10; i++) {
    server = await host.step(serverCtx, toServer);
    if (server.status !== SEC_I_CONTINUE_NEEDED && server.status !== SEC_E_OK) break;
    if (client?.status === SEC_E_OK) break;
    client = await host.step(clientCtx, server.output);
    if (client.status !== SEC_I_CONTINUE_NEEDED) {
      if (client.status === SEC_E_OK && client.output.length > 0 && server.status !== SEC_E_OK) {
        server = await host.step(serverCtx, client.output);
      }
      break;
    }
    toServer = client.output;
  }
  return { client: client!, server: server! };
}

test("engine ↔ engine through the native host: TLS 1.3 and 1.2", async () => {
  const f = await fixtures();
  for (const version of ["TLSv1.3", "TLSv1.2"] as const) {
    const sc = await ok(host.acquireCredential(serverConfig([f.servers["ecdsa-p256"]], version)));
    const cc = await ok(host.acquireCredential(clientConfig([f.ca.certificate], version)));
    const c = await ok(
      host.createContext(cc.credentialId!, {
        role: "client",
        serverName: "localhost",
        manualValidation: false,
        noServerNameCheck: false,
      }),
    );
    const s = await ok(
      host.createContext(sc.credentialId!, { role: "server", requestClientCertificate: false }),
    );
    const { client, server } = await pair(c.contextId!, s.contextId!);
    assert.equal(
      client.status,
      SEC_E_OK,
      `${version} client ${formatStatus(client.status)} ${client.reason}`,
    );
    assert.equal(
      server.status,
      SEC_E_OK,
      `${version} server ${formatStatus(server.status)} ${server.reason}`,
    );
    assert.equal(client.handshake?.protocol, version);
    assert.equal(server.handshake?.protocol, version);
    assert.equal(client.handshake?.cipher, server.handshake?.cipher);
    assert.equal(server.handshake?.serverName, "localhost");
    assert.deepEqual(client.handshake?.peerCertificates[0], f.servers["ecdsa-p256"].der);
    if (version === "TLSv1.3") {
      assert.equal(server.handshake?.writeSequence, 2);
      assert.deepEqual(
        client.handshake?.secrets?.clientTrafficSecret0,
        server.handshake?.secrets?.clientTrafficSecret0,
      );
    } else {
      assert.deepEqual(client.handshake?.secrets?.masterSecret, server.handshake?.secrets?.masterSecret);
      assert.deepEqual(client.handshake?.secrets?.serverRandom, server.handshake?.secrets?.serverRandom);
    }
    await host.deleteContext(c.contextId!);
    await host.deleteContext(s.contextId!);
  }
});
