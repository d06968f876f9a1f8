/**
 * Issue 15 with an outside client: `openssl s_client` saves the session it got from fleet member
 * A (`-sess_out`) and offers it to member B (`-sess_in`), which resumes it because both take
 * their ticket keys from one Redis — on TLS 1.3 and TLS 1.2, before and after a rotation.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { FleetMember } from "../support/fleet-member.js";
import { spawnOpenssl, TempFiles } from "../support/peers.js";
import { type Pki, pki } from "../support/pki.js";
import { type RedisServer, requireRedis, startRedis } from "../support/redis-server.js";
import { requireBinary } from "../support/sspi-driver.js";

const ROTATION_S = 3600;
const T0 = Math.ceil(Date.UTC(2033, 0, 1) / (ROTATION_S * 1000)) * ROTATION_S * 1000 + 10_000;

let p: Pki;
let redis: RedisServer | null = null;
const files = new TempFiles();
before(async () => {
  p = await pki();
});
after(async () => {
  await redis?.stop();
  files.remove();
});

/**
 * One `openssl s_client` connection; whether it resumed ("Reused") and what the server said (the
 * member's name, printed right before s_client's "---" or "closed").
 */
async function sClient(port: number, version: string, sessIn: string | null, sessOut: string) {
  const args = [
    "s_client",
    "-connect",
    `127.0.0.1:${port}`,
    "-servername",
    "server.test",
    "-CAfile",
    files.write("ca.pem", p.ca.certificate),
    "-verify_return_error",
    version === "TLSv1.3" ? "-tls1_3" : "-tls1_2",
    "-ign_eof",
    "-sess_out",
    sessOut,
    ...(sessIn ? ["-sess_in", sessIn] : []),
  ];
  const peer = spawnOpenssl(args);
  peer.child.stdin?.end();
  const code = await peer.exited;
  const output = peer.output();
  assert.equal(code, 0, output);
  assert.match(output, /Verify return code: 0 \(ok\)/);
  return { resumed: /^Reused, /m.test(output), answer: /^([AB])(?:---|closed)/m.exec(output)?.[1] };
}

for (const version of ["TLSv1.3", "TLSv1.2"])
  test(`${version}: openssl s_client resumes on B with the session from A, also after a rotation`, async (t) => {
    if (!requireBinary(t) || !requireRedis(t)) return;
    redis ??= await startRedis();
    const options = {
      url: redis.url,
      prefix: `interop:${version}`,
      rotationSeconds: ROTATION_S,
      graceSeconds: 600,
      clock: T0,
      pki: p,
    };
    const a = await FleetMember.start("A", options);
    const b = await FleetMember.start("B", options);
    try {
      const fromA = files.write(`${version}-a.sess`, "");
      const fromB = files.write(`${version}-b.sess`, "");
      assert.deepEqual(await sClient(a.port, version, null, fromA), { resumed: false, answer: "A" });
      assert.deepEqual(await sClient(b.port, version, fromA, fromB), { resumed: true, answer: "B" });
      await a.setClock(T0 + ROTATION_S * 1000);
      await b.setClock(T0 + ROTATION_S * 1000);
      // (A TLS 1.2 resumption without a renewed ticket leaves -sess_out empty: offer A's session again.)
      assert.deepEqual(
        await sClient(b.port, version, fromA, files.write(`${version}-c.sess`, "")),
        { resumed: true, answer: "B" },
        "A's session from before the rotation, on B after it",
      );
    } finally {
      await a.stop();
      await b.stop();
    }
  });
