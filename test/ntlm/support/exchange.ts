/**
 * Runs our client against our server in memory.
 *
 * @module
 */

import { NtlmClient, type NtlmClientOptions } from "../../../src/ntlm/client.js";
import type { ChannelBindings } from "../../../src/ntlm/crypto/channel-bindings.js";
import { NtlmServer, type NtlmServerOptions } from "../../../src/ntlm/server.js";
import { userStoreFromText } from "../../../src/ntlm/user-store.js";

export const USERS = "TESTDOM:alice:alicepw\nTESTDOM:bob:b0b:with:colons\n";

export function makeServer(options: Partial<NtlmServerOptions> = {}): NtlmServer {
  return new NtlmServer({
    users: userStoreFromText(USERS),
    nbComputerName: "SERVER",
    nbDomainName: "TESTDOM",
    dnsComputerName: "server.testdom.test",
    dnsDomainName: "testdom.test",
    ...options,
  });
}

export function makeClient(options: Partial<NtlmClientOptions> = {}): NtlmClient {
  return new NtlmClient({
    credentials: { User: "alice", Domain: "TESTDOM", Password: "alicepw" },
    targetName: "HTTP/server.testdom.test",
    workstation: "WS1",
    integrity: true,
    confidentiality: true,
    ...options,
  });
}

/** The three messages of one exchange, without verifying the last. */
export function messages(
  client: NtlmClient,
  server: NtlmServer,
  serverBindings?: ChannelBindings,
): {
  negotiate: Uint8Array;
  challenge: Uint8Array;
  authenticate: Uint8Array;
  context: ReturnType<NtlmServer["createContext"]>;
} {
  const context = server.createContext(serverBindings ? { channelBindings: serverBindings } : {});
  const negotiate = client.negotiate();
  const challenge = context.challenge(negotiate);
  const authenticate = client.authenticate(challenge);
  return { negotiate, challenge, authenticate, context };
}
