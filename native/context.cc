#include "context.h"

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include <dlfcn.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "addon.h"
#include "credential.h"
#include "revocation.h"
#include "session.h"
#include "util.h"

namespace native {

namespace {

constexpr size_t kMaxFragment = 16384;
// Largest expansion of one record OpenSSL writes with the suites this engine allows (header,
// explicit nonce or IV, tag or MAC and padding), rounded up.
constexpr size_t kRecordOverhead = 5 + 256;

Context* ContextOf(const SSL* ssl) { return static_cast<Context*>(SSL_get_ex_data(ssl, ContextIndex())); }

void InfoCallback(const SSL* ssl, int where, int value) {
  if ((where & SSL_CB_ALERT) == 0) return;
  if (Context* c = ContextOf(ssl)) c->OnAlert((where & SSL_CB_WRITE) != 0, value);
}

void KeylogCallback(const SSL* ssl, const char* line) {
  if (Context* c = ContextOf(ssl)) c->OnKeylog(line);
}

int NewSessionCallback(SSL* ssl, SSL_SESSION* session) {
  Context* c = ContextOf(ssl);
  if (c == nullptr) return 0;
  c->OnSession(session);
  return 1;  // the reference is ours
}

int VerifyCallback(int ok, X509_STORE_CTX* store) {
  SSL* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  Context* c = ssl == nullptr ? nullptr : ContextOf(ssl);
  return c == nullptr ? ok : c->OnVerify(ok, store);
}

int StatusCallback(SSL* ssl, void*) {
  Context* c = ContextOf(ssl);
  return c == nullptr ? 1 : c->OnStatus();
}

int CertificateCallback(SSL* ssl, void*) {
  Context* c = ContextOf(ssl);
  return c == nullptr ? 1 : c->OnCertificateRequest();
}

Napi::Value BytesOrNull(Napi::Env env, const unsigned char* data, size_t length) {
  if (data == nullptr) return env.Null();
  return CopyToBuffer(env, data, length);
}

Napi::Value CertificateDer(Napi::Env env, X509* x) {
  int length = i2d_X509(x, nullptr);
  if (length <= 0) return env.Null();
  std::vector<uint8_t> der(static_cast<size_t>(length));
  unsigned char* at = der.data();
  i2d_X509(x, &at);
  return CopyToBuffer(env, der.data(), der.size());
}

}  // namespace

int ContextIndex() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

void InstallContextCallbacks(SSL_CTX* ctx, bool server) {
  SSL_CTX_set_keylog_callback(ctx, KeylogCallback);
  if (!server) {
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, NewSessionCallback);
    SSL_CTX_set_tlsext_status_cb(ctx, StatusCallback);  // runs only when a status was requested
  }
}

// One step on a libuv pool thread; the context stays referenced (and busy) until OnOK.
class StepWorker : public Napi::AsyncWorker {
 public:
  StepWorker(Napi::Function callback, Context* context, Napi::Object self, const uint8_t* data, size_t length)
      : Napi::AsyncWorker(callback, "async-sspi:step"), context_(context), input_(data, data + length) {
    self_ = Napi::Persistent(self);
  }
  ~StepWorker() override {
    for (SSL_SESSION* s : result_.sessions) SSL_SESSION_free(s);
  }
  void Execute() override { context_->RunStep(input_.data(), input_.size(), result_); }
  void OnOK() override {
    Napi::Env env = Env();
    context_->EndStep();
    Napi::Object result = context_->ResultToJs(env, result_);
    Callback().Call({env.Null(), result});
  }

 private:
  Context* context_;
  Napi::ObjectReference self_;
  std::vector<uint8_t> input_;
  StepResult result_;
};

Napi::Function Context::Define(Napi::Env env) {
  return DefineClass(
      env, "Context",
      {
          InstanceMethod("step", &Context::Step),
          InstanceMethod("stepSync", &Context::StepSync),
          InstanceMethod("encrypt", &Context::Encrypt),
          InstanceMethod("seal", &Context::Seal),
          InstanceMethod("sendAlert", &Context::SendAlert),
          InstanceMethod("decrypt", &Context::Decrypt),
          InstanceMethod("open", &Context::Open),
          InstanceMethod("takeOutput", &Context::TakeOutput),
          InstanceMethod("pendingOutput", &Context::PendingOutput),
          InstanceMethod("takeAlerts", &Context::TakeAlerts),
          InstanceMethod("takeSessions", &Context::TakeSessions),
          InstanceMethod("lastError", &Context::LastError),
          InstanceMethod("consumed", &Context::Consumed),
          InstanceMethod("keyUpdate", &Context::KeyUpdate),
          InstanceMethod("shutdown", &Context::Shutdown),
          InstanceMethod("setCertificate", &Context::SetCertificate),
          InstanceMethod("setSuspendForCertificate", &Context::SetSuspendForCertificate),
          InstanceMethod("info", &Context::Info),
          InstanceMethod("peerChain", &Context::PeerChain),
          InstanceMethod("localCertificate", &Context::LocalCertificate),
          InstanceMethod("certificateAuthorities", &Context::CertificateAuthorities),
          InstanceMethod("finished", &Context::Finished),
          InstanceMethod("peerFinished", &Context::PeerFinished),
          InstanceMethod("exportKeyingMaterial", &Context::ExportKeyingMaterial),
          InstanceMethod("session", &Context::GetSession),
          InstanceMethod("checkPeerName", &Context::CheckPeerName),
          InstanceMethod("streamSizes", &Context::StreamSizes),
          InstanceMethod("isDead", &Context::IsDead),
          InstanceMethod("isBusy", &Context::IsBusy),
          InstanceMethod("free", &Context::Free),
      });
}

