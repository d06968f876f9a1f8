#include "cipher-bench.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <chrono>
#include <cstring>
#include <vector>

namespace native {

Napi::Value AesGcmSealOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber() || !info[1].IsNumber()) throw Napi::TypeError::New(env, "size and iterations must be numbers");
  double sizeValue = info[0].As<Napi::Number>().DoubleValue();
  double iterationsValue = info[1].As<Napi::Number>().DoubleValue();
  if (!(sizeValue >= 1 && sizeValue <= 65536) || !(iterationsValue >= 1 && iterationsValue <= 1e7))
    throw Napi::RangeError::New(env, "size must be 1..65536 and iterations 1..1e7");
  size_t size = static_cast<size_t>(sizeValue);
  long iterations = static_cast<long>(iterationsValue);
  unsigned char key[16], iv[12], aad[5] = {23, 3, 3, 0, 0}, tag[16];
  RAND_bytes(key, sizeof key);
  RAND_bytes(iv, sizeof iv);
  std::vector<unsigned char> plain(size, 7), sealed(size), opened(size);
  EVP_CIPHER_CTX* seal = EVP_CIPHER_CTX_new();
  EVP_CIPHER_CTX* open = EVP_CIPHER_CTX_new();
  bool ok = seal != nullptr && open != nullptr &&
            EVP_EncryptInit_ex(seal, EVP_aes_128_gcm(), nullptr, key, nullptr) == 1 &&
            EVP_DecryptInit_ex(open, EVP_aes_128_gcm(), nullptr, key, nullptr) == 1;
  auto started = std::chrono::steady_clock::now();
  for (long i = 0; ok && i < iterations; i++) {
    memcpy(iv + 4, &i, sizeof i < 8 ? sizeof i : 8);
    int n = 0;
    ok = EVP_EncryptInit_ex(seal, nullptr, nullptr, nullptr, iv) == 1 &&
         EVP_EncryptUpdate(seal, nullptr, &n, aad, sizeof aad) == 1 &&
         EVP_EncryptUpdate(seal, sealed.data(), &n, plain.data(), static_cast<int>(size)) == 1 &&
         EVP_EncryptFinal_ex(seal, sealed.data() + n, &n) == 1 &&
         EVP_CIPHER_CTX_ctrl(seal, EVP_CTRL_GCM_GET_TAG, sizeof tag, tag) == 1 &&
         EVP_DecryptInit_ex(open, nullptr, nullptr, nullptr, iv) == 1 &&
         EVP_DecryptUpdate(open, nullptr, &n, aad, sizeof aad) == 1 &&
         EVP_DecryptUpdate(open, opened.data(), &n, sealed.data(), static_cast<int>(size)) == 1 &&
         EVP_CIPHER_CTX_ctrl(open, EVP_CTRL_GCM_SET_TAG, sizeof tag, tag) == 1 &&
         EVP_DecryptFinal_ex(open, opened.data() + n, &n) == 1;
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EVP_CIPHER_CTX_free(seal);
  EVP_CIPHER_CTX_free(open);
  if (!ok) throw Napi::Error::New(env, "AES-128-GCM failed");
  return Napi::Number::New(env, seconds);
}

}  // namespace native
