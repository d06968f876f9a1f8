/**
 * HTTP Negotiate with Kerberos against a real MIT KDC started on loopback (`kinit` into a
 * temporary credential cache): our fetch dispatcher (the cache as default credentials) →
 * `async-sspi serve --http --auth negotiate --keytab FILE --channel-binding require` over HTTPS,
 * mutual authentication verified; `curl --negotiate -u : --cacert CA` → the same server;
 * `NegotiateAgent` (https.get) → the same server; `async-sspi fetch --auth negotiate` → Apache
 * with mod_auth_gssapi; and Negotiate falling
 * back to NTLM when the server has only an NTLM user file.
 */
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import https from "node:https";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fetch } from "undici";
import { type AuthOutcome, NegotiateDispatcher } from "../../../src/fetch/index.js";
import { NegotiateAgent } from "../../../src/index.js";
import {
  cli,
  kill,
  type RunningServe,
  runProcess,
  type Spawned,
  spawnProcess,
  startServe,
  tempDir,
  waitFor,
} from "../../cli/serve-support.js";
import { requirePeer } from "../../ntlm/support/line-peer.js";
import { writeApacheGssapiConf } from "../../support/apache-gssapi.js";
import { type KerberosRealm, REALM, startKerberosRealm } from "../../support/kerberos-sspi.js";
import { mitKrb5Installed, requireMitKrb5 } from "../../support/mit-kdc.js";
import { freePort, spawnPeer } from "../../support/peers.js";

const CURL = {
  what: "curl with SPNEGO support (Debian package curl)",
  probe: ["sh", "-c", "curl -V | grep -q SPNEGO"],
};
const APACHE = {
  what: "Apache with mod_auth_gssapi (Debian packages apache2 libapache2-mod-auth-gssapi)",
  probe: ["test", "-f", "/usr/lib/apache2/modules/mod_auth_gssapi.so"],
};

const dir = tempDir();
let realm: KerberosRealm | undefined;
let serve: RunningServe | undefined;
const saved = { KRB5_CONFIG: process.env.KRB5_CONFIG, KRB5CCNAME: process.env.KRB5CCNAME };

before(async () => {
  if (!mitKrb5Installed()) return;
  realm = await startKerberosRealm();
  realm.kdc.run("kinit", ["alice"], "alicepw\n");
  // The client side of this process and the processes it starts use the realm's krb5.conf and
  // alice's credential cache, as after `kinit` in a shell.
  process.env.KRB5_CONFIG = realm.kdc.env.KRB5_CONFIG;
  process.env.KRB5CCNAME = realm.kdc.env.KRB5CCNAME;
  serve = await startServe(
    ["--http", "--auth", "negotiate", "--keytab", realm.serviceKeytab, "--channel-binding", "require"],
    dir.path,
  );
});
after(async () => {
  await kill(serve);
  await realm?.stop();
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  dir.remove();
});

const userOnPage = (page: string) => /Authenticated user<\/th><td>([^<]*)</.exec(page)?.[1];
const packageOnPage = (page: string) => /Authentication package<\/th><td>([^<]*)</.exec(page)?.[1];

