/**
 * Registers the NTLM package once per isolate (imported by the package entry point).
 *
 * @module
 */
import { findSecurityPackage, registerSecurityPackage } from "../sspi/package-registry.js";
import { NtlmPackage } from "./package/ntlm-package.js";
import { NTLMSP_NAME } from "./package/package-info.js";

if (findSecurityPackage(NTLMSP_NAME) === undefined) registerSecurityPackage(new NtlmPackage());
