// Per-environment data of the addon (constructors, for main thread and worker threads alike) and
// the process-wide OpenSSL ex-data indexes.
#pragma once

#include <napi.h>

namespace native {

struct AddonData {
  Napi::FunctionReference session;
  Napi::FunctionReference credential;
  Napi::FunctionReference context;
  static AddonData* Of(Napi::Env env) { return env.GetInstanceData<AddonData>(); }
};

// SSL ex-data index of the owning Context, SSL_CTX ex-data index of the CredentialState.
int ContextIndex();
int CredentialIndex();

}  // namespace native
