/**
 * `pszTargetName` → the service principal to ask the KDC for. Accepted forms: `service/host@REALM`
 * (an SPN with its realm), `service/host` (Windows' usual form, e.g. `HTTP/web.example.test` or
 * `host/server`), `service/host:port/name` (any number of components) and GSS's hostbased
 * `service@host`. Without a realm, the host's realm comes from krb5.conf `[domain_realm]`, else
 * the client's own realm. Host names are used as given (no DNS canonicalization, as
 * `dns_canonicalize_hostname = false`; no referrals across realms).
 *
 * @module
 */
import { KerberosError } from "../errors.js";
import { NAME_TYPE, type Principal, parsePrincipal } from "../principal.js";

/** The service principal `target` names, for a client of `clientRealm`. */
export function servicePrincipal(
  target: string | null,
  clientRealm: string,
  realmOfHost: (host: string) => string | undefined,
): Principal {
  if (!target)
    throw new KerberosError(
      "ERR_KRB_BAD_ARGUMENT",
      "Kerberos needs a target name (an SPN such as HTTP/host)",
      {
        krbCode: 7,
      },
    );
  const hostbased = /^([^/@\\]+)@([^/@\\]+)$/.exec(target);
  const text = hostbased ? `${hostbased[1]}/${hostbased[2]}` : target;
  const parsed = parsePrincipal(text, "");
  const components = parsed.name.components;
  if (components.length < 2 || components.some((c) => c === ""))
    throw new KerberosError(
      "ERR_KRB_BAD_ARGUMENT",
      `target name "${target}" is not an SPN (service/host[@REALM] or service@host)`,
      { krbCode: 7 },
    );
  const realm = (!hostbased && parsed.realm) || realmOfHost(components[1]!) || clientRealm;
  return { realm, name: { nameType: NAME_TYPE.SRV_INST, components } };
}
