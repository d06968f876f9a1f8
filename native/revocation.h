// Revocation mechanism: CRL checking flags of the verify store, verify errors the policy
// tolerates, stapled OCSP responses (the client verifies one, the server sends one). Which checks
// run and which failures are tolerated is decided in TypeScript (src/schannel/native/
// revocation-policy.ts); this only applies it with OpenSSL.
#pragma once

#include <napi.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

namespace native {

struct CredentialState;

// Reads { crlCheck, tolerate, tolerateAtAnchor, ocsp } of the credential options into `state`
// and the SSL_CTX (store flags, status request and callbacks). Throws TypeError on bad input.
void ConfigureRevocation(Napi::Env env, SSL_CTX* ctx, CredentialState* state, const Napi::Object& options);

// Server: keeps `response` (DER OCSP response) to staple when `leaf` is the certificate served.
void AddStaple(Napi::Env env, SSL_CTX* ctx, CredentialState* state, X509* leaf, const Napi::Value& response);

// True when the policy accepts verify error `error` at `depth` of the chain being built.
bool ToleratesVerifyError(const CredentialState& state, int error, int depth, X509_STORE_CTX* store);

// Client: the X509_V_ERR_* verdict on the stapled OCSP response of `ssl` (X509_V_OK when it is
// valid and says good). `stapled` tells whether there was one at all.
int CheckStapledResponse(SSL* ssl, bool* stapled);

}  // namespace native
