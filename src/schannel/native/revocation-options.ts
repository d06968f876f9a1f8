/**
 * A credential's {@link RevocationPolicy} as the native addon's credential options: OpenSSL's
 * CRL checking level, the verify errors the policy tolerates, and the OCSP stapling mode.
 *
 * | policy | `crlCheck` | tolerated (`X509_V_ERR_*`) |
 * |---|---|---|
 * | `end-cert` | 1 (the leaf) | |
 * | `chain` | 2 (every certificate; a self-signed root is covered by its own CRL) | |
 * | `chain-exclude-root` | 2 | no CRL / stale CRL at the trust anchor |
 * | `ignoreNoCheck` | | `UNABLE_TO_GET_CRL`, `UNABLE_TO_GET_CRL_ISSUER`, `OCSP_CERT_UNKNOWN` |
 * | `ignoreOffline` | | `CRL_HAS_EXPIRED`, `CRL_NOT_YET_VALID`, `OCSP_VERIFY_NEEDED` (stale staple) |
 *
 * A client with a check requests a stapled OCSP response (`ocsp: 2`): a stapled response is
 * verified (issuer or delegated responder signature, certificate id, this/next update window) and
 * a good one stands in for the leaf's missing CRL. A server never asks its clients for one.
 *
 * @module
 */
import type { RevocationPolicy } from "../revocation.js";
import type { NativeCredentialOptions } from "./addon-types.js";
import {
  X509_V_ERR_CRL_HAS_EXPIRED,
  X509_V_ERR_CRL_NOT_YET_VALID,
  X509_V_ERR_OCSP_CERT_UNKNOWN,
  X509_V_ERR_OCSP_VERIFY_NEEDED,
  X509_V_ERR_UNABLE_TO_GET_CRL,
  X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER,
} from "./verify-codes.js";

const NO_CHECK = [
  X509_V_ERR_UNABLE_TO_GET_CRL,
  X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER,
  X509_V_ERR_OCSP_CERT_UNKNOWN,
];
const OFFLINE = [X509_V_ERR_CRL_HAS_EXPIRED, X509_V_ERR_CRL_NOT_YET_VALID, X509_V_ERR_OCSP_VERIFY_NEEDED];

type RevocationOptions = Pick<NativeCredentialOptions, "crlCheck" | "tolerate" | "tolerateAtAnchor" | "ocsp">;

/** @returns the addon options that run `policy` for a credential of `role`. */
export function revocationOptions(
  policy: RevocationPolicy | undefined,
  role: "client" | "server",
): RevocationOptions {
  if (policy === undefined || policy.check === "none") return {};
  const tolerate = [...(policy.ignoreNoCheck ? NO_CHECK : []), ...(policy.ignoreOffline ? OFFLINE : [])];
  const options: RevocationOptions = {
    crlCheck: policy.check === "end-cert" ? 1 : 2,
    tolerate,
  };
  if (policy.check === "chain-exclude-root")
    options.tolerateAtAnchor = [...NO_CHECK, ...OFFLINE].filter((code) => !tolerate.includes(code));
  if (role === "client") options.ocsp = 2;
  return options;
}
