#include "revocation.h"

#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "addon.h"
#include "credential.h"
#include "util.h"

namespace native {

namespace {

std::vector<int> ReadCodes(Napi::Env env, const Napi::Value& value, const char* what) {
  std::vector<int> out;
  if (value.IsUndefined() || value.IsNull()) return out;
  if (!value.IsArray()) throw Napi::TypeError::New(env, std::string(what) + " must be an array of verify codes");
  Napi::Array list = value.As<Napi::Array>();
  for (uint32_t i = 0; i < list.Length(); i++) {
    Napi::Value entry = list.Get(i);
    if (!entry.IsNumber()) throw Napi::TypeError::New(env, std::string(what) + "[] must be numbers");
    double code = entry.As<Napi::Number>().DoubleValue();
    if (!(code > 0 && code < 1000) || code != static_cast<double>(static_cast<int>(code)))
      throw Napi::TypeError::New(env, std::string(what) + "[] must be X509_V_ERR_* codes");
    out.push_back(static_cast<int>(code));
  }
  return out;
}

bool Contains(const std::vector<int>& codes, int code) {
  return std::find(codes.begin(), codes.end(), code) != codes.end();
}

// Server: staples the response kept for the certificate this handshake serves, if any.
int ServerStatusCallback(SSL* ssl, void*) {
  auto* state = static_cast<CredentialState*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), CredentialIndex()));
  X509* served = SSL_get_certificate(ssl);
  if (state == nullptr || served == nullptr) return SSL_TLSEXT_ERR_NOACK;
  for (const auto& staple : state->staples) {
    if (X509_cmp(staple.first, served) != 0) continue;
    auto* copy = static_cast<unsigned char*>(OPENSSL_malloc(staple.second.size()));
    if (copy == nullptr) return SSL_TLSEXT_ERR_NOACK;
    memcpy(copy, staple.second.data(), staple.second.size());
    if (SSL_set_tlsext_status_ocsp_resp(ssl, copy, static_cast<long>(staple.second.size())) != 1) {
      OPENSSL_free(copy);
      return SSL_TLSEXT_ERR_NOACK;
    }
    return SSL_TLSEXT_ERR_OK;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

struct StoreFree { void operator()(X509_STORE* s) const { X509_STORE_free(s); } };
struct ResponseFree { void operator()(OCSP_RESPONSE* r) const { OCSP_RESPONSE_free(r); } };
struct BasicFree { void operator()(OCSP_BASICRESP* b) const { OCSP_BASICRESP_free(b); } };
struct IdFree { void operator()(OCSP_CERTID* i) const { OCSP_CERTID_free(i); } };
struct CertsFree { void operator()(STACK_OF(X509)* s) const { sk_X509_pop_free(s, X509_free); } };

// The credential's trust anchors in a store of their own: the responder's chain is verified
// without the CRL flags of the handshake's store (a responder certificate has no CRL here).
std::unique_ptr<X509_STORE, StoreFree> AnchorsOf(SSL* ssl) {
  std::unique_ptr<X509_STORE, StoreFree> anchors(X509_STORE_new());
  if (!anchors) return anchors;
  X509_STORE* store = SSL_CTX_get_cert_store(SSL_get_SSL_CTX(ssl));
  std::unique_ptr<STACK_OF(X509), CertsFree> certs(X509_STORE_get1_all_certs(store));
  for (int i = 0; certs && i < sk_X509_num(certs.get()); i++)
    if (X509_STORE_add_cert(anchors.get(), sk_X509_value(certs.get(), i)) != 1) ERR_clear_error();
  return anchors;
}

}  // namespace

void ConfigureRevocation(Napi::Env env, SSL_CTX* ctx, CredentialState* state, const Napi::Object& o) {
  // 0 none, 1 the leaf's CRL, 2 every certificate of the chain.
  int64_t crlCheck = OptionalInteger(o, "crlCheck", 0, 0, 2);
  if (crlCheck > 0)
    X509_STORE_set_flags(SSL_CTX_get_cert_store(ctx),
                         X509_V_FLAG_CRL_CHECK | (crlCheck == 2 ? X509_V_FLAG_CRL_CHECK_ALL : 0));
  state->tolerated = ReadCodes(env, o.Get("tolerate"), "tolerate");
  state->toleratedAtAnchor = ReadCodes(env, o.Get("tolerateAtAnchor"), "tolerateAtAnchor");
  // 0 off; 1 request a stapled response and verify it; 2 also let a good one stand in for the
  // leaf's missing CRL.
  state->ocsp = static_cast<int>(OptionalInteger(o, "ocsp", 0, 0, 2));
  if (state->ocsp > 0 && !state->server) SSL_CTX_set_tlsext_status_type(ctx, TLSEXT_STATUSTYPE_ocsp);
}

