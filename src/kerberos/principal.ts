/**
 * Principal names (RFC 4120 §5.2.2, §6.2): a name type and components, qualified by a realm.
 *
 * @module
 */

/** Name types (RFC 4120 §6.2). */
export const NAME_TYPE = {
  UNKNOWN: 0,
  PRINCIPAL: 1,
  SRV_INST: 2,
  SRV_HST: 3,
  ENTERPRISE: 10,
} as const;

/** PrincipalName: name-type and name-string (GeneralStrings, UTF-8 in practice). */
export interface PrincipalName {
  readonly nameType: number;
  readonly components: readonly string[];
}

/** A principal name with its realm. */
export interface Principal {
  readonly realm: string;
  readonly name: PrincipalName;
}

/** `HTTP/host@REALM` — components joined by `/`, `/`, `@` and `\` escaped as MIT does. */
export function formatPrincipal(p: Principal): string {
  const quote = (s: string) => s.replace(/[\\/@]/g, (c) => `\\${c}`);
  return `${p.name.components.map(quote).join("/")}@${p.realm.replace(/[\\@]/g, (c) => `\\${c}`)}`;
}

/**
 * Parses `a/b@REALM` (realm from `defaultRealm` when absent); the name type is PRINCIPAL, or
 * SRV_INST for the `krbtgt` service.
 */
export function parsePrincipal(text: string, defaultRealm = ""): Principal {
  const parts: string[] = [];
  let current = "";
  let realm: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "\\" && i + 1 < text.length) {
      current += text[++i];
    } else if (c === "/" && realm === undefined) {
      parts.push(current);
      current = "";
    } else if (c === "@" && realm === undefined) {
      parts.push(current);
      current = "";
      realm = "";
    } else {
      current += c;
    }
  }
  if (realm === undefined) parts.push(current);
  else realm = current;
  const nameType = parts[0] === "krbtgt" ? NAME_TYPE.SRV_INST : NAME_TYPE.PRINCIPAL;
  return { realm: realm ?? defaultRealm, name: { nameType, components: parts } };
}

/** True when both name the same principal (name types are not compared, as RFC 4120 §6.2 says). */
export function samePrincipal(a: Principal, b: Principal): boolean {
  return (
    a.realm === b.realm &&
    a.name.components.length === b.name.components.length &&
    a.name.components.every((c, i) => c === b.name.components[i])
  );
}

/** The default salt of a principal's password keys (RFC 4120 §4): realm ‖ components. */
export function defaultSalt(p: Principal): string {
  return p.realm + p.name.components.join("");
}