// new Context(credential, { serverName, verifyHost, verifyIp, enforce, alpn, session,
//   requestCertificate: 0 none | 1 optional | 2 required, suspendForCertificate })
Context::Context(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Context>(info) {
  Napi::Env env = info.Env();
  SSL_CTX* ctx = Credential::HandleOf(info[0]);
  if (ctx == nullptr) throw Napi::TypeError::New(env, "credential must be a live Credential");
  if (info.Length() < 2 || !info[1].IsObject()) throw Napi::TypeError::New(env, "options must be an object");
  Napi::Object o = info[1].As<Napi::Object>();
  auto* state = static_cast<CredentialState*>(SSL_CTX_get_ex_data(ctx, CredentialIndex()));
  server_ = state != nullptr && state->server;
  keylogWanted_ = state == nullptr || state->keylog;
  std::string serverName = OptionalString(o, "serverName");
  std::string verifyHost = OptionalString(o, "verifyHost");
  std::string verifyIp = OptionalString(o, "verifyIp");
  View alpn = OptionalBytes(o.Get("alpn"), "alpn");
  enforce_ = OptionalBool(o, "enforce", true);
  suspendForCertificate_ = OptionalBool(o, "suspendForCertificate", false);
  int64_t request = OptionalInteger(o, "requestCertificate", 0, 0, 2);
  Napi::Value sessionValue = o.Get("session");
  SSL_SESSION* session = nullptr;
  if (!sessionValue.IsUndefined() && !sessionValue.IsNull()) {
    session = Session::HandleOf(sessionValue);
    if (session == nullptr) throw Napi::TypeError::New(env, "session must be a live Session");
  }

  ERR_clear_error();
  ssl_ = SSL_new(ctx);
  if (ssl_ == nullptr) ThrowOpensslError(env, "SSL_new");
  SSL_set_ex_data(ssl_, ContextIndex(), this);
  rbio_ = BIO_new(BIO_s_mem());
  wbio_ = BIO_new(BIO_s_mem());
  if (rbio_ == nullptr || wbio_ == nullptr) {
    BIO_free(rbio_);
    BIO_free(wbio_);
    SSL_free(ssl_);
    ssl_ = nullptr;
    throw Napi::Error::New(env, "out of memory");
  }
  BIO_set_mem_eof_return(rbio_, -1);
  BIO_set_mem_eof_return(wbio_, -1);
  SSL_set_bio(ssl_, rbio_, wbio_);
  SSL_set_info_callback(ssl_, InfoCallback);
  try {
    if (server_) {
      SSL_set_accept_state(ssl_);
      int mode = request == 0 ? SSL_VERIFY_NONE
                              : SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE |
                                    (request == 2 ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0);
      SSL_set_verify(ssl_, mode, VerifyCallback);
    } else {
      SSL_set_connect_state(ssl_);
      SSL_set_verify(ssl_, SSL_VERIFY_PEER, VerifyCallback);
      SSL_set_cert_cb(ssl_, CertificateCallback, nullptr);
      if (!serverName.empty() && SSL_set_tlsext_host_name(ssl_, serverName.c_str()) != 1)
        ThrowOpensslError(env, "serverName rejected");
      X509_VERIFY_PARAM* param = SSL_get0_param(ssl_);
      X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      if (!verifyHost.empty() && X509_VERIFY_PARAM_set1_host(param, verifyHost.c_str(), 0) != 1)
        ThrowOpensslError(env, "verifyHost rejected");
      if (!verifyIp.empty() && X509_VERIFY_PARAM_set1_ip_asc(param, verifyIp.c_str()) != 1)
        ThrowOpensslError(env, "verifyIp rejected");
      if (alpn.length > 0) {
        for (size_t i = 0; i < alpn.length; i += 1 + alpn.data[i])
          if (alpn.data[i] == 0 || i + 1 + alpn.data[i] > alpn.length)
            throw Napi::TypeError::New(env, "alpn must be in wire format");
        if (SSL_set_alpn_protos(ssl_, alpn.data, static_cast<unsigned>(alpn.length)) != 0)
          ThrowOpensslError(env, "alpn rejected");
      }
      if (session != nullptr && SSL_set_session(ssl_, session) != 1) ThrowOpensslError(env, "session rejected");
    }
  } catch (...) {
    SSL_free(ssl_);
    ssl_ = nullptr;
    throw;
  }
  ERR_clear_error();
}

Context::~Context() { Release(); }

void Context::Release() {
  if (ssl_ != nullptr) {
    // A session is only kept resumable when the connection ended cleanly (pitfall: SSL_free
    // without shutdown marks it not resumable).
    if (!dead_ && established_) SSL_set_shutdown(ssl_, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_free(ssl_);
    ssl_ = nullptr;
  }
  for (SSL_SESSION* s : sessions_) SSL_SESSION_free(s);
  sessions_.clear();
  for (std::string& line : keylog_) std::fill(line.begin(), line.end(), '\0');
  keylog_.clear();
}

void Context::Enter(Napi::Env env, bool claim) {
  if (ssl_ == nullptr) throw Napi::Error::New(env, "context freed");
  bool expected = false;
  if (claim) {
    if (!busy_.compare_exchange_strong(expected, true)) throw Napi::Error::New(env, "a step is running on this context");
  } else if (busy_.load()) {
    throw Napi::Error::New(env, "a step is running on this context");
  }
}

int Context::OnVerify(int ok, X509_STORE_CTX* store) {
  if (!ok) {
    auto* state = static_cast<CredentialState*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl_), CredentialIndex()));
    int error = X509_STORE_CTX_get_error(store);
    int depth = X509_STORE_CTX_get_error_depth(store);
    bool tolerated = state != nullptr && ToleratesVerifyError(*state, error, depth, store);
    bool deferred = !tolerated && !server_ && state != nullptr && state->ocsp == 2 && depth == 0 &&
                    error == X509_V_ERR_UNABLE_TO_GET_CRL;
    if (tolerated || deferred) {
      leafCrlDeferred_ = leafCrlDeferred_ || deferred;
      X509_STORE_CTX_set_error(store, X509_V_OK);
      return 1;
    }
  }
  if (!ok && verifyResult_ == X509_V_OK) {
    verifyResult_ = X509_STORE_CTX_get_error(store);
    verifyDepth_ = X509_STORE_CTX_get_error_depth(store);
  }
  return enforce_ ? ok : 1;
}

