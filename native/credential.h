// Credential: one SSL_CTX (role, certificates and key, trusted roots and CRLs, versions, cipher
// lists, groups, ALPN selection, session cache and ticket keys). Everything that decides is given
// by TypeScript; this only builds OpenSSL objects and answers OpenSSL's callbacks.
#pragma once

#include <napi.h>
#include <openssl/ssl.h>

#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace native {

// A session-ticket key: 16-byte name, HMAC-SHA256 key, AES-CBC key (16: AES-128, 32: AES-256).
struct TicketKey {
  std::array<uint8_t, 16> name;
  std::vector<uint8_t> hmac;
  std::vector<uint8_t> aes;
};

// What OpenSSL's SSL_CTX callbacks read. Owned by the SSL_CTX (freed with its last reference),
// so contexts outlive a freed Credential safely.
struct CredentialState {
  bool server = false;
  // Hand NSS key log lines (traffic secrets) to JavaScript; false keeps every secret in OpenSSL.
  bool keylog = true;
  std::vector<uint8_t> alpn;  // server: accepted protocols, wire format, preference order
  std::mutex ticketMutex;     // ticket keys are replaced from JS while pool threads read them
  std::vector<TicketKey> ticketKeys;
  bool useTicketKeys = false;
  // Server: SSL_CTXs with other certificates, chosen by SNI (one reference each, freed with this).
  std::vector<SSL_CTX*> alternatives;
  // Revocation (revocation.h): verify errors accepted anywhere / only at the trust anchor, the
  // OCSP stapling mode of a client, and a server's responses to staple per leaf certificate.
  std::vector<int> tolerated;
  std::vector<int> toleratedAtAnchor;
  int ocsp = 0;
  std::vector<std::pair<X509*, std::vector<uint8_t>>> staples;
  ~CredentialState() {
    for (SSL_CTX* alternative : alternatives) SSL_CTX_free(alternative);
    for (auto& staple : staples) X509_free(staple.first);
  }
};

class Credential : public Napi::ObjectWrap<Credential> {
 public:
  static Napi::Function Define(Napi::Env env);
  // The SSL_CTX behind a JS value, or nullptr when it is not a live Credential.
  static SSL_CTX* HandleOf(const Napi::Value& value);

  explicit Credential(const Napi::CallbackInfo& info);
  ~Credential() override;

 private:
  Napi::Value SetTicketKeys(const Napi::CallbackInfo& info);
  Napi::Value Free(const Napi::CallbackInfo& info);
  Napi::Value CertificateChain(const Napi::CallbackInfo& info);

  SSL_CTX* ctx_ = nullptr;
};

// Parses a JS list of {name, hmac, aes} into keys (throws TypeError on bad input).
std::vector<TicketKey> ParseTicketKeys(const Napi::Value& value);

}  // namespace native
