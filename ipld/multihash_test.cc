#include "ipld/multihash.h"

#include <gtest/gtest.h>

#include "ipld/testing.h"

namespace anarq::ipld {
namespace {

using testing::hex;
using testing::unhex;

std::string digest_hex(const Sha256Digest& d) {
  return hex(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

TEST(Sha256, MatchesFipsVectors) {
  EXPECT_EQ(digest_hex(Sha256::digest("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(digest_hex(Sha256::digest("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, StreamingEqualsOneShotAndResets) {
  std::string data(100000, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7);
  Sha256 h;
  for (size_t off = 0; off < data.size(); off += 999) h.update(std::string_view(data).substr(off, 999));
  EXPECT_EQ(h.finish(), Sha256::digest(data));
  // finish() starts over.
  h.update("abc");
  EXPECT_EQ(digest_hex(h.finish()), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256 moved = std::move(h);
  moved.update("");
  EXPECT_EQ(moved.finish(), Sha256::digest(""));
}

TEST(Multihash, Sha256Bytes) {
  Multihash mh = Multihash::sha256("");
  EXPECT_EQ(mh.code(), kMultihashSha2_256);
  EXPECT_EQ(hex(mh.bytes()), "1220e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Result<Multihash> back = Multihash::from_bytes(mh.bytes());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, mh);
  EXPECT_TRUE(mh.verify("").ok());
  EXPECT_FALSE(mh.verify("x").ok());
}

TEST(Multihash, Identity) {
  Result<Multihash> mh = Multihash::identity(unhex("0001020304"));
  ASSERT_TRUE(mh.ok());
  EXPECT_EQ(hex(mh->bytes()), "00050001020304");
  EXPECT_TRUE(mh->verify(unhex("0001020304")).ok());
  EXPECT_FALSE(mh->verify(unhex("00010203")).ok());
  EXPECT_TRUE(Multihash::identity(std::string(kMaxDigestBytes, 'a')).ok());
  EXPECT_FALSE(Multihash::identity(std::string(kMaxDigestBytes + 1, 'a')).ok());
}

TEST(Multihash, ForeignCodesRoundTripButDoNotVerify) {
  // sha1 (0x11), 20 bytes: from a git-raw CID in the IPLD fixtures.
  const std::string bytes = unhex("1114c876ceeaa8b30123bc5fc99359e682a737308659");
  Result<Multihash> mh = Multihash::from_bytes(bytes);
  ASSERT_TRUE(mh.ok()) << mh.status().to_string();
  EXPECT_EQ(mh->code(), 0x11u);
  EXPECT_EQ(mh->bytes(), bytes);
  EXPECT_FALSE(mh->is_supported());
  Status s = mh->verify("anything");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("0x11"), std::string::npos) << s.message();
}

TEST(Multihash, ReadAdvances) {
  std::string buf = unhex("00020102ff");
  std::string_view in = buf;
  Result<Multihash> mh = Multihash::read(in);
  ASSERT_TRUE(mh.ok());
  EXPECT_EQ(in.size(), 1u);
}

TEST(Multihash, RefusesBadInput) {
  struct Case { const char* hex; const char* why; } cases[] = {
      {"", "no bytes"},
      {"12", "missing length"},
      {"1220", "digest length 32 exceeds the 0 bytes left"},
      {"1210000102030405060708090a0b0c0d0e0f", "sha2-256 digest must be 32 bytes"},
      {"0081", "length truncated"},
      {"008101" , "length 129 > 128"},
      {"1280", "non-minimal/truncated length varint"},
      {"00020102ff", "trailing byte"},
  };
  for (const auto& c : cases) {
    Result<Multihash> mh = Multihash::from_bytes(unhex(c.hex));
    EXPECT_FALSE(mh.ok()) << c.hex << " (" << c.why << ")";
    if (!mh.ok()) {
      EXPECT_EQ(mh.status().code(), "VALIDATION_ERROR");
    }
  }
  EXPECT_FALSE(Multihash::create(kMultihashSha2_256, "short").ok());
}

}  // namespace
}  // namespace anarq::ipld
