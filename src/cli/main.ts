#!/usr/bin/env node
/**
 * The `async-sspi` command line: `demo` (the main job, `npm start`), `packages`, `--help`,
 * `--version`. Each command lives in its own module; this file only dispatches.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

interface Command {
  summary: string;
  usage: string;
  run(args: string[]): Promise<number>;
}

const commands: Record<string, () => Promise<Command>> = {
  demo: async () => (await import("./demo-command.js")).demoCommand,
  packages: async () => (await import("./packages-command.js")).packagesCommand,
  serve: async () => (await import("./serve-command.js")).serveCommand,
  connect: async () => (await import("./connect-command.js")).connectCommand,
  fetch: async () => (await import("./fetch-command.js")).fetchCommand,
};

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

async function help(): Promise<string> {
  const lines = [
    "async-sspi — Microsoft's asynchronous SSPI for Node.js (TLS in the Schannel role)",
    "",
    "Usage: async-sspi <command> [options]",
    "",
    "Commands:",
  ];
  for (const [name, load] of Object.entries(commands))
    lines.push(`  ${name.padEnd(10)} ${(await load()).summary}`);
  lines.push(
    "",
    "Options:",
    "  -h, --help     show help (also: async-sspi <command> --help)",
    "  -v, --version  print the version",
    "",
    "Examples:",
    "  async-sspi demo                                run a TLS handshake through the async SSPI API on loopback",
    "  async-sspi demo --json                         the same, as JSON",
    "  async-sspi packages                            list the security packages",
    "  async-sspi serve --port 8443                   an HTTPS server on the async SSPI API (dev certificate)",
    "  async-sspi connect host.test:443 --ca ca.pem   like openssl s_client",
    "  async-sspi fetch https://host.test/ --auth negotiate   like curl --negotiate (kinit's credentials)",
  );
  return lines.join("\n");
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first.startsWith("-")) {
    const { values } = parseArgs({
      args: argv,
      options: { help: { type: "boolean", short: "h" }, version: { type: "boolean", short: "v" } },
      strict: false,
    });
    if (values.version) {
      console.log(version());
      return 0;
    }
    console.log(await help());
    return values.help ? 0 : first === undefined ? 0 : 2;
  }
  const load = commands[first];
  if (load === undefined) {
    console.error(`async-sspi: unknown command "${first}". Run "async-sspi --help" for the list.`);
    return 2;
  }
  const command = await load();
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(command.usage);
    return 0;
  }
  return command.run(rest);
}

export type { Command };

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith("/async-sspi")) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
      process.exitCode = 1;
    },
  );
}