void AddStaple(Napi::Env env, SSL_CTX* ctx, CredentialState* state, X509* leaf, const Napi::Value& response) {
  if (response.IsUndefined() || response.IsNull()) return;
  View der = RequireBytes(response, "ocspResponse");
  const unsigned char* at = der.data;
  OCSP_RESPONSE* parsed = der.length == 0 ? nullptr : d2i_OCSP_RESPONSE(nullptr, &at, static_cast<long>(der.length));
  if (parsed == nullptr || at != der.data + der.length) {
    OCSP_RESPONSE_free(parsed);
    ThrowOpensslError(env, "ocspResponse is not a DER OCSP response");
  }
  OCSP_RESPONSE_free(parsed);
  if (!state->server) throw Napi::TypeError::New(env, "ocspResponse is for server credentials");
  X509_up_ref(leaf);
  state->staples.emplace_back(leaf, std::vector<uint8_t>(der.data, der.data + der.length));
  SSL_CTX_set_tlsext_status_cb(ctx, ServerStatusCallback);
}

bool ToleratesVerifyError(const CredentialState& state, int error, int depth, X509_STORE_CTX* store) {
  if (Contains(state.tolerated, error)) return true;
  STACK_OF(X509)* chain = store == nullptr ? nullptr : X509_STORE_CTX_get0_chain(store);
  int anchor = chain == nullptr ? -1 : sk_X509_num(chain) - 1;
  return depth == anchor && anchor > 0 && Contains(state.toleratedAtAnchor, error);
}

int CheckStapledResponse(SSL* ssl, bool* stapled) {
  const unsigned char* der = nullptr;
  long length = SSL_get_tlsext_status_ocsp_resp(ssl, &der);
  *stapled = der != nullptr && length > 0;
  if (!*stapled) return X509_V_OK;
  std::unique_ptr<OCSP_RESPONSE, ResponseFree> response(d2i_OCSP_RESPONSE(nullptr, &der, length));
  if (!response || OCSP_response_status(response.get()) != OCSP_RESPONSE_STATUS_SUCCESSFUL)
    return X509_V_ERR_OCSP_VERIFY_FAILED;
  std::unique_ptr<OCSP_BASICRESP, BasicFree> basic(OCSP_response_get1_basic(response.get()));
  STACK_OF(X509)* chain = SSL_get0_verified_chain(ssl);
  if (!basic || chain == nullptr || sk_X509_num(chain) < 1) return X509_V_ERR_OCSP_VERIFY_FAILED;
  X509* leaf = sk_X509_value(chain, 0);
  X509* issuer = sk_X509_num(chain) > 1 ? sk_X509_value(chain, 1) : leaf;
  // Signed by the issuer, or by a responder the issuer delegated (id-kp-OCSPSigning).
  auto anchors = AnchorsOf(ssl);
  if (!anchors || OCSP_basic_verify(basic.get(), chain, anchors.get(), 0) <= 0) return X509_V_ERR_OCSP_VERIFY_FAILED;
  int status = -1, reason = 0;
  ASN1_GENERALIZEDTIME *revoked = nullptr, *thisUpdate = nullptr, *nextUpdate = nullptr;
  bool found = false;
  for (const EVP_MD* md : {EVP_sha1(), EVP_sha256()}) {
    std::unique_ptr<OCSP_CERTID, IdFree> id(OCSP_cert_to_id(md, leaf, issuer));
    if (id && OCSP_resp_find_status(basic.get(), id.get(), &status, &reason, &revoked, &thisUpdate, &nextUpdate) == 1) {
      found = true;
      break;
    }
  }
  if (!found) return X509_V_ERR_OCSP_VERIFY_FAILED;  // about another certificate
  // The validity window, with five minutes of clock skew either way.
  if (OCSP_check_validity(thisUpdate, nextUpdate, 300, -1) != 1) return X509_V_ERR_OCSP_VERIFY_NEEDED;
  if (status == V_OCSP_CERTSTATUS_REVOKED) return X509_V_ERR_CERT_REVOKED;
  if (status != V_OCSP_CERTSTATUS_GOOD) return X509_V_ERR_OCSP_CERT_UNKNOWN;
  return X509_V_OK;
}

}  // namespace native
