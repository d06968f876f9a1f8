#include "session.h"

#include <vector>

#include "addon.h"
#include "util.h"

namespace native {

Napi::Function Session::Define(Napi::Env env) {
  return DefineClass(env, "Session",
                     {
                         StaticMethod("fromDER", &Session::FromDer),
                         InstanceMethod("toDER", &Session::ToDer),
                         InstanceMethod("free", &Session::Free),
                         InstanceMethod("isResumable", &Session::IsResumable),
                         InstanceMethod("id", &Session::Id),
                         InstanceMethod("protocol", &Session::Protocol),
                         InstanceMethod("peerCertificate", &Session::PeerCertificate),
                     });
}

Napi::Object Session::Wrap(Napi::Env env, SSL_SESSION* session) {
  Napi::External<SSL_SESSION> external = Napi::External<SSL_SESSION>::New(env, session);
  return AddonData::Of(env)->session.New({external});
}

SSL_SESSION* Session::HandleOf(const Napi::Value& value) {
  if (!value.IsObject()) return nullptr;
  Napi::Object object = value.As<Napi::Object>();
  if (!object.InstanceOf(AddonData::Of(value.Env())->session.Value())) return nullptr;
  return Session::Unwrap(object)->session_;
}

Session::Session(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Session>(info) {
  if (info.Length() != 1 || !info[0].IsExternal())
    throw Napi::TypeError::New(info.Env(), "Session objects come from a Context or Session.fromDER");
  session_ = info[0].As<Napi::External<SSL_SESSION>>().Data();
}

Session::~Session() {
  if (session_ != nullptr) SSL_SESSION_free(session_);
}

Napi::Value Session::FromDer(const Napi::CallbackInfo& info) {
  View der = RequireBytes(info[0], "der");
  const unsigned char* at = der.data;
  SSL_SESSION* session = der.length == 0 ? nullptr : d2i_SSL_SESSION(nullptr, &at, static_cast<long>(der.length));
  if (session == nullptr) {
    ERR_clear_error();
    throw Napi::TypeError::New(info.Env(), "der is not an SSL session");
  }
  return Wrap(info.Env(), session);
}

Napi::Value Session::ToDer(const Napi::CallbackInfo& info) {
  if (session_ == nullptr) throw Napi::Error::New(info.Env(), "session freed");
  int length = i2d_SSL_SESSION(session_, nullptr);
  if (length <= 0) ThrowOpensslError(info.Env(), "i2d_SSL_SESSION");
  std::vector<uint8_t> out(static_cast<size_t>(length));
  unsigned char* at = out.data();
  i2d_SSL_SESSION(session_, &at);
  return CopyToBuffer(info.Env(), out.data(), out.size());
}

Napi::Value Session::Free(const Napi::CallbackInfo& info) {
  if (session_ != nullptr) SSL_SESSION_free(session_);
  session_ = nullptr;
  return info.Env().Undefined();
}

Napi::Value Session::IsResumable(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), session_ != nullptr && SSL_SESSION_is_resumable(session_) == 1);
}

Napi::Value Session::Id(const Napi::CallbackInfo& info) {
  if (session_ == nullptr) throw Napi::Error::New(info.Env(), "session freed");
  unsigned int length = 0;
  const unsigned char* id = SSL_SESSION_get_id(session_, &length);
  return CopyToBuffer(info.Env(), id, length);
}

Napi::Value Session::Protocol(const Napi::CallbackInfo& info) {
  if (session_ == nullptr) throw Napi::Error::New(info.Env(), "session freed");
  return Napi::Number::New(info.Env(), SSL_SESSION_get_protocol_version(session_));
}

// The server's leaf certificate kept in the session (DER), or null.
Napi::Value Session::PeerCertificate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (session_ == nullptr) throw Napi::Error::New(env, "session freed");
  X509* x = SSL_SESSION_get0_peer(session_);
  int length = x == nullptr ? 0 : i2d_X509(x, nullptr);
  if (length <= 0) return env.Null();
  std::vector<uint8_t> der(static_cast<size_t>(length));
  unsigned char* at = der.data();
  i2d_X509(x, &at);
  return CopyToBuffer(env, der.data(), der.size());
}

}  // namespace native
