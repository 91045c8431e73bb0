#include "base/hash.h"

#include <openssl/evp.h>
#include <xxhash.h>

#include <cstdio>

namespace materia {

namespace {

std::string ToHex(const unsigned char* bytes, size_t length) {
  static const char* kDigits = "0123456789abcdef";
  std::string out(length * 2, '0');
  for (size_t i = 0; i < length; i++) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0xf];
  }
  return out;
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  return ToHex(digest, length);
}

std::string Xxh64Hex(std::string_view data) {
  char out[17];
  std::snprintf(out, sizeof(out), "%016llx",
                static_cast<unsigned long long>(XXH64(data.data(), data.size(), 0)));
  return out;
}

std::string Xxh128Hex(std::string_view data) {
  XXH128_hash_t hash = XXH3_128bits(data.data(), data.size());
  char out[33];
  std::snprintf(out, sizeof(out), "%016llx%016llx", static_cast<unsigned long long>(hash.high64),
                static_cast<unsigned long long>(hash.low64));
  return out;
}

Hasher& Hasher::Add(std::string_view part) {
  buffer_ += std::to_string(part.size());
  buffer_ += ':';
  buffer_.append(part.data(), part.size());
  buffer_ += ';';
  return *this;
}

Hasher& Hasher::Add(int64_t number) { return Add(std::to_string(number)); }

}  // namespace materia
