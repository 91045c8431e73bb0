#include "base/hash.h"

#include <gtest/gtest.h>

namespace materia {
namespace {

TEST(Hash, KnownDigests) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Xxh64Hex(""), "ef46db3751d8e999");
  EXPECT_EQ(Xxh128Hex(""), "99aa06d3014798d86001c324468d497f");
}

TEST(Hash, Xxh128TellsNearlyEqualTextsApart) {
  EXPECT_EQ(Xxh128Hex("SELECT 1").size(), 32u);
  EXPECT_NE(Xxh128Hex("SELECT 1"), Xxh128Hex("SELECT 2"));
  EXPECT_EQ(Xxh128Hex("SELECT 1"), Xxh128Hex(std::string("SELECT 1")));
}

TEST(Hash, HasherPartsAreUnambiguous) {
  EXPECT_NE(Hasher().Add("ab").Add("c").Sha256(), Hasher().Add("a").Add("bc").Sha256());
  EXPECT_EQ(Hasher().Add("a").Add(int64_t{1}).Sha256(), Hasher().Add("a").Add(int64_t{1}).Sha256());
}

}  // namespace
}  // namespace materia
