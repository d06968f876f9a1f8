#include "credential.h"

#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <cstring>
#include <memory>

#include "addon.h"
#include "context.h"
#include "revocation.h"
#include "util.h"

namespace native {

namespace {

struct BioFree { void operator()(BIO* b) const { BIO_free(b); } };
struct X509Free { void operator()(X509* x) const { X509_free(x); } };
struct KeyFree { void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); } };
struct CtxFree { void operator()(SSL_CTX* c) const { SSL_CTX_free(c); } };
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;

bool LooksLikePem(const View& v) {
  static const char marker[] = "-----BEGIN";
  if (v.length < sizeof marker - 1) return false;
  return memmem(v.data, v.length, marker, sizeof marker - 1) != nullptr;
}

BioPtr MemoryBio(const View& v) {
  return BioPtr(BIO_new_mem_buf(v.length == 0 ? static_cast<const void*>("") : static_cast<const void*>(v.data), static_cast<int>(v.length)));
}

int PassphraseCallback(char* buffer, int size, int, void* user) {
  const std::string* passphrase = static_cast<const std::string*>(user);
  if (passphrase == nullptr) return 0;
  int length = static_cast<int>(passphrase->size());
  if (length > size) return -1;
  memcpy(buffer, passphrase->data(), static_cast<size_t>(length));
  return length;
}

// Certificates in `v`: every PEM block, or one DER certificate.
std::vector<X509Ptr> ReadCertificates(Napi::Env env, const View& v, const char* what) {
  std::vector<X509Ptr> out;
  if (LooksLikePem(v)) {
    BioPtr bio = MemoryBio(v);
    while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) out.emplace_back(x);
    ERR_clear_error();
  } else if (v.length > 0) {
    const unsigned char* at = v.data;
    X509* x = d2i_X509(nullptr, &at, static_cast<long>(v.length));
    if (x != nullptr) out.emplace_back(x);
  }
  if (out.empty()) ThrowOpensslError(env, std::string(what) + ": no certificate could be read");
  return out;
}

KeyPtr ReadKey(Napi::Env env, const View& v, const std::string* passphrase) {
  EVP_PKEY* key = nullptr;
  if (LooksLikePem(v)) {
    BioPtr bio = MemoryBio(v);
    key = PEM_read_bio_PrivateKey(bio.get(), nullptr, PassphraseCallback,
                                  const_cast<std::string*>(passphrase));
  } else if (v.length > 0) {
    const unsigned char* at = v.data;
    key = d2i_AutoPrivateKey(nullptr, &at, static_cast<long>(v.length));
  }
  if (key == nullptr) ThrowOpensslError(env, "private key unreadable or wrong passphrase");
  return KeyPtr(key);
}

void UseChainAndKey(Napi::Env env, SSL_CTX* ctx, std::vector<X509Ptr>& chain, EVP_PKEY* key) {
  STACK_OF(X509)* extra = sk_X509_new_null();
  for (size_t i = 1; i < chain.size(); i++) sk_X509_push(extra, chain[i].get());
  int ok = SSL_CTX_use_cert_and_key(ctx, chain[0].get(), key, extra, 1);
  sk_X509_free(extra);  // the certificates themselves stay owned by `chain` (use_cert_and_key up-refs)
  if (ok != 1) ThrowOpensslError(env, "certificate and key cannot be used together");
}

