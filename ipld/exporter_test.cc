#include "ipld/exporter.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "ipld/importer.h"
#include "ipld/multicodec.h"

namespace anarq::ipld {
namespace {

struct MemStore {
  std::map<std::string, std::string> blocks;
  BlockSink sink() {
    return [this](const Cid& c, std::string_view b) {
      blocks[c.bytes()] = std::string(b);
      return Status();
    };
  }
  BlockGetter getter() {
    return [this](const Cid& c) -> Result<std::string> {
      auto it = blocks.find(c.bytes());
      if (it == blocks.end()) return Status::not_found("missing " + c.to_string());
      return it->second;
    };
  }
};

std::string pattern(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

std::string read_all(FileReader& r) {
  std::string out, piece;
  for (;;) {
    auto more = r.next(piece);
    EXPECT_TRUE(more.ok()) << more.status().to_string();
    if (!more.ok()) return out;
    out += piece;
    if (!*more) return out;
  }
}

TEST(ExporterTest, RoundTripsFilesOfManySizesInBothModes) {
  for (CidMode mode : {CidMode::kCidV0, CidMode::kCidV1RawLeaves}) {
    for (size_t size : {size_t{0}, size_t{1}, size_t{1000}, size_t{262144}, size_t{262145}, size_t{3 * 262144 + 7}}) {
      MemStore store;
      std::string data = pattern(size, static_cast<uint32_t>(size));
      ImportOptions o;
      o.mode = mode;
      auto root = import_bytes(data, o, store.sink());
      ASSERT_TRUE(root.ok());
      auto r = FileReader::open(*root, store.getter());
      ASSERT_TRUE(r.ok()) << r.status().to_string();
      EXPECT_EQ(r->size(), size);
      EXPECT_EQ(read_all(*r), data) << size;
    }
  }
}

TEST(ExporterTest, ServesRangesWithoutFetchingSkippedLeaves) {
  MemStore store;
  ImportOptions o;
  o.chunk_size = 1024;
  o.max_links = 4;  // a deep tree: 3 levels for 40 KiB
  std::string data = pattern(40 * 1024 + 5, 7);
  auto root = import_bytes(data, o, store.sink());
  ASSERT_TRUE(root.ok());
  int fetches = 0;
  auto counting = [&](const Cid& c) {
    ++fetches;
    return store.getter()(c);
  };
  auto r = FileReader::open(*root, counting);
  ASSERT_TRUE(r.ok());
  for (auto [off, len] : std::vector<std::pair<uint64_t, uint64_t>>{{0, 10}, {1023, 2}, {5000, 9000}, {40 * 1024, 100}, {50000, 10}}) {
    fetches = 0;
    r->seek(off, len);
    std::string got = read_all(*r);
    EXPECT_EQ(got, off >= data.size() ? "" : data.substr(off, len)) << off;
    if (len <= 2) {
      EXPECT_LE(fetches, 6) << "a tiny range fetched " << fetches << " blocks";
    }
  }
}

TEST(ExporterTest, MissingOrForeignBlocksAreErrors) {
  MemStore store;
  ImportOptions o;
  o.chunk_size = 1024;
  auto root = import_bytes(pattern(5000, 1), o, store.sink());
  ASSERT_TRUE(root.ok());
  // Drop one leaf: reading through it fails with NOT_FOUND.
  for (auto it = store.blocks.begin(); it != store.blocks.end(); ++it)
    if (it->first != root->bytes()) {
      store.blocks.erase(it);
      break;
    }
  auto r = FileReader::open(*root, store.getter());
  ASSERT_TRUE(r.ok());
  std::string piece;
  Status failure;
  for (int i = 0; i < 100; ++i) {
    auto more = r->next(piece);
    if (!more.ok()) {
      failure = more.status();
      break;
    }
    if (!*more) break;
  }
  EXPECT_EQ(failure.code(), "NOT_FOUND");
  Cid cbor = Cid::v1_sha256(kCodecDagCbor, "\xa0");
  EXPECT_FALSE(FileReader::open(cbor, [](const Cid&) -> Result<std::string> { return std::string("\xa0"); }).ok());
}

}  // namespace
}  // namespace anarq::ipld
