/**
 * Docs that run (issue 12): every ```ts block of README.md is a complete program. Each is
 * compiled under strict TypeScript (importing "async-sspi" and "async-sspi/devcert" as a user
 * would, through the package's own exports) and executed; it must exit 0. Before this test the
 * first block did not compile and the token snippet's last line threw.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import ts from "typescript";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../../", import.meta.url));
const readme = readFileSync(join(root, "README.md"), "utf8");
const blocks = [...readme.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => ({
  code: m[1]!,
  heading: [...readme.slice(0, m.index).matchAll(/^## (.*)$/gm)].at(-1)?.[1] ?? "top",
}));
// Inside the package (dist/ is not published), so "async-sspi" resolves to this package's exports.
const dir = join(root, "dist", "readme-snippets");

/** What each block prints, by the heading it follows. */
const EXPECTED: Array<[RegExp, RegExp]> = [
  [
    /createTlsServer/,
    /http\/1\.1 true[\s\S]*hello over TLSv1\.3[\s\S]*closed with close_notify[\s\S]*ERR_TLS_CERT_ALTNAME_INVALID SEC_E_WRONG_PRINCIPAL/,
  ],
  [/overPort/, /TLSv1\.3 hello/],
  [/issueCertificate/, /CN=localhost [0-9A-F:]+\ntrue true/],
  [
    /SspiInitializeSecurityContextAsync/,
    /SEC_E_OK \(0x00000000\) SEC_I_CONTINUE_NEEDED[\s\S]*send the ClientHello: \d+ bytes/,
  ],
  [/EncryptMessage/, /EncryptMessage SEC_E_OK[\s\S]*DecryptMessage SEC_E_OK \(0x00000000\) hello/],
  [/paCred/, /SEC_E_OK \(0x00000000\)\nSEC_E_OK \(0x00000000\)/],
  [/NegotiateDispatcher/, /^200 hello TESTDOM\\alice \(NTLM\)$/m],
];

test("README.md: every ts block compiles under strict TypeScript", () => {
  assert.ok(blocks.length >= 6, `found ${blocks.length} ts blocks`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const files = blocks.map(({ code }, i) => {
    const file = join(dir, `block-${i + 1}.ts`);
    writeFileSync(file, code);
    return file;
  });
  const program = ts.createProgram(files, {
    strict: true,
    target: ts.ScriptTarget.ES2022,
    lib: ["lib.es2022.d.ts", "lib.esnext.disposable.d.ts"],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: ["node"],
    typeRoots: [join(root, "node_modules", "@types")],
    skipLibCheck: true,
    rootDir: dir,
    outDir: dir,
  });
  const emitted = program.emit();
  const problems = [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics].map((d) => {
    const where = d.file
      ? `${d.file.fileName.slice(dir.length + 1)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}`
      : "";
    return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
  });
  assert.deepEqual(problems, []);
});

for (const [i, { code, heading }] of blocks.entries()) {
  const expected = EXPECTED.find(([marker]) => marker.test(code))?.[1];
  test(`README.md ts block ${i + 1} runs ("${heading}")`, async () => {
    const { stdout } = await run(process.execPath, [join(dir, `block-${i + 1}.js`)], { timeout: 30_000 });
    assert.ok(expected, `no expectation for block ${i + 1}`);
    assert.match(stdout, expected);
  });
}
