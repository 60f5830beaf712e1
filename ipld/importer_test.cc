#include "ipld/importer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

#include "ipld/dag_pb.h"
#include "ipld/multicodec.h"
#include "ipld/testing.h"
#include "ipld/unixfs.h"

namespace anarq::ipld {
namespace {

std::string pattern(size_t size) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i) s[i] = static_cast<char>(i % 251);
  return s;
}

struct Collected {
  std::map<Cid, std::string> blocks;
  std::vector<Cid> order;
  uint64_t bytes = 0;
  BlockSink sink() {
    return [this](const Cid& cid, std::string_view block) -> Status {
      Status verified = cid.multihash().verify(block);
      if (!verified.ok()) return verified;
      blocks.emplace(cid, std::string(block));
      order.push_back(cid);
      bytes += block.size();
      return {};
    };
  }
};

ImportOptions mode_options(CidMode mode) {
  ImportOptions o;
  o.mode = mode;
  return o;
}

// Streams `data` in uneven pieces so chunk boundaries never line up with writes.
Result<Cid> import_in_pieces(std::string_view data, const ImportOptions& o, const BlockSink& sink,
                             uint32_t seed) {
  Result<FileImporter> imp = FileImporter::create(o, sink);
  if (!imp.ok()) return imp.status();
  std::mt19937 rng(seed);
  const size_t max_piece = std::clamp<size_t>(data.size() / 3, 1, 400000);
  while (!data.empty()) {
    const size_t n = std::min<size_t>(data.size(), 1 + rng() % max_piece);
    ANARQ_RETURN_IF_ERROR(imp->write(data.substr(0, n)));
    data.remove_prefix(n);
  }
  return imp->finish();
}

// Reads the file back out of the blocks: checks every link's Tsize, every
// node's blocksizes and filesize, and the max_links bound on the way.
std::string export_file(const Collected& c, const Cid& cid, size_t max_links, uint64_t* tsize = nullptr) {
  const std::string& block = c.blocks.at(cid);
  if (cid.codec() == kCodecRaw) {
    if (tsize) *tsize = block.size();
    return block;
  }
  Result<PbNode> node = dag_pb_decode(block);
  EXPECT_TRUE(node.ok());
  Result<UnixfsData> meta = unixfs_decode(node->data.value_or(""));
  EXPECT_TRUE(meta.ok());
  EXPECT_EQ(meta->type, UnixfsType::kFile);
  EXPECT_LE(node->links.size(), max_links);
  std::string out = meta->data.value_or("");
  uint64_t total = block.size();
  EXPECT_EQ(meta->blocksizes.size(), node->links.size());
  for (size_t i = 0; i < node->links.size(); ++i) {
    const PbLink& link = node->links[i];
    EXPECT_EQ(link.name, std::string());
    uint64_t child_tsize = 0;
    const std::string part = export_file(c, link.hash, max_links, &child_tsize);
    EXPECT_EQ(link.tsize, child_tsize);
    EXPECT_EQ(meta->blocksizes[i], part.size());
    total += child_tsize;
    out += part;
  }
  EXPECT_EQ(meta->filesize, out.size());
  if (tsize) *tsize = total;
  return out;
}

TEST(Importer, KuboVectors) {
  const Json doc = testing::load_testdata("unixfs.json");
  ASSERT_GE(doc["vectors"].size(), 12u);
  for (const Json& v : doc["vectors"]) {
    ASSERT_EQ(v["content"], "byte i = i % 251");
    const size_t size = v["size"];
    const std::string data = pattern(size);
    for (CidMode mode : {CidMode::kCidV0, CidMode::kCidV1RawLeaves}) {
      const std::string want = mode == CidMode::kCidV0 ? v["cidv0"] : v["cidv1"];
      Collected c;
      Result<Cid> root = import_in_pieces(data, mode_options(mode), c.sink(), static_cast<uint32_t>(size));
      ASSERT_TRUE(root.ok()) << size << ": " << root.status().to_string();
      EXPECT_EQ(root->to_string(), want) << "size " << size;
      EXPECT_EQ(c.order.back(), *root) << "the root block comes last";
      // One-shot import agrees with streaming.
      Collected c2;
      EXPECT_EQ(import_bytes(data, mode_options(mode), c2.sink())->to_string(), want) << size;
      if (size <= 11 * kDefaultChunkSize) {
        uint64_t tsize = 0;
        EXPECT_EQ(export_file(c, *root, kDefaultMaxLinks, &tsize), data) << size;
      }
    }
  }
}

