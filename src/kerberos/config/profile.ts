/**
 * MIT's profile syntax, the format of krb5.conf and kdc.conf: `[section]` headers, `tag = value`
 * relations, `tag = { … }` subsections, comments starting with `#` or `;`, and a trailing `*`
 * that marks a tag final. `include`/`includedir` lines are reported, not followed (the caller
 * decides what to read). Values are kept as strings, repeated tags as repeated entries.
 *
 * @module
 */
import { KerberosError } from "../errors.js";

/** A section or subsection: tag → values (strings or nested subsections), in file order. */
export interface ProfileNode {
  readonly entries: Map<string, Array<string | ProfileNode>>;
}

export interface Profile {
  readonly sections: Map<string, ProfileNode>;
  /** Paths named by `include FILE` / `includedir DIR` lines. */
  readonly includes: ReadonlyArray<{ readonly kind: "include" | "includedir"; readonly path: string }>;
}

function node(): ProfileNode {
  return { entries: new Map() };
}

function add(n: ProfileNode, tag: string, value: string | ProfileNode): void {
  const list = n.entries.get(tag);
  if (list) list.push(value);
  else n.entries.set(tag, [value]);
}

function syntaxError(line: number, why: string): KerberosError {
  return new KerberosError("ERR_KRB_MALFORMED", `malformed krb5.conf line ${line}: ${why}`);
}

/** Parses profile text; `ERR_KRB_MALFORMED` naming the line for syntax errors. */
export function parseProfile(text: string): Profile {
  const sections = new Map<string, ProfileNode>();
  const includes: Array<{ kind: "include" | "includedir"; path: string }> = [];
  let stack: ProfileNode[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    const n = i + 1;
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const inc = /^(include|includedir)\s+(.+)$/.exec(line);
    if (inc && stack.length <= 1) {
      includes.push({ kind: inc[1] as "include" | "includedir", path: inc[2]!.trim() });
      continue;
    }
    const header = /^\[([^\]]+)\]\s*\*?$/.exec(line);
    if (header) {
      if (stack.length > 1) throw syntaxError(n, "section header inside a subsection");
      const name = header[1]!.trim();
      const section = sections.get(name) ?? node();
      sections.set(name, section);
      stack = [section];
      continue;
    }
    if (stack.length === 0) throw syntaxError(n, "relation outside a section");
    if (/^}\s*\*?$/.test(line)) {
      if (stack.length < 2) throw syntaxError(n, "unbalanced }");
      stack.pop();
      continue;
    }
    const relation = /^([^=\s]+)\s*=\s*(.*)$/.exec(line);
    if (!relation) throw syntaxError(n, `expected "tag = value", got "${line}"`);
    const tag = relation[1]!;
    const value = relation[2]!.trim();
    if (value === "{") {
      const child = node();
      add(stack[stack.length - 1]!, tag, child);
      stack.push(child);
    } else {
      add(stack[stack.length - 1]!, tag, value.replace(/^"(.*)"$/, "$1"));
    }
  }
  if (stack.length > 1) throw syntaxError(lines.length, "subsection not closed");
  return { sections, includes };
}

/** The string values of `path` (section, tags…), e.g. `["realms", "EXAMPLE.TEST", "kdc"]`. */
export function profileValues(profile: Profile, path: readonly string[]): string[] {
  let nodes: ProfileNode[] = [];
  const section = profile.sections.get(path[0] ?? "");
  if (section) nodes = [section];
  for (const tag of path.slice(1, -1))
    nodes = nodes.flatMap((n) =>
      (n.entries.get(tag) ?? []).filter((v): v is ProfileNode => typeof v !== "string"),
    );
  const last = path[path.length - 1] ?? "";
  return nodes.flatMap((n) => (n.entries.get(last) ?? []).filter((v): v is string => typeof v === "string"));
}
