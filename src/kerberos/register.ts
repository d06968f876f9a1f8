/**
 * Registers the Kerberos package once per isolate (imported by the package entry point). Other
 * packages (Negotiate) reach it through the registry by its name, "Kerberos".
 *
 * @module
 */
import { findSecurityPackage, registerSecurityPackage } from "../sspi/package-registry.js";
import { KerberosPackage } from "./package/kerberos-package.js";
import { MICROSOFT_KERBEROS_NAME } from "./package/package-info.js";

if (findSecurityPackage(MICROSOFT_KERBEROS_NAME) === undefined)
  registerSecurityPackage(new KerberosPackage());
