/**
 * Registers the Negotiate package once per isolate (imported by the package entry point).
 *
 * @module
 */
import { findSecurityPackage, registerSecurityPackage } from "../sspi/package-registry.js";
import { NegotiatePackage } from "./negotiate-package.js";
import { NEGOSSP_NAME } from "./package-info.js";

if (findSecurityPackage(NEGOSSP_NAME) === undefined) registerSecurityPackage(new NegotiatePackage());