TEST(Importer, KuboExtraVectors) {
  const Json doc = testing::load_testdata("unixfs.json");
  std::map<std::string, std::string> content = {{"empty", ""}, {"hello world\\n (12 bytes)", "hello world\n"}};
  ASSERT_EQ(doc["extra"].size(), content.size());
  for (const Json& v : doc["extra"]) {
    const std::string data = content.at(v["content"]);
    Collected c;
    EXPECT_EQ(import_bytes(data, mode_options(CidMode::kCidV0), c.sink())->to_string(), v["cidv0"]);
    EXPECT_EQ(import_bytes(data, mode_options(CidMode::kCidV1RawLeaves), c.sink())->to_string(), v["cidv1"]);
  }
}

TEST(Importer, LeafAndNodeBytes) {
  Collected c;
  Result<FileImporter> imp = FileImporter::create(mode_options(CidMode::kCidV0), c.sink());
  ASSERT_TRUE(imp->write("hello world\n").ok());
  Result<Cid> root = imp->finish();
  // PBNode{Data: UnixFS{Type: File, Data: "hello world\n", filesize: 12}}
  EXPECT_EQ(testing::hex(c.blocks.at(*root)), "0a120802120c" + testing::hex("hello world\n") + "180c");
  EXPECT_EQ(imp->dag_size(), 20u);
  EXPECT_EQ(imp->file_size(), 12u);

  Collected e;
  Result<Cid> empty = import_bytes("", mode_options(CidMode::kCidV0), e.sink());
  EXPECT_EQ(testing::hex(e.blocks.at(*empty)), "0a0408021800");

  // 262145 bytes: a root over a full leaf and a 1-byte leaf.
  Collected two;
  Result<Cid> r = import_bytes(pattern(kDefaultChunkSize + 1), mode_options(CidMode::kCidV0), two.sink());
  Result<PbNode> node = dag_pb_decode(two.blocks.at(*r));
  ASSERT_EQ(node->links.size(), 2u);
  EXPECT_EQ(node->links[0].tsize, kDefaultChunkSize + 14);  // 0a 8f80 10 | 0802 | 12 808010 | ... | 18 808010
  EXPECT_EQ(node->links[1].tsize, 9u);
  EXPECT_EQ(unixfs_decode(*node->data)->blocksizes, (std::vector<uint64_t>{kDefaultChunkSize, 1}));
}

// Kubo's balanced builder (boxo importer/balanced), transcribed literally: a
// first leaf, then repeatedly a new root over the old one filled to depth.
class ReferenceBalanced {
 public:
  ReferenceBalanced(const ImportOptions& o, std::string_view data) : o_(o) {
    for (size_t off = 0; off < data.size(); off += o.chunk_size) chunks_.emplace_back(data.substr(off, o.chunk_size));
  }
  Cid layout() {
    if (done()) return leaf("").cid;
    Node root = leaf(chunks_[next_++]);
    for (int depth = 1; !done(); ++depth) root = fill({root}, depth);
    return root.cid;
  }

 private:
  struct Node { Cid cid; uint64_t tsize; uint64_t filesize; };
  bool done() const { return next_ == chunks_.size(); }
  Node leaf(std::string_view chunk) {
    if (o_.mode == CidMode::kCidV1RawLeaves) return {Cid::v1_sha256(kCodecRaw, chunk), chunk.size(), chunk.size()};
    UnixfsData m;
    if (!chunk.empty()) m.data = std::string(chunk);
    m.filesize = chunk.size();
    const std::string block = *dag_pb_encode(PbNode{{}, unixfs_encode(m)});
    return {Cid::v0_sha256(block), block.size(), chunk.size()};
  }
  Node fill(std::vector<Node> children, int depth) {
    while (children.size() < o_.max_links && !done()) {
      children.push_back(depth == 1 ? leaf(chunks_[next_++]) : fill({}, depth - 1));
    }
    UnixfsData m;
    PbNode n;
    uint64_t filesize = 0, tsize = 0;
    for (const Node& c : children) {
      m.blocksizes.push_back(c.filesize);
      n.links.push_back(PbLink{c.cid, std::string(), c.tsize});
      filesize += c.filesize;
      tsize += c.tsize;
    }
    m.filesize = filesize;
    n.data = unixfs_encode(m);
    const std::string block = *dag_pb_encode(n);
    Cid cid = o_.mode == CidMode::kCidV0 ? Cid::v0_sha256(block) : Cid::v1_sha256(kCodecDagPb, block);
    return {cid, tsize + block.size(), filesize};
  }
  ImportOptions o_;
  std::vector<std::string_view> chunks_;
  size_t next_ = 0;
};