void LoadCertificate(Napi::Env env, SSL_CTX* ctx, CredentialState* state, const Napi::Value& entry) {
  if (!entry.IsObject()) throw Napi::TypeError::New(env, "certificates[] entries must be objects");
  Napi::Object object = entry.As<Napi::Object>();
  std::string passphraseText = OptionalString(object, "passphrase");
  bool hasPassphrase = !object.Get("passphrase").IsUndefined() && !object.Get("passphrase").IsNull();
  const std::string* passphrase = hasPassphrase ? &passphraseText : nullptr;
  if (object.Has("pfx")) {
    View pfx = RequireBytes(object.Get("pfx"), "pfx");
    const unsigned char* at = pfx.data;
    PKCS12* p12 = pfx.length == 0 ? nullptr : d2i_PKCS12(nullptr, &at, static_cast<long>(pfx.length));
    if (p12 == nullptr) ThrowOpensslError(env, "pfx is not PKCS#12");
    EVP_PKEY* key = nullptr;
    X509* cert = nullptr;
    STACK_OF(X509)* cas = nullptr;
    int ok = PKCS12_parse(p12, passphrase != nullptr ? passphrase->c_str() : "", &key, &cert, &cas);
    PKCS12_free(p12);
    if (ok != 1 || cert == nullptr || key == nullptr) {
      EVP_PKEY_free(key);
      X509_free(cert);
      sk_X509_pop_free(cas, X509_free);
      ThrowOpensslError(env, "pfx cannot be opened (wrong passphrase or no key)");
    }
    std::vector<X509Ptr> chain;
    chain.emplace_back(cert);
    for (int i = 0; cas != nullptr && i < sk_X509_num(cas); i++) chain.emplace_back(sk_X509_value(cas, i));
    sk_X509_free(cas);
    KeyPtr owned(key);
    UseChainAndKey(env, ctx, chain, key);
    AddStaple(env, ctx, state, chain[0].get(), object.Get("ocspResponse"));
    return;
  }
  View chainBytes = RequireBytes(object.Get("chain"), "chain");
  View keyBytes = RequireBytes(object.Get("key"), "key");
  std::vector<X509Ptr> chain = ReadCertificates(env, chainBytes, "chain");
  KeyPtr key = ReadKey(env, keyBytes, passphrase);
  UseChainAndKey(env, ctx, chain, key.get());
  AddStaple(env, ctx, state, chain[0].get(), object.Get("ocspResponse"));
}

void LoadRoots(Napi::Env env, SSL_CTX* ctx, const Napi::Value& roots, bool clientCaNames) {
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  if (roots.IsUndefined() || roots.IsNull()) return;
  if (!roots.IsArray()) throw Napi::TypeError::New(env, "roots must be an array");
  Napi::Array list = roots.As<Napi::Array>();
  for (uint32_t i = 0; i < list.Length(); i++) {
    std::vector<X509Ptr> certs = ReadCertificates(env, RequireBytes(list.Get(i), "roots[]"), "roots[]");
    for (X509Ptr& cert : certs) {
      if (X509_STORE_add_cert(store, cert.get()) != 1) ERR_clear_error();  // duplicates are fine
      if (clientCaNames && SSL_CTX_add_client_CA(ctx, cert.get()) != 1) ERR_clear_error();
    }
  }
}

void LoadCrls(Napi::Env env, SSL_CTX* ctx, const Napi::Value& crls) {
  if (crls.IsUndefined() || crls.IsNull()) return;
  if (!crls.IsArray()) throw Napi::TypeError::New(env, "crls must be an array");
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  Napi::Array list = crls.As<Napi::Array>();
  for (uint32_t i = 0; i < list.Length(); i++) {
    View v = RequireBytes(list.Get(i), "crls[]");
    X509_CRL* crl = nullptr;
    if (LooksLikePem(v)) {
      BioPtr bio = MemoryBio(v);
      crl = PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr);
    } else if (v.length > 0) {
      const unsigned char* at = v.data;
      crl = d2i_X509_CRL(nullptr, &at, static_cast<long>(v.length));
    }
    if (crl == nullptr) ThrowOpensslError(env, "crls[] unreadable");
    if (X509_STORE_add_crl(store, crl) != 1) ERR_clear_error();  // duplicates are fine
    X509_CRL_free(crl);
  }
}

int AlpnSelect(SSL* ssl, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
               unsigned int inlen, void*) {
  CredentialState* state =
      static_cast<CredentialState*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), CredentialIndex()));
  if (state == nullptr || state->alpn.empty()) return SSL_TLSEXT_ERR_NOACK;
  const std::vector<uint8_t>& ours = state->alpn;
  for (size_t i = 0; i < ours.size(); i += 1 + ours[i]) {
    for (unsigned int j = 0; j < inlen; j += 1u + in[j]) {
      if (j + 1u + in[j] > inlen) break;
      if (in[j] == ours[i] && memcmp(in + j + 1, ours.data() + i + 1, ours[i]) == 0) {
        *out = in + j + 1;
        *outlen = in[j];
        return SSL_TLSEXT_ERR_OK;
      }
    }
  }
  return SSL_TLSEXT_ERR_ALERT_FATAL;  // no_application_protocol
}

