#include "ipld/links.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "ipld/dag_cbor.h"
#include "ipld/dag_pb.h"
#include "ipld/multicodec.h"
#include "ipld/testing.h"

namespace anarq::ipld {
namespace {

using testing::unhex;

Cid raw(std::string_view s) { return Cid::v1_sha256(kCodecRaw, s); }

TEST(BlockLinks, DagPbLinksInOrderWithDuplicates) {
  PbNode node;
  node.links = {{raw("a"), "x", 1}, {raw("b"), std::nullopt, std::nullopt}, {raw("a"), "z", 3}};
  node.data = "\x08\x01";
  const std::string bytes = dag_pb_encode(node).value();
  auto links = block_links(Cid::v0_sha256(bytes), bytes);
  ASSERT_TRUE(links.ok()) << links.status().to_string();
  EXPECT_EQ(*links, (std::vector<Cid>{raw("a"), raw("b"), raw("a")}));
}

TEST(BlockLinks, DagCborLinksAnywhereInEncodingOrder) {
  // Keys encode sorted ("a" < "c" < "bb"), so the links come a0, a1, c, bb.
  Json value = {{"c", dag_json_link(raw("3"))},
                {"a", Json::array({dag_json_link(raw("1")), {{"deep", {{"x", dag_json_link(raw("2"))}}}}})},
                {"bb", Json::array({1, "s", dag_json_link(raw("4")), nullptr, 2.5})}};
  const std::string bytes = dag_cbor_encode(value).value();
  auto links = block_links(Cid::v1_sha256(kCodecDagCbor, bytes), bytes);
  ASSERT_TRUE(links.ok()) << links.status().to_string();
  EXPECT_EQ(*links, (std::vector<Cid>{raw("1"), raw("2"), raw("3"), raw("4")}));
}

TEST(BlockLinks, DagCborNonCanonicalStillShowsLinks) {
  // {"b": link, "a": 1} with keys out of order and a non-shortest integer
  // (0x18 0x01): dag_cbor_decode refuses it, the link scan does not.
  std::string bytes = unhex("a2") + "\x61" "b" + "\xd8\x2a" + "\x58\x25" + std::string(1, '\0') + raw("q").bytes() +
                      "\x61" "a" "\x18\x01";
  ASSERT_FALSE(dag_cbor_decode(bytes).ok());
  auto links = block_links(Cid::v1_sha256(kCodecDagCbor, bytes), bytes);
  ASSERT_TRUE(links.ok()) << links.status().to_string();
  EXPECT_EQ(*links, std::vector<Cid>{raw("q")});
}

TEST(BlockLinks, LeafCodecsHaveNoLinksAndUnknownCodecsAreRefused) {
  EXPECT_TRUE(block_links(raw("x"), "x")->empty());
  Cid identity = Cid::v1(kCodecIdentity, Multihash::identity("hi").value());
  EXPECT_TRUE(block_links(identity, "hi")->empty());
  auto json = block_links(Cid::v1_sha256(kCodecDagJson, "{}"), "{}");
  ASSERT_FALSE(json.ok());
  EXPECT_EQ(json.status().code(), "VALIDATION_ERROR");
  EXPECT_NE(json.status().message().find("0x129"), std::string::npos) << json.status().message();
}

TEST(BlockLinks, MalformedDagCborIsAnErrorNamingTheBlock) {
  const std::vector<std::string> bad = {
      "",                                        // nothing
      unhex("a1"),                               // map with its entry missing
      unhex("9f01ff"),                           // indefinite array
      unhex("d82b4100"),                         // tag 43
      unhex("d82a6100"),                         // tag 42 over a text string
      unhex("d82a420102"),                       // tag 42 bytes without the 0x00 prefix
      unhex("d82a4300ffff"),                     // tag 42 over garbage
      unhex("0102"),                             // trailing bytes
      unhex("9bffffffffffffffff"),               // 2^64-1 items
      unhex("bbffffffffffffffff"),               // 2^64-1 entries
      unhex("5bffffffffffffffff"),               // 2^64-1 bytes
      unhex("1c"),                               // reserved additional info
      unhex("ff"),                               // stray break
      std::string(100000, '\x81') + unhex("01"), // deep nesting is fine without recursion
  };
  for (size_t i = 0; i + 1 < bad.size(); ++i) {
    const Cid cid = Cid::v1_sha256(kCodecDagCbor, bad[i]);
    auto links = block_links(cid, bad[i]);
    ASSERT_FALSE(links.ok()) << "case " << i;
    EXPECT_EQ(links.status().code(), "VALIDATION_ERROR");
    EXPECT_NE(links.status().message().find(cid.to_string()), std::string::npos) << links.status().message();
  }
  EXPECT_TRUE(block_links(Cid::v1_sha256(kCodecDagCbor, bad.back()), bad.back()).ok());
}

TEST(BlockLinks, MutatedBlocksNeverCrash) {
  Json value = {{"a", Json::array({dag_json_link(raw("1")), 7, "text"})}, {"b", dag_json_link(raw("2"))}};
  const std::string cbor = dag_cbor_encode(value).value();
  PbNode node;
  node.links = {{raw("1"), "n", 5}, {raw("2"), "m", 6}};
  node.data = "payload";
  const std::string pb = dag_pb_encode(node).value();
  std::mt19937_64 rng(42);
  for (int i = 0; i < 5000; ++i) {
    for (auto [codec, original] : {std::pair{kCodecDagCbor, cbor}, std::pair{kCodecDagPb, pb}}) {
      std::string m = original;
      const int edits = 1 + static_cast<int>(rng() % 4);
      for (int e = 0; e < edits; ++e) {
        switch (rng() % 3) {
          case 0: m[rng() % m.size()] = static_cast<char>(rng()); break;
          case 1: m.resize(rng() % (m.size() + 1)); break;
          default: m.insert(rng() % (m.size() + 1), 1, static_cast<char>(rng())); break;
        }
        if (m.empty()) m = std::string(1, '\0');
      }
      (void)block_links(Cid::v1_sha256(codec, m), m);  // any answer but a crash
    }
  }
}

TEST(BlockLinks, OversizedBlockRefused) {
  const std::string big(kMaxBlockBytes + 1, '\0');
  EXPECT_FALSE(block_links(Cid::v1_sha256(kCodecDagCbor, "x"), big).ok());
}

// An in-memory DAG for the walker tests.
struct MemDag {
  std::map<Cid, std::string> blocks;
  Cid cbor(const std::vector<Cid>& children, int n) {
    Json links = Json::array();
    for (const auto& c : children) links.push_back(dag_json_link(c));
    std::string bytes = dag_cbor_encode(Json{{"l", links}, {"n", n}}).value();
    Cid cid = Cid::v1_sha256(kCodecDagCbor, bytes);
    blocks.emplace(cid, bytes);
    return cid;
  }
  Cid leaf(std::string_view s) {
    blocks.emplace(raw(s), std::string(s));
    return raw(s);
  }
  BlockGetter getter() {
    return [this](const Cid& cid) -> Result<std::string> {
      auto it = blocks.find(cid);
      if (it == blocks.end()) return Status::not_found("block " + cid.to_string() + " missing");
      return it->second;
    };
  }
};

TEST(DagWalker, PreorderEachBlockOnce) {
  MemDag dag;
  Cid a = dag.leaf("a"), b = dag.leaf("b"), c = dag.leaf("c");
  Cid left = dag.cbor({a, b}, 1);
  Cid right = dag.cbor({b, c, left}, 2);
  Cid root = dag.cbor({left, right, a}, 3);
  std::vector<Cid> order;
  DagWalker walker(dag.getter());
  ASSERT_TRUE(walker.walk(root, [&](const Cid& cid, std::string_view) {
                order.push_back(cid);
                return Status();
              }).ok());
  EXPECT_EQ(order, (std::vector<Cid>{root, left, a, b, right, c}));
  // A second walk over shared parts visits only what is new.
  Cid other = dag.cbor({right, dag.leaf("d")}, 4);
  order.clear();
  ASSERT_TRUE(walker.walk(other, [&](const Cid& cid, std::string_view) {
                order.push_back(cid);
                return Status();
              }).ok());
  EXPECT_EQ(order, (std::vector<Cid>{other, raw("d")}));
}

TEST(DagWalker, MissingBlockComesBackAsTheGettersError) {
  MemDag dag;
  Cid gone = raw("gone");
  Cid root = dag.cbor({dag.leaf("x"), gone}, 1);
  DagWalker walker(dag.getter());
  Status s = walker.walk(root, [](const Cid&, std::string_view) { return Status(); });
  EXPECT_EQ(s.code(), "NOT_FOUND");
  EXPECT_NE(s.message().find(gone.to_string()), std::string::npos);
}

TEST(DagWalker, DeepChainNeedsNoStackAndLimitsHold) {
  MemDag dag;
  Cid tip = dag.leaf("bottom");
  for (int i = 0; i < 20000; ++i) tip = dag.cbor({tip}, i);
  size_t n = 0;
  DagWalker walker(dag.getter());
  ASSERT_TRUE(walker.walk(tip, [&](const Cid&, std::string_view) {
                ++n;
                return Status();
              }).ok());
  EXPECT_EQ(n, 20001u);

  DagWalker bounded(dag.getter(), WalkLimits{100, 100});
  Status s = bounded.walk(tip, [](const Cid&, std::string_view) { return Status(); });
  EXPECT_EQ(s.code(), "PAYLOAD_TOO_LARGE");

  // A wide node: more links than max_pending.
  std::vector<Cid> many;
  for (int i = 0; i < 50; ++i) many.push_back(dag.leaf(std::string("w") + std::to_string(i)));
  Cid wide = dag.cbor(many, 0);
  DagWalker narrow(dag.getter(), WalkLimits{1000, 10});
  EXPECT_EQ(narrow.walk(wide, [](const Cid&, std::string_view) { return Status(); }).code(), "PAYLOAD_TOO_LARGE");
}

}  // namespace
}  // namespace anarq::ipld
