/**
 * Our side of an interop cell, on the SSPI-shaped API through test/support/sspi-driver.ts:
 * credentials for a cell, one established connection ({@link OurEnd}) with data, hashes and
 * close_notify, the negotiated parameters as `QueryContextAttributes` reports them, and a wire
 * tap that tells whether the handshake went through a HelloRetryRequest.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { Socket } from "node:net";
import {
  alpnProtocolOf,
  cipherSuiteOf,
  peerCertificateOf,
  protocolOf,
  resumedOf,
} from "../../src/api/tls-attributes.js";
import type { IssuedCertificate } from "../../src/devcert/certificates.js";
import {
  ApplyControlToken,
  ASC_REQ_ALLOCATE_MEMORY,
  ASC_REQ_CONFIDENTIALITY,
  ASC_REQ_EXTENDED_ERROR,
  ASC_REQ_MUTUAL_AUTH,
  ASC_REQ_STREAM,
  box,
  type CredHandle,
  ISC_REQ_ALLOCATE_MEMORY,
  ISC_REQ_CONFIDENTIALITY,
  ISC_REQ_EXTENDED_ERROR,
  ISC_REQ_STREAM,
  ISC_REQ_USE_SUPPLIED_CREDS,
  QueryContextAttributes,
  type SCH_CREDENTIALS,
  SCH_CREDENTIALS_VERSION,
  SEC_E_OK,
  SECPKG_ATTR_CIPHER_INFO,
  SECPKG_ATTR_LOCAL_CERT_CONTEXT,
  SECPKG_CRED_INBOUND,
  SECPKG_CRED_OUTBOUND,
  type SECURITY_STATUS,
  SP_PROT_TLS1_2,
  SP_PROT_TLS1_3,
  SspiGetLastErrorInfo,
  secBufferDesc,
  promises as sspi,
  statusName,
} from "../../src/index.js";
import { applicationProtocolsBuffer } from "../../src/schannel/application-protocols.js";
import { keyUpdateToken } from "../../src/schannel/control-tokens.js";
import {
  acquireCredential,
  connectReader,
  contextCall,
  decryptOnce,
  decryptUntilStatus,
  encrypt,
  type HandshakeOutcome,
  handshake,
  receive,
  type SocketReader,
  sendCloseNotify,
} from "../support/sspi-driver.js";
import type { Negotiated } from "./results.js";
import { disabledCryptoKeeping, type Suite, type Version } from "./tls-tables.js";

/** What our credential for a cell restricts. */
export interface OurCredentialOptions {
  version?: Version;
  suite?: Suite;
  /** How the suite is forced: the `cipherSuites` extension or Schannel's `pDisabledCrypto`. */
  restrictBy?: "cipherSuites" | "pDisabledCrypto";
  groups?: string[];
  /** Server: ALPN ids accepted. */
  alpn?: string[];
  /** Server: certificates (by SNI / key type). Client: the client certificate. */
  certificates?: IssuedCertificate[];
  /** Roots: a client validates the server with them, a server validates client certificates. */
  roots?: string[];
  dwFlags?: number;
}

/** AcquireCredentialsHandle for a cell; the status is asserted (SEC_E_OK). */
export async function ourCredential(role: "client" | "server", o: OurCredentialOptions): Promise<CredHandle> {
  const auth: SCH_CREDENTIALS = {
    dwVersion: SCH_CREDENTIALS_VERSION,
    dwFlags: o.dwFlags ?? 0,
    ...(o.certificates && {
      paCred: o.certificates.map((c) => ({ certificate: c.certificate, privateKey: c.privateKey })),
    }),
    ...(o.roots && { hRootStore: o.roots }),
    pTlsParameters: [
      {
        grbitDisabledProtocols:
          o.version === undefined ? 0 : o.version === "TLSv1.3" ? SP_PROT_TLS1_2 : SP_PROT_TLS1_3,
        ...(o.alpn && { rgstrAlpnIds: o.alpn }),
        ...(o.suite &&
          o.restrictBy === "pDisabledCrypto" && { pDisabledCrypto: disabledCryptoKeeping(o.suite.cipher) }),
      },
    ],
    ...(o.suite && o.restrictBy !== "pDisabledCrypto" && { cipherSuites: [o.suite.iana] }),
    ...(o.groups && { groups: o.groups }),
  };
  const { status, cred } = await acquireCredential(
    role === "client" ? SECPKG_CRED_OUTBOUND : SECPKG_CRED_INBOUND,
    auth,
  );
  assert.equal(status, SEC_E_OK, `AcquireCredentialsHandle: ${SspiGetLastErrorInfo(cred)?.message}`);
  return cred;
}

