/**
 * A Schannel credential: the validated policy and the engine host's credential id. Private keys
 * live behind the host; this side keeps only what the attributes and contexts need (the policy's
 * copy of the keys is zeroed and dropped as soon as the host acquired the credential).
 *
 * @module
 */
import type { AnyEngineHost } from "../service/blocking-host.js";
import type { EngineCredentialConfig, EngineCredentialSummary, EngineHost } from "../service/engine-host.js";
import { type HostTask, reply, runTask } from "../service/host-task.js";
import type { CredentialPolicy } from "./sch-credentials.js";

export interface SchannelCredential {
  readonly role: "client" | "server";
  readonly policy: CredentialPolicy;
  readonly host: EngineHost;
  readonly engineCredentialId: number;
  readonly summary: EngineCredentialSummary;
  /** Contexts created from this credential and not yet deleted. */
  liveContexts: number;
  /** FreeCredentialsHandle was called; the engine credential goes when the last context does. */
  freed: boolean;
}

/** The engine's view of a policy (plain data: no functions cross the host boundary). */
export function engineConfig(policy: CredentialPolicy): EngineCredentialConfig {
  return {
    role: policy.role,
    certificates: policy.certificates,
    trustedRoots: policy.trustedRoots,
    crls: policy.crls,
    revocation: policy.revocation,
    minVersion: policy.minVersion,
    maxVersion: policy.maxVersion,
    cipherSuites13: policy.cipherSuites13,
    ciphers12: policy.ciphers12,
    groups: policy.groups,
    ...(policy.alpn !== null && { alpn: policy.alpn }),
    disableResumption: policy.disableResumption,
    sessionLifetimeSeconds: policy.sessionLifetimeSeconds,
    ...(policy.ticketKeys !== null && { ticketKeys: policy.ticketKeys }),
    keylog: policy.keyLog !== null,
  };
}

/** Releases the engine credential once it is freed and no context uses it. */
export async function releaseIfUnused(credential: SchannelCredential): Promise<void> {
  return runTask(releaseIfUnusedTask(credential, credential.host));
}

/** {@link releaseIfUnused} as a host task over `host` (the credential's host or its blocking face). */
export function* releaseIfUnusedTask(credential: SchannelCredential, host: AnyEngineHost): HostTask<void> {
  if (credential.freed && credential.liveContexts === 0) {
    yield* reply(host.freeCredential(credential.engineCredentialId));
  }
}
