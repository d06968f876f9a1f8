/**
 * One TLS server process of a test fleet (started by fleet-member.ts through `fork`): a
 * `createTlsServer` with the given certificate and a `redisTicketKeys` provider whose clock the
 * parent sets. Every connection is answered with the member's name, then close_notify.
 *
 * Messages from the parent: `{ clock: ms }` sets the clock and refreshes the keys; `{ stop: true }`.
 * Messages to the parent: `listening`, `refreshed` (key ids and state), `log` (the provider's messages).
 *
 * @module
 */
import type { AddressInfo } from "node:net";
import { createTlsServer, type RedisTicketKeys, redisTicketKeys } from "../../src/api/index.js";
import { childOnly } from "./child.js";

childOnly();

interface Config {
  name: string;
  url: string;
  prefix: string;
  rotationSeconds: number;
  graceSeconds: number;
  clock: number;
  certificate: string;
  privateKey: string;
  ca: string;
}

const config = JSON.parse(process.env.FLEET_MEMBER!) as Config;
const send = (message: object) => process.send!(message);
let clock = config.clock;
const keys: RedisTicketKeys = await redisTicketKeys({
  url: config.url,
  prefix: config.prefix,
  rotationSeconds: config.rotationSeconds,
  graceSeconds: config.graceSeconds,
  tls: { ca: config.ca },
  timeoutMs: 2000,
  now: () => clock,
  log: (message) => send({ event: "log", message }),
});
const server = createTlsServer(
  { cert: config.certificate, key: config.privateKey, ticketKeyProvider: keys },
  (stream) => {
    stream.on("error", () => {});
    stream.end(config.name);
    stream.resume();
  },
);
server.listen(0, "127.0.0.1", () => {
  send({ event: "listening", port: (server.address() as AddressInfo).port, keyIds: keys.keyIds });
});
process.on("message", async (message: { clock?: number; stop?: boolean }) => {
  if (message.clock !== undefined) {
    clock = message.clock;
    await keys.refresh();
    send({ event: "refreshed", keyIds: keys.keyIds, state: keys.state.kind });
  }
  if (message.stop) {
    server.close();
    server.closeAllConnections();
    await keys.close();
    process.disconnect();
  }
});
// The parent went away: never outlive it.
process.on("disconnect", () => process.exit(0));