// Client: the stapled OCSP response (or its absence, when the leaf's missing CRL was deferred to
// it) decides; a failure is recorded as a verify result and ends the handshake
// (bad_certificate_status_response, RFC 6066 §8) unless validation is manual.
int Context::OnStatus() {
  bool stapled = false;
  int verdict = CheckStapledResponse(ssl_, &stapled);
  ERR_clear_error();
  if (!stapled && leafCrlDeferred_) verdict = X509_V_ERR_UNABLE_TO_GET_CRL;
  auto* state = static_cast<CredentialState*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl_), CredentialIndex()));
  if (verdict == X509_V_OK || (state != nullptr && ToleratesVerifyError(*state, verdict, 0, nullptr))) return 1;
  if (verifyResult_ == X509_V_OK) {
    verifyResult_ = verdict;
    verifyDepth_ = 0;
  }
  if (enforce_) return 0;
  SSL_set_verify_result(ssl_, verdict);
  return 1;
}

int Context::OnCertificateRequest() {
  certificateRequested_ = true;
  if (suspendForCertificate_ && SSL_get_certificate(ssl_) == nullptr) return -1;
  return 1;
}

size_t Context::Feed(const uint8_t* data, size_t length) {
  // A length field beyond the negotiated version's limit (RFC 8446 §5.2: 2^14 + 256; RFC 5246
  // §6.2.3: 2^14 + 2048) goes to OpenSSL with its header: it answers record_overflow from the
  // header alone, under the keys in use, instead of waiting for a body that never fits.
  // "Negotiated" as OpenSSL's own check sees it: the version-flexible method has been replaced by
  // the negotiated version's (before that, a header within TLS 1.2's limit would be waited on).
  const SSL_METHOD* method = SSL_get_ssl_method(ssl_);
  bool negotiated13 = SSL_version(ssl_) == TLS1_3_VERSION && method != TLS_server_method() &&
                      method != TLS_client_method() && method != TLS_method();
  size_t maxBody = negotiated13 ? SSL3_RT_MAX_TLS13_ENCRYPTED_LENGTH : 16384 + 2048;
  size_t complete = CompleteRecordsPrefix(data, length, maxBody);
  if (complete > 0) BIO_write(rbio_, data, static_cast<int>(complete));
  return complete;
}

// Takes back what OpenSSL left unread (the caller passes it again, as SECBUFFER_EXTRA).
size_t Context::Unfeed() {
  size_t left = BIO_ctrl_pending(rbio_);
  if (left > 0) (void)BIO_reset(rbio_);
  return left;
}

void Context::Fail(int sslError, StepResult& result) {
  OpensslError error = TakeOpensslError();
  dead_ = true;
  result.outcome = "error";
  if (error.code != 0) {
    result.reason = error.reasonText;
    result.errorReason = error.reason;
    result.errorLibrary = error.library;
  } else {
    result.reason = sslError == SSL_ERROR_SYSCALL ? "unexpected end of input" : "TLS failure";
  }
  lastError_ = result.reason;
  lastErrorReason_ = result.errorReason;
}

void Context::RunStep(const uint8_t* input, size_t length, StepResult& result) {
  if (dead_) {
    result.outcome = "error";
    result.reason = "the context failed earlier: " + lastError_;
    result.errorReason = lastErrorReason_;
    return;
  }
  ERR_clear_error();
  size_t fed = Feed(input, length);
  int r = SSL_do_handshake(ssl_);
  if (r == 1) {
    result.outcome = "done";
    established_ = true;
  } else {
    int e = SSL_get_error(ssl_, r);
    if (e == SSL_ERROR_WANT_READ) result.outcome = "want-read";
    else if (e == SSL_ERROR_WANT_X509_LOOKUP) result.outcome = "want-x509-lookup";
    else if (e == SSL_ERROR_ZERO_RETURN) {
      result.outcome = "closed";
      dead_ = true;
      lastError_ = "the peer closed the connection";
    } else Fail(e, result);
  }
  ERR_clear_error();
  DrainBio(wbio_, result.output);
  result.consumed = fed - Unfeed();
  CollectInto(result);
}

