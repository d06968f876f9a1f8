/**
 * What to do about a failure: each SSPI status a user of `serve`/`connect` can meet, with one
 * line of advice naming the flag that helps
 * (`SEC_E_UNTRUSTED_ROOT: the server's chain ends in an untrusted root — pass --ca FILE or --insecure`).
 *
 * @module
 */

/** The parts of an explained SSPI failure the advice reads (an `SspiError` or `SspiErrorInfo`). */
export interface FailureLike {
  statusName: string;
  reason: string | null;
  alertSent: { name: string } | null;
  alertReceived: { name: string } | null;
  message: string;
}

const CLIENT_HINTS: Record<string, string> = {
  SEC_E_UNTRUSTED_ROOT: "the server's chain ends in an untrusted root — pass --ca FILE or --insecure",
  SEC_E_WRONG_PRINCIPAL:
    "the server's certificate does not name the server you asked for — pass --servername NAME (a name in the certificate) or --insecure",
  SEC_E_CERT_EXPIRED:
    "the server's certificate is expired or not yet valid — check the clocks and the certificate, or pass --insecure to look at it",
  SEC_E_CERT_UNKNOWN:
    "the server's certificate could not be validated — pass --insecure to see the chain and why",
  SEC_E_ALGORITHM_MISMATCH:
    "no protocol version or cipher suite in common with the server — check --tls1.2/--tls1.3 against what the server allows",
  SEC_E_INCOMPLETE_MESSAGE:
    "the connection closed during the handshake — is this a TLS port, and does the server accept this client?",
  SEC_E_INVALID_TOKEN: "the server did not answer with TLS — is this a TLS port?",
  SEC_E_MUTUAL_AUTH_FAILED: "the server requires a client certificate — pass --cert FILE --key FILE",
  SEC_I_INCOMPLETE_CREDENTIALS: "the server asks for a client certificate — pass --cert FILE --key FILE",
  SEC_E_NO_CREDENTIALS:
    "the client certificate could not be used — check --cert/--key (or --pfx/--passphrase)",
  SEC_E_UNKNOWN_CREDENTIALS:
    "the certificate or key could not be loaded — check --cert/--key (PEM or DER, key matching the certificate) or --pfx/--passphrase",
  SEC_E_INVALID_PARAMETER: "an option was rejected — see the reason below",
};

const SERVER_HINTS: Record<string, string> = {
  SEC_E_UNTRUSTED_ROOT: "the client's certificate is not issued by a --client-ca certificate",
  SEC_E_CERT_EXPIRED: "the client's certificate is expired or not yet valid",
  SEC_E_MUTUAL_AUTH_FAILED:
    "the client sent no certificate (--client-ca / --require-client-cert ask for one)",
  SEC_E_ALGORITHM_MISMATCH:
    "no protocol version or cipher suite in common with the client (see --tls1.2/--tls1.3)",
  SEC_E_INCOMPLETE_MESSAGE: "the client closed the connection during the handshake",
  SEC_E_INVALID_TOKEN: "the client did not speak TLS (plain HTTP to the HTTPS port?)",
  SEC_E_ILLEGAL_MESSAGE: "the client sent malformed TLS or refused the handshake with an alert",
  SEC_E_NO_CREDENTIALS:
    "no certificate to serve — pass --cert/--key or --pfx (or none, for the development certificate)",
  SEC_E_UNKNOWN_CREDENTIALS:
    "the certificate or key could not be loaded — check --cert/--key (PEM or DER, key matching the certificate) or --pfx/--passphrase",
  SEC_E_INVALID_PARAMETER: "an option was rejected — see the reason below",
};

function alertHint(failure: FailureLike, role: "client" | "server"): string | null {
  const alert = failure.alertReceived?.name;
  if (alert === undefined || role !== "client") return null;
  if (alert === "certificate_required" || alert === "handshake_failure" || alert === "bad_certificate")
    return `the server refused the handshake (alert ${alert}) — it may require a client certificate: pass --cert FILE --key FILE`;
  if (alert === "unknown_ca" || alert === "certificate_unknown")
    return `the server rejected our client certificate (alert ${alert}) — use one issued by a CA the server trusts`;
  if (alert === "protocol_version")
    return "the server does not speak this TLS version (alert protocol_version) — try --tls1.2 or --tls1.3";
  if (alert === "no_application_protocol")
    return "the server speaks none of the --alpn protocols offered (alert no_application_protocol)";
  if (alert === "unrecognized_name")
    return "the server does not know the name we sent (alert unrecognized_name) — pass --servername NAME";
  return `the server refused the handshake with the alert ${alert}`;
}

/**
 * One line of advice for a status, or null when there is nothing better than the message.
 *
 * @param role whose point of view: a client (`connect`) or a server (`serve`).
 */
export function hintFor(failure: FailureLike, role: "client" | "server"): string | null {
  return (
    alertHint(failure, role) ??
    (role === "client" ? CLIENT_HINTS : SERVER_HINTS)[failure.statusName] ??
    (failure.statusName === "SEC_E_ILLEGAL_MESSAGE" && role === "client"
      ? "the server sent malformed TLS or an alert — is this a TLS server?"
      : null)
  );
}

/**
 * The failure as the CLI prints it: `STATUS: advice`, then the SSPI message with the engine's
 * reason and alerts on a second, indented line.
 */
export function describeFailure(failure: FailureLike, role: "client" | "server"): string {
  const hint = hintFor(failure, role);
  const first = `${failure.statusName}: ${hint ?? failure.reason ?? "failed"}`;
  return `${first}\n  (${failure.message})`;
}

/**
 * A failure as one short phrase for a log line: `SEC_E_UNTRUSTED_ROOT (alert sent: unknown_ca)`.
 */
export function shortFailure(failure: FailureLike): string {
  const alerts = [
    failure.alertSent ? `alert sent: ${failure.alertSent.name}` : null,
    failure.alertReceived ? `alert received: ${failure.alertReceived.name}` : null,
  ].filter((a) => a !== null);
  return `${failure.statusName}${alerts.length > 0 ? ` (${alerts.join(", ")})` : ""}`;
}
