/**
 * Shared pieces of the worker-pool tests: certificates and a token pump between two engine
 * contexts of any host (asynchronous or blocking face).
 */
import { createCertificateAuthority, issueCertificate } from "../../src/devcert/certificates.js";
import type { EngineCredentialConfig, EngineStepResult } from "../../src/service/engine-host.js";
import { SEC_I_CONTINUE_NEEDED } from "../../src/sspi/status.js";

export type Cert = Awaited<ReturnType<typeof issueCertificate>>;

export interface Certificates {
  caPem: string;
  leaf: Cert;
}

export async function certificates(): Promise<Certificates> {
  const ca = await createCertificateAuthority({ commonName: "pool test CA" });
  const leaf = await issueCertificate(ca, { commonName: "localhost" });
  return { caPem: ca.certificate, leaf };
}

export function serverConfig(
  c: Certificates,
  extra: Partial<EngineCredentialConfig> = {},
): EngineCredentialConfig {
  return {
    role: "server",
    certificates: [{ certificate: c.leaf.certificate, privateKey: c.leaf.privateKey }],
    trustedRoots: null,
    minVersion: "TLSv1.2",
    maxVersion: "TLSv1.3",
    ...extra,
  };
}

export function clientConfig(
  c: Certificates,
  extra: Partial<EngineCredentialConfig> = {},
): EngineCredentialConfig {
  return {
    role: "client",
    certificates: [],
    trustedRoots: [c.caPem],
    minVersion: "TLSv1.2",
    maxVersion: "TLSv1.3",
    ...extra,
  };
}

/** Something that steps an engine context: `host.step` or `host.blocking.step`. */
export type Stepper = (contextId: number, input: Uint8Array) => EngineStepResult | Promise<EngineStepResult>;

/** Pumps tokens between a client and a server context until neither continues. */
export async function pump(
  step: Stepper,
  client: number,
  server: number,
): Promise<{ client: EngineStepResult; server: EngineStepResult; statuses: number[] }> {
  const statuses: number[] = [];
  let c = await step(client, new Uint8Array(0));
  statuses.push(c.status);
  let s = await step(server, c.output);
  statuses.push(s.status);
  for (
    let round = 0;
    round < 10 && (c.status === SEC_I_CONTINUE_NEEDED || s.status === SEC_I_CONTINUE_NEEDED);
    round++
  ) {
    if (c.status === SEC_I_CONTINUE_NEEDED) {
      c = await step(client, s.output);
      statuses.push(c.status);
    }
    if (s.status === SEC_I_CONTINUE_NEEDED) {
      s = await step(server, c.output);
      statuses.push(s.status);
    }
  }
  return { client: c, server: s, statuses };
}
