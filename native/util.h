// Helpers shared by the addon's classes: checked views of JavaScript bytes, OpenSSL error
// collection, memory-BIO draining and TLS record framing. No policy lives here.
#pragma once

#include <napi.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cstdint>
#include <string>
#include <vector>

namespace native {

// A checked view of a Uint8Array argument (never of a detached buffer).
struct View {
  uint8_t* data = nullptr;
  size_t length = 0;
};

// Throws a TypeError unless `value` is a Uint8Array over a live ArrayBuffer.
View RequireBytes(const Napi::Value& value, const char* what);
// `undefined`/`null` → empty view; otherwise as RequireBytes.
View OptionalBytes(const Napi::Value& value, const char* what);
std::string RequireString(const Napi::Value& value, const char* what);
bool OptionalBool(const Napi::Object& object, const char* key, bool fallback);
int64_t OptionalInteger(const Napi::Object& object, const char* key, int64_t fallback, int64_t min,
                        int64_t max);
std::string OptionalString(const Napi::Object& object, const char* key);

// The first error of this thread's OpenSSL error queue, then clears the queue.
struct OpensslError {
  unsigned long code = 0;
  int library = 0;
  int reason = 0;
  std::string reasonText;  // "certificate verify failed"
  std::string text;        // "error:0A000086:SSL routines::certificate verify failed"
};
OpensslError TakeOpensslError();
[[noreturn]] void ThrowOpensslError(Napi::Env env, const std::string& what);

// Appends everything `bio` holds to `out`.
void DrainBio(BIO* bio, std::vector<uint8_t>& out);

// Length of the prefix of `data` made of complete TLS records (5-byte header + body); all of
// `data` when a header is invalid (OpenSSL then rejects it with its alert).
size_t CompleteRecordsPrefix(const uint8_t* data, size_t length, size_t maxBody);

Napi::Buffer<uint8_t> CopyToBuffer(Napi::Env env, const uint8_t* data, size_t length);

}  // namespace native
