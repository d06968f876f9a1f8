// npm's `install` script: use a matching prebuild, else build the addon with node-gyp. A failed
// build never fails the installation: one warning line, the compiler output kept in a log file.
// Without the addon the Schannel package reports itself unavailable; everything else works.
"use strict";
const { spawnSync } = require("node:child_process");
const { mkdirSync, writeFileSync } = require("node:fs");
const { join } = require("node:path");

const root = join(__dirname, "..");
try {
  require("node-gyp-build").path(root);
  process.exit(0); // a prebuild or an earlier build matches this Node
} catch {
  // build below
}
const result = spawnSync("node-gyp", ["rebuild"], {
  cwd: root,
  encoding: "utf8",
  shell: process.platform === "win32",
  windowsHide: true,
});
if (result.status === 0) process.exit(0);
const log = join(root, "build", "native-build.log");
try {
  mkdirSync(join(root, "build"), { recursive: true });
  writeFileSync(log, `${result.error ?? ""}\n${result.stdout ?? ""}\n${result.stderr ?? ""}`);
} catch {
  // the warning below still says what happened
}
console.warn(
  `async-sspi: warning: the native TLS engine could not be built (${result.error ? result.error.message : `node-gyp exited with ${result.status}`}; see ${log}); the native Schannel engine will be unavailable.`,
);
