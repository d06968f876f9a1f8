/**
 * Keytabs and credential caches written by real MIT krb5 (kadmin.local, ktutil, kinit, kvno),
 * read by our parsers; keys compared with our string-to-key; a keytab we write read by klist.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { encryptionType } from "../../src/kerberos/crypto/registry.js";
import { parseCredentialCache, readCredentialCache } from "../../src/kerberos/files/ccache.js";
import {
  type KeytabEntry,
  parseKeytab,
  readKeytabFile,
  writeKeytab,
} from "../../src/kerberos/files/keytab.js";
import { formatPrincipal } from "../../src/kerberos/principal.js";
import { type MitKdc, mitKrb5Installed, requireMitKrb5, startMitKdc } from "../support/mit-kdc.js";

const ALL_ETYPES = [18, 17, 20, 19, 23];
const MIT_NAMES = [
  "aes256-cts-hmac-sha1-96",
  "aes128-cts-hmac-sha1-96",
  "aes256-cts-hmac-sha384-192",
  "aes128-cts-hmac-sha256-128",
  "arcfour-hmac",
];

describe("keytabs and credential caches written by MIT krb5", () => {
  let kdc: MitKdc | undefined;
  before(async () => {
    if (!mitKrb5Installed()) return;
    kdc = await startMitKdc();
    kdc.kadmin("addprinc -pw alicepw alice");
    kdc.kadmin("addprinc -randkey HTTP/localhost");
  });
  after(async () => kdc?.stop());

  test("kadmin.local ktadd -norandkey: every key equals our string-to-key of the password", async (t) => {
    if (!requireMitKrb5(t) || !kdc) return;
    const path = join(kdc.dir, "alice.keytab");
    kdc.kadmin(`ktadd -k ${path} -norandkey alice`);
    const entries = await readKeytabFile(`FILE:${path}`);
    assert.deepEqual(entries.map((e) => e.etype).sort(), [...ALL_ETYPES].sort());
    for (const e of entries) {
      assert.equal(formatPrincipal(e.principal), "alice@EXAMPLE.TEST");
      assert.equal(e.principal.name.nameType, 1);
      assert.equal(e.kvno, 1);
      const ours = encryptionType(e.etype).stringToKey("alicepw", "EXAMPLE.TESTalice");
      assert.deepEqual(Buffer.from(e.key), Buffer.from(ours), `etype ${e.etype}`);
    }
  });

  test("ktutil addent -password, kvno 300 (the 32-bit kvno field): keys equal our string-to-key", (t) => {
    if (!requireMitKrb5(t) || !kdc) return;
    const path = join(kdc.dir, "bob.keytab");
    const script = MIT_NAMES.map(
      (e) => `addent -password -p bob@EXAMPLE.TEST -k 300 -e ${e}\nbob pw ü\n`,
    ).join("");
    kdc.run("ktutil", [], `${script}wkt ${path}\nquit\n`);
    const entries = parseKeytab(readFileSync(path));
    assert.equal(entries.length, 5);
    for (const e of entries) {
      assert.equal(e.kvno, 300);
      const ours = encryptionType(e.etype).stringToKey("bob pw ü", "EXAMPLE.TESTbob");
      assert.deepEqual(Buffer.from(e.key), Buffer.from(ours), `etype ${e.etype}`);
    }
  });

  test("a keytab we write is listed by MIT klist -kte with the same keys", (t) => {
    if (!requireMitKrb5(t) || !kdc) return;
    const entries: KeytabEntry[] = ALL_ETYPES.map((etype) => ({
      principal: { realm: "EXAMPLE.TEST", name: { nameType: 1, components: ["svc", "host.example.test"] } },
      timestamp: 1_700_000_000,
      kvno: 7,
      etype,
      key: encryptionType(etype).stringToKey("svcpw", "EXAMPLE.TESTsvchost.example.test"),
    }));
    const path = join(kdc.dir, "ours.keytab");
    writeFileSync(path, writeKeytab(entries));
    const listing = kdc.run("klist", ["-kteK", path]);
    for (const e of entries) {
      const keyHex = `0x${Buffer.from(e.key).toString("hex")}`;
      assert.match(
        listing,
        new RegExp(`7 .* svc/host\\.example\\.test@EXAMPLE\\.TEST \\(.*\\)\\s+\\(${keyHex}\\)`),
      );
    }
    assert.deepEqual(parseKeytab(readFileSync(path)), entries);
  });

  test("kinit + kvno credential cache: default principal, TGT and service ticket; config entries apart", async (t) => {
    if (!requireMitKrb5(t) || !kdc) return;
    kdc.run("kinit", ["alice@EXAMPLE.TEST"], "alicepw\n");
    kdc.run("kvno", ["HTTP/localhost@EXAMPLE.TEST"]);
    const cache = await readCredentialCache(kdc.env.KRB5CCNAME!);
    assert.equal(cache.version, 0x0504);
    assert.equal(formatPrincipal(cache.defaultPrincipal), "alice@EXAMPLE.TEST");
    const servers = cache.credentials.map((c) => formatPrincipal(c.server));
    assert.deepEqual(servers, ["krbtgt/EXAMPLE.TEST@EXAMPLE.TEST", "HTTP/localhost@EXAMPLE.TEST"]);
    for (const c of cache.credentials) {
      assert.equal(formatPrincipal(c.client), "alice@EXAMPLE.TEST");
      assert.equal(c.key.value.length, encryptionType(c.key.etype).keyBytes);
      assert.ok(c.endTime > c.authTime && c.authTime > 1_600_000_000);
      assert.equal(c.ticket[0], 0x61, "the ticket is a DER [APPLICATION 1]");
    }
    assert.ok(cache.config.length > 0, "MIT writes configuration entries on kinit");
    assert.ok(cache.config.every((c) => c.key.length > 0));
  });

  test("truncated or foreign files are typed errors, never garbage", (t) => {
    if (!requireMitKrb5(t) || !kdc) return;
    const keytab = readFileSync(join(kdc.dir, "alice.keytab"));
    for (const cut of [1, 3, 10, keytab.length - 1])
      assert.throws(
        () => parseKeytab(keytab.subarray(0, cut)),
        { code: "ERR_KRB_MALFORMED" },
        `cut at ${cut}`,
      );
    assert.throws(() => parseKeytab(Uint8Array.of(0x05, 0x01)), { code: "ERR_KRB_UNSUPPORTED" });
    assert.throws(() => parseKeytab(Uint8Array.of(0x01, 0x02)), { code: "ERR_KRB_MALFORMED" });
    const cache = readFileSync(kdc.env.KRB5CCNAME!.slice("FILE:".length));
    for (const cut of [1, 5, 40, cache.length - 1])
      assert.throws(
        () => parseCredentialCache(cache.subarray(0, cut)),
        { code: "ERR_KRB_MALFORMED" },
        `cut at ${cut}`,
      );
    assert.throws(
      () => parseCredentialCache(keytab),
      { code: "ERR_KRB_UNSUPPORTED" },
      "0x0502 is a v2 cache",
    );
    assert.throws(() => parseCredentialCache(Buffer.from("hello")), { code: "ERR_KRB_MALFORMED" });
  });
});