/** Display names of the groups (the package reports OpenSSL's names). */
export function groupLabel(name: string | null | undefined): string | undefined {
  if (!name) return undefined;
  return (
    (
      { prime256v1: "P-256", secp256r1: "P-256", secp384r1: "P-384", x25519: "X25519" } as Record<
        string,
        string
      >
    )[name.toLowerCase()] ?? name
  );
}

function commonName(subject: string | undefined): string | undefined {
  return subject?.match(/CN=([^\n,]+)/)?.[1];
}

/** The negotiated parameters as our context reports them. */
export function negotiatedOf(handle: CredHandle, role: "client" | "server"): Negotiated {
  const info = box<{ szExchangeGroup?: string }>({});
  assert.equal(QueryContextAttributes(handle, SECPKG_ATTR_CIPHER_INFO, info), SEC_E_OK);
  let certificate: string | undefined;
  if (role === "client") certificate = commonName(peerCertificateOf(handle)?.subject);
  else {
    const local = box<{ certificate?: { subject: string } } | null>(null);
    if (QueryContextAttributes(handle, SECPKG_ATTR_LOCAL_CERT_CONTEXT, local) === SEC_E_OK)
      certificate = commonName(local.value?.certificate?.subject);
  }
  return {
    protocol: protocolOf(handle),
    suite: cipherSuiteOf(handle),
    group: groupLabel(info.value.szExchangeGroup),
    alpn: alpnProtocolOf(handle),
    resumed: resumedOf(handle),
    ...(certificate && { certificate }),
  };
}

/** RFC 8446 §4.1.3: the ServerHello.random of a HelloRetryRequest. */
const HRR_RANDOM = Buffer.from("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c", "hex");

/** Records what crosses a socket in both directions (writes are wrapped). */
export class WireTap {
  readonly incoming: Buffer[] = [];
  readonly outgoing: Buffer[] = [];

  constructor(socket: Socket) {
    socket.on("data", (d: Buffer) => {
      if (this.size(this.incoming) < 65_536) this.incoming.push(d);
    });
    const write = socket.write.bind(socket) as (chunk: Uint8Array, ...rest: unknown[]) => boolean;
    socket.write = ((chunk: Uint8Array, ...rest: unknown[]) => {
      if (this.size(this.outgoing) < 65_536) this.outgoing.push(Buffer.from(chunk));
      return write(chunk, ...rest);
    }) as typeof socket.write;
  }

  private size(list: Buffer[]): number {
    return list.reduce((n, b) => n + b.byteLength, 0);
  }

  /** Whether the server's first handshake record is a HelloRetryRequest. */
  helloRetry(ourRole: "client" | "server"): boolean {
    const fromServer = Buffer.concat(ourRole === "client" ? this.incoming : this.outgoing);
    return (
      fromServer.byteLength >= 43 &&
      fromServer[0] === 22 &&
      fromServer[5] === 2 &&
      fromServer.subarray(11, 43).equals(HRR_RANDOM)
    );
  }
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

const CLIENT_FLAGS =
  ISC_REQ_CONFIDENTIALITY | ISC_REQ_STREAM | ISC_REQ_EXTENDED_ERROR | ISC_REQ_ALLOCATE_MEMORY;
const SERVER_FLAGS =
  ASC_REQ_CONFIDENTIALITY | ASC_REQ_STREAM | ASC_REQ_EXTENDED_ERROR | ASC_REQ_ALLOCATE_MEMORY;

/** One connection on our side: the handshake outcome, then data and close_notify. */
export class OurEnd {
  private rest: Uint8Array;

  private constructor(
    readonly role: "client" | "server",
    readonly cred: CredHandle,
    readonly reader: SocketReader,
    readonly hs: HandshakeOutcome,
    readonly tap: WireTap,
  ) {
    this.rest = hs.leftover;
  }

