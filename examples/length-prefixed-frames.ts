/**
 * TLS inside another protocol's frames, as TDS (SQL Server), EAP-TLS or LDAP-over-SASL carry it:
 * every TLS byte travels in a frame `[4-byte big-endian length][payload]` over TCP, and the
 * application data goes in the same frames once the handshake is done. `handshake({ send,
 * receive })` runs the whole handshake over those frames; `encrypt()` / `decrypt()` do the rest.
 *
 *   npm run build && node dist/examples/length-prefixed-frames.js
 */
import { once } from "node:events";
import { type AddressInfo, connect, createServer, type Socket } from "node:net";
import { acquireTlsCredentials, type HandshakeIo, TlsContext } from "async-sspi";
import { createDevelopmentCertificate } from "async-sspi/devcert";

/** Length-prefixed frames over a socket: `send` one frame, `receive` the next frame's payload (null at the end). */
function frames(socket: Socket): HandshakeIo {
  let buffered = Buffer.alloc(0);
  let ended = false;
  let wake: (() => void) | null = null;
  socket.on("data", (data: Buffer) => {
    buffered = Buffer.concat([buffered, data]);
    wake?.();
  });
  socket.on("end", () => {
    ended = true;
    wake?.();
  });
  return {
    send(bytes) {
      const head = Buffer.alloc(4);
      head.writeUInt32BE(bytes.byteLength);
      socket.write(Buffer.concat([head, bytes]));
    },
    async receive() {
      for (;;) {
        if (buffered.length >= 4 && buffered.length >= 4 + buffered.readUInt32BE(0)) {
          const payload = buffered.subarray(4, 4 + buffered.readUInt32BE(0));
          buffered = buffered.subarray(4 + payload.length);
          return payload;
        }
        if (ended) return null;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    },
  };
}

/** Decrypts frames until one carries application data (TLS 1.3 session tickets carry none). */
async function nextMessage(
  context: TlsContext,
  io: HandshakeIo,
  leftover: Uint8Array,
): Promise<string | null> {
  let pending = leftover;
  for (;;) {
    const frame = await io.receive();
    if (frame === null) return null;
    const { plaintext, rest, closed } = await context.decrypt(Buffer.concat([pending, frame]));
    pending = rest;
    if (plaintext.byteLength > 0) return Buffer.from(plaintext).toString();
    if (closed) return null;
  }
}

const { ca, server: certificate } = await createDevelopmentCertificate();
const serverCredentials = await acquireTlsCredentials({
  role: "server",
  cert: certificate.certificate,
  key: certificate.privateKey,
});
const clientCredentials = await acquireTlsCredentials({ role: "client", ca: ca.certificate });

// The server: one TLS context per connection, driven over the frames.
const server = createServer(async (socket) => {
  const io = frames(socket);
  const context = new TlsContext(serverCredentials);
  const leftover = await context.handshake(io);
  const question = await nextMessage(context, io, leftover);
  io.send(context.encrypt(Buffer.from(`you said: ${question}`)));
  io.send(await context.shutdown()); // close_notify, in a frame like everything else
  socket.end();
  await context.close();
});
server.listen(0, "127.0.0.1");
await once(server, "listening");

// The client.
const socket = connect((server.address() as AddressInfo).port, "127.0.0.1");
await once(socket, "connect");
const io = frames(socket);
const context = new TlsContext(clientCredentials, { serverName: "localhost" });
const leftover = await context.handshake(io);
console.log(`handshake over frames: ${context.protocol} ${context.cipherSuite}`);
io.send(context.encrypt(Buffer.from("hello")));
console.log(`answer: ${await nextMessage(context, io, leftover)}`);
socket.end();
await context.close();
server.close();
await Promise.all([serverCredentials.close(), clientCredentials.close()]);
