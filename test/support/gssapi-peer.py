#!/usr/bin/python3
"""MIT krb5 through python3-gssapi as a test peer, driven by JSON lines on stdin/stdout.

Usage: gssapi-peer.py initiator|acceptor TARGET [CB_HEX]
  initiator: credentials from KRB5CCNAME, target "service@host", flags mutual+sequence+conf+integ.
  acceptor:  credentials from KRB5_KTNAME.
  GSSAPI_PEER_MECH=spnego makes the initiator use SPNEGO (Kerberos and, with gss-ntlmssp and
  NTLM_USER_FILE, NTLM); the acceptor takes whatever mechanism its credentials allow.
Requests: {"op": "step", "token": b64|null} | {"op": "wrap", "data": b64, "conf": bool}
          {"op": "unwrap", "token": b64} | {"op": "mic", "data": b64}
          {"op": "verify", "data": b64, "token": b64}
Replies:  {"token"|"data"|...} or {"error": "..."}.
"""
import base64
import json
import os
import sys

import gssapi
from gssapi.raw import ChannelBindings

role, target = sys.argv[1], sys.argv[2]
cb = ChannelBindings(application_data=bytes.fromhex(sys.argv[3])) if len(sys.argv) > 3 else None
flags = [gssapi.RequirementFlag.mutual_authentication, gssapi.RequirementFlag.out_of_sequence_detection,
         gssapi.RequirementFlag.replay_detection, gssapi.RequirementFlag.confidentiality,
         gssapi.RequirementFlag.integrity]
mechs = {"krb5": gssapi.MechType.kerberos, "spnego": gssapi.OID.from_int_seq("1.3.6.1.5.5.2")}
mech = mechs[os.environ.get("GSSAPI_PEER_MECH", "krb5")]
if role == "initiator":
    name = gssapi.Name(target, gssapi.NameType.hostbased_service)
    ctx = gssapi.SecurityContext(name=name, usage="initiate", mech=mech, flags=flags, channel_bindings=cb)
else:
    creds = gssapi.Credentials(usage="accept")
    ctx = gssapi.SecurityContext(creds=creds, usage="accept", channel_bindings=cb)

b64 = lambda b: None if b is None else base64.b64encode(b).decode()
unb64 = lambda s: None if s is None else base64.b64decode(s)

for line in sys.stdin:
    req = json.loads(line)
    try:
        op = req["op"]
        if op == "step":
            out = ctx.step(unb64(req.get("token")))
            reply = {"token": b64(out), "complete": ctx.complete}
            if ctx.complete:
                reply["peer"] = str(ctx.initiator_name if role == "acceptor" else ctx.target_name)
        elif op == "wrap":
            reply = {"token": b64(ctx.wrap(unb64(req["data"]), req["conf"]).message)}
        elif op == "unwrap":
            res = ctx.unwrap(unb64(req["token"]))
            reply = {"data": b64(res.message), "conf": res.encrypted}
        elif op == "mic":
            reply = {"token": b64(ctx.get_signature(unb64(req["data"])))}
        elif op == "verify":
            ctx.verify_signature(unb64(req["data"]), unb64(req["token"]))
            reply = {"ok": True}
        else:
            reply = {"error": "unknown op " + op}
    except Exception as e:  # every failure goes back to the test as text
        reply = {"error": type(e).__name__ + ": " + str(e)}
    print(json.dumps(reply), flush=True)