  /** Our client: connects to 127.0.0.1:`port` and runs the handshake (whatever its status). */
  static async connect(
    port: number,
    cred: CredHandle,
    options: { target?: string; alpn?: string[]; continueWithoutCertificate?: boolean } = {},
  ): Promise<OurEnd> {
    const reader = await connectReader(port);
    const tap = new WireTap(reader.socket);
    const hs = await handshake("initiator", reader, cred, {
      target: options.target ?? "localhost",
      flags: CLIENT_FLAGS | (options.continueWithoutCertificate ? ISC_REQ_USE_SUPPLIED_CREDS : 0),
      ...(options.alpn && { firstInput: applicationProtocolsBuffer(options.alpn) }),
    });
    return new OurEnd("client", cred, reader, hs, tap);
  }

  /** Our server: runs the handshake on an accepted connection (whatever its status). */
  static async accept(
    reader: SocketReader,
    cred: CredHandle,
    options: { mutualAuth?: boolean } = {},
  ): Promise<OurEnd> {
    const tap = new WireTap(reader.socket);
    const hs = await handshake("acceptor", reader, cred, {
      flags: SERVER_FLAGS | (options.mutualAuth ? ASC_REQ_MUTUAL_AUTH : 0),
    });
    return new OurEnd("server", cred, reader, hs, tap);
  }

  get status(): SECURITY_STATUS {
    return this.hs.status;
  }

  get statusName(): string {
    return statusName(this.hs.status) ?? String(this.hs.status);
  }

  /** The package's reason for the handshake status (SspiGetLastErrorInfo). */
  reason(): string {
    return SspiGetLastErrorInfo(this.hs.handle)?.message ?? "";
  }

  /** The handshake's alert (SECBUFFER_ALERT) as "level/description", if any. */
  get alert(): string | null {
    return this.hs.alert ? this.hs.alert.join("/") : null;
  }

  assertEstablished(what: string): void {
    assert.equal(
      this.statusName,
      "SEC_E_OK",
      `${what}: handshake ${this.statusName} ${SspiGetLastErrorInfo(this.hs.handle)?.message ?? ""}`,
    );
  }

  negotiated(): Negotiated {
    return { ...negotiatedOf(this.hs.handle, this.role), hrr: this.tap.helloRetry(this.role) };
  }

  /** Encrypts `bytes` in records of at most 16 KiB and writes them. */
  send(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.byteLength; i += 16_384)
      this.reader.socket.write(encrypt(this.hs.handle, bytes.subarray(i, i + 16_384)));
  }

  /** Reads and decrypts exactly `n` bytes; asserts that no other status came. */
  async receive(n: number): Promise<Buffer> {
    const got = await receive(this.hs.handle, this.reader, n, this.rest);
    this.rest = got.rest;
    assert.deepEqual(
      got.statuses.map((s) => statusName(s)),
      [],
      "DecryptMessage statuses besides SEC_E_OK",
    );
    assert.equal(got.plaintext.byteLength, n, "bytes received before the stream ended");
    return got.plaintext;
  }

  /**
   * Reads until `n` plaintext bytes arrived, answering SEC_I_RENEGOTIATE (KeyUpdate requests,
   * renegotiation attempts) with ISC/ASC and sending the output; returns the statuses seen.
   */
  async receiveAnswering(n: number): Promise<{ plaintext: Buffer; statuses: string[] }> {
    const parts: Buffer[] = [];
    const statuses: string[] = [];
    let got = 0;
    while (got < n) {
      const complete =
        this.rest.byteLength >= 5 && this.rest.byteLength >= 5 + ((this.rest[3]! << 8) | this.rest[4]!);
      if (!complete) {
        if (!(await this.reader.more())) break;
        this.rest = Buffer.concat([this.rest, this.reader.take()]);
        continue;
      }
      const r = decryptOnce(this.hs.handle, this.rest);
      this.rest = r.rest;
      parts.push(Buffer.from(r.plaintext));
      got += r.plaintext.byteLength;
      if (r.status === SEC_E_OK) continue;
      const name = statusName(r.status) ?? String(r.status);
      statuses.push(name);
      if (name !== "SEC_I_RENEGOTIATE") break;
      const answer = await contextCall(
        this.role === "client" ? "initiator" : "acceptor",
        this.cred,
        this.hs.handle,
      );
      statuses.push(
        `answer ${statusName(answer.status)}${answer.token.byteLength > 0 ? ` (${answer.token.byteLength} B sent)` : ""}`,
      );
      if (answer.token.byteLength > 0 && !this.reader.socket.destroyed)
        this.reader.socket.write(answer.token);
    }
    return { plaintext: Buffer.concat(parts), statuses };
  }

