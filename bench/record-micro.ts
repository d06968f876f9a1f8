/**
 * Micro-benchmark of the direct record layer: µs per record for seal, in-place seal and open, and
 * per EncryptMessage+DecryptMessage round of the same size, for each suite.
 *
 *   npx tsc -p . && node dist/bench/record-micro.js [size=100] [rounds=20000]
 *
 * Medians of 7 interleaved runs; compare ratios within one run (shared machines are noisy).
 */
import { type CipherGCMTypes, createCipheriv, randomBytes } from "node:crypto";
import { CIPHER_SUITES, type CipherSuite } from "../src/schannel/record/cipher-suites.js";
import {
  type DirectRecordLayer,
  tls12RecordLayer,
  tls13RecordLayer,
} from "../src/schannel/record/record-layer.js";
import { streamSizes } from "../src/schannel/record/record-protection.js";

const size = Number(process.argv[2] ?? 100);
const rounds = Number(process.argv[3] ?? 20000);

function layers(suite: CipherSuite): { client: DirectRecordLayer; server: DirectRecordLayer } {
  if (suite.version === "TLSv1.3") {
    const secrets = { client: randomBytes(suite.hashLength), server: randomBytes(suite.hashLength) };
    return {
      client: tls13RecordLayer(suite, "client", secrets),
      server: tls13RecordLayer(suite, "server", secrets),
    };
  }
  const [m, c, s] = [randomBytes(48), randomBytes(32), randomBytes(32)];
  return {
    client: tls12RecordLayer(suite, "client", m, c, s),
    server: tls12RecordLayer(suite, "server", m, c, s),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function time(fn: () => void): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) fn();
  return Number(process.hrtime.bigint() - start) / 1000 / rounds;
}

const plaintext = randomBytes(size);
const results = new Map<string, { bare: number[]; seal: number[]; inPlace: number[]; open: number[] }>();
for (let run = 0; run < 7; run++) {
  for (const suite of CIPHER_SUITES) {
    const { client, server } = layers(suite);
    const sizes = streamSizes(suite);
    const buffer = new Uint8Array(sizes.cbHeader + size + sizes.cbTrailer);
    const header = buffer.subarray(0, sizes.cbHeader);
    const data = buffer.subarray(sizes.cbHeader, sizes.cbHeader + size);
    const trailer = buffer.subarray(sizes.cbHeader + size);
    let record: Uint8Array = new Uint8Array(0);
    // baseline: Node's AEAD alone, no framing (what one record cannot avoid)
    const key = randomBytes(suite.keyLength);
    const nonce = randomBytes(12);
    const aad = randomBytes(suite.version === "TLSv1.3" ? 5 : 13);
    const bare = time(() => {
      const c = createCipheriv(suite.cipher as CipherGCMTypes, key, nonce, { authTagLength: 16 });
      c.setAAD(aad);
      c.update(plaintext);
      c.final();
      c.getAuthTag();
    });
    const seal = time(() => {
      const r = client.encrypt(plaintext);
      if (r.ok) record = r.record;
    });
    const inPlace = time(() => {
      data.set(plaintext);
      client.encryptInPlace(header, data, trailer);
    });
    // open needs records at consecutive sequence numbers: seal them first, untimed
    client.write.sequence = 0n;
    server.read.sequence = 0n;
    const batch: Uint8Array[] = [];
    for (let i = 0; i < rounds; i++) {
      const r = client.encrypt(plaintext);
      if (r.ok) batch.push(r.record);
    }
    let i = 0;
    const open = time(() => {
      const r = server.decryptRecord(batch[i++]!);
      if (!r.ok) throw new Error(r.reason);
    });
    void record;
    const entry = results.get(suite.ianaName) ?? { bare: [], seal: [], inPlace: [], open: [] };
    entry.bare.push(bare);
    entry.seal.push(seal);
    entry.inPlace.push(inPlace);
    entry.open.push(open);
    results.set(suite.ianaName, entry);
    client.destroy();
    server.destroy();
  }
}
console.log(`plaintext ${size} B, ${rounds} records per cell, median of 7 runs (µs per record)`);
console.log(
  "suite".padEnd(48),
  "bare".padStart(7),
  "seal".padStart(7),
  "inPlace".padStart(8),
  "open".padStart(7),
  "seal+open".padStart(10),
);
for (const [name, r] of results) {
  const s = median(r.seal);
  const o = median(r.open);
  console.log(
    name.padEnd(48),
    median(r.bare).toFixed(2).padStart(7),
    s.toFixed(2).padStart(7),
    median(r.inPlace).toFixed(2).padStart(8),
    o.toFixed(2).padStart(7),
    (s + o).toFixed(2).padStart(10),
  );
}
