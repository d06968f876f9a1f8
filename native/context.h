// Context: one SSL over two memory BIOs. A handshake step is one SSL_do_handshake, on a libuv pool
// thread (step) or on the caller's thread (stepSync); records are SSL_write/SSL_read into the
// caller's buffers. A context is touched by one thread at a time: while a step runs on the pool,
// every other call throws.
#pragma once

#include <napi.h>
#include <openssl/ssl.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace native {

struct Alert {
  bool sent;
  int level;
  int description;
};

// Everything one handshake step produced; filled on whichever thread ran it.
struct StepResult {
  const char* outcome = "error";  // done | want-read | want-x509-lookup | closed | error
  std::vector<uint8_t> output;
  size_t consumed = 0;
  std::vector<Alert> alerts;
  std::vector<std::string> keylog;
  std::vector<SSL_SESSION*> sessions;
  std::string reason;
  int errorReason = 0;
  int errorLibrary = 0;
  long verifyResult = X509_V_OK;
  int verifyDepth = -1;
  bool certificateRequested = false;
  bool keysDerived = false;
};

// Keylog and (client) new-session callbacks on a credential's SSL_CTX.
void InstallContextCallbacks(SSL_CTX* ctx, bool server);

class Context : public Napi::ObjectWrap<Context> {
 public:
  static Napi::Function Define(Napi::Env env);

  explicit Context(const Napi::CallbackInfo& info);
  ~Context() override;

  // Runs one SSL_do_handshake over `input` (any thread; the caller holds the busy flag).
  void RunStep(const uint8_t* input, size_t length, StepResult& result);
  Napi::Object ResultToJs(Napi::Env env, StepResult& result);
  void EndStep() { busy_.store(false); }

  // Called from OpenSSL callbacks (on the thread running the SSL call).
  void OnAlert(bool sent, int value) { alerts_.push_back({sent, value >> 8, value & 0xff}); }
  void OnKeylog(const char* line) {
    keysLogged_ = true;
    if (keylogWanted_) keylog_.emplace_back(line);
  }
  void OnSession(SSL_SESSION* session) { sessions_.push_back(session); }
  int OnVerify(int ok, X509_STORE_CTX* store);
  int OnCertificateRequest();
  int OnStatus();

 private:
  Napi::Value Step(const Napi::CallbackInfo& info);
  Napi::Value StepSync(const Napi::CallbackInfo& info);
  Napi::Value Encrypt(const Napi::CallbackInfo& info);
  Napi::Value Seal(const Napi::CallbackInfo& info);
  Napi::Value SendAlert(const Napi::CallbackInfo& info);
  Napi::Value Decrypt(const Napi::CallbackInfo& info);
  Napi::Value Open(const Napi::CallbackInfo& info);
  int ReadRecord(const uint8_t* input, size_t inputLength, uint8_t* out, size_t outLength);
  Napi::Value TakeOutput(const Napi::CallbackInfo& info);
  Napi::Value PendingOutput(const Napi::CallbackInfo& info);
  Napi::Value TakeAlerts(const Napi::CallbackInfo& info);
  Napi::Value TakeSessions(const Napi::CallbackInfo& info);
  Napi::Value LastError(const Napi::CallbackInfo& info);
  Napi::Value Consumed(const Napi::CallbackInfo& info);
  Napi::Value KeyUpdate(const Napi::CallbackInfo& info);
  Napi::Value Shutdown(const Napi::CallbackInfo& info);
  Napi::Value SetCertificate(const Napi::CallbackInfo& info);
  Napi::Value SetSuspendForCertificate(const Napi::CallbackInfo& info);
  Napi::Value Info(const Napi::CallbackInfo& info);
  Napi::Value PeerChain(const Napi::CallbackInfo& info);
  Napi::Value LocalCertificate(const Napi::CallbackInfo& info);
  Napi::Value CertificateAuthorities(const Napi::CallbackInfo& info);
  Napi::Value Finished(const Napi::CallbackInfo& info);
  Napi::Value PeerFinished(const Napi::CallbackInfo& info);
  Napi::Value ExportKeyingMaterial(const Napi::CallbackInfo& info);
  Napi::Value GetSession(const Napi::CallbackInfo& info);
  Napi::Value CheckPeerName(const Napi::CallbackInfo& info);
  Napi::Value StreamSizes(const Napi::CallbackInfo& info);
  Napi::Value IsDead(const Napi::CallbackInfo& info);
  Napi::Value IsBusy(const Napi::CallbackInfo& info);
  Napi::Value Free(const Napi::CallbackInfo& info);

  // Throws unless the context is alive and idle; marks it busy when `claim`.
  void Enter(Napi::Env env, bool claim);
  void Release();
  void CollectInto(StepResult& result);
  void Fail(int sslError, StepResult& result);
  size_t Feed(const uint8_t* data, size_t length);
  size_t Unfeed();
  // Header and largest trailer of one application_data record under the current cipher; false
  // before a cipher is negotiated.
  bool RecordSizes(size_t& header, size_t& trailer) const;

  SSL* ssl_ = nullptr;
  BIO* rbio_ = nullptr;  // owned by ssl_
  BIO* wbio_ = nullptr;  // owned by ssl_
  std::atomic<bool> busy_{false};
  bool dead_ = false;
  // The handshake completed once (SSL_is_init_finished is false again while OpenSSL reads a
  // post-handshake message spread over several records).
  bool established_ = false;
  bool server_ = false;
  bool enforce_ = true;
  bool keylogWanted_ = true;  // the credential hands key log lines to JavaScript
  bool keysLogged_ = false;   // OpenSSL derived a traffic secret (whether or not JavaScript sees it)
  bool suspendForCertificate_ = false;
  bool certificateRequested_ = false;
  long verifyResult_ = X509_V_OK;
  int verifyDepth_ = -1;
  bool leafCrlDeferred_ = false;  // the leaf had no CRL; a stapled OCSP response may stand in
  size_t consumed_ = 0;
  std::string lastError_;
  int lastErrorReason_ = 0;
  std::vector<Alert> alerts_;
  std::vector<std::string> keylog_;
  std::vector<SSL_SESSION*> sessions_;
};

}  // namespace native