TEST(Importer, ShapeMatchesKubosRecursiveBuilderAtEveryCount) {
  // Every chunk count up to past max_links^3 (2^6 for two links): each depth,
  // each exactly-full tree and the count after it.
  for (CidMode mode : {CidMode::kCidV0, CidMode::kCidV1RawLeaves}) {
    for (auto [links, max_chunks] : {std::pair<size_t, size_t>{2, 70}, {3, 85}, {5, 130}}) {
      ImportOptions o;
      o.mode = mode;
      o.chunk_size = 3;
      o.max_links = links;
      for (size_t chunks = 0; chunks <= max_chunks; ++chunks) {
        // Alternate a full and a short last chunk.
        const size_t size = chunks == 0 ? 0 : chunks * 3 - chunks % 2;
        const std::string data = pattern(size);
        Collected c;
        Result<Cid> got = import_in_pieces(data, o, c.sink(), static_cast<uint32_t>(size));
        ASSERT_TRUE(got.ok());
        ASSERT_EQ(*got, ReferenceBalanced(o, data).layout())
            << "links " << links << " size " << size << " mode " << static_cast<int>(mode);
        ASSERT_EQ(export_file(c, *got, links), data);
      }
    }
  }
}

TEST(Importer, StreamsBlocksWithBoundedMemory) {
  ImportOptions o;
  o.chunk_size = 1000;
  o.max_links = 4;
  Collected c;
  Result<FileImporter> imp = FileImporter::create(o, c.sink());
  const std::string data = pattern(10000);
  ASSERT_TRUE(imp->write(data).ok());
  // Ten full chunks: ten leaves and two full internal nodes are already out.
  EXPECT_EQ(c.order.size(), 12u);
  Result<Cid> root = imp->finish();
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(imp->dag_size(), c.bytes);
  EXPECT_EQ(imp->file_size(), data.size());
  EXPECT_EQ(export_file(c, *root, 4), data);
}

TEST(Importer, ParsesKuboChunkerSpecs) {
  EXPECT_EQ(*parse_chunker(""), kDefaultChunkSize);
  EXPECT_EQ(*parse_chunker("default"), kDefaultChunkSize);
  EXPECT_EQ(*parse_chunker("size-262144"), 262144u);
  EXPECT_EQ(*parse_chunker("size-1"), 1u);
  EXPECT_EQ(*parse_chunker("size-1048576"), kMaxChunkSize);
  for (const char* bad : {"size-0", "size-1048577", "size-", "size-12a", "size--1", "size-999999999999",
                          "rabin", "rabin-262144-524288-1048576", "buzhash", "SIZE-10"}) {
    Result<size_t> r = parse_chunker(bad);
    EXPECT_FALSE(r.ok()) << bad;
  }
}

TEST(Importer, ErrorsAndMisuse) {
  auto noop = [](const Cid&, std::string_view) { return Status(); };
  for (auto [chunk, links] : {std::pair<size_t, size_t>{0, 174}, {kMaxChunkSize + 1, 174}, {1024, 1}, {1024, kMaxMaxLinks + 1}}) {
    ImportOptions o;
    o.chunk_size = chunk;
    o.max_links = links;
    EXPECT_FALSE(FileImporter::create(o, noop).ok()) << chunk << "/" << links;
  }
  ImportOptions max;
  max.chunk_size = kMaxChunkSize;
  max.max_links = kMaxMaxLinks;
  EXPECT_TRUE(FileImporter::create(max, noop).ok());
  EXPECT_FALSE(FileImporter::create({}, nullptr).ok());

  // A failing sink stops the import and the failure sticks.
  int calls = 0;
  ImportOptions small;
  small.chunk_size = 10;
  Result<FileImporter> imp = FileImporter::create(small, [&](const Cid&, std::string_view) {
    return ++calls == 3 ? Status::unavailable("disk full") : Status();
  });
  EXPECT_TRUE(imp->write(pattern(25)).ok());
  Status s = imp->write(pattern(10));
  EXPECT_EQ(s.message(), "disk full");
  EXPECT_EQ(imp->write("x").message(), "disk full");
  EXPECT_EQ(imp->finish().status().message(), "disk full");

  Result<FileImporter> done = FileImporter::create({}, noop);
  ASSERT_TRUE(done->finish().ok());
  EXPECT_FALSE(done->finish().ok());
  EXPECT_FALSE(done->write("x").ok());
}

}  // namespace
}  // namespace anarq::ipld
