/**
 * The Kerberos package through the SSPI surface, for tests against a real MIT KDC
 * (`mit-kdc.ts`): a test realm with a password user, a keytab user and services, and one end of
 * an exchange (`KerberosEnd`) driven token by token through any front door, with the
 * per-message functions in Windows' buffer layout.
 *
 * @module
 */
import { join } from "node:path";
import {
  box,
  CredHandle,
  CtxtHandle,
  DecryptMessage,
  DeleteSecurityContext,
  EncryptMessage,
  FreeCredentialsHandle,
  MakeSignature,
  SEC_E_OK,
  SEC_I_CONTINUE_NEEDED,
  SECBUFFER_DATA,
  SECBUFFER_PADDING,
  SECBUFFER_STREAM,
  SECBUFFER_TOKEN,
  SECPKG_CRED_INBOUND,
  SECPKG_CRED_OUTBOUND,
  type SECURITY_STATUS,
  type SecBuffer,
  SecIsValidHandle,
  SspiGetLastErrorInfo,
  secBuffer,
  secBufferDesc,
  VerifySignature,
} from "../../src/index.js";
import {
  accept,
  acquire as acquireThrough,
  type FrontDoor,
  initialize,
  tokenInput,
} from "../ntlm/support/sspi-ntlm.js";
import { type MitKdc, startMitKdc } from "./mit-kdc.js";

export const REALM = "EXAMPLE.TEST";

/** A test realm: alice (password, pre-authentication required), bob (keytab), services. */
export interface KerberosRealm {
  readonly kdc: MitKdc;
  /** Keys of HTTP/localhost and host/localhost. */
  readonly serviceKeytab: string;
  /** bob's keys. */
  readonly clientKeytab: string;
  /** krb5.conf naming the KDC (for `krb5Conf` options and KRB5_CONFIG). */
  readonly krb5Conf: string;
  /** Client `pAuthData` for alice's password. */
  readonly alice: { User: string; Domain: string; Password: string; krb5Conf: string };
  stop(): Promise<void>;
}

export async function startKerberosRealm(): Promise<KerberosRealm> {
  const kdc = await startMitKdc(REALM);
  const serviceKeytab = join(kdc.dir, "service.keytab");
  const clientKeytab = join(kdc.dir, "bob.keytab");
  kdc.kadmin("addprinc -pw alicepw +requires_preauth alice");
  kdc.kadmin("addprinc -randkey +requires_preauth bob");
  kdc.kadmin(`ktadd -k ${clientKeytab} bob`);
  kdc.kadmin("addprinc -randkey HTTP/localhost");
  kdc.kadmin("addprinc -randkey host/localhost");
  kdc.kadmin(`ktadd -k ${serviceKeytab} HTTP/localhost host/localhost`);
  const krb5Conf = join(kdc.dir, "krb5.conf");
  return {
    kdc,
    serviceKeytab,
    clientKeytab,
    krb5Conf,
    alice: { User: "alice", Domain: REALM, Password: "alicepw", krb5Conf },
    stop: () => kdc.stop(),
  };
}

/** How a {@link KerberosEnd} calls: front door (default `promise`), flags, SPN, bindings. */
export interface KerberosEndOptions {
  door?: FrontDoor;
  fContextReq?: number;
  target?: string;
  bindings?: SecBuffer;
  principal?: string | null;
  /** The package to acquire (default "Kerberos"; "Negotiate" drives Kerberos through SPNEGO). */
  package?: string;
}

/** Output buffers are as large as Kerberos' cbMaxToken. */
const MAX_TOKEN = 48000;

/** One end of a Kerberos exchange through the SSPI surface. */
export class KerberosEnd {
  readonly context = new CtxtHandle();
  readonly attr = box(0);
  acquireStatus: SECURITY_STATUS = SEC_E_OK;

  private constructor(
    readonly role: "initiator" | "acceptor",
    private readonly options: KerberosEndOptions,
    readonly credential = new CredHandle(),
    private readonly ownsCredential = true,
  ) {}

  /** Another context of the same role on this end's credential (sharing its replay cache and tickets). */
  sibling(): KerberosEnd {
    return new KerberosEnd(this.role, this.options, this.credential, false);
  }

  /** An initiator; `acquireStatus` says whether its credential was acquired. */
  static async initiator(authData: unknown, options: KerberosEndOptions = {}): Promise<KerberosEnd> {
    const end = new KerberosEnd("initiator", options);
    await end.acquire(SECPKG_CRED_OUTBOUND, authData);
    return end;
  }

  static async acceptor(
    authData: unknown,
    options: Omit<KerberosEndOptions, "target"> = {},
  ): Promise<KerberosEnd> {
    const end = new KerberosEnd("acceptor", options);
    await end.acquire(SECPKG_CRED_INBOUND, authData);
    return end;
  }

  private get door(): FrontDoor {
    return this.options.door ?? "promise";
  }

  private async acquire(use: number, authData: unknown): Promise<void> {
    this.acquireStatus = await acquireThrough(
      this.door,
      use,
      authData,
      this.credential,
      this.options.principal ?? null,
      null,
      this.options.package ?? "Kerberos",
    );
  }

  /** One ISC/ASC call: its status and output token. */
  async step(token: Uint8Array | null): Promise<{ status: SECURITY_STATUS; output: Uint8Array }> {
    const out = secBufferDesc(secBuffer(SECBUFFER_TOKEN, MAX_TOKEN));
    const o = this.options;
    const input = tokenInput(token, ...(o.bindings ? [o.bindings] : []));
    const credential = SecIsValidHandle(this.context) ? null : this.credential;
    const req = o.fContextReq ?? 0;
    const status =
      this.role === "initiator"
        ? await initialize(this.door, credential, this.context, o.target ?? null, req, input, out, this.attr)
        : await accept(this.door, credential, this.context, input, req, out, this.attr);
    const b = out.pBuffers[0]!;
    return { status, output: (b.pvBuffer ?? new Uint8Array(0)).slice(0, b.cbBuffer) };
  }

