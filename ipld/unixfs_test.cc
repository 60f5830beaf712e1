#include "ipld/unixfs.h"

#include <gtest/gtest.h>

#include <random>

#include "ipld/dag_pb.h"
#include "ipld/testing.h"

namespace anarq::ipld {
namespace {

using testing::hex;
using testing::unhex;

TEST(Unixfs, KubosFileEncodings) {
  UnixfsData empty;
  empty.filesize = 0;
  EXPECT_EQ(hex(unixfs_encode(empty)), "08021800");

  UnixfsData leaf;
  leaf.data = "hello world\n";
  leaf.filesize = 12;
  EXPECT_EQ(hex(unixfs_encode(leaf)), "0802120c" + hex("hello world\n") + "180c");

  UnixfsData dir;
  dir.type = UnixfsType::kDirectory;
  EXPECT_EQ(hex(unixfs_encode(dir)), "0801");
}

// The root of a 306208971-byte Kubo import, from the dagpb_7unnamedlinks+data
// IPLD fixture: 7 children, unpacked blocksizes.
TEST(Unixfs, DecodesAKuboFileRoot) {
  const std::string data = unhex(
      "080218cbc1819201208080e015208080e015208080e015208080e015208080e015208080e01520cbc1c10f");
  Result<UnixfsData> m = unixfs_decode(data);
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  EXPECT_EQ(m->type, UnixfsType::kFile);
  EXPECT_EQ(m->data, std::nullopt);
  EXPECT_EQ(m->filesize, 306208971u);
  ASSERT_EQ(m->blocksizes.size(), 7u);
  EXPECT_EQ(m->blocksizes[0], 45613056u);  // 174 chunks of 256 KiB
  EXPECT_EQ(m->blocksizes[6], 32530635u);
  EXPECT_EQ(unixfs_encode(*m), data);
}

TEST(Unixfs, RoundTripsEveryField) {
  UnixfsData m;
  m.type = UnixfsType::kHamtShard;
  m.data = std::string("\x01\x00\xff", 3);
  m.filesize = 1;
  m.blocksizes = {0, 1, ~uint64_t{0}};
  m.hash_type = 0x22;
  m.fanout = 256;
  m.mode = 0755;
  m.mtime = UnixTime{-1234567890, 999999999};
  Result<UnixfsData> back = unixfs_decode(unixfs_encode(m));
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(*back, m);
  m.mtime = UnixTime{1700000000, std::nullopt};
  EXPECT_EQ(*unixfs_decode(unixfs_encode(m)), m);
  for (auto t : {UnixfsType::kRaw, UnixfsType::kMetadata, UnixfsType::kSymlink}) {
    UnixfsData x;
    x.type = t;
    EXPECT_EQ(unixfs_decode(unixfs_encode(x))->type, t);
  }
}

TEST(Unixfs, AcceptsPackedBlocksizesAndAnyFieldOrder) {
  // blocksizes packed [1, 300], then Type after filesize.
  Result<UnixfsData> m = unixfs_decode(unhex("18052203" "01ac02" "0802"));
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  EXPECT_EQ(m->blocksizes, (std::vector<uint64_t>{1, 300}));
  EXPECT_EQ(m->filesize, 5u);
  EXPECT_EQ(m->type, UnixfsType::kFile);
}

TEST(Unixfs, RefusesBadMessages) {
  struct Case { const char* hex; const char* why; } cases[] = {
      {"", "missing Type"},
      {"1800", "missing Type"},
      {"0806", "Type out of range"},
      {"08020802", "duplicate Type"},
      {"0802180118 01", "duplicate filesize"},
      {"08024800", "unknown field 9"},
      {"0802120161" "120161", "duplicate Data"},
      {"08024204" "0801" "1000", "unexpected field 2"},          // nanos as a varint
      {"08024205" "1501000000", "missing Seconds"},
      {"08024207" "0801" "1500000000", "outside 1..999999999"},
      {"08024207" "0801" "1500ca9a3b", "outside 1..999999999"},  // 1e9
      {"08023880808080 10", "mode out of range"},               // 2^32
      {"0802220180", "blocksizes"},                              // truncated packed varint
      {"0802", nullptr},
  };
  for (const auto& c : cases) {
    std::string h = c.hex;
    std::erase(h, ' ');
    Result<UnixfsData> m = unixfs_decode(unhex(h));
    if (c.why == nullptr) {
      EXPECT_TRUE(m.ok()) << h;
      continue;
    }
    ASSERT_FALSE(m.ok()) << "accepted " << h;
    EXPECT_EQ(m.status().code(), "VALIDATION_ERROR");
    EXPECT_NE(m.status().message().find(c.why), std::string::npos) << h << " -> " << m.status().message();
  }
}

TEST(Unixfs, GarbageNeverCrashes) {
  std::mt19937 rng(5);
  for (int i = 0; i < 20000; ++i) {
    std::string bytes(rng() % 32, '\0');
    for (auto& c : bytes) c = static_cast<char>(rng() % 3 == 0 ? 0x08 + (rng() % 8) * 8 : rng());
    Result<UnixfsData> m = unixfs_decode(bytes);
    if (m.ok()) {
      // Whatever was accepted survives an encode/decode round trip.
      EXPECT_EQ(*unixfs_decode(unixfs_encode(*m)), *m);
    }
  }
}

}  // namespace
}  // namespace anarq::ipld
