/** krb5.conf (MIT profile syntax) parsing. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseKdcAddress, parseKrb5Conf } from "../../src/kerberos/config/krb5-conf.js";
import { parseProfile, profileValues } from "../../src/kerberos/config/profile.js";

const SAMPLE = `
# comment
; another comment
include /etc/krb5.conf.d/extra.conf
includedir /etc/krb5.conf.d/

[libdefaults]
    default_realm = EXAMPLE.TEST
    dns_lookup_kdc = false
    dns_canonicalize_hostname = false
    clockskew = 120
    default_ccache_name = FILE:/tmp/krb5cc_%{uid}
    udp_preference_limit = 1

[realms]
    EXAMPLE.TEST = {
        kdc = kdc1.example.test
        kdc = 127.0.0.1:61088
        kdc = [::1]:750
        admin_server = kdc1.example.test:749
        auth_to_local = {
            nested = value
        }
    }
    OTHER.TEST = {
        kdc = "other.test"
    } *

[domain_realm]
    .example.test = EXAMPLE.TEST
    host.other.test = OTHER.TEST
    example.test = EXAMPLE.TEST
`;

describe("krb5.conf", () => {
  test("libdefaults, realms with several KDCs (host, host:port, [v6]:port), domain_realm", () => {
    const c = parseKrb5Conf(SAMPLE);
    assert.equal(c.defaultRealm, "EXAMPLE.TEST");
    assert.equal(c.dnsCanonicalizeHostname, false);
    assert.equal(c.clockSkewSeconds, 120);
    assert.equal(c.udpPreferenceLimit, 1);
    assert.equal(c.defaultCcacheName, "FILE:/tmp/krb5cc_%{uid}");
    assert.deepEqual(c.kdcs("EXAMPLE.TEST"), [
      { host: "kdc1.example.test", port: 88 },
      { host: "127.0.0.1", port: 61088 },
      { host: "::1", port: 750 },
    ]);
    assert.deepEqual(c.kdcs("OTHER.TEST"), [{ host: "other.test", port: 88 }]);
    assert.deepEqual(c.kdcs("NOPE"), []);
    assert.equal(c.realmOfHost("www.example.test"), "EXAMPLE.TEST");
    assert.equal(c.realmOfHost("a.b.example.test"), "EXAMPLE.TEST");
    assert.equal(c.realmOfHost("example.test"), "EXAMPLE.TEST");
    assert.equal(c.realmOfHost("HOST.OTHER.TEST"), "OTHER.TEST");
    assert.equal(c.realmOfHost("elsewhere.net"), undefined);
  });

  test("defaults when unset: no hostname canonicalization, 300 s skew", () => {
    const c = parseKrb5Conf("[libdefaults]\n");
    assert.equal(c.defaultRealm, undefined);
    assert.equal(c.dnsCanonicalizeHostname, false);
    assert.equal(c.clockSkewSeconds, 300);
    assert.equal(
      parseKrb5Conf("[libdefaults]\n dns_canonicalize_hostname = true\n").dnsCanonicalizeHostname,
      true,
    );
  });

  test("profile structure: includes reported, nested subsections, repeated tags", () => {
    const p = parseProfile(SAMPLE);
    assert.deepEqual(p.includes, [
      { kind: "include", path: "/etc/krb5.conf.d/extra.conf" },
      { kind: "includedir", path: "/etc/krb5.conf.d/" },
    ]);
    assert.deepEqual(profileValues(p, ["realms", "EXAMPLE.TEST", "auth_to_local", "nested"]), ["value"]);
    assert.equal(profileValues(p, ["realms", "EXAMPLE.TEST", "kdc"]).length, 3);
  });

  test("syntax errors name the line", () => {
    assert.throws(() => parseProfile("kdc = x\n"), { code: "ERR_KRB_MALFORMED", message: /line 1/ });
    assert.throws(() => parseProfile("[realms]\n R = {\n kdc = x\n"), {
      code: "ERR_KRB_MALFORMED",
      message: /not closed/,
    });
    assert.throws(() => parseProfile("[realms]\n}\n"), { code: "ERR_KRB_MALFORMED", message: /line 2/ });
    assert.throws(() => parseProfile("[realms]\n just words\n"), {
      code: "ERR_KRB_MALFORMED",
      message: /tag = value/,
    });
  });

  test("KDC addresses", () => {
    assert.deepEqual(parseKdcAddress("kdc.example.test:8888"), { host: "kdc.example.test", port: 8888 });
    assert.deepEqual(parseKdcAddress("tcp/kdc.example.test"), {
      host: "kdc.example.test",
      port: 88,
      transport: "tcp",
    });
    assert.deepEqual(parseKdcAddress("udp/[::1]:99"), { host: "::1", port: 99, transport: "udp" });
    assert.deepEqual(parseKdcAddress("[2001:db8::1]"), { host: "2001:db8::1", port: 88 });
  });
});
