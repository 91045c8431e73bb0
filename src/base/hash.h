// Hashing: SHA-256 for versions and fingerprints (stable across machines and
// releases), xxHash64 for in-process cache keys where speed matters more.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace materia {

// Lower-case hex SHA-256 of `data` (64 characters).
std::string Sha256Hex(std::string_view data);

// Lower-case hex xxHash64 of `data` (16 characters).
std::string Xxh64Hex(std::string_view data);

// Lower-case hex XXH3 128-bit hash of `data` (32 characters): a content key for
// caches, where SHA-256 would cost more than the lookup it saves.
std::string Xxh128Hex(std::string_view data);

// Builds a hash from several parts without ambiguity: each part is length-prefixed,
// so ("ab","c") and ("a","bc") differ.
class Hasher {
 public:
  Hasher& Add(std::string_view part);
  Hasher& Add(int64_t number);
  std::string Sha256() const { return Sha256Hex(buffer_); }

 private:
  std::string buffer_;
};

}  // namespace materia
