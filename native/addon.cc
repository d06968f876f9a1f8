// The addon's entry point: the three classes, the OpenSSL version it was compiled against and the
// one it runs on (node's own; the addon links no OpenSSL).
#include <openssl/crypto.h>
#include <openssl/opensslv.h>

#include "addon.h"
#include "cipher-bench.h"
#include "context.h"
#include "credential.h"
#include "session.h"

namespace native {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  env.SetInstanceData<AddonData>(data);
  (void)ContextIndex();
  (void)CredentialIndex();
  Napi::Function session = Session::Define(env);
  Napi::Function credential = Credential::Define(env);
  Napi::Function context = Context::Define(env);
  data->session = Napi::Persistent(session);
  data->credential = Napi::Persistent(credential);
  data->context = Napi::Persistent(context);
  exports.Set("Session", session);
  exports.Set("Credential", credential);
  exports.Set("Context", context);
  exports.Set("opensslVersionText", OPENSSL_VERSION_TEXT);
  exports.Set("opensslRuntimeVersion", OpenSSL_version(OPENSSL_VERSION));
  exports.Set("aesGcmSealOpen", Napi::Function::New(env, AesGcmSealOpen, "aesGcmSealOpen"));
  return exports;
}

}  // namespace native

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return native::Init(env, exports); }

NODE_API_MODULE(async_sspi_native, InitAddon)
