/**
 * Credential sources: the NTLM user file (gss-ntlmssp's `DOMAIN:user:password`), the server's
 * user store over it or over a callback, and the client's default credentials from
 * `NTLM_USER_FILE`.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { credentialsNtHash, defaultCredentials } from "../../src/ntlm/credentials.js";
import { ntHash, upcase } from "../../src/ntlm/crypto/ntowf.js";
import { NtlmError } from "../../src/ntlm/ntlm-error.js";
import { parseUserFileLines } from "../../src/ntlm/user-file.js";
import { userStoreFromFile, userStoreFromText } from "../../src/ntlm/user-store.js";
import { SEC_E_NO_CREDENTIALS } from "../../src/sspi/status.js";
import { hex } from "./support/bytes.js";

const FILE = "# test users\r\nTESTDOM:alice:alicepw\r\n\r\n:anyone:wild:card\nOTHER:alice:other\n";

describe("NTLM user file", () => {
  it("parses DOMAIN:user:password lines; the password keeps its colons; comments and blanks skipped", () => {
    assert.deepEqual(parseUserFileLines(FILE), [
      { domain: "TESTDOM", user: "alice", password: "alicepw" },
      { domain: "", user: "anyone", password: "wild:card" },
      { domain: "OTHER", user: "alice", password: "other" },
    ]);
  });

  it("names a malformed line by number, never by content", () => {
    assert.throws(
      () => parseUserFileLines("A:b:c\nsecretwithoutcolons\n"),
      (e) =>
        e instanceof NtlmError &&
        e.status === SEC_E_NO_CREDENTIALS &&
        /line 2/.test(e.reason) &&
        !e.message.includes("secret"),
    );
  });

  it("the store matches user and domain case-insensitively; an empty domain matches any", async () => {
    const store = userStoreFromText(FILE);
    assert.equal(hex((await store.lookup("ALICE", "testdom"))!), hex(ntHash("alicepw")));
    assert.equal(hex((await store.lookup("alice", "OTHER"))!), hex(ntHash("other")));
    assert.equal(hex((await store.lookup("anyone", "WHATEVER"))!), hex(ntHash("wild:card")));
    assert.equal(await store.lookup("alice", "NOWHERE"), undefined);
    assert.equal(await store.lookup("nobody", "TESTDOM"), undefined);
  });

  it("reads the file from disk", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ntlm-users-"));
    try {
      const path = join(dir, "users");
      writeFileSync(path, FILE);
      assert.ok(await userStoreFromFile(path).lookup("alice", "TESTDOM"));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("client credentials", () => {
  it("an NT hash stands in for the password; a malformed one is refused", () => {
    assert.equal(
      hex(credentialsNtHash({ User: "u", Domain: "d", Password: "Password" })),
      "a4f49c406510bdcab6824ee7c30fd852",
    );
    assert.equal(hex(credentialsNtHash({ User: "u", Domain: "d", NtHash: ntHash("x") })), hex(ntHash("x")));
    assert.throws(
      () => credentialsNtHash({ User: "u", Domain: "d", NtHash: new Uint8Array(3) }),
      (e) => e instanceof NtlmError && e.kind === "no-credentials",
    );
  });

  it("default credentials come from NTLM_USER_FILE: the first line or the named user", () => {
    const dir = mkdtempSync(join(tmpdir(), "ntlm-users-"));
    try {
      const path = join(dir, "users");
      writeFileSync(path, FILE);
      assert.deepEqual(defaultCredentials(undefined, { NTLM_USER_FILE: path }), {
        User: "alice",
        Domain: "TESTDOM",
        Password: "alicepw",
      });
      assert.deepEqual(defaultCredentials("ANYONE", { NTLM_USER_FILE: path }), {
        User: "anyone",
        Domain: "",
        Password: "wild:card",
      });
      const none = (e: unknown) => e instanceof NtlmError && e.status === SEC_E_NO_CREDENTIALS;
      assert.throws(() => defaultCredentials("zed", { NTLM_USER_FILE: path }), none);
      assert.throws(() => defaultCredentials(undefined, {}), none);
      assert.throws(() => defaultCredentials(undefined, { NTLM_USER_FILE: join(dir, "missing") }), none);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("upper-cases like Windows: one code unit at a time", () => {
    assert.equal(upcase("straße"), "STRAßE");
    assert.equal(upcase("élan"), "ÉLAN");
  });
});