// First key encrypts; every key decrypts; a ticket under any key but the first is renewed, and
// TLS 1.3 always renews (OpenSSL's client uses a ticket once).
int TicketKeyCallback(SSL* ssl, unsigned char name[16], unsigned char* iv, EVP_CIPHER_CTX* cipher,
                      EVP_MAC_CTX* mac, int encrypt) {
  CredentialState* state =
      static_cast<CredentialState*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), CredentialIndex()));
  if (state == nullptr) return -1;
  std::lock_guard<std::mutex> lock(state->ticketMutex);
  const TicketKey* key = nullptr;
  size_t index = 0;
  if (encrypt) {
    if (state->ticketKeys.empty()) return 0;
    key = &state->ticketKeys[0];
    memcpy(name, key->name.data(), 16);
    if (RAND_bytes(iv, 16) != 1) return -1;
  } else {
    for (; index < state->ticketKeys.size(); index++)
      if (memcmp(state->ticketKeys[index].name.data(), name, 16) == 0) break;
    if (index == state->ticketKeys.size()) return 0;
    key = &state->ticketKeys[index];
  }
  const EVP_CIPHER* type = key->aes.size() == 32 ? EVP_aes_256_cbc() : EVP_aes_128_cbc();
  OSSL_PARAM params[3];
  params[0] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, const_cast<uint8_t*>(key->hmac.data()),
                                                key->hmac.size());
  params[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>("SHA256"), 0);
  params[2] = OSSL_PARAM_construct_end();
  if (EVP_MAC_CTX_set_params(mac, params) != 1) return -1;
  if (encrypt) return EVP_EncryptInit_ex(cipher, type, nullptr, key->aes.data(), iv) == 1 ? 1 : -1;
  if (EVP_DecryptInit_ex(cipher, type, nullptr, key->aes.data(), iv) != 1) return -1;
  return index == 0 && SSL_version(ssl) != TLS1_3_VERSION ? 1 : 2;
}

// Server: keeps this SSL_CTX when its certificate matches the SNI, else switches to the first
// alternative whose certificate does (X509_check_host, OpenSSL's own name rules).
int ServerNameCallback(SSL* ssl, int*, void*) {
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  SSL_CTX* current = SSL_get_SSL_CTX(ssl);
  auto* state = static_cast<CredentialState*>(SSL_CTX_get_ex_data(current, CredentialIndex()));
  if (name == nullptr || state == nullptr) return SSL_TLSEXT_ERR_OK;
  auto matches = [name](SSL_CTX* ctx) {
    X509* leaf = SSL_CTX_get0_certificate(ctx);
    return leaf != nullptr && X509_check_host(leaf, name, strlen(name), 0, nullptr) == 1;
  };
  if (!matches(current)) {
    for (SSL_CTX* alternative : state->alternatives) {
      if (matches(alternative)) {
        SSL_set_SSL_CTX(ssl, alternative);
        break;
      }
    }
  }
  ERR_clear_error();
  return SSL_TLSEXT_ERR_OK;
}

void FreeCredentialState(void*, void* pointer, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<CredentialState*>(pointer);
}

}  // namespace

int CredentialIndex() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, FreeCredentialState);
  return index;
}

std::vector<TicketKey> ParseTicketKeys(const Napi::Value& value) {
  Napi::Env env = value.Env();
  if (!value.IsArray()) throw Napi::TypeError::New(env, "ticketKeys must be an array");
  Napi::Array list = value.As<Napi::Array>();
  std::vector<TicketKey> keys;
  for (uint32_t i = 0; i < list.Length(); i++) {
    Napi::Value entry = list.Get(i);
    if (!entry.IsObject()) throw Napi::TypeError::New(env, "ticketKeys[] entries must be objects");
    Napi::Object o = entry.As<Napi::Object>();
    View name = RequireBytes(o.Get("name"), "ticketKeys[].name");
    View hmac = RequireBytes(o.Get("hmac"), "ticketKeys[].hmac");
    View aes = RequireBytes(o.Get("aes"), "ticketKeys[].aes");
    if (name.length != 16) throw Napi::TypeError::New(env, "ticketKeys[].name must be 16 bytes");
    if (hmac.length < 16 || hmac.length > 64) throw Napi::TypeError::New(env, "ticketKeys[].hmac must be 16..64 bytes");
    if (aes.length != 16 && aes.length != 32) throw Napi::TypeError::New(env, "ticketKeys[].aes must be 16 or 32 bytes");
    TicketKey key;
    memcpy(key.name.data(), name.data, 16);
    key.hmac.assign(hmac.data, hmac.data + hmac.length);
    key.aes.assign(aes.data, aes.data + aes.length);
    keys.push_back(std::move(key));
  }
  return keys;
}

