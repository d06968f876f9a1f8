/**
 * Revocation checking of a Schannel credential: what the `SCH_CRED_REVOCATION_CHECK_*` and
 * `SCH_CRED_IGNORE_*` flags of `dwFlags` ask for, as one policy value.
 *
 * What is checked: the CRLs given with the credential's roots (`hRootStore` entries that are
 * CRLs), and a stapled OCSP response (requested whenever a check is asked for). Nothing is
 * fetched from the network: CRL distribution points and OCSP responders named in certificates
 * are not contacted (`SCH_CRED_CACHE_ONLY_URL_RETRIEVAL`, `SCH_CRED_REVOCATION_CHECK_CACHE_ONLY`
 * describe what happens anyway). A certificate without a CRL and without a good stapled response
 * gets `CRYPT_E_NO_REVOCATION_CHECK`; a CRL or stapled response outside its validity window gets
 * `CRYPT_E_REVOCATION_OFFLINE`; a revoked certificate gets `CRYPT_E_REVOKED`.
 *
 * @module
 */
import {
  SCH_CRED_IGNORE_NO_REVOCATION_CHECK,
  SCH_CRED_IGNORE_REVOCATION_OFFLINE,
  SCH_CRED_REVOCATION_CHECK_CHAIN,
  SCH_CRED_REVOCATION_CHECK_CHAIN_EXCLUDE_ROOT,
  SCH_CRED_REVOCATION_CHECK_END_CERT,
} from "../sspi/schannel-constants.js";

/** Which certificates of the peer's chain are checked for revocation. */
export type RevocationScope = "end-cert" | "chain" | "chain-exclude-root";

/** The revocation policy of a credential. */
export type RevocationPolicy =
  | { check: "none" }
  | {
      check: RevocationScope;
      /** `SCH_CRED_IGNORE_NO_REVOCATION_CHECK`: no CRL / no usable status is not a failure. */
      ignoreNoCheck: boolean;
      /** `SCH_CRED_IGNORE_REVOCATION_OFFLINE`: a CRL or status past its next update is not a failure. */
      ignoreOffline: boolean;
    };

/**
 * The policy `dwFlags` asks for. With several scope flags the widest wins (chain over
 * chain-exclude-root over end-cert); the ignore flags alone ask for nothing.
 */
export function revocationPolicy(flags: number): RevocationPolicy {
  const check: RevocationScope | null =
    flags & SCH_CRED_REVOCATION_CHECK_CHAIN
      ? "chain"
      : flags & SCH_CRED_REVOCATION_CHECK_CHAIN_EXCLUDE_ROOT
        ? "chain-exclude-root"
        : flags & SCH_CRED_REVOCATION_CHECK_END_CERT
          ? "end-cert"
          : null;
  if (check === null) return { check: "none" };
  return {
    check,
    ignoreNoCheck: (flags & SCH_CRED_IGNORE_NO_REVOCATION_CHECK) !== 0,
    ignoreOffline: (flags & SCH_CRED_IGNORE_REVOCATION_OFFLINE) !== 0,
  };
}
