/**
 * A small security package that exists only for tests: a three-leg token exchange with
 * Schannel-like framing, so the SSPI surface and the async machinery can be tested on their
 * own. Frames are `[length u16 BE][kind u8][payload]`:
 *
 *   initiator → HELLO(target) ; acceptor → WELCOME ; initiator → FINISH ; acceptor → OK.
 *
 * `gate` lets a test hold every operation pending until it opens it.
 */
import {
  type AcquireCredentialsResult,
  type ContextRequest,
  type ContextResult,
  type Outcome,
  type PackageObject,
  SEC_E_INCOMPLETE_MESSAGE,
  SEC_E_INVALID_TOKEN,
  SEC_E_LOGON_DENIED,
  SEC_E_OK,
  SEC_E_UNKNOWN_CREDENTIALS,
  SEC_I_CONTINUE_NEEDED,
  SECBUFFER_ALERT,
  SECBUFFER_TOKEN,
  SECPKG_ATTR_SIZES,
  SECPKG_FLAG_CONNECTION,
  SECPKG_FLAG_MUTUAL_AUTH,
  SECPKG_ID_NONE,
  type SecurityPackage,
  TIMESTAMP_NEVER,
} from "../../src/index.js";

export const HELLO = 1;
export const WELCOME = 2;
export const FINISH = 3;

export function frame(kind: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(3 + payload.byteLength);
  out[0] = (payload.byteLength + 1) >> 8;
  out[1] = (payload.byteLength + 1) & 0xff;
  out[2] = kind;
  out.set(payload, 3);
  return out;
}

interface Credential {
  readonly secret: string;
  freed: boolean;
}

interface Context {
  role: "initiator" | "acceptor";
  state: "start" | "sent-hello" | "sent-welcome" | "done";
  target: string | null;
  deleted: boolean;
}

export class LoopbackPackage implements SecurityPackage {
  readonly info;
  readonly aliases: readonly string[];
  /** Every operation awaits this first. */
  gate: () => Promise<void> = async () => {};
  readonly contexts: Context[] = [];
  readonly credentials: Credential[] = [];

  constructor(name = "Loopback", aliases: string[] = ["LoopbackTest"]) {
    this.info = {
      fCapabilities: SECPKG_FLAG_CONNECTION | SECPKG_FLAG_MUTUAL_AUTH,
      wVersion: 1,
      wRPCID: SECPKG_ID_NONE,
      cbMaxToken: 1024,
      Name: name,
      Comment: "test-only loopback package",
    };
    this.aliases = aliases;
  }

  prepareCredentials(
    _principal: string | null,
    _use: number,
    authData: unknown,
  ): Outcome & { authData?: unknown } {
    const secret = (authData as { secret?: unknown } | null)?.secret;
    if (typeof secret !== "string")
      return { status: SEC_E_UNKNOWN_CREDENTIALS, reason: "authData.secret must be a string" };
    return { status: SEC_E_OK, authData: { secret } };
  }

  async acquireCredentials(request: { authData: unknown }): Promise<AcquireCredentialsResult> {
    await this.gate();
    const { secret } = request.authData as { secret: string };
    if (secret === "deny") return { status: SEC_E_LOGON_DENIED, reason: "secret says deny", expiry: 0n };
    const credential: Credential = { secret, freed: false };
    this.credentials.push(credential);
    return { status: SEC_E_OK, credential, expiry: TIMESTAMP_NEVER };
  }

  async freeCredentials(credential: PackageObject): Promise<Outcome> {
    await this.gate();
    (credential as Credential).freed = true;
    return { status: SEC_E_OK };
  }

  async processContext(request: ContextRequest): Promise<ContextResult> {
    await this.gate();
    let ctx = request.context as Context | null;
    const created = ctx === null;
    if (ctx === null) {
      ctx = { role: request.role, state: "start", target: request.targetName, deleted: false };
      this.contexts.push(ctx);
    }
    const result = (r: Partial<ContextResult> & Pick<ContextResult, "status">): ContextResult => ({
      outputs: [],
      extra: 0,
      missing: 0,
      contextAttr: request.contextReq & 0xff,
      expiry: TIMESTAMP_NEVER,
      ...(created && { context: ctx }),
      ...r,
    });
    if (ctx.role === "initiator" && ctx.state === "start") {
      ctx.state = "sent-hello";
      const payload = new TextEncoder().encode(request.targetName ?? "");
      return result({
        status: SEC_I_CONTINUE_NEEDED,
        outputs: [{ type: SECBUFFER_TOKEN, data: frame(HELLO, payload) }],
      });
    }
    const token = request.input.find((b) => b.type === SECBUFFER_TOKEN)?.data ?? new Uint8Array(0);
    if (token.byteLength < 2)
      return result({ status: SEC_E_INCOMPLETE_MESSAGE, missing: 2 - token.byteLength });
    const length = ((token[0] ?? 0) << 8) | (token[1] ?? 0);
    if (token.byteLength < 2 + length)
      return result({ status: SEC_E_INCOMPLETE_MESSAGE, missing: 2 + length - token.byteLength });
    const kind = token[2];
    const extra = token.byteLength - 2 - length;
    const expected = ctx.role === "acceptor" ? (ctx.state === "start" ? HELLO : FINISH) : WELCOME;
    if (kind !== expected) {
      return result({
        status: SEC_E_INVALID_TOKEN,
        reason: `expected frame ${expected}, got ${kind}`,
        alertSent: 10,
        outputs: [{ type: SECBUFFER_ALERT, data: new Uint8Array([2, 10]) }],
      });
    }
    if (ctx.role === "acceptor" && ctx.state === "start") {
      ctx.state = "sent-welcome";
      ctx.target = new TextDecoder().decode(token.subarray(3, 2 + length));
      return result({
        status: SEC_I_CONTINUE_NEEDED,
        extra,
        outputs: [{ type: SECBUFFER_TOKEN, data: frame(WELCOME, new Uint8Array(600)) }],
      });
    }
    if (ctx.role === "initiator") {
      ctx.state = "done";
      return result({ status: SEC_E_OK, extra, outputs: [{ type: SECBUFFER_TOKEN, data: frame(FINISH) }] });
    }
    ctx.state = "done";
    return result({ status: SEC_E_OK, extra });
  }

  async deleteContext(context: PackageObject): Promise<Outcome> {
    await this.gate();
    (context as Context).deleted = true;
    return { status: SEC_E_OK };
  }

  queryContextAttributes(context: PackageObject, attribute: number, pBuffer: { value: unknown }): Outcome {
    if (attribute !== SECPKG_ATTR_SIZES) return { status: -2146893054 /* SEC_E_UNSUPPORTED_FUNCTION */ };
    pBuffer.value = {
      cbMaxToken: 1024,
      cbMaxSignature: 0,
      cbBlockSize: 1,
      cbSecurityTrailer: 0,
      state: (context as Context).state,
    };
    return { status: SEC_E_OK };
  }
}

/** A gate that holds operations until `open()`. */
export function makeGate(): { gate: () => Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { gate: () => opened, open };
}