void Context::CollectInto(StepResult& result) {
  result.alerts.swap(alerts_);
  alerts_.clear();
  result.keylog.swap(keylog_);
  keylog_.clear();
  result.sessions.swap(sessions_);
  sessions_.clear();
  result.verifyResult = verifyResult_;
  result.verifyDepth = verifyDepth_;
  result.certificateRequested = certificateRequested_;
  result.keysDerived = keysLogged_;
}

static Napi::Value AlertsToJs(Napi::Env env, const std::vector<Alert>& alerts) {
  Napi::Array out = Napi::Array::New(env, alerts.size());
  for (size_t i = 0; i < alerts.size(); i++) {
    Napi::Object a = Napi::Object::New(env);
    a.Set("direction", alerts[i].sent ? "sent" : "received");
    a.Set("level", alerts[i].level);
    a.Set("description", alerts[i].description);
    out.Set(static_cast<uint32_t>(i), a);
  }
  return out;
}

static Napi::Value SessionsToJs(Napi::Env env, std::vector<SSL_SESSION*>& sessions) {
  Napi::Array out = Napi::Array::New(env, sessions.size());
  for (size_t i = 0; i < sessions.size(); i++) {
    SSL_SESSION* s = sessions[i];
    sessions[i] = nullptr;
    out.Set(static_cast<uint32_t>(i), Session::Wrap(env, s));
  }
  sessions.clear();
  return out;
}

Napi::Object Context::ResultToJs(Napi::Env env, StepResult& result) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("outcome", result.outcome);
  o.Set("output", CopyToBuffer(env, result.output.data(), result.output.size()));
  o.Set("consumed", static_cast<double>(result.consumed));
  o.Set("alerts", AlertsToJs(env, result.alerts));
  Napi::Array keylog = Napi::Array::New(env, result.keylog.size());
  for (size_t i = 0; i < result.keylog.size(); i++) {
    keylog.Set(static_cast<uint32_t>(i), result.keylog[i]);
    std::fill(result.keylog[i].begin(), result.keylog[i].end(), '\0');
  }
  o.Set("keylog", keylog);
  o.Set("sessions", SessionsToJs(env, result.sessions));
  if (!result.reason.empty()) o.Set("reason", result.reason);
  o.Set("errorReason", result.errorReason);
  o.Set("verifyResult", static_cast<double>(result.verifyResult));
  o.Set("verifyDepth", result.verifyDepth);
  o.Set("certificateRequested", result.certificateRequested);
  o.Set("keysDerived", result.keysDerived);
  return o;
}

// step(input, callback(err, result)): one SSL_do_handshake on a libuv pool thread.
Napi::Value Context::Step(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  View input = RequireBytes(info[0], "input");
  if (!info[1].IsFunction()) throw Napi::TypeError::New(env, "callback must be a function");
  Enter(env, true);
  auto* worker = new StepWorker(info[1].As<Napi::Function>(), this, info.This().As<Napi::Object>(), input.data,
                                input.length);
  worker->Queue();
  return env.Undefined();
}

Napi::Value Context::StepSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  View input = RequireBytes(info[0], "input");
  Enter(env, true);
  StepResult result;
  RunStep(input.data, input.length, result);
  busy_.store(false);
  return ResultToJs(env, result);
}

// encrypt(plaintext, out): one record of min(plaintext.length, 16384) bytes (plus any pending
// output) into `out`. Returns bytes written, or -1 not established/closed, -2 dead (fatal error),
// -3 `out` too small (nothing done).
Napi::Value Context::Encrypt(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  View plain = RequireBytes(info[0], "plaintext");
  View out = RequireBytes(info[1], "out");
  Enter(env, false);
  if (dead_) return Napi::Number::New(env, -2);
  if (!SSL_is_init_finished(ssl_) || (SSL_get_shutdown(ssl_) & SSL_SENT_SHUTDOWN) != 0)
    return Napi::Number::New(env, -1);
  size_t n = std::min(plain.length, kMaxFragment);
  size_t pending = BIO_ctrl_pending(wbio_);
  if (out.length < pending + n + kRecordOverhead) return Napi::Number::New(env, -3);
  if (n > 0) {
    ERR_clear_error();
    int r = SSL_write(ssl_, plain.data, static_cast<int>(n));
    if (r <= 0) {
      StepResult ignored;
      Fail(SSL_get_error(ssl_, r), ignored);
      return Napi::Number::New(env, -2);
    }
  }
  pending = BIO_ctrl_pending(wbio_);
  int read = pending == 0 ? 0 : BIO_read(wbio_, out.data, static_cast<int>(pending));
  consumed_ = n;
  return Napi::Number::New(env, read > 0 ? read : 0);
}

namespace {
// ERR_clear_error walks every slot of the thread's error queue: on the record path, where the
// queue is almost always empty, only clear when something is there (SSL_get_error looks at
// ERR_peek_error too, so an empty queue needs no clearing).
inline void ClearErrors() {
  if (ERR_peek_error() != 0) ERR_clear_error();
}
}  // namespace

