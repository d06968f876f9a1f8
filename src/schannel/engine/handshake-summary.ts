/**
 * Building the {@link HandshakeSummary} of a completed handshake from the TLSSocket, the key log
 * and the tokens the engine carried.
 *
 * @module
 */
import type { TLSSocket } from "node:tls";
import { cipherSuiteByName } from "../record/cipher-suites.js";
import type { ServerHelloInfo } from "../records/server-hello.js";
import type {
  CertificateCheck,
  EngineTlsVersion,
  HandshakeSecrets,
  HandshakeSummary,
} from "./engine-types.js";
import { findServerKeyExchangeGroup, groupName } from "./handshake-messages.js";
import type { KeylogSecrets } from "./keylog.js";
import { localCertificate, peerCertificateChain } from "./peer-certificates.js";
import { sessionIdFromSession } from "./session-id.js";

/** Inputs beyond the socket. */
export interface SummaryInputs {
  role: "client" | "server";
  serverHello: ServerHelloInfo | undefined;
  /** Plaintext handshake stream where a TLS 1.2 ServerKeyExchange would be (server output / client input). */
  serverFlight: Uint8Array;
  secrets: KeylogSecrets;
  exportSecrets: boolean;
  serverName: string | null;
  certificateCheck: CertificateCheck;
  clientCertificateRequested: boolean;
  acceptableIssuers: Uint8Array[];
  writeSequence: number;
  readSequence: number;
}

/** @returns the plain-data summary of the completed handshake on `socket`. */
export function buildHandshakeSummary(socket: TLSSocket, inputs: SummaryInputs): HandshakeSummary {
  const cipher = socket.getCipher();
  const protocol = (socket.getProtocol() ?? "TLSv1.3") as EngineTlsVersion;
  const suite = cipherSuiteByName(cipher.name) ?? cipherSuiteByName(cipher.standardName ?? "");
  const alpn = socket.alpnProtocol;
  return {
    role: inputs.role,
    protocol,
    cipher: cipher.name,
    cipherStandardName: cipher.standardName ?? suite?.ianaName ?? cipher.name,
    cipherSuite: suite?.id ?? inputs.serverHello?.cipherSuite.id ?? 0,
    group: groupOf(socket, inputs),
    alpn: typeof alpn === "string" ? alpn : null,
    serverName: inputs.serverName,
    peerCertificates: peerCertificateChain(socket),
    localCertificate: localCertificate(socket),
    resumed: socket.isSessionReused(),
    sessionId: sessionIdFromSession(socket.getSession()),
    certificateCheck: inputs.certificateCheck,
    clientCertificateRequested: inputs.clientCertificateRequested,
    acceptableIssuers: inputs.acceptableIssuers,
    ...(inputs.exportSecrets ? { secrets: exportSecrets(inputs.secrets, inputs.serverHello) } : {}),
    writeSequence: inputs.writeSequence,
    readSequence: inputs.readSequence,
  };
}

function groupOf(socket: TLSSocket, inputs: SummaryInputs): string | null {
  if (inputs.role === "client") {
    const info = socket.getEphemeralKeyInfo() as { name?: string } | null;
    if (info?.name) return info.name;
  }
  const group = inputs.serverHello?.selectedGroup?.id ?? findServerKeyExchangeGroup(inputs.serverFlight);
  return group === undefined ? null : groupName(group);
}

function copy(value: Uint8Array | undefined): Uint8Array | undefined {
  return value === undefined ? undefined : value.slice();
}

function exportSecrets(secrets: KeylogSecrets, hello: ServerHelloInfo | undefined): HandshakeSecrets {
  const out: HandshakeSecrets = {
    clientRandom: copy(secrets.clientRandom) ?? new Uint8Array(32),
    serverRandom: hello?.random.slice() ?? new Uint8Array(32),
  };
  const fields = [
    "masterSecret",
    "clientHandshakeTrafficSecret",
    "serverHandshakeTrafficSecret",
    "clientTrafficSecret0",
    "serverTrafficSecret0",
    "exporterSecret",
  ] as const;
  for (const f of fields) {
    const v = copy(secrets[f]);
    if (v !== undefined) out[f] = v;
  }
  return out;
}
