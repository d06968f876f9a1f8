// Session: an SSL_SESSION kept as a native handle (resuming from it costs no re-parse), with DER
// export/import for callers that must store it elsewhere.
#pragma once

#include <napi.h>
#include <openssl/ssl.h>

namespace native {

class Session : public Napi::ObjectWrap<Session> {
 public:
  static Napi::Function Define(Napi::Env env);
  // Wraps `session`, taking over one reference.
  static Napi::Object Wrap(Napi::Env env, SSL_SESSION* session);
  // The session behind a JS value, or nullptr when it is not a live Session.
  static SSL_SESSION* HandleOf(const Napi::Value& value);

  explicit Session(const Napi::CallbackInfo& info);
  ~Session() override;

 private:
  static Napi::Value FromDer(const Napi::CallbackInfo& info);
  Napi::Value ToDer(const Napi::CallbackInfo& info);
  Napi::Value Free(const Napi::CallbackInfo& info);
  Napi::Value IsResumable(const Napi::CallbackInfo& info);
  Napi::Value Id(const Napi::CallbackInfo& info);
  Napi::Value Protocol(const Napi::CallbackInfo& info);
  Napi::Value PeerCertificate(const Napi::CallbackInfo& info);

  SSL_SESSION* session_ = nullptr;
};

}  // namespace native
