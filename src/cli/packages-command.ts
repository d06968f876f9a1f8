/**
 * `async-sspi packages`: lists security packages as `EnumerateSecurityPackages` reports them.
 *
 * @module
 */
import { parseArgs } from "node:util";
import "../schannel/register.js";
import "../ntlm/register.js";
import {
  box,
  EnumerateSecurityPackages,
  FreeContextBuffer,
  formatStatus,
  SEC_E_OK,
  type SecPkgInfo,
} from "../index.js";
import * as constants from "../sspi/package-constants.js";
import type { Command } from "./main.js";

const FLAG_NAMES = Object.entries(constants)
  .filter(([name]) => name.startsWith("SECPKG_FLAG_"))
  .map(([name, value]) => [name.slice("SECPKG_FLAG_".length), value as number] as const);

/** The capability flag names set in `fCapabilities`. */
export function capabilityNames(fCapabilities: number): string[] {
  return FLAG_NAMES.filter(([, bit]) => (fCapabilities & bit) !== 0).map(([name]) => name);
}

export const packagesCommand: Command = {
  summary: "list the security packages and their capabilities",
  usage: [
    "Usage: async-sspi packages [--json]",
    "",
    "Lists the security packages as EnumerateSecurityPackages reports them.",
    "",
    "Options:",
    "  --json   print the SecPkgInfo array as JSON",
    "",
    "Example:",
    "  async-sspi packages",
  ].join("\n"),
  async run(args) {
    const { values } = parseArgs({ args, options: { json: { type: "boolean" } } });
    const count = box(0);
    const list = box<SecPkgInfo[] | null>(null);
    const status = EnumerateSecurityPackages(count, list);
    if (status !== SEC_E_OK || list.value === null) {
      console.error(`EnumerateSecurityPackages failed: ${formatStatus(status)}`);
      return 1;
    }
    if (values.json) {
      console.log(
        JSON.stringify(
          list.value.map((p) => ({ ...p, capabilities: capabilityNames(p.fCapabilities) })),
          null,
          2,
        ),
      );
    } else {
      for (const p of list.value) {
        console.log(`${p.Name}`);
        console.log(`  ${p.Comment}`);
        console.log(`  version ${p.wVersion}, RPC id ${p.wRPCID}, max token ${p.cbMaxToken} bytes`);
        console.log(
          `  capabilities 0x${p.fCapabilities.toString(16)}: ${capabilityNames(p.fCapabilities).join(", ")}`,
        );
      }
    }
    FreeContextBuffer(list.value);
    return 0;
  },
};