// seal(header, data, trailer): EncryptMessage in place — SSL_write of `data` as one record; the
// record's header goes into `header`, its ciphertext replaces `data`, the rest (tag, inner content
// type, MAC, padding) goes into `trailer`. Returns the trailer bytes used, or -1 not established
// or close_notify/fatal alert sent, -2 dead (fatal error), -3 a buffer too small or `data` longer
// than 16384 bytes (nothing done), -4 output is waiting to be taken first (nothing done), -5 a
// post-handshake message is only partly received (nothing done), -6 `data` is empty (OpenSSL
// writes no empty record: nothing to send), -7 dead before the call (nothing done). The checks
// run in that order: dead, output waiting, write side closed.
Napi::Value Context::Seal(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  View header = RequireBytes(info[0], "header");
  View data = RequireBytes(info[1], "data");
  View trailer = RequireBytes(info[2], "trailer");
  Enter(env, false);
  if (dead_) return Napi::Number::New(env, -7);
  if (BIO_ctrl_pending(wbio_) != 0) return Napi::Number::New(env, -4);
  if (!established_ || (SSL_get_shutdown(ssl_) & SSL_SENT_SHUTDOWN) != 0) return Napi::Number::New(env, -1);
  size_t headerLength = 0, trailerLength = 0;
  if (!RecordSizes(headerLength, trailerLength)) return Napi::Number::New(env, -1);
  if (data.length > kMaxFragment || header.length < headerLength || trailer.length < trailerLength)
    return Napi::Number::New(env, -3);
  // OpenSSL never writes an empty record: nothing to send.
  if (data.length == 0) return Napi::Number::New(env, -6);
  ClearErrors();
  size_t written = 0;
  int r = SSL_write_ex(ssl_, data.data, data.length, &written);
  if (r != 1) {
    int e = SSL_get_error(ssl_, r);
    if (e == SSL_ERROR_WANT_READ) {
      // OpenSSL is inside a post-handshake message it has only part of: nothing was written.
      ERR_clear_error();
      return Napi::Number::New(env, -5);
    }
    StepResult ignored;
    Fail(e, ignored);
    return Napi::Number::New(env, -2);
  }
  ClearErrors();
  size_t record = BIO_ctrl_pending(wbio_);
  if (record < headerLength + data.length || record - headerLength - data.length > trailer.length) {
    // Not one record of the expected shape (cannot happen with the suites allowed): drop it, and
    // the connection, rather than send a record the caller cannot frame.
    (void)BIO_reset(wbio_);
    dead_ = true;
    lastError_ = "record of unexpected size";
    return Napi::Number::New(env, -2);
  }
  size_t rest = record - headerLength - data.length;
  if (headerLength > 0) BIO_read(wbio_, header.data, static_cast<int>(headerLength));
  if (data.length > 0) BIO_read(wbio_, data.data, static_cast<int>(data.length));
  if (rest > 0) BIO_read(wbio_, trailer.data, static_cast<int>(rest));
  return Napi::Number::New(env, static_cast<double>(rest));
}

namespace {
// OpenSSL has no public call that sends an arbitrary alert on an established connection; node
// exports its internal ssl3_send_alert (OpenSSL 3.0: SSL*; 3.2+: SSL_CONNECTION*, whose first
// member is the SSL, so the same pointer for a TLS connection). Looked up at run time, never
// linked: where it is missing, sendAlert answers false and the caller reports it unsupported.
using SendAlertFunction = int (*)(SSL*, int, int);
SendAlertFunction SendAlertOf() {
  static const SendAlertFunction fn = reinterpret_cast<SendAlertFunction>(dlsym(RTLD_DEFAULT, "ssl3_send_alert"));
  return fn;
}
}  // namespace

// sendAlert(level, description): writes one alert record under the current keys (the output is
// taken with takeOutput). A fatal alert ends the context both ways. Returns false when it cannot
// be sent (not established, dead, close_notify already sent, no ssl3_send_alert in this process).
Napi::Value Context::SendAlert(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber() || !info[1].IsNumber())
    throw Napi::TypeError::New(env, "level and description must be numbers");
  int level = info[0].As<Napi::Number>().Int32Value();
  int description = info[1].As<Napi::Number>().Int32Value();
  if ((level != SSL3_AL_WARNING && level != SSL3_AL_FATAL) || description < 0 || description > 255)
    throw Napi::RangeError::New(env, "level must be 1 or 2 and description 0..255");
  Enter(env, false);
  SendAlertFunction send = SendAlertOf();
  if (send == nullptr || dead_ || !established_ || (SSL_get_shutdown(ssl_) & SSL_SENT_SHUTDOWN) != 0)
    return Napi::Boolean::New(env, false);
  ERR_clear_error();
  send(ssl_, level, description);
  ERR_clear_error();
  if (level == SSL3_AL_FATAL) {
    SSL_set_shutdown(ssl_, SSL_get_shutdown(ssl_) | SSL_SENT_SHUTDOWN);
    dead_ = true;
    lastError_ = "a fatal alert was sent";
  }
  return Napi::Boolean::New(env, BIO_ctrl_pending(wbio_) > 0);
}

