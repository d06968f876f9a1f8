/**
 * Interop with Node's TLS engine (OpenSSL) for every supported suite, both roles, both directions:
 * records we seal are accepted by the engine, records the engine writes are opened by us.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import { CIPHER_SUITES } from "../../../src/schannel/record/cipher-suites.js";
import type { DecryptResult } from "../../../src/schannel/record/record-layer.js";
import { streamSizes } from "../../../src/schannel/record/record-protection.js";
import { SEC_E_OK } from "../../../src/sspi/status.js";
import { establish, type Session } from "./tls-harness.js";

const SIZES = [0, 1, 100, 16384];

function expectData(result: DecryptResult, expected: Uint8Array): void {
  assert.equal(result.ok, true, result.ok ? "" : result.reason);
  assert.equal(result.kind, "data");
  if (result.kind !== "data") return;
  assert.equal(result.status, SEC_E_OK);
  assert.deepEqual(Buffer.from(result.plaintext), Buffer.from(expected));
}

/** TLS 1.3 with our layer as client: the first two server records are the engine's tickets. */
async function readTickets(s: Session): Promise<void> {
  if (s.suite.version !== "TLSv1.3" || s.role !== "client") return;
  const tickets: Uint8Array[] = [];
  while (tickets.length < 2) {
    const result = s.layer.decryptRecord(await s.fromNode.next());
    assert.equal(result.ok, true);
    assert.equal(result.kind, "handshake");
    if (result.kind !== "handshake") return;
    for (const m of result.messages) {
      assert.equal(m.kind, "ticket");
      if (m.kind === "ticket") tickets.push(m.message);
    }
  }
  assert.equal(tickets[0]![0], 4, "NewSessionTicket handshake type");
  assert.equal(s.layer.read.sequence, 2n);
}

for (const suite of CIPHER_SUITES) {
  describe(`${suite.ianaName} (${suite.version})`, () => {
    for (const role of ["client", "server"] as const) {
      test(`our ${role} exchanges records with Node's engine`, async () => {
        const s = await establish(suite, { role });
        try {
          await readTickets(s);
          const sizes = streamSizes(suite);
          for (const size of SIZES) {
            const payload = randomBytes(size);
            // ours → Node
            const sealed = s.layer.encrypt(payload);
            assert.ok(sealed.ok);
            assert.equal(sealed.record.length, sizes.cbHeader + size + sizes.cbTrailer);
            s.toNode(sealed.record);
            if (size === 0) {
              // an empty record carries nothing; the next record's byte must come out alone
              const marker = s.layer.encrypt(Buffer.from("x"));
              assert.ok(marker.ok);
              s.toNode(marker.record);
              assert.equal((await s.nodeData(1)).toString(), "x");
            } else {
              assert.deepEqual(await s.nodeData(size), payload);
              // Node → ours
              s.node.write(payload);
              expectData(s.layer.decryptRecord(await s.fromNode.next()), payload);
            }
            // in place, in one contiguous EncryptMessage allocation
            const buffer = new Uint8Array(sizes.cbHeader + size + sizes.cbTrailer);
            const header = buffer.subarray(0, sizes.cbHeader);
            const data = buffer.subarray(sizes.cbHeader, sizes.cbHeader + size);
            const trailer = buffer.subarray(sizes.cbHeader + size);
            data.set(payload);
            const inPlace = s.layer.encryptInPlace(header, data, trailer);
            assert.ok(inPlace.ok);
            assert.equal(inPlace.headerLength, sizes.cbHeader);
            assert.equal(inPlace.trailerLength, sizes.cbTrailer);
            assert.equal(inPlace.prefix, null);
            // encrypted in place: from 16 bytes on, ciphertext equal to the plaintext is a 2^-128
            // event (a 1-byte record matches its plaintext once in 256 runs: not a failure)
            if (size >= 16) assert.notDeepEqual(Buffer.from(data), payload);
            s.toNode(buffer);
            if (size > 0) assert.deepEqual(await s.nodeData(size), payload);
          }
          assert.deepEqual(s.nodeErrors, []);
        } finally {
          s.close();
        }
      });
    }
  });
}
