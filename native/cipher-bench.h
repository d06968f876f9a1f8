// Benchmark only (`npm run bench`, cipher_limit_16k_MBps): the AES-128-GCM seal+open rate of
// OpenSSL's EVP on the calling thread, with no TLS around it.
#pragma once

#include <napi.h>

namespace native {

// aesGcmSealOpen(size, iterations): seals and opens `size` bytes `iterations` times (one
// EVP_CIPHER_CTX each way, re-keyed per record with a fresh nonce, 5 bytes of AAD as a TLS 1.3
// record header); returns the elapsed seconds.
Napi::Value AesGcmSealOpen(const Napi::CallbackInfo& info);

}  // namespace native