Napi::Function Credential::Define(Napi::Env env) {
  return DefineClass(env, "Credential",
                     {
                         InstanceMethod("setTicketKeys", &Credential::SetTicketKeys),
                         InstanceMethod("free", &Credential::Free),
                         InstanceMethod("certificateChain", &Credential::CertificateChain),
                     });
}

SSL_CTX* Credential::HandleOf(const Napi::Value& value) {
  if (!value.IsObject()) return nullptr;
  Napi::Object object = value.As<Napi::Object>();
  if (!object.InstanceOf(AddonData::Of(value.Env())->credential.Value())) return nullptr;
  return Napi::ObjectWrap<Credential>::Unwrap(object)->ctx_;
}

// new Credential({ role, certificates, roots, clientCaNames, crls, crlCheck, tolerate,
//   tolerateAtAnchor, ocsp, minVersion,
//   maxVersion, ciphers, ciphersuites, groups, alpn, serverPreference, sessionCache,
//   sessionIdContext, sessionTimeout, tickets, numTickets, ticketKeys })
Credential::Credential(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Credential>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "options must be an object");
  Napi::Object o = info[0].As<Napi::Object>();
  std::string role = RequireString(o.Get("role"), "role");
  if (role != "client" && role != "server") throw Napi::TypeError::New(env, "role must be client or server");
  bool server = role == "server";
  ERR_clear_error();
  std::unique_ptr<SSL_CTX, CtxFree> ctx(SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()));
  if (!ctx) ThrowOpensslError(env, "SSL_CTX_new");
  auto* state = new CredentialState();
  state->server = server;
  state->keylog = OptionalBool(o, "keylog", true);
  SSL_CTX_set_ex_data(ctx.get(), CredentialIndex(), state);  // freed with the SSL_CTX

  int minVersion = static_cast<int>(OptionalInteger(o, "minVersion", TLS1_2_VERSION, TLS1_2_VERSION, TLS1_3_VERSION));
  int maxVersion = static_cast<int>(OptionalInteger(o, "maxVersion", TLS1_3_VERSION, TLS1_2_VERSION, TLS1_3_VERSION));
  if (SSL_CTX_set_min_proto_version(ctx.get(), minVersion) != 1 ||
      SSL_CTX_set_max_proto_version(ctx.get(), maxVersion) != 1)
    ThrowOpensslError(env, "versions");
  std::string ciphers = OptionalString(o, "ciphers");
  if (!ciphers.empty() && SSL_CTX_set_cipher_list(ctx.get(), ciphers.c_str()) != 1)
    ThrowOpensslError(env, "ciphers rejected");
  std::string suites = OptionalString(o, "ciphersuites");
  if (!suites.empty() && SSL_CTX_set_ciphersuites(ctx.get(), suites.c_str()) != 1)
    ThrowOpensslError(env, "ciphersuites rejected");
  std::string groups = OptionalString(o, "groups");
  if (!groups.empty() && SSL_CTX_set1_groups_list(ctx.get(), groups.c_str()) != 1)
    ThrowOpensslError(env, "groups rejected");

  SSL_CTX_set_mode(ctx.get(), SSL_MODE_RELEASE_BUFFERS | SSL_MODE_AUTO_RETRY);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  SSL_CTX_set_read_ahead(ctx.get(), 0);
  if (OptionalBool(o, "serverPreference", server)) SSL_CTX_set_options(ctx.get(), SSL_OP_CIPHER_SERVER_PREFERENCE);

  Napi::Value certificates = o.Get("certificates");
  if (!certificates.IsUndefined()) {
    if (!certificates.IsArray()) throw Napi::TypeError::New(env, "certificates must be an array");
    Napi::Array list = certificates.As<Napi::Array>();
    for (uint32_t i = 0; i < list.Length(); i++) LoadCertificate(env, ctx.get(), state, list.Get(i));
  }
  LoadRoots(env, ctx.get(), o.Get("roots"), OptionalBool(o, "clientCaNames", false));
  LoadCrls(env, ctx.get(), o.Get("crls"));
  ConfigureRevocation(env, ctx.get(), state, o);

  View alpn = OptionalBytes(o.Get("alpn"), "alpn");
  state->alpn.assign(alpn.data, alpn.data + alpn.length);
  for (size_t i = 0; i < state->alpn.size(); i += 1 + state->alpn[i])
    if (state->alpn[i] == 0 || i + 1 + state->alpn[i] > state->alpn.size())
      throw Napi::TypeError::New(env, "alpn must be in wire format");
  if (server) SSL_CTX_set_alpn_select_cb(ctx.get(), AlpnSelect, nullptr);

  bool sessionCache = OptionalBool(o, "sessionCache", true);
  bool tickets = OptionalBool(o, "tickets", true);
  if (!tickets) SSL_CTX_set_options(ctx.get(), SSL_OP_NO_TICKET);
  SSL_CTX_set_num_tickets(ctx.get(), static_cast<size_t>(OptionalInteger(o, "numTickets", 2, 0, 16)));
  if (server) {
    SSL_CTX_set_session_cache_mode(ctx.get(), sessionCache ? SSL_SESS_CACHE_SERVER : SSL_SESS_CACHE_OFF);
    View sid = OptionalBytes(o.Get("sessionIdContext"), "sessionIdContext");
    if (sid.length > SSL_MAX_SID_CTX_LENGTH) throw Napi::TypeError::New(env, "sessionIdContext is too long");
    if (sid.length > 0 && SSL_CTX_set_session_id_context(ctx.get(), sid.data, static_cast<unsigned>(sid.length)) != 1)
      ThrowOpensslError(env, "sessionIdContext");
    SSL_CTX_set_timeout(ctx.get(), static_cast<long>(OptionalInteger(o, "sessionTimeout", 300, 1, 86400 * 7)));
    Napi::Value alternatives = o.Get("alternatives");
    if (!alternatives.IsUndefined() && !alternatives.IsNull()) {
      if (!alternatives.IsArray()) throw Napi::TypeError::New(env, "alternatives must be an array");
      Napi::Array list = alternatives.As<Napi::Array>();
      for (uint32_t i = 0; i < list.Length(); i++) {
        SSL_CTX* alternative = HandleOf(list.Get(i));
        if (alternative == nullptr) throw Napi::TypeError::New(env, "alternatives[] must be live Credentials");
        SSL_CTX_up_ref(alternative);
        state->alternatives.push_back(alternative);
      }
      SSL_CTX_set_tlsext_servername_callback(ctx.get(), ServerNameCallback);
    }
    Napi::Value keys = o.Get("ticketKeys");
    if (!keys.IsUndefined() && !keys.IsNull()) {
      state->ticketKeys = ParseTicketKeys(keys);
      state->useTicketKeys = true;
      SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx.get(), TicketKeyCallback);
    }
  }
  InstallContextCallbacks(ctx.get(), server);
  ctx_ = ctx.release();
  ERR_clear_error();
}

