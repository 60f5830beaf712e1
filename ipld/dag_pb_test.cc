#include "ipld/dag_pb.h"

#include <gtest/gtest.h>

#include <random>

#include "ipld/multicodec.h"
#include "ipld/testing.h"

namespace anarq::ipld {
namespace {

using testing::hex;
using testing::unhex;

TEST(DagPb, CrossCodecFixturesRoundTrip) {
  const Json doc = testing::load_testdata("dag_pb_fixtures.json");
  ASSERT_GE(doc["fixtures"].size(), 17u);
  for (const Json& f : doc["fixtures"]) {
    const std::string name = f["name"];
    const std::string bytes = unhex(f["hex"].get<std::string>());
    EXPECT_EQ(Cid::v1_sha256(kCodecDagPb, bytes).to_string(), f["cid"]) << name << ": fixture bytes";
    Result<PbNode> node = dag_pb_decode(bytes);
    ASSERT_TRUE(node.ok()) << name << ": " << node.status().to_string();
    Result<std::string> again = dag_pb_encode(*node);
    ASSERT_TRUE(again.ok()) << name;
    EXPECT_EQ(hex(*again), f["hex"]) << name;
  }
}

TEST(DagPb, FixtureContents) {
  Result<PbNode> node = dag_pb_decode(unhex(
      "12340a2212208ab7a6c5e74737878ac73863cb76739d15d4666de44e5756bf55a2f9e9ab5f431209736f6d65206c696e6b1880c2d72f"
      "12370a2212208ab7a6c5e74737878ac73863cb76739d15d4666de44e5756bf55a2f9e9ab5f44120f736f6d65206f74686572206c696e6b"
      "18080a09736f6d652064617461"));
  ASSERT_TRUE(node.ok());
  ASSERT_EQ(node->links.size(), 2u);
  EXPECT_EQ(hex(node->links[0].hash.bytes()), "12208ab7a6c5e74737878ac73863cb76739d15d4666de44e5756bf55a2f9e9ab5f43");
  EXPECT_EQ(node->links[1].hash.to_string(), "QmXg9Pp2ytZ14xgmQjYEiHjVjMFXzCVVEcRTWJBmLgR39V");
  EXPECT_EQ(node->links[0].name, "some link");
  EXPECT_EQ(node->links[0].tsize, 100000000u);
  EXPECT_EQ(node->links[1].name, "some other link");
  EXPECT_EQ(node->links[1].tsize, 8u);
  EXPECT_EQ(node->data, "some data");

  // Absent and empty are different: Data "" encodes as 0x0a 0x00.
  EXPECT_EQ(dag_pb_decode(unhex("0a00"))->data, std::string());
  EXPECT_EQ(dag_pb_decode("")->data, std::nullopt);
  EXPECT_EQ(hex(*dag_pb_encode(PbNode{})), "");
  PbNode empty_name{{PbLink{*Cid::parse("bafkqabiaaebagba"), std::string(), 0}}, std::nullopt};
  EXPECT_EQ(hex(*dag_pb_encode(empty_name)), "120f0a09015500050001020304" "12001800");
}

TEST(DagPb, RefusesInvalidBlocks) {
  const Json doc = testing::load_testdata("dag_pb_fixtures.json");
  for (const Json& f : doc["invalid"]) {
    Result<PbNode> node = dag_pb_decode(unhex(f["hex"].get<std::string>()));
    EXPECT_FALSE(node.ok()) << f["name"];
  }
  struct Case { const char* hex; const char* why; } cases[] = {
      {"0a01", "runs past the end"},                      // Data length beyond input
      {"0a00" "0a00", "duplicate Data"},
      {"1a00", "unknown field 3"},
      {"0800", "Data must be bytes"},
      {"1000", "Links must be bytes"},
      {"120d1200" "0a09015500050001020304", "out of order"},     // Name before Hash
      {"12160a09015500050001020304" "0a09015500050001020304", "duplicate field 1"},
      {"120d0a09015500050001020304" "1a00", "Tsize must be a varint"},
      {"120f0a09015500050001020304" "1801" "1801", "duplicate field 3"},
      {"120d0a09015500050001020304" "2000", "unknown field 4"},
      {"12050a03015500", "not a CID"},
      {"0b", "wire type 3"},
      {"0a80", "truncated"},
      {"0a8000", "minimal"},
  };
  for (const auto& c : cases) {
    Result<PbNode> node = dag_pb_decode(unhex(c.hex));
    ASSERT_FALSE(node.ok()) << "accepted " << c.hex;
    EXPECT_EQ(node.status().code(), "VALIDATION_ERROR");
    EXPECT_NE(node.status().message().find(c.why), std::string::npos) << c.hex << " -> " << node.status().message();
  }
  EXPECT_FALSE(dag_pb_decode(std::string(kMaxDagPbBytes + 1, '\0')).ok());
}

TEST(DagPb, AcceptsDataBeforeLinksButEncodesCanonically) {
  const Json doc = testing::load_testdata("dag_pb_fixtures.json");
  for (const Json& f : doc["noncanonical"]) {
    Result<PbNode> node = dag_pb_decode(unhex(f["hex"].get<std::string>()));
    ASSERT_TRUE(node.ok()) << node.status().to_string();
    Result<std::string> canonical = dag_pb_encode(*node);
    ASSERT_TRUE(canonical.ok());
    EXPECT_EQ(hex(*canonical), f["canonicalHex"]);
    EXPECT_EQ(Cid::v1_sha256(kCodecDagPb, *canonical).to_string(), f["canonicalCid"]);
  }
}

TEST(DagPb, LinkCountBound) {
  PbNode node;
  const Cid cid = *Cid::parse("bafkqabiaaebagba");
  node.links.assign(kMaxDagPbLinks + 1, PbLink{cid, std::nullopt, std::nullopt});
  Result<std::string> r = dag_pb_encode(node);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("links"), std::string::npos);
}

// Bytes that are not DAG-PB come back as errors, never a crash; whatever is
// accepted re-encodes to itself unless it used the old Data-first order.
TEST(DagPb, GarbageNeverCrashes) {
  std::mt19937 rng(11);
  const std::string link = "120d0a09015500050001020304" "1800";
  for (int i = 0; i < 20000; ++i) {
    std::string bytes(rng() % 40, '\0');
    for (auto& c : bytes) c = static_cast<char>(rng());
    // Half the time start from a valid link so the decoder gets past the first field.
    if (i % 2 == 0) bytes = unhex(link) + bytes.substr(0, bytes.size() / 4);
    Result<PbNode> node = dag_pb_decode(bytes);
    if (node.ok() && (bytes.empty() || bytes[0] != 0x0a)) {
      EXPECT_EQ(hex(*dag_pb_encode(*node)), hex(bytes));
    }
  }
}

}  // namespace
}  // namespace anarq::ipld
