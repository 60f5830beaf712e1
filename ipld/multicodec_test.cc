#include "ipld/multicodec.h"

#include <gtest/gtest.h>

namespace anarq::ipld {
namespace {

TEST(Multicodec, TableMatchesTheRegistry) {
  static_assert(multicodec_code("dag-cbor") == 0x71);
  EXPECT_EQ(multicodec_code("raw"), 0x55u);
  EXPECT_EQ(multicodec_code("dag-pb"), 0x70u);
  EXPECT_EQ(multicodec_code("dag-json"), 0x0129u);
  EXPECT_EQ(multicodec_code("libp2p-key"), 0x72u);
  EXPECT_EQ(multicodec_code("ed25519-pub"), 0xedu);
  EXPECT_EQ(multicodec_code("x25519-pub"), 0xecu);
  EXPECT_EQ(multicodec_code("sha2-256"), 0x12u);
  EXPECT_EQ(multicodec_code("identity"), 0x00u);
  EXPECT_EQ(multicodec_code("DAG-CBOR"), std::nullopt);
  for (const auto& e : kMulticodecs) {
    EXPECT_EQ(multicodec_name(e.code), e.name);
    EXPECT_EQ(multicodec_code(e.name), e.code);
  }
  EXPECT_EQ(multicodec_name(0x99999), std::nullopt);
}

}  // namespace
}  // namespace anarq::ipld