// decrypt(input, out): feeds the complete records of `input` and reads one record's plaintext
// into `out` (tickets and KeyUpdate are handled on the way). Returns plaintext bytes, or
// -1 no application data yet (need more input), -2 dead (fatal error; the alert is in the
// output), -3 `out` empty, -4 close_notify received. consumed() tells the input used.
Napi::Value Context::Decrypt(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  View input = RequireBytes(info[0], "input");
  View out = RequireBytes(info[1], "out");
  Enter(env, false);
  return Napi::Number::New(env, ReadRecord(input.data, input.length, out.data, out.length));
}

// open(record, out): DecryptMessage's one call per record — decrypt's read, with what the caller
// would otherwise ask in further calls packed into the answer: `status * 8 + flags`, status as
// decrypt's or -5 dead before the call (nothing done); flags 1 alerts to take, 2 sessions to take,
// 4 output waiting (an answer OpenSSL wrote). Decode: status = v >> 3, flags = v & 7.
Napi::Value Context::Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  View input = RequireBytes(info[0], "input");
  View out = RequireBytes(info[1], "out");
  Enter(env, false);
  int status = dead_ ? -5 : ReadRecord(input.data, input.length, out.data, out.length);
  int flags = (alerts_.empty() ? 0 : 1) | (sessions_.empty() ? 0 : 2) | (BIO_ctrl_pending(wbio_) > 0 ? 4 : 0);
  return Napi::Number::New(env, static_cast<double>(status) * 8 + flags);
}

int Context::ReadRecord(const uint8_t* input, size_t inputLength, uint8_t* out, size_t outLength) {
  consumed_ = 0;
  if (dead_) return -2;
  if (outLength == 0) return -3;
  if (!established_) return -1;
  ClearErrors();
  size_t fed = Feed(input, inputLength);
  int r = SSL_read(ssl_, out, static_cast<int>(std::min(outLength, static_cast<size_t>(INT32_MAX))));
  int status = r;
  if (r <= 0) {
    int e = SSL_get_error(ssl_, r);
    if (e == SSL_ERROR_WANT_READ) status = -1;
    else if (e == SSL_ERROR_ZERO_RETURN) status = -4;
    else {
      StepResult ignored;
      Fail(e, ignored);
      status = -2;
    }
  }
  // Answer a KeyUpdate that asked for ours now rather than with the next record: OpenSSL only
  // noted it (SSL_get_key_update_type); SSL_key_update puts the SSL back in init so that
  // SSL_do_handshake writes it.
  if (!dead_ && SSL_get_key_update_type(ssl_) != SSL_KEY_UPDATE_NONE && SSL_is_init_finished(ssl_)) {
    if (SSL_key_update(ssl_, SSL_KEY_UPDATE_NOT_REQUESTED) != 1 || SSL_do_handshake(ssl_) != 1) ERR_clear_error();
  }
  ClearErrors();
  consumed_ = fed - Unfeed();
  return status;
}

Napi::Value Context::TakeOutput(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  View out = RequireBytes(info[0], "out");
  Enter(env, false);
  size_t n = std::min(BIO_ctrl_pending(wbio_), out.length);
  int read = n == 0 ? 0 : BIO_read(wbio_, out.data, static_cast<int>(n));
  return Napi::Number::New(env, read > 0 ? read : 0);
}

Napi::Value Context::PendingOutput(const Napi::CallbackInfo& info) {
  Enter(info.Env(), false);
  return Napi::Number::New(info.Env(), static_cast<double>(BIO_ctrl_pending(wbio_)));
}

Napi::Value Context::TakeAlerts(const Napi::CallbackInfo& info) {
  Enter(info.Env(), false);
  Napi::Value out = AlertsToJs(info.Env(), alerts_);
  alerts_.clear();
  return out;
}

Napi::Value Context::TakeSessions(const Napi::CallbackInfo& info) {
  Enter(info.Env(), false);
  return SessionsToJs(info.Env(), sessions_);
}

Napi::Value Context::LastError(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!dead_) return env.Null();
  Napi::Object o = Napi::Object::New(env);
  o.Set("reason", lastError_);
  o.Set("errorReason", lastErrorReason_);
  return o;
}

Napi::Value Context::Consumed(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(consumed_));
}

// keyUpdate(requestPeer): queues a TLS 1.3 KeyUpdate and writes it; the record is in the output.
Napi::Value Context::KeyUpdate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsBoolean()) throw Napi::TypeError::New(env, "requestPeer must be a boolean");
  Enter(env, false);
  if (dead_ || !SSL_is_init_finished(ssl_) || SSL_version(ssl_) != TLS1_3_VERSION) return Napi::Boolean::New(env, false);
  ERR_clear_error();
  bool ok = SSL_key_update(ssl_, info[0].As<Napi::Boolean>().Value() ? SSL_KEY_UPDATE_REQUESTED
                                                                   : SSL_KEY_UPDATE_NOT_REQUESTED) == 1 &&
            SSL_do_handshake(ssl_) == 1;
  ERR_clear_error();
  return Napi::Boolean::New(env, ok);
}

// shutdown(): writes close_notify (once). Returns false when nothing could be written.
Napi::Value Context::Shutdown(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Enter(env, false);
  if (dead_ || !established_ || (SSL_get_shutdown(ssl_) & SSL_SENT_SHUTDOWN) != 0)
    return Napi::Boolean::New(env, false);
  ERR_clear_error();
  int r = SSL_shutdown(ssl_);
  ERR_clear_error();
  return Napi::Boolean::New(env, r >= 0);
}