Credential::~Credential() {
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
}

Napi::Value Credential::SetTicketKeys(const Napi::CallbackInfo& info) {
  if (ctx_ == nullptr) throw Napi::Error::New(info.Env(), "credential freed");
  auto* state = static_cast<CredentialState*>(SSL_CTX_get_ex_data(ctx_, CredentialIndex()));
  if (!state->server || !state->useTicketKeys)
    throw Napi::TypeError::New(info.Env(), "ticket keys can only be replaced on a server credential created with ticketKeys");
  std::vector<TicketKey> keys = ParseTicketKeys(info[0]);
  std::lock_guard<std::mutex> lock(state->ticketMutex);
  state->ticketKeys.swap(keys);
  return info.Env().Undefined();
}

Napi::Value Credential::Free(const Napi::CallbackInfo& info) {
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
  ctx_ = nullptr;
  return info.Env().Undefined();
}

// The credential's certificate chain (leaf first, DER), or [] without certificate.
Napi::Value Credential::CertificateChain(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (ctx_ == nullptr) throw Napi::Error::New(env, "credential freed");
  Napi::Array out = Napi::Array::New(env);
  X509* leaf = SSL_CTX_get0_certificate(ctx_);
  if (leaf == nullptr) return out;
  auto push = [&](X509* x) {
    int length = i2d_X509(x, nullptr);
    if (length <= 0) return;
    std::vector<uint8_t> der(static_cast<size_t>(length));
    unsigned char* at = der.data();
    i2d_X509(x, &at);
    out.Set(out.Length(), CopyToBuffer(env, der.data(), der.size()));
  };
  push(leaf);
  STACK_OF(X509)* chain = nullptr;
  SSL_CTX_get0_chain_certs(ctx_, &chain);
  for (int i = 0; chain != nullptr && i < sk_X509_num(chain); i++) push(sk_X509_value(chain, i));
  return out;
}

}  // namespace native
