/**
 * A Kerberos client in a child process, run by sspi-package.test under Debian's `faketime` so its
 * clock is off: one InitializeSecurityContext with alice's password against the realm of
 * `KRB5_CONFIG`, printing `{ status, reason }` as JSON.
 */
import { ISC_REQ_MUTUAL_AUTH } from "../../src/index.js";
import { childOnly } from "../support/child.js";
import { KerberosEnd } from "../support/kerberos-sspi.js";

childOnly();
const client = await KerberosEnd.initiator(
  { User: "alice", Domain: process.env.TEST_REALM, Password: process.env.TEST_PASSWORD },
  { target: "HTTP/localhost", fContextReq: ISC_REQ_MUTUAL_AUTH },
);
const { status } = await client.step(null);
console.log(JSON.stringify({ status, reason: client.reason }));
client.dispose();