// setCertificate(credential): use the certificate and key of a client credential from now on
// (after want-x509-lookup, the same SSL continues with it).
Napi::Value Context::SetCertificate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SSL_CTX* from = Credential::HandleOf(info[0]);
  if (from == nullptr) throw Napi::TypeError::New(env, "credential must be a live Credential");
  Enter(env, false);
  X509* cert = SSL_CTX_get0_certificate(from);
  EVP_PKEY* key = SSL_CTX_get0_privatekey(from);
  if (cert == nullptr || key == nullptr) throw Napi::TypeError::New(env, "credential has no certificate");
  STACK_OF(X509)* chain = nullptr;
  SSL_CTX_get0_chain_certs(from, &chain);
  ERR_clear_error();
  if (SSL_use_cert_and_key(ssl_, cert, key, chain, 1) != 1) ThrowOpensslError(env, "certificate rejected");
  return env.Undefined();
}

Napi::Value Context::SetSuspendForCertificate(const Napi::CallbackInfo& info) {
  if (!info[0].IsBoolean()) throw Napi::TypeError::New(info.Env(), "suspend must be a boolean");
  Enter(info.Env(), false);
  suspendForCertificate_ = info[0].As<Napi::Boolean>().Value();
  return info.Env().Undefined();
}

Napi::Value Context::Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Enter(env, false);
  Napi::Object o = Napi::Object::New(env);
  o.Set("established", SSL_is_init_finished(ssl_) == 1);
  o.Set("version", SSL_get_version(ssl_));
  o.Set("versionNumber", SSL_version(ssl_));
  const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl_);
  if (cipher != nullptr) {
    o.Set("cipher", SSL_CIPHER_get_name(cipher));
    const char* standard = SSL_CIPHER_standard_name(cipher);
    o.Set("cipherStandardName", standard != nullptr ? standard : SSL_CIPHER_get_name(cipher));
    o.Set("cipherId", SSL_CIPHER_get_protocol_id(cipher));
  }
  // SSL_get_negotiated_group dereferences the session: only once one exists.
  int group = SSL_get_session(ssl_) != nullptr && SSL_get_current_cipher(ssl_) != nullptr
                  ? SSL_get_negotiated_group(ssl_)
                  : 0;
  // A group without a NID (OpenSSL 3.5's X25519MLKEM768, provider groups) comes back as
  // TLSEXT_nid_unknown | its TLS codepoint: the codepoint is reported and TypeScript names it.
  const bool unknownNid = group > 0 && (group & TLSEXT_nid_unknown) != 0;
  const char* groupName = group > 0 && !unknownNid ? OBJ_nid2sn(group) : nullptr;
  if (groupName != nullptr) o.Set("group", groupName);
  else o.Set("group", env.Null());
  if (unknownNid) o.Set("groupCodepoint", group & 0xffff);
  const unsigned char* alpn = nullptr;
  unsigned int alpnLength = 0;
  SSL_get0_alpn_selected(ssl_, &alpn, &alpnLength);
  if (alpnLength > 0) o.Set("alpn", std::string(reinterpret_cast<const char*>(alpn), alpnLength));
  else o.Set("alpn", env.Null());
  const char* sni = SSL_get_servername(ssl_, TLSEXT_NAMETYPE_host_name);
  if (sni != nullptr) o.Set("serverName", sni);
  else o.Set("serverName", env.Null());
  o.Set("resumed", SSL_session_reused(ssl_) == 1);
  o.Set("verifyResult", static_cast<double>(SSL_get_verify_result(ssl_)));
  unsigned char random[SSL3_RANDOM_SIZE];
  size_t n = SSL_get_client_random(ssl_, random, sizeof random);
  o.Set("clientRandom", CopyToBuffer(env, random, n));
  n = SSL_get_server_random(ssl_, random, sizeof random);
  o.Set("serverRandom", CopyToBuffer(env, random, n));
  SSL_SESSION* session = SSL_get_session(ssl_);
  unsigned int idLength = 0;
  const unsigned char* id = session != nullptr ? SSL_SESSION_get_id(session, &idLength) : nullptr;
  o.Set("sessionId", CopyToBuffer(env, id, idLength));
  o.Set("dead", dead_);
  return o;
}

Napi::Value Context::PeerChain(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Enter(env, false);
  Napi::Array out = Napi::Array::New(env);
  X509* leaf = SSL_get0_peer_certificate(ssl_);
  if (leaf == nullptr) return out;
  out.Set(0u, CertificateDer(env, leaf));
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl_);
  for (int i = 0; chain != nullptr && i < sk_X509_num(chain); i++) {
    X509* x = sk_X509_value(chain, i);
    if (X509_cmp(x, leaf) == 0) continue;
    out.Set(out.Length(), CertificateDer(env, x));
  }
  return out;
}

Napi::Value Context::LocalCertificate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Enter(env, false);
  X509* x = SSL_get_certificate(ssl_);
  return x == nullptr ? env.Null() : CertificateDer(env, x);
}

