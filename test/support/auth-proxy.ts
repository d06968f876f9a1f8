/**
 * A small forward HTTP proxy that asks for `407 Proxy-Authenticate: NTLM` (or Negotiate) and
 * checks the answer through the real SSPI package (the API's {@link HttpAuthAcceptor}), per
 * connection as proxies that use NTLM do, then forwards the request to its absolute-form URL.
 * Loopback only; `close()` ends it.
 *
 * @module
 */
import { once } from "node:events";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { HttpAuthScheme } from "../../src/api/http-auth-scheme.js";
import { HttpAuthAcceptor, type HttpConnectionAuth } from "../../src/api/http-server-auth.js";

export interface AuthProxy {
  port: number;
  /** One line per authentication or refusal. */
  log: string[];
  close(): Promise<void>;
}

export async function startAuthProxy(scheme: HttpAuthScheme, authData: unknown): Promise<AuthProxy> {
  const acceptor = await HttpAuthAcceptor.create({ package: scheme, authData });
  const connections = new WeakMap<Socket, HttpConnectionAuth>();
  const log: string[] = [];
  const forward = (req: IncomingMessage, res: ServerResponse, user: string) => {
    const headers = { ...req.headers, "x-proxy-user": user };
    delete headers["proxy-authorization"];
    const upstream = http.request(req.url!, { method: req.method, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  };
  const server = http.createServer((req, res) => {
    let auth = connections.get(req.socket);
    if (auth === undefined) {
      auth = acceptor.forConnection(null);
      connections.set(req.socket, auth);
    }
    auth.authorize(req.headers["proxy-authorization"]).then((verdict) => {
      if (verdict.kind === "challenge") {
        if (verdict.error) log.push(`refused: ${verdict.error.statusName}`);
        req.resume();
        res.writeHead(407, { "Proxy-Authenticate": verdict.header, "Content-Length": 0 });
        res.end();
        return;
      }
      log.push(`authenticated ${verdict.user} (${verdict.package})`);
      forward(req, res, verdict.user);
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as { port: number }).port,
    log,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await acceptor.close();
    },
  };
}
