/**
 * Registers the Schannel package once per isolate (imported by the package entry point).
 *
 * @module
 */
import { findSecurityPackage, registerSecurityPackage } from "../sspi/package-registry.js";
import { SCHANNEL_NAME } from "../sspi/schannel-constants.js";
import { SchannelPackage } from "./schannel-package.js";

if (findSecurityPackage(SCHANNEL_NAME) === undefined) registerSecurityPackage(new SchannelPackage());