  /** Why the last call on this context (or credential) failed. */
  get reason(): string {
    return (
      SspiGetLastErrorInfo(SecIsValidHandle(this.context) ? this.context : this.credential)?.message ??
      SspiGetLastErrorInfo()?.message ??
      ""
    );
  }

  /** EncryptMessage: the SECBUFFER_TOKEN part, the data sealed in place, the padding (rc4-hmac). */
  encrypt(
    message: Uint8Array,
    fQOP = 0,
  ): { status: SECURITY_STATUS; token: Uint8Array; data: Uint8Array; padding: Uint8Array } {
    const token = secBuffer(SECBUFFER_TOKEN, 76);
    const data = secBuffer(SECBUFFER_DATA, message.slice());
    const padding = secBuffer(SECBUFFER_PADDING, 16);
    const status = EncryptMessage(this.context, fQOP, secBufferDesc(token, data, padding), 0);
    const bytes = (b: SecBuffer) => (b.pvBuffer ?? new Uint8Array(0)).slice(0, b.cbBuffer);
    return { status, token: bytes(token), data: bytes(data), padding: bytes(padding) };
  }

  /** EncryptMessage as one GSS Wrap token (token ‖ data ‖ padding), what another GSS implementation reads. */
  wrap(message: Uint8Array): Uint8Array {
    const r = this.encrypt(message);
    if (r.status !== SEC_E_OK) throw new Error(`EncryptMessage: ${this.reason}`);
    return Buffer.concat([r.token, r.data, r.padding]);
  }

  /** DecryptMessage of a token, data and padding part: status, plaintext and the QOP. */
  decrypt(
    token: Uint8Array,
    data: Uint8Array,
    padding: Uint8Array = new Uint8Array(0),
  ): { status: SECURITY_STATUS; data: Uint8Array; qop: number } {
    const t = secBuffer(SECBUFFER_TOKEN, token.slice());
    const d = secBuffer(SECBUFFER_DATA, data.slice());
    const p = secBuffer(SECBUFFER_PADDING, padding.slice());
    const qop = box(-1);
    const status = DecryptMessage(this.context, secBufferDesc(t, d, p), 0, qop);
    return { status, data: d.pvBuffer!.slice(0, d.cbBuffer), qop: qop.value };
  }

  /** DecryptMessage of a whole GSS Wrap token (SECBUFFER_STREAM). */
  unwrap(wrapped: Uint8Array): { status: SECURITY_STATUS; data: Uint8Array } {
    const stream = secBuffer(SECBUFFER_STREAM, wrapped.slice());
    const data = secBuffer(SECBUFFER_DATA, 0);
    const status = DecryptMessage(this.context, secBufferDesc(stream, data), 0, box(0));
    return { status, data: (data.pvBuffer ?? new Uint8Array(0)).slice(0, data.cbBuffer) };
  }

  sign(message: Uint8Array): Uint8Array {
    const token = secBuffer(SECBUFFER_TOKEN, 64);
    const status = MakeSignature(
      this.context,
      0,
      secBufferDesc(token, secBuffer(SECBUFFER_DATA, message.slice())),
      0,
    );
    if (status !== SEC_E_OK) throw new Error(`MakeSignature: ${this.reason}`);
    return token.pvBuffer!.slice(0, token.cbBuffer);
  }

  verify(message: Uint8Array, signature: Uint8Array): SECURITY_STATUS {
    return VerifySignature(
      this.context,
      secBufferDesc(
        secBuffer(SECBUFFER_TOKEN, signature.slice()),
        secBuffer(SECBUFFER_DATA, message.slice()),
      ),
      0,
      box(0),
    );
  }

  dispose(): void {
    if (SecIsValidHandle(this.context)) DeleteSecurityContext(this.context);
    if (this.ownsCredential && SecIsValidHandle(this.credential)) FreeCredentialsHandle(this.credential);
  }
}

/** The result of {@link kerberosExchange}. */
export interface KerberosExchange {
  client: KerberosEnd;
  server: KerberosEnd;
  /** Statuses in order: ISC 1, ASC 1[, ISC 2]. */
  statuses: SECURITY_STATUS[];
  tokens: Uint8Array[];
  dispose(): void;
}

/**
 * ISC → ASC → (ISC with the AP-REP when the server sent one); stops at the first failure.
 * `alter` rewrites the AP-REQ before the server sees it.
 */
export async function kerberosExchange(
  client: KerberosEnd,
  server: KerberosEnd,
  alter: (apReq: Uint8Array) => Uint8Array = (t) => t,
): Promise<KerberosExchange> {
  const x: KerberosExchange = {
    client,
    server,
    statuses: [],
    tokens: [],
    dispose() {
      client.dispose();
      server.dispose();
    },
  };
  const first = await client.step(null);
  x.statuses.push(first.status);
  x.tokens.push(first.output);
  if (first.status !== SEC_E_OK && first.status !== SEC_I_CONTINUE_NEEDED) return x;
  const accepted = await server.step(alter(first.output));
  x.statuses.push(accepted.status);
  x.tokens.push(accepted.output);
  if (accepted.status !== SEC_E_OK || first.status === SEC_E_OK) return x;
  const last = await client.step(accepted.output);
  x.statuses.push(last.status);
  x.tokens.push(last.output);
  return x;
}
