/**
 * Apache 2.4 with mod_auth_gssapi as an HTTP Negotiate (Kerberos) server on loopback: writes its
 * configuration for `apache2 -X -f FILE` (one process, in the foreground, killed by the test).
 * Needs the Debian packages apache2 and libapache2-mod-auth-gssapi.
 *
 * @module
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Writes `root/httpd.conf`: Apache on 127.0.0.1:`port` serving `root`, every location behind
 * `AuthType GSSAPI` with the service keys of `keytab`, authenticated per connection (`GssapiConnectionBound`).
 *
 * @returns the configuration file's path.
 */
export function writeApacheGssapiConf(root: string, port: number, keytab: string): string {
  const modules = "/usr/lib/apache2/modules";
  const conf = [
    `ServerRoot ${root}`,
    `Listen 127.0.0.1:${port}`,
    "ServerName localhost",
    `PidFile ${join(root, "httpd.pid")}`,
    `ErrorLog ${join(root, "logs", "error.log")}`,
    "LogLevel info auth_gssapi:debug",
    `LoadModule mpm_event_module ${modules}/mod_mpm_event.so`,
    `LoadModule authn_core_module ${modules}/mod_authn_core.so`,
    `LoadModule authz_core_module ${modules}/mod_authz_core.so`,
    `LoadModule authz_user_module ${modules}/mod_authz_user.so`,
    `LoadModule auth_gssapi_module ${modules}/mod_auth_gssapi.so`,
    "User nobody",
    "Group nogroup",
    `DocumentRoot ${root}`,
    '<Location "/">',
    "    AuthType GSSAPI",
    '    AuthName "async-sspi test"',
    `    GssapiCredStore keytab:${keytab}`,
    "    GssapiConnectionBound On",
    "    GssapiLocalName Off",
    "    Require valid-user",
    "</Location>",
    "",
  ].join("\n");
  const file = join(root, "httpd.conf");
  writeFileSync(file, conf);
  return file;
}
