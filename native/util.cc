#include "util.h"

#include <limits>

namespace native {

View RequireBytes(const Napi::Value& value, const char* what) {
  Napi::Env env = value.Env();
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    throw Napi::TypeError::New(env, std::string(what) + " must be a Uint8Array");
  Napi::Uint8Array array = value.As<Napi::Uint8Array>();
  Napi::ArrayBuffer buffer = array.ArrayBuffer();
  if (buffer.IsDetached()) throw Napi::TypeError::New(env, std::string(what) + " is detached");
  View view;
  view.length = array.ByteLength();
  view.data = view.length == 0 ? nullptr : array.Data();
  return view;
}

View OptionalBytes(const Napi::Value& value, const char* what) {
  if (value.IsUndefined() || value.IsNull()) return View{};
  return RequireBytes(value, what);
}

std::string RequireString(const Napi::Value& value, const char* what) {
  if (!value.IsString()) throw Napi::TypeError::New(value.Env(), std::string(what) + " must be a string");
  std::string text = value.As<Napi::String>().Utf8Value();
  if (text.find('\0') != std::string::npos)
    throw Napi::TypeError::New(value.Env(), std::string(what) + " must not contain NUL");
  return text;
}

bool OptionalBool(const Napi::Object& object, const char* key, bool fallback) {
  Napi::Value value = object.Get(key);
  if (value.IsUndefined()) return fallback;
  if (!value.IsBoolean())
    throw Napi::TypeError::New(object.Env(), std::string(key) + " must be a boolean");
  return value.As<Napi::Boolean>().Value();
}

int64_t OptionalInteger(const Napi::Object& object, const char* key, int64_t fallback, int64_t min,
                        int64_t max) {
  Napi::Value value = object.Get(key);
  if (value.IsUndefined()) return fallback;
  if (!value.IsNumber()) throw Napi::TypeError::New(object.Env(), std::string(key) + " must be a number");
  double number = value.As<Napi::Number>().DoubleValue();
  if (!(number >= static_cast<double>(min) && number <= static_cast<double>(max)) ||
      number != static_cast<double>(static_cast<int64_t>(number)))
    throw Napi::RangeError::New(object.Env(), std::string(key) + " is out of range");
  return static_cast<int64_t>(number);
}

std::string OptionalString(const Napi::Object& object, const char* key) {
  Napi::Value value = object.Get(key);
  if (value.IsUndefined() || value.IsNull()) return std::string();
  return RequireString(value, key);
}

OpensslError TakeOpensslError() {
  OpensslError error;
  unsigned long code = ERR_get_error();
  if (code != 0) {
    error.code = code;
    error.library = ERR_GET_LIB(code);
    error.reason = ERR_GET_REASON(code);
    const char* reason = ERR_reason_error_string(code);
    error.reasonText = reason != nullptr ? reason : "unknown error";
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    error.text = text;
  }
  ERR_clear_error();
  return error;
}

void ThrowOpensslError(Napi::Env env, const std::string& what) {
  OpensslError error = TakeOpensslError();
  std::string message = what;
  if (error.code != 0) message += ": " + error.reasonText;
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("opensslReason", Napi::String::New(env, error.reasonText));
  throw e;
}

void DrainBio(BIO* bio, std::vector<uint8_t>& out) {
  size_t pending = BIO_ctrl_pending(bio);
  if (pending == 0) return;
  size_t at = out.size();
  out.resize(at + pending);
  int read = BIO_read(bio, out.data() + at, static_cast<int>(pending));
  out.resize(at + (read > 0 ? static_cast<size_t>(read) : 0));
}

size_t CompleteRecordsPrefix(const uint8_t* data, size_t length, size_t maxBody) {
  size_t at = 0;
  while (at < length) {
    // An invalid header goes to OpenSSL whole: it fails on it with the right alert.
    if (data[at] < 20 || data[at] > 24) return length;
    if (length - at >= 2 && data[at + 1] != 3) return length;
    if (length - at < 5) break;
    size_t body = (static_cast<size_t>(data[at + 3]) << 8) | data[at + 4];
    if (body > maxBody) return length;
    if (length - at - 5 < body) break;
    at += 5 + body;
  }
  return at;
}

Napi::Buffer<uint8_t> CopyToBuffer(Napi::Env env, const uint8_t* data, size_t length) {
  return Napi::Buffer<uint8_t>::Copy(env, length == 0 ? reinterpret_cast<const uint8_t*>("") : data, length);
}

}  // namespace native
