/**
 * KDC transport framing and fallbacks against small local servers on 127.0.0.1: TCP length
 * prefix, UDP datagrams, `auto` falling back to TCP on KRB_ERR_RESPONSE_TOO_BIG and going straight
 * to TCP above the UDP preference limit; bounded failures.
 */
import assert from "node:assert/strict";
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { createServer, type Server, type Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import { encodeKrbError } from "../../src/kerberos/asn1/krb-error.js";
import { sendToKdc } from "../../src/kerberos/client/kdc-transport.js";

const tooBig = encodeKrbError({
  stime: new Date("2026-01-01T00:00:00Z"),
  susec: 0,
  errorCode: 52,
  realm: "R",
  sname: { nameType: 2, components: ["krbtgt", "R"] },
});

describe("KDC transport", () => {
  let tcp: Server;
  let udp: UdpSocket;
  let port: number;
  const seen: string[] = [];

  before(async () => {
    // TCP: echoes the request reversed, length-prefixed, in two chunks to exercise reassembly.
    tcp = createServer((socket) => {
      let buffered = Buffer.alloc(0);
      socket.on("data", (d: Buffer) => {
        buffered = Buffer.concat([buffered, d]);
        if (buffered.length < 4 || buffered.length < 4 + buffered.readUInt32BE(0)) return;
        const request = buffered.subarray(4, 4 + buffered.readUInt32BE(0));
        seen.push(`tcp ${request.length}`);
        const reply = Buffer.from(request).reverse();
        const framed = Buffer.concat([Buffer.from([0, 0, 0, reply.length]), reply]);
        socket.write(framed.subarray(0, 3));
        setTimeout(() => socket.end(framed.subarray(3)), 20);
      });
    });
    await new Promise<void>((resolve) => tcp.listen(0, "127.0.0.1", resolve));
    port = (tcp.address() as { port: number }).port;
    // UDP on the same port: answers RESPONSE_TOO_BIG to requests starting with 0xff, echoes others.
    udp = createSocket("udp4");
    udp.on("message", (msg, rinfo) => {
      seen.push(`udp ${msg.length}`);
      udp.send(msg[0] === 0xff ? tooBig : msg, rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve) => udp.bind(port, "127.0.0.1", resolve));
  });
  after(async () => {
    udp.close();
    await new Promise<void>((resolve) => tcp.close(() => resolve()));
  });

  test("TCP: 4-byte length prefix, reply reassembled from chunks", async () => {
    const reply = await sendToKdc({ host: "127.0.0.1", port, transport: "tcp" }, Uint8Array.of(1, 2, 3));
    assert.deepEqual([...reply], [3, 2, 1]);
  });

  test("UDP: one datagram each way", async () => {
    seen.length = 0;
    const reply = await sendToKdc({ host: "127.0.0.1", port, transport: "udp" }, Uint8Array.of(7, 8));
    assert.deepEqual([...reply], [7, 8]);
    assert.deepEqual(seen, ["udp 2"]);
  });

  test("auto: UDP first, TCP after KRB_ERR_RESPONSE_TOO_BIG", async () => {
    seen.length = 0;
    const reply = await sendToKdc({ host: "127.0.0.1", port, transport: "auto" }, Uint8Array.of(0xff, 1));
    assert.deepEqual([...reply], [1, 0xff]);
    assert.deepEqual(seen, ["udp 2", "tcp 2"]);
  });

  test("auto: above the UDP preference limit, straight to TCP", async () => {
    seen.length = 0;
    await sendToKdc(
      { host: "127.0.0.1", port, transport: "auto", udpPreferenceLimit: 1 },
      Uint8Array.of(5, 6),
    );
    assert.deepEqual(seen, ["tcp 2"]);
  });

  test("a server that never answers is a bounded ERR_KRB_TRANSPORT", async () => {
    const held: Socket[] = [];
    const silent = createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const silentPort = (silent.address() as { port: number }).port;
    const started = Date.now();
    await assert.rejects(
      sendToKdc({ host: "127.0.0.1", port: silentPort, timeoutMs: 300 }, Uint8Array.of(1)),
      {
        code: "ERR_KRB_TRANSPORT",
        message: /no reply within 300 ms/,
      },
    );
    assert.ok(Date.now() - started < 2000);
    for (const socket of held) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });
});
