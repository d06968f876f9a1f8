/**
 * Inbound NTLM credentials from `AcquireCredentialsHandle`'s `pAuthData`: where the users' NT
 * hashes come from, the server's names for the CHALLENGE's target info, and the channel-binding
 * policy. Windows takes these from the machine (SAM, domain membership, the registry); here they
 * are the application's. Null `pAuthData` serves the users of `NTLM_USER_FILE` (as gss-ntlmssp's
 * acceptor does) under this host's name.
 *
 * @module
 */
import type { Outcome } from "../../sspi/security-package.js";
import { SEC_E_INVALID_PARAMETER, SEC_E_OK } from "../../sspi/status.js";
import { defaultWorkstation } from "../client.js";
import { type ChannelBindingPolicy, NtlmServer } from "../server.js";
import { readUserFile } from "../user-file.js";
import {
  type NtHashLookup,
  type NtlmUserStore,
  userStoreFromCallback,
  userStoreFromText,
} from "../user-store.js";

/** Inbound `pAuthData` of the NTLM package. Give `userFile` or `lookup` (or neither: `NTLM_USER_FILE`). */
export interface NtlmAcceptorCredentials {
  /** A file of `DOMAIN:user:password` lines (gss-ntlmssp's format), read when the credential is acquired. */
  userFile?: string;
  /**
   * The application's directory: the user's NT hash, `undefined` for an unknown user, or a
   * Promise of either (then only the asynchronous AcceptSecurityContext can use the credential).
   */
  lookup?: NtHashLookup;
  /** NetBIOS computer name (MsvAvNbComputerName); default this host's first label, upper-cased. */
  nbComputerName?: string;
  /** NetBIOS domain name (MsvAvNbDomainName, the CHALLENGE's TargetName); default the computer name. */
  nbDomainName?: string;
  dnsComputerName?: string;
  dnsDomainName?: string;
  dnsTreeName?: string;
  /** `never`, `when-supported` (default) or `required` (Windows' Extended Protection Off/Accept/Required). */
  channelBindingPolicy?: ChannelBindingPolicy;
}

/** The validated copy kept between queue time and acquire time. */
export interface AcceptorConfig {
  users: { kind: "file"; path: string | undefined } | { kind: "lookup"; lookup: NtHashLookup };
  names: Required<Pick<NtlmAcceptorCredentials, "nbComputerName" | "nbDomainName">> &
    Pick<NtlmAcceptorCredentials, "dnsComputerName" | "dnsDomainName" | "dnsTreeName">;
  channelBindingPolicy: ChannelBindingPolicy;
}

const POLICIES: readonly ChannelBindingPolicy[] = ["never", "when-supported", "required"];
const NAME_FIELDS = [
  "nbComputerName",
  "nbDomainName",
  "dnsComputerName",
  "dnsDomainName",
  "dnsTreeName",
] as const;

const invalid = (reason: string): Outcome => ({ status: SEC_E_INVALID_PARAMETER, reason });

/** Validates and copies an inbound `pAuthData` (queue time). */
export function prepareAcceptor(authData: unknown): Outcome & { config?: AcceptorConfig } {
  const a = (authData ?? {}) as Partial<Record<keyof NtlmAcceptorCredentials, unknown>>;
  if (typeof a !== "object") return invalid("pAuthData must be an NtlmAcceptorCredentials object or null");
  if (a.userFile !== undefined && typeof a.userFile !== "string") return invalid("userFile must be a path");
  if (a.lookup !== undefined && typeof a.lookup !== "function") return invalid("lookup must be a function");
  if (a.userFile !== undefined && a.lookup !== undefined) return invalid("give userFile or lookup, not both");
  for (const field of NAME_FIELDS)
    if (a[field] !== undefined && typeof a[field] !== "string") return invalid(`${field} must be a string`);
  const policy = a.channelBindingPolicy ?? "when-supported";
  if (!POLICIES.includes(policy as ChannelBindingPolicy))
    return invalid("channelBindingPolicy must be never, when-supported or required");
  const nbComputerName = (a.nbComputerName as string | undefined) || defaultWorkstation() || "SERVER";
  const names: AcceptorConfig["names"] = {
    nbComputerName,
    nbDomainName: (a.nbDomainName as string | undefined) || nbComputerName,
  };
  for (const field of ["dnsComputerName", "dnsDomainName", "dnsTreeName"] as const)
    if (typeof a[field] === "string") names[field] = a[field] as string;
  return {
    status: SEC_E_OK,
    config: {
      users:
        typeof a.lookup === "function"
          ? { kind: "lookup", lookup: a.lookup as NtHashLookup }
          : { kind: "file", path: a.userFile as string | undefined },
      names,
      channelBindingPolicy: policy as ChannelBindingPolicy,
    },
  };
}

/**
 * The server of an inbound credential (acquire time).
 *
 * @throws NtlmError `no-credentials` when the user file is not given (nor `NTLM_USER_FILE`), cannot
 *   be read or is malformed.
 */
export function acceptorServer(config: AcceptorConfig): NtlmServer {
  return new NtlmServer({
    users: userStore(config.users),
    ...config.names,
    channelBindingPolicy: config.channelBindingPolicy,
  });
}

function userStore(users: AcceptorConfig["users"]): NtlmUserStore {
  if (users.kind === "lookup") return userStoreFromCallback(users.lookup);
  const what = users.path === undefined ? "NTLM_USER_FILE" : "the NTLM user file";
  return userStoreFromText(readUserFile(users.path ?? process.env.NTLM_USER_FILE, what));
}
