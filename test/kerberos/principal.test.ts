/** Principal names: parsing and display as MIT writes them. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { defaultSalt, formatPrincipal, parsePrincipal, samePrincipal } from "../../src/kerberos/principal.js";

test("parse and format, with escapes and the default realm", () => {
  const http = parsePrincipal("HTTP/host.example.test@EXAMPLE.TEST");
  assert.deepEqual(http, {
    realm: "EXAMPLE.TEST",
    name: { nameType: 1, components: ["HTTP", "host.example.test"] },
  });
  assert.equal(formatPrincipal(http), "HTTP/host.example.test@EXAMPLE.TEST");
  assert.equal(parsePrincipal("krbtgt/R@R").name.nameType, 2);
  assert.deepEqual(parsePrincipal("alice", "DEF.REALM").realm, "DEF.REALM");
  const odd = parsePrincipal("a\\/b\\@c@R");
  assert.deepEqual(odd.name.components, ["a/b@c"]);
  assert.equal(formatPrincipal(odd), "a\\/b\\@c@R");
  assert.equal(defaultSalt(http), "EXAMPLE.TESTHTTPhost.example.test");
  assert.ok(
    samePrincipal(http, {
      realm: "EXAMPLE.TEST",
      name: { nameType: 3, components: ["HTTP", "host.example.test"] },
    }),
  );
  assert.ok(!samePrincipal(http, parsePrincipal("HTTP/other@EXAMPLE.TEST")));
});
