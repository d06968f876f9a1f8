/**
 * `async-sspi fetch URL`: an HTTP(S) request answering `401 WWW-Authenticate: Negotiate|NTLM`
 * (and a proxy's `407`) like `curl --negotiate` / `curl --ntlm`, through the
 * `async-sspi/fetch` dispatcher. The body goes to stdout; with `-v`, the status, the response
 * headers and the authentication outcome go to stderr.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { AuthOutcome, NegotiateDispatcherOptions } from "../fetch/index.js";
import { SspiError } from "../sspi/sspi-error.js";
import type { Command } from "./main.js";
import { UsageError } from "./tls-flags.js";

/** Exit codes. */
export const FETCH_EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  authentication: 3,
  httpError: 4,
} as const;

const usage = [
  "Usage: async-sspi fetch URL [options]",
  "",
  "Requests URL and answers the server's (or proxy's) Negotiate or NTLM challenge on the same",
  "kept-alive connection, with the HTTPS connection's channel bindings; Kerberos' mutual",
  "authentication is verified. Prints the body to stdout.",
  "",
  "Options:",
  "  --auth S               negotiate | ntlm | any (default: any, Negotiate preferred)",
  "  --user U               the user (DOMAIN\\user or user@REALM); without it the default",
  "                         credentials: the Kerberos credential cache (KRB5CCNAME, kinit),",
  "                         NTLM_USER_FILE for NTLM",
  "  --password-env VAR     the environment variable holding --user's password",
  "  --ca FILE              trust the CA certificates in FILE (PEM) instead of the system's",
  "  --servername NAME      the TLS server name (default: the URL's host)",
  "  --spn NAME             the service principal (default: HTTP/<URL's host>)",
  "  --proxy URL            a forward proxy for http:// URLs (its 407 is answered too)",
  "  -X, --request METHOD   the method (default GET, or POST with --data)",
  "  -d, --data TEXT        the request body",
  "  -H, --header 'N: V'    a request header (repeatable)",
  "  --no-channel-binding   do not send the tls-server-end-point channel binding",
  "  --no-mutual            do not require Kerberos' mutual authentication",
  "  -v, --verbose          status, headers and the authentication outcome on stderr",
  "",
  "Exit codes: 0 success (status < 400), 1 connection, TLS or other failure, 2 usage error,",
  "            3 authentication failed (final 401/407, or the exchange failed), 4 other HTTP error status",
  "",
  "Examples:",
  "  kinit alice@EXAMPLE.COM && async-sspi fetch https://intranet.example.com/ --auth negotiate",
  "  NTLM_PASSWORD=... async-sspi fetch https://iis.example.com/ --auth ntlm --user 'CORP\\alice' --password-env NTLM_PASSWORD",
].join("\n");

interface Parsed {
  url: URL;
  options: NegotiateDispatcherOptions;
  init: { method: string; headers: Array<[string, string]>; body?: string };
  verbose: boolean;
}