describe("HTTP Negotiate (Kerberos) → async-sspi serve --auth negotiate --keytab", () => {
  it("our fetch with kinit's credential cache: Kerberos, channel bindings required, mutual authentication", async (t) => {
    if (!requireMitKrb5(t) || !serve) return;
    const outcomes: AuthOutcome[] = [];
    const dispatcher = new NegotiateDispatcher({
      auth: "negotiate",
      connect: { ca: readFileSync(serve.caFile) },
      onAuthenticated: (o) => outcomes.push(o),
    });
    try {
      const response = await fetch(`https://localhost:${serve.port}/`, { dispatcher });
      assert.equal(response.status, 200);
      const page = await response.text();
      assert.equal(userOnPage(page), `alice@${REALM}`);
      assert.equal(packageOnPage(page), "Kerberos");
      assert.deepEqual(
        outcomes.map((o) => [o.scheme, o.package, o.status, o.mutual]),
        [["Negotiate", "Kerberos", 200, true]],
      );
      await waitFor(
        serve.stdout,
        new RegExp(`Kerberos authenticated alice@${REALM} \\(channel bindings checked\\)`),
      );
    } finally {
      await dispatcher.close();
    }
  });

  it("https.get with NegotiateAgent: the connection authenticated with Kerberos, mutual authentication verified", async (t) => {
    if (!requireMitKrb5(t) || !serve) return;
    const agent = new NegotiateAgent({ auth: "negotiate", ca: readFileSync(serve.caFile) });
    try {
      const page = await new Promise<string>((resolve, reject) => {
        https
          .get(`https://localhost:${serve!.port}/agent`, { agent }, (response) => {
            let text = "";
            response.setEncoding("utf8").on("data", (d: string) => {
              text += d;
            });
            response.on("end", () => resolve(text));
          })
          .on("error", reject);
      });
      assert.equal(userOnPage(page), `alice@${REALM}`);
      assert.equal(packageOnPage(page), "Kerberos");
    } finally {
      agent.destroy();
    }
  });

  it("curl --negotiate -u : --cacert CA", async (t) => {
    if (!requireMitKrb5(t) || !serve || !requirePeer(t, CURL.what, CURL.probe)) return;
    // curl sends no channel bindings: a server that allows their absence.
    const allowing = await startServe(
      ["--http", "--auth", "negotiate", "--keytab", realm!.serviceKeytab],
      dir.path,
    );
    try {
      const curl = spawnPeer(
        "curl",
        [
          "-s",
          "--max-time",
          "20",
          "--negotiate",
          "-u",
          ":",
          "--cacert",
          allowing.caFile,
          "-w",
          "\\n%{http_code} %{num_connects}",
          `https://localhost:${allowing.port}/`,
        ],
        30_000,
      );
      await curl.exited;
      const out = curl.output();
      assert.match(out, /\n200 1$/, out);
      assert.equal(userOnPage(out), `alice@${REALM}`);
      assert.equal(packageOnPage(out), "Kerberos");
    } finally {
      await kill(allowing);
    }
  });

  it("Negotiate falls back to NTLM when the server has only an NTLM user file", async (t) => {
    if (!requireMitKrb5(t) || !serve) return;
    const users = join(dir.path, "users.txt");
    writeFileSync(users, "TESTDOM:carol:carolpw\n");
    const ntlmOnly = await startServe(["--http", "--auth", "negotiate", "--ntlm-users", users], dir.path);
    try {
      const r = await runProcess(
        process.execPath,
        [
          cli,
          "fetch",
          `https://localhost:${ntlmOnly.port}/`,
          "--ca",
          ntlmOnly.caFile,
          "--auth",
          "negotiate",
          "-v",
        ],
        { env: { ...process.env, KRB5CCNAME: "FILE:/nonexistent/ccache", NTLM_USER_FILE: users } },
      );
      assert.equal(r.code, 0, r.stderr);
      assert.equal(userOnPage(r.stdout), "TESTDOM\\carol");
      assert.equal(packageOnPage(r.stdout), "NTLM");
      assert.match(r.stderr, /\* Negotiate \(NTLM\): authenticated to the server/);
    } finally {
      await kill(ntlmOnly);
    }
  });
});

describe("async-sspi fetch --auth negotiate → Apache mod_auth_gssapi", () => {
  it("kinit's credential cache; the body Apache serves; mutual authentication", async (t) => {
    if (!requireMitKrb5(t) || !realm || !requirePeer(t, APACHE.what, APACHE.probe)) return;
    const root = join(dir.path, "apache");
    mkdirSync(join(root, "logs"), { recursive: true });
    writeFileSync(join(root, "index.html"), "hello from apache\n");
    // Apache's workers run as nobody: they read the keytab and the pages.
    for (const path of [dir.path, root, realm.kdc.dir]) chmodSync(path, 0o755);
    chmodSync(realm.serviceKeytab, 0o644);
    const port = await freePort();
    const conf = writeApacheGssapiConf(root, port, realm.serviceKeytab);
    let apache: Spawned | undefined;
    try {
      apache = spawnProcess("apache2", ["-X", "-f", conf], { ...process.env, APACHE_RUN_DIR: root });
      await waitForListening(port, apache);
      const r = await runProcess(process.execPath, [
        cli,
        "fetch",
        `http://localhost:${port}/index.html`,
        "--auth",
        "negotiate",
        "-v",
      ]);
      assert.equal(r.code, 0, `${r.stderr}\n${readFileSync(join(root, "logs", "error.log"), "utf8")}`);
      assert.equal(r.stdout, "hello from apache\n");
      assert.match(
        r.stderr,
        /\* Negotiate \(Kerberos\): authenticated to the server; the server proved its identity/,
      );
    } finally {
      await kill(apache);
    }
  });
});

async function waitForListening(port: number, process: Spawned): Promise<void> {
  const { connect } = await import("node:net");
  for (let tries = 0; tries < 200; tries++) {
    if (process.child.exitCode !== null) throw new Error(`apache2 exited: ${process.stderr()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, "127.0.0.1");
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`apache2 did not listen on ${port}`);
}