// The distinguished names (DER) of a CertificateRequest's certificate_authorities.
Napi::Value Context::CertificateAuthorities(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Enter(env, false);
  Napi::Array out = Napi::Array::New(env);
  const STACK_OF(X509_NAME)* names = SSL_get0_peer_CA_list(ssl_);
  for (int i = 0; names != nullptr && i < sk_X509_NAME_num(names); i++) {
    const X509_NAME* name = sk_X509_NAME_value(names, i);
    const unsigned char* der = nullptr;
    size_t length = 0;
    if (X509_NAME_get0_der(const_cast<X509_NAME*>(name), &der, &length) == 1)
      out.Set(out.Length(), CopyToBuffer(env, der, length));
  }
  return out;
}

Napi::Value Context::Finished(const Napi::CallbackInfo& info) {
  Enter(info.Env(), false);
  unsigned char buffer[EVP_MAX_MD_SIZE];
  size_t n = SSL_get_finished(ssl_, buffer, sizeof buffer);
  return BytesOrNull(info.Env(), n == 0 ? nullptr : buffer, std::min(n, sizeof buffer));
}

Napi::Value Context::PeerFinished(const Napi::CallbackInfo& info) {
  Enter(info.Env(), false);
  unsigned char buffer[EVP_MAX_MD_SIZE];
  size_t n = SSL_get_peer_finished(ssl_, buffer, sizeof buffer);
  return BytesOrNull(info.Env(), n == 0 ? nullptr : buffer, std::min(n, sizeof buffer));
}

// exportKeyingMaterial(length, label, context?) (RFC 5705 / RFC 8446 §7.5).
Napi::Value Context::ExportKeyingMaterial(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber()) throw Napi::TypeError::New(env, "length must be a number");
  double length = info[0].As<Napi::Number>().DoubleValue();
  if (!(length >= 1 && length <= 16384) || length != static_cast<double>(static_cast<int>(length)))
    throw Napi::RangeError::New(env, "length must be an integer in 1..16384");
  std::string label = RequireString(info[1], "label");
  bool useContext = info.Length() > 2 && !info[2].IsUndefined() && !info[2].IsNull();
  View context = useContext ? RequireBytes(info[2], "context") : View{};
  Enter(env, false);
  if (!established_) throw Napi::Error::New(env, "handshake not complete");
  std::vector<uint8_t> out(static_cast<size_t>(length));
  ERR_clear_error();
  if (SSL_export_keying_material(ssl_, out.data(), out.size(), label.data(), label.size(),
                                 context.length == 0 ? reinterpret_cast<const unsigned char*>("") : context.data,
                                 context.length, useContext ? 1 : 0) != 1)
    ThrowOpensslError(env, "export keying material");
  Napi::Value result = CopyToBuffer(env, out.data(), out.size());
  std::fill(out.begin(), out.end(), 0);
  return result;
}

Napi::Value Context::GetSession(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Enter(env, false);
  SSL_SESSION* session = SSL_get1_session(ssl_);
  return session == nullptr ? env.Null() : Session::Wrap(env, session);
}

// checkPeerName(name, isIp): the peer leaf matches `name` (used again on resumption).
Napi::Value Context::CheckPeerName(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = RequireString(info[0], "name");
  bool ip = info[1].IsBoolean() && info[1].As<Napi::Boolean>().Value();
  Enter(env, false);
  X509* leaf = SSL_get0_peer_certificate(ssl_);
  if (leaf == nullptr) return Napi::Boolean::New(env, false);
  int r = ip ? X509_check_ip_asc(leaf, name.c_str(), 0)
             : X509_check_host(leaf, name.data(), name.size(), X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, nullptr);
  ERR_clear_error();
  return Napi::Boolean::New(env, r == 1);
}

bool Context::RecordSizes(size_t& header, size_t& trailer) const {
  const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl_);
  if (cipher == nullptr) return false;
  header = 5;
  trailer = 16;
  if (SSL_version(ssl_) == TLS1_3_VERSION) {
    trailer = 17;
  } else if (SSL_CIPHER_is_aead(cipher)) {
    if (SSL_CIPHER_get_cipher_nid(cipher) != NID_chacha20_poly1305) header = 13;
  } else {
    const EVP_MD* md = EVP_get_digestbynid(SSL_CIPHER_get_digest_nid(cipher));
    header = 5 + 16;
    trailer = (md != nullptr ? static_cast<size_t>(EVP_MD_get_size(md)) : 48) + 16;
  }
  return true;
}

Napi::Value Context::StreamSizes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Enter(env, false);
  size_t header = 0, trailer = 0;
  if (!RecordSizes(header, trailer)) return env.Null();
  Napi::Object o = Napi::Object::New(env);
  o.Set("header", static_cast<double>(header));
  o.Set("trailer", static_cast<double>(trailer));
  o.Set("maximumMessage", static_cast<double>(kMaxFragment));
  const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl_);
  o.Set("blockSize", SSL_CIPHER_get_cipher_nid(cipher) == NID_chacha20_poly1305 ? 1 : 16);
  return o;
}

Napi::Value Context::IsDead(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), dead_); }
Napi::Value Context::IsBusy(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), busy_.load()); }

Napi::Value Context::Free(const Napi::CallbackInfo& info) {
  if (busy_.load()) throw Napi::Error::New(info.Env(), "a step is running on this context");
  Release();
  return info.Env().Undefined();
}

}  // namespace native
