/**
 * AS and TGS exchanges over TCP and UDP against a real MIT KDC started on 127.0.0.1 in a
 * temporary directory; service tickets decrypted with keytabs kadmin.local wrote.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { TICKET_FLAGS } from "../../src/kerberos/asn1/constants.js";
import { requestTicketGrantingTicket } from "../../src/kerberos/client/as-exchange.js";
import { fromCachedCredential } from "../../src/kerberos/client/credential.js";
import { KdcError } from "../../src/kerberos/client/kdc-error.js";
import type { KdcAddress } from "../../src/kerberos/client/kdc-transport.js";
import { requestServiceTicket } from "../../src/kerberos/client/tgs-exchange.js";
import { readKrb5Conf } from "../../src/kerberos/config/krb5-conf.js";
import { KerberosError } from "../../src/kerberos/errors.js";
import { readCredentialCache } from "../../src/kerberos/files/ccache.js";
import { readKeytabFile } from "../../src/kerberos/files/keytab.js";
import { formatPrincipal, parsePrincipal } from "../../src/kerberos/principal.js";
import { decryptServiceTicket } from "../../src/kerberos/service-ticket.js";
import { statusForKerberosError } from "../../src/kerberos/status-mapping.js";
import {
  SEC_E_LOGON_DENIED,
  SEC_E_NO_AUTHENTICATING_AUTHORITY,
  SEC_E_TARGET_UNKNOWN,
} from "../../src/sspi/status.js";
import { type MitKdc, mitKrb5Installed, requireMitKrb5, startMitKdc } from "../support/mit-kdc.js";
import { freePort } from "../support/peers.js";

const REALM = "EXAMPLE.TEST";
const principal = (s: string) => parsePrincipal(s, REALM);
const password = (p: string) => ({ kind: "password", password: p }) as const;

describe("AS and TGS exchanges with a real MIT KDC", () => {
  let kdc: MitKdc | undefined;
  let tcp: KdcAddress;
  before(async () => {
    if (!mitKrb5Installed()) return;
    kdc = await startMitKdc(REALM);
    // The KDC address comes from the krb5.conf MIT's own tools use in this realm.
    const conf = await readKrb5Conf(kdc.env);
    assert.equal(conf?.defaultRealm, REALM);
    const [address] = conf!.kdcs(REALM);
    assert.deepEqual(address, { host: "127.0.0.1", port: kdc.port });
    tcp = { ...address!, transport: "tcp", timeoutMs: 5000 };
    const k = kdc;
    k.kadmin("addprinc -pw alicepw +requires_preauth alice");
    k.kadmin("addprinc -pw carolpw +requires_preauth -e aes128-cts-hmac-sha256-128:normal carol");
    k.kadmin("addprinc -pw davepw +requires_preauth -e aes256-cts-hmac-sha1-96:norealm dave");
    k.kadmin("addprinc -pw robpw +requires_preauth -e arcfour-hmac:normal rob");
    k.kadmin("addprinc -pw erinpw erin");
    k.kadmin("addprinc -randkey HTTP/localhost");
    k.kadmin(`ktadd -k ${join(k.dir, "service.keytab")} HTTP/localhost`);
    k.kadmin(`ktadd -k ${join(k.dir, "alice.keytab")} -norandkey alice`);
    const sha2 = "aes256-cts-hmac-sha384-192:normal,aes128-cts-hmac-sha256-128:normal";
    k.kadmin(`addprinc -randkey -e ${sha2} HTTP/sha2.example.test`);
    k.kadmin(`ktadd -k ${join(k.dir, "sha2.keytab")} -e ${sha2} HTTP/sha2.example.test`);
    k.kadmin("addprinc -randkey -e arcfour-hmac:normal HTTP/rc4.example.test");
    k.kadmin(`ktadd -k ${join(k.dir, "rc4.keytab")} -e arcfour-hmac:normal HTTP/rc4.example.test`);
  });
  after(async () => kdc?.stop());

  test("password + PA-ENC-TIMESTAMP → TGT → service ticket that the service keytab decrypts", async (t) => {
    if (!requireMitKrb5(t) || !kdc) return;
    const as = await requestTicketGrantingTicket({
      client: principal("alice"),
      secret: password("alicepw"),
      kdc: tcp,
    });
    assert.equal(as.preauthenticated, true, "alice requires pre-authentication");
    assert.equal(as.salt, "EXAMPLE.TESTalice");
    assert.equal(formatPrincipal(as.credential.server), "krbtgt/EXAMPLE.TEST@EXAMPLE.TEST");
    assert.ok(as.credential.flags & TICKET_FLAGS.PRE_AUTHENT && as.credential.flags & TICKET_FLAGS.INITIAL);
    assert.ok(as.credential.endTime > new Date());

    const tgs = await requestServiceTicket({
      tgt: as.credential,
      server: principal("HTTP/localhost"),
      kdc: tcp,
    });
    assert.equal(formatPrincipal(tgs.credential.server), "HTTP/localhost@EXAMPLE.TEST");
    const keytab = await readKeytabFile(join(kdc.dir, "service.keytab"));
    const part = decryptServiceTicket(tgs.credential.ticket, keytab);
    assert.equal(formatPrincipal({ realm: part.crealm, name: part.cname }), "alice@EXAMPLE.TEST");
    assert.deepEqual(
      part.key,
      tgs.credential.sessionKey,
      "the ticket carries the session key the TGS-REP gave us",
    );
    assert.ok(part.flags & TICKET_FLAGS.PRE_AUTHENT);
    assert.ok(
      part.authorizationData && part.authorizationData.length > 0,
      "MIT 1.20 puts a PAC in the ticket",
    );
  });

  test("salt and etype come from ETYPE-INFO2: aes128-sha256 only, a norealm salt, rc4-hmac", async (t) => {
    if (!requireMitKrb5(t) || !kdc) return;
    const carol = await requestTicketGrantingTicket({
      client: principal("carol"),
      secret: password("carolpw"),
      kdc: tcp,
    });
    assert.equal(carol.clientKey.etype, 19);
    const dave = await requestTicketGrantingTicket({
      client: principal("dave"),
      secret: password("davepw"),
      kdc: tcp,
    });
    assert.equal(dave.clientKey.etype, 18);
    assert.equal(dave.salt, "dave", "norealm salt, which only ETYPE-INFO2 can tell");
    const rob = await requestTicketGrantingTicket({
      client: principal("rob"),
      secret: password("robpw"),
      kdc: tcp,
    });
    assert.equal(rob.clientKey.etype, 23);
    assert.ok(rob.preauthenticated && carol.preauthenticated && dave.preauthenticated);
  });

  test("a principal without +requires_preauth gets its TGT on the first AS-REQ", async (t) => {
    if (!requireMitKrb5(t) || !kdc) return;
    const erin = await requestTicketGrantingTicket({
      client: principal("erin"),
      secret: password("erinpw"),
      kdc: tcp,
    });
    assert.equal(erin.preauthenticated, false);
    assert.equal(formatPrincipal(erin.credential.client), "erin@EXAMPLE.TEST");
  });

  test("client keytab written by kadmin.local instead of a password", async (t) => {
    if (!requireMitKrb5(t) || !kdc) return;
    const entries = await readKeytabFile(join(kdc.dir, "alice.keytab"));
    const as = await requestTicketGrantingTicket({
      client: principal("alice"),
      secret: { kind: "keytab", entries },
      kdc: tcp,
    });
    assert.equal(formatPrincipal(as.credential.client), "alice@EXAMPLE.TEST");
  });

  test("AES-SHA2-only and RC4-only services: tickets in those etypes, decrypted with their keytabs", async (t) => {
    if (!requireMitKrb5(t) || !kdc) return;
    const as = await requestTicketGrantingTicket({
      client: principal("alice"),
      secret: password("alicepw"),
      kdc: tcp,
    });
    for (const [name, file, etypes] of [
      ["HTTP/sha2.example.test", "sha2.keytab", [20, 19]],
      ["HTTP/rc4.example.test", "rc4.keytab", [23]],
    ] as const) {
      const tgs = await requestServiceTicket({ tgt: as.credential, server: principal(name), kdc: tcp });
      assert.ok(
        (etypes as readonly number[]).includes(tgs.credential.ticket.encPart.etype),
        `${name} ticket etype`,
      );
      const part = decryptServiceTicket(tgs.credential.ticket, await readKeytabFile(join(kdc.dir, file)));
      assert.deepEqual(part.key, tgs.credential.sessionKey);
    }
  });

  test("a TGT from kinit's credential cache works for our TGS exchange", async (t) => {
    if (!requireMitKrb5(t) || !kdc) return;
    kdc.run("kinit", ["alice"], "alicepw\n");
    const cache = await readCredentialCache(kdc.env.KRB5CCNAME!);
    const tgt = cache.credentials.find((c) => c.server.name.components[0] === "krbtgt");
    assert.ok(tgt, "kinit stored a TGT");
    const tgs = await requestServiceTicket({
      tgt: fromCachedCredential(tgt),
      server: principal("HTTP/localhost"),
      kdc: tcp,
    });
    const part = decryptServiceTicket(
      tgs.credential.ticket,
      await readKeytabFile(join(kdc.dir, "service.keytab")),
    );
    assert.equal(part.cname.components[0], "alice");
  });

  test("over UDP too", async (t) => {
    if (!requireMitKrb5(t) || !kdc) return;
    const udp = { ...tcp, transport: "udp" } as const;
    const as = await requestTicketGrantingTicket({
      client: principal("alice"),
      secret: password("alicepw"),
      kdc: udp,
    });
    const tgs = await requestServiceTicket({
      tgt: as.credential,
      server: principal("HTTP/localhost"),
      kdc: { ...tcp, transport: "auto" },
    });
    assert.equal(formatPrincipal(tgs.credential.server), "HTTP/localhost@EXAMPLE.TEST");
  });

  test("refusals are KdcErrors named after the KDC's code", async (t) => {
    if (!requireMitKrb5(t) || !kdc) return;
    await assert.rejects(
      requestTicketGrantingTicket({ client: principal("alice"), secret: password("wrong"), kdc: tcp }),
      (e: unknown) =>
        e instanceof KdcError &&
        e.errorCode === 24 &&
        /KDC_ERR_PREAUTH_FAILED \(24\)/.test(e.message) &&
        statusForKerberosError(e).status === SEC_E_LOGON_DENIED,
    );
    await assert.rejects(
      requestTicketGrantingTicket({ client: principal("nobody"), secret: password("x"), kdc: tcp }),
      (e: unknown) => e instanceof KdcError && e.errorCode === 6 && /C_PRINCIPAL_UNKNOWN/.test(e.message),
    );
    const as = await requestTicketGrantingTicket({
      client: principal("alice"),
      secret: password("alicepw"),
      kdc: tcp,
    });
    await assert.rejects(
      requestServiceTicket({ tgt: as.credential, server: principal("HTTP/nowhere.example.test"), kdc: tcp }),
      (e: unknown) =>
        e instanceof KdcError &&
        e.errorCode === 7 &&
        statusForKerberosError(e).status === SEC_E_TARGET_UNKNOWN,
    );
  });

  test("a KDC that is down is ERR_KRB_TRANSPORT, quickly", async (t) => {
    if (!requireMitKrb5(t) || !kdc) return;
    const nowhere = { host: "127.0.0.1", port: await freePort(), timeoutMs: 1000 };
    const started = Date.now();
    for (const transport of ["tcp", "udp", "auto"] as const) {
      await assert.rejects(
        requestTicketGrantingTicket({
          client: principal("alice"),
          secret: password("alicepw"),
          kdc: { ...nowhere, transport },
        }),
        (e: unknown) =>
          e instanceof KerberosError &&
          e.code === "ERR_KRB_TRANSPORT" &&
          statusForKerberosError(e).status === SEC_E_NO_AUTHENTICATING_AUTHORITY,
      );
    }
    assert.ok(Date.now() - started < 5000);
  });
});