  /**
   * Processes every pending record (session tickets), then waits for the peer's next record and
   * processes it too (a KeyUpdate: SEC_I_RENEGOTIATE is answered). Returns the statuses seen.
   */
  async awaitNextRecord(): Promise<string[]> {
    const statuses: string[] = [];
    const drain = async (): Promise<number> => {
      let records = 0;
      while (
        this.rest.byteLength >= 5 &&
        this.rest.byteLength >= 5 + ((this.rest[3]! << 8) | this.rest[4]!)
      ) {
        const r = decryptOnce(this.hs.handle, this.rest);
        this.rest = r.rest;
        records++;
        assert.equal(r.plaintext.byteLength, 0, "no application data expected here");
        if (r.status === SEC_E_OK) continue;
        const name = statusName(r.status) ?? String(r.status);
        statuses.push(name);
        assert.equal(name, "SEC_I_RENEGOTIATE");
        const answer = await contextCall(
          this.role === "client" ? "initiator" : "acceptor",
          this.cred,
          this.hs.handle,
        );
        if (answer.token.byteLength > 0) this.reader.socket.write(answer.token);
      }
      return records;
    };
    await drain();
    for (;;) {
      assert.ok(await this.reader.more(), "the peer closed");
      this.rest = Buffer.concat([this.rest, this.reader.take()]);
      if ((await drain()) > 0) return statuses;
    }
  }

  /** Sends a KeyUpdate (update_requested when `request`): ApplyControlToken, then ISC/ASC. */
  async keyUpdate(request: boolean): Promise<void> {
    assert.equal(ApplyControlToken(this.hs.handle, secBufferDesc(keyUpdateToken(request))), SEC_E_OK);
    const r = await contextCall(this.role === "client" ? "initiator" : "acceptor", this.cred, this.hs.handle);
    assert.equal(statusName(r.status), "SEC_E_OK", "the KeyUpdate call");
    assert.ok(r.token.byteLength > 0, "a KeyUpdate record");
    this.reader.socket.write(r.token);
  }

  /** Decrypts until a status other than SEC_E_OK / INCOMPLETE (or the end); returns its name. */
  async nextStatus(): Promise<{ status: string; plaintext: Buffer }> {
    const r = await decryptUntilStatus(this.hs.handle, this.reader, this.rest);
    this.rest = r.rest;
    return {
      status: r.status === null ? "end of stream" : (statusName(r.status) ?? String(r.status)),
      plaintext: r.plaintext,
    };
  }

  /** Sends our close_notify and asserts the peer answers with its own (SEC_I_CONTEXT_EXPIRED). */
  async closeFirst(what: string): Promise<void> {
    await sendCloseNotify(
      this.role === "client" ? "initiator" : "acceptor",
      this.cred,
      this.hs.handle,
      this.reader.socket,
    );
    const r = await this.nextStatus();
    assert.equal(r.status, "SEC_I_CONTEXT_EXPIRED", `${what}: the peer answers our close_notify`);
  }

  /** Sends our close_notify to a peer that exits without answering: the stream just ends. */
  async closeFirstPeerExits(what: string): Promise<void> {
    await sendCloseNotify(
      this.role === "client" ? "initiator" : "acceptor",
      this.cred,
      this.hs.handle,
      this.reader.socket,
    );
    const r = await this.nextStatus();
    assert.ok(
      ["end of stream", "SEC_I_CONTEXT_EXPIRED"].includes(r.status),
      `${what}: after our close_notify: ${r.status}`,
    );
  }

  /** Waits for the peer's close_notify (SEC_I_CONTEXT_EXPIRED), then answers with ours. */
  async closeSecond(what: string): Promise<void> {
    const r = await this.nextStatus();
    assert.equal(r.status, "SEC_I_CONTEXT_EXPIRED", `${what}: the peer's close_notify`);
    await sendCloseNotify(
      this.role === "client" ? "initiator" : "acceptor",
      this.cred,
      this.hs.handle,
      this.reader.socket,
    );
  }

  async dispose(): Promise<void> {
    this.reader.socket.destroy();
    await sspi.DeleteSecurityContext(this.hs.handle);
  }
}
