#!/usr/bin/python3
"""NTLM peers we did not write, driven token by token over stdin/stdout for the interop tests.

Modes:
  ntlm-auth-client USER DOMAIN PASSWORD [CB_HEX]  pure-Python ntlm-auth (python3-ntlm-auth) initiator
  gssapi-initiator USER DOMAIN [CB_HEX]           gss-ntlmssp initiator via python3-gssapi (password from NTLM_USER_FILE)
  gssapi-acceptor [CB_HEX]                        gss-ntlmssp acceptor via python3-gssapi (users from NTLM_USER_FILE)

CB_HEX is the application data of the channel bindings (tls-server-end-point:...), hex.
Protocol: every line is one base64 token. An initiator first prints its NEGOTIATE, reads a
CHALLENGE and prints its AUTHENTICATE; an acceptor reads a NEGOTIATE, prints a CHALLENGE, reads an
AUTHENTICATE and prints "OK <name>" or "ERR <message>". Then both take "WRAP <b64>" (answers the
wrap token) and "UNWRAP <b64>" (answers the plaintext or "ERR <message>") until end of input.
"""
import base64
import hashlib
import sys

b64 = lambda b: base64.b64encode(b).decode()
unb64 = lambda s: base64.b64decode(s.strip())


def out(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def read():
    line = sys.stdin.readline()
    if not line:
        sys.exit(0)
    return line.strip()


def serve_messages(wrap, unwrap):
    while True:
        cmd, _, arg = read().partition(" ")
        try:
            if cmd == "WRAP":
                out(b64(wrap(unb64(arg))))
            elif cmd == "UNWRAP":
                out(b64(unwrap(unb64(arg))))
            else:
                out("ERR unknown command")
        except Exception as e:  # the test reads the failure
            out("ERR " + type(e).__name__ + ": " + str(e).splitlines()[0][:200] if str(e) else "ERR " + type(e).__name__)


def ntlm_auth_client(user, domain, password, cb_hex=None):
    # OpenSSL 3 has no MD4: python ntlm-auth calls hashlib.new("md4"); give it pycryptodome's.
    from Cryptodome.Hash import MD4

    new = hashlib.new
    hashlib.new = lambda name, data=b"", **kw: MD4.new(data) if name.lower() == "md4" else new(name, data, **kw)
    from ntlm_auth.gss_channel_bindings import GssChannelBindingsStruct
    from ntlm_auth.ntlm import NtlmContext

    cbt = None
    if cb_hex:
        cbt = GssChannelBindingsStruct()
        cbt[cbt.APPLICATION_DATA] = bytes.fromhex(cb_hex)
    ctx = NtlmContext(user, password, domain, "PYWS", cbt_data=cbt, ntlm_compatibility=3)
    out(b64(ctx.step()))
    out(b64(ctx.step(unb64(read()))))
    serve_messages(ctx.wrap, ctx.unwrap)


def gss_bindings(cb_hex):
    import gssapi.raw as gr

    return None if not cb_hex else gr.ChannelBindings(application_data=bytes.fromhex(cb_hex))


NTLM_OID = "1.3.6.1.4.1.311.2.2.10"


def gssapi_initiator(user, domain, cb_hex=None):
    import gssapi

    mech = gssapi.OID.from_int_seq(NTLM_OID)
    creds = gssapi.Credentials(name=gssapi.Name(domain + "\\" + user, gssapi.NameType.user), usage="initiate", mechs=[mech])
    flags = gssapi.RequirementFlag.integrity | gssapi.RequirementFlag.confidentiality
    ctx = gssapi.SecurityContext(
        name=gssapi.Name("HTTP@localhost", gssapi.NameType.hostbased_service),
        mech=mech, usage="initiate", creds=creds, channel_bindings=gss_bindings(cb_hex), flags=flags,
    )
    out(b64(ctx.step()))
    out(b64(ctx.step(unb64(read())) or b""))
    serve_messages(lambda m: ctx.wrap(m, True).message, lambda t: ctx.unwrap(t).message)


def gssapi_acceptor(cb_hex=None):
    import gssapi

    ctx = gssapi.SecurityContext(usage="accept", channel_bindings=gss_bindings(cb_hex))
    out(b64(ctx.step(unb64(read()))))
    try:
        ctx.step(unb64(read()))
        out("OK " + str(ctx.initiator_name) if ctx.complete else "ERR incomplete")
    except Exception as e:
        out("ERR " + type(e).__name__ + ": " + " ".join(str(e).split())[:200])
        return
    serve_messages(lambda m: ctx.wrap(m, True).message, lambda t: ctx.unwrap(t).message)


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    {"ntlm-auth-client": ntlm_auth_client, "gssapi-initiator": gssapi_initiator, "gssapi-acceptor": gssapi_acceptor}[mode](*args)