function parse(args: string[]): Parsed {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      auth: { type: "string" },
      user: { type: "string" },
      "password-env": { type: "string" },
      ca: { type: "string" },
      servername: { type: "string" },
      spn: { type: "string" },
      proxy: { type: "string" },
      request: { type: "string", short: "X" },
      data: { type: "string", short: "d" },
      header: { type: "string", short: "H", multiple: true },
      "no-channel-binding": { type: "boolean" },
      "no-mutual": { type: "boolean" },
      verbose: { type: "boolean", short: "v" },
    },
  });
  if (positionals.length !== 1) throw new UsageError("give exactly one URL");
  let url: URL;
  try {
    url = new URL(positionals[0]!);
  } catch {
    throw new UsageError(`not a URL: ${positionals[0]}`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new UsageError("the URL must be http(s)://");
  const auth = (values.auth ?? "any").toLowerCase();
  if (auth !== "negotiate" && auth !== "ntlm" && auth !== "any")
    throw new UsageError(`--auth: "${values.auth}" is not negotiate, ntlm or any`);
  if ((values.user === undefined) !== (values["password-env"] === undefined))
    throw new UsageError("--user and --password-env go together (without them: the default credentials)");
  let identity: NegotiateDispatcherOptions["identity"];
  if (values.user !== undefined) {
    const password = process.env[values["password-env"]!];
    if (password === undefined) throw new UsageError(`--password-env: $${values["password-env"]} is not set`);
    identity = { user: values.user, password };
  }
  const headers: Array<[string, string]> = [];
  for (const header of values.header ?? []) {
    const colon = header.indexOf(":");
    if (colon <= 0) throw new UsageError(`--header: "${header}" is not "Name: value"`);
    headers.push([header.slice(0, colon).trim(), header.slice(colon + 1).trim()]);
  }
  const spn = values.spn;
  return {
    url,
    verbose: values.verbose ?? false,
    init: {
      method: values.request ?? (values.data !== undefined ? "POST" : "GET"),
      headers,
      ...(values.data !== undefined ? { body: values.data } : {}),
    },
    options: {
      auth,
      ...(identity ? { identity } : {}),
      ...(spn ? { servicePrincipal: () => spn } : {}),
      ...(values.proxy ? { proxy: values.proxy } : {}),
      channelBindings: !values["no-channel-binding"],
      mutualAuth: !values["no-mutual"],
      connect: {
        ...(values.ca ? { ca: readFileSync(values.ca) } : {}),
        ...(values.servername ? { servername: values.servername } : {}),
      },
    },
  };
}

function describeOutcome(o: AuthOutcome): string {
  const chosen = o.scheme === "Negotiate" ? `Negotiate (${o.package})` : o.package;
  const by = o.by === "proxy" ? "proxy" : "server";
  if (o.status === 401 || o.status === 407)
    return `* ${chosen}: the ${by} refused the authentication (${o.status})`;
  return `* ${chosen}: authenticated to the ${by}${o.mutual ? "; the server proved its identity (mutual authentication)" : ""}`;
}

export const fetchCommand: Command = {
  summary: "an HTTP(S) request with Negotiate/NTLM authentication, like curl --negotiate",
  usage,
  async run(args) {
    let parsed: Parsed;
    try {
      parsed = parse(args);
    } catch (e) {
      if (e instanceof UsageError || (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
        console.error(`async-sspi fetch: ${(e as Error).message}\n\n${usage}`);
        return FETCH_EXIT.usage;
      }
      console.error(`async-sspi fetch: ${(e as Error).message}`);
      return FETCH_EXIT.failed;
    }
    let undici: typeof import("undici");
    let dispatcherModule: typeof import("../fetch/index.js");
    try {
      undici = await import("undici");
      dispatcherModule = await import("../fetch/index.js");
    } catch (e) {
      console.error(
        `async-sspi fetch needs the undici package (npm install undici): ${(e as Error).message}`,
      );
      return FETCH_EXIT.failed;
    }
    const outcomes: AuthOutcome[] = [];
    const dispatcher = new dispatcherModule.NegotiateDispatcher({
      ...parsed.options,
      onAuthenticated: (o) => outcomes.push(o),
    });
    const log = (line: string) => parsed.verbose && process.stderr.write(`${line}\n`);
    try {
      const response = await undici.fetch(parsed.url, { ...parsed.init, dispatcher, redirect: "manual" });
      for (const o of outcomes) log(describeOutcome(o));
      log(`< HTTP ${response.status} ${response.statusText}`);
      for (const [name, value] of response.headers) log(`< ${name}: ${value}`);
      const body = Buffer.from(await response.arrayBuffer());
      await new Promise<void>((resolve) => process.stdout.write(body, () => resolve()));
      if (response.status === 401 || response.status === 407) {
        if (!parsed.verbose)
          console.error(`async-sspi fetch: authentication failed (HTTP ${response.status})`);
        return FETCH_EXIT.authentication;
      }
      return response.status >= 400 ? FETCH_EXIT.httpError : FETCH_EXIT.ok;
    } catch (e) {
      const cause = (e as { cause?: unknown }).cause ?? e;
      if (cause instanceof SspiError) {
        console.error(`async-sspi fetch: authentication failed: ${cause.message}`);
        return FETCH_EXIT.authentication;
      }
      console.error(`async-sspi fetch: ${(cause as Error).message ?? String(cause)}`);
      return FETCH_EXIT.failed;
    } finally {
      await dispatcher.close().catch(() => undefined);
    }
  },
};
