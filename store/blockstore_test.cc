#include "store/blockstore.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "ipld/car.h"
#include "ipld/links.h"
#include "ipld/multicodec.h"
#include "store/testing.h"

namespace anarq {
namespace {

namespace fs = std::filesystem;
using ipld::Cid;
using testing::TempDir;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::unique_ptr<Blockstore> open(const TempDir& dir) {
  auto bs = open_fs_blockstore(dir / "blocks");
  if (!bs.ok()) throw std::runtime_error(bs.status().to_string());
  return std::move(bs).value();
}

// Kubo's empty UnixFS directory, present in every Kubo repo at
// blocks/X3/CIQFTFEEHEDF6KLBT32BFAGLXEZL4UWFNWM4LFTLMXQBCERZ6CMLX3Y.data.
constexpr std::string_view kEmptyDir = "\x0a\x02\x08\x01";
constexpr std::string_view kEmptyDirCid = "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn";
constexpr std::string_view kEmptyDirFile = "X3/CIQFTFEEHEDF6KLBT32BFAGLXEZL4UWFNWM4LFTLMXQBCERZ6CMLX3Y.data";

TEST(FsBlockstore, KuboFlatfsLayout) {
  TempDir dir;
  auto bs = open(dir);
  const Cid cid = Cid::parse(kEmptyDirCid).value();
  ASSERT_TRUE(bs->put(cid, kEmptyDir).ok());
  EXPECT_EQ(read_file(dir / ("blocks/" + std::string(kEmptyDirFile))), kEmptyDir);
  EXPECT_EQ(read_file(dir / "blocks/SHARDING"), "/repo/flatfs/shard/v1/next-to-last/2\n");
  // Keyed by multihash: the raw CIDv1 of the same bytes is the same block.
  const Cid raw = Cid::parse("bafkreiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354").value();
  EXPECT_TRUE(*bs->has(raw));
  EXPECT_EQ(*bs->get(raw), kEmptyDir);
  EXPECT_EQ(*bs->get(cid.to_v1()), kEmptyDir);
}

TEST(FsBlockstore, PutGetHasSizeRemove) {
  TempDir dir;
  auto bs = open(dir);
  const Cid cid = Cid::v1_sha256(ipld::kCodecRaw, "hello");
  EXPECT_FALSE(*bs->has(cid));
  EXPECT_EQ(bs->get(cid).status().code(), "NOT_FOUND");
  EXPECT_NE(bs->get(cid).status().message().find(cid.to_string()), std::string::npos);
  EXPECT_EQ(bs->size(cid).status().code(), "NOT_FOUND");
  ASSERT_TRUE(bs->put(cid, "hello").ok());
  ASSERT_TRUE(bs->put(cid, "hello").ok());  // again: a no-op
  EXPECT_TRUE(*bs->has(cid));
  EXPECT_EQ(*bs->get(cid), "hello");
  EXPECT_EQ(*bs->size(cid), 5u);
  ASSERT_TRUE(bs->remove(cid).ok());
  EXPECT_FALSE(*bs->has(cid));
  EXPECT_EQ(bs->remove(cid).code(), "NOT_FOUND");
  // No temp files left behind by the puts.
  for (const auto& e : fs::recursive_directory_iterator(dir.path())) {
    EXPECT_EQ(e.path().filename().string().rfind(".put-", 0), std::string::npos) << e.path();
  }
}

TEST(FsBlockstore, FlippedByteOnDiskIsACorruptionErrorNotBytes) {
  TempDir dir;
  auto bs = open(dir);
  const Cid cid = Cid::parse(kEmptyDirCid).value();
  ASSERT_TRUE(bs->put(cid, kEmptyDir).ok());
  const std::string path = dir / ("blocks/" + std::string(kEmptyDirFile));
  std::string bytes = read_file(path);
  bytes[2] ^= 0x01;
  write_file(path, bytes);

  Result<std::string> got = bs->get(cid);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), "INTERNAL_ERROR");
  EXPECT_EQ(got.status().message().find("block " + cid.to_string() + " is corrupted on disk"), 0u)
      << got.status().message();
  EXPECT_EQ(got.status().details()["cid"], cid.to_string());
  EXPECT_TRUE(*bs->has(cid));  // has() only stats

  // A truncated file is corrupt too, and a put of the right bytes repairs it.
  write_file(path, kEmptyDir.substr(0, 2));
  EXPECT_EQ(bs->get(cid).status().code(), "INTERNAL_ERROR");
  ASSERT_TRUE(bs->put(cid, kEmptyDir).ok());
  EXPECT_EQ(*bs->get(cid), kEmptyDir);

  // A file larger than any block is refused without reading it all.
  write_file(path, std::string(ipld::kMaxBlockBytes + 1, 'x'));
  EXPECT_NE(bs->get(cid).status().message().find("corrupted on disk"), std::string::npos);
}

TEST(FsBlockstore, PutRefusesBytesThatDoNotMatch) {
  TempDir dir;
  auto bs = open(dir);
  const Cid cid = Cid::v1_sha256(ipld::kCodecRaw, "right");
  Status s = bs->put(cid, "wrong");
  EXPECT_EQ(s.code(), "VALIDATION_ERROR");
  EXPECT_NE(s.message().find(cid.to_string()), std::string::npos);
  EXPECT_FALSE(*bs->has(cid));
  EXPECT_EQ(bs->stats()->blocks, 0u);

  // A hash function we cannot verify (blake2b-256, 0xb220).
  const Cid blake = Cid::v1(ipld::kCodecRaw, ipld::Multihash::create(0xb220, std::string(32, 'a')).value());
  EXPECT_EQ(bs->put(blake, "x").code(), "VALIDATION_ERROR");
}

TEST(FsBlockstore, BlockSizeBoundIsTwoMebibytes) {
  TempDir dir;
  auto bs = open(dir);
  const std::string max(ipld::kMaxBlockBytes, 'm');
  EXPECT_TRUE(bs->put(Cid::v1_sha256(ipld::kCodecRaw, max), max).ok());
  const std::string over(ipld::kMaxBlockBytes + 1, 'o');
  EXPECT_EQ(bs->put(Cid::v1_sha256(ipld::kCodecRaw, over), over).code(), "PAYLOAD_TOO_LARGE");
}

TEST(FsBlockstore, IdentityCidsAreServedFromTheCid) {
  TempDir dir;
  auto bs = open(dir);
  const Cid cid = Cid::v1(ipld::kCodecRaw, ipld::Multihash::identity("inline").value());
  ASSERT_TRUE(bs->put(cid, "inline").ok());
  EXPECT_EQ(bs->put(cid, "other").code(), "VALIDATION_ERROR");
  EXPECT_EQ(*bs->get(cid), "inline");
  EXPECT_TRUE(*bs->has(cid));
  EXPECT_EQ(*bs->size(cid), 6u);
  EXPECT_TRUE(bs->remove(cid).ok());
  EXPECT_EQ(bs->stats()->blocks, 0u);
}

TEST(FsBlockstore, EnumerationStatsAndDebris) {
  TempDir dir;
  auto bs = open(dir);
  std::set<std::string> expected;
  uint64_t bytes = 0;
  for (int i = 0; i < 50; ++i) {
    const std::string data = "block " + std::to_string(i);
    const Cid cid = Cid::v1_sha256(i % 2 ? ipld::kCodecRaw : ipld::kCodecDagCbor, data);
    ASSERT_TRUE(bs->put(cid, data).ok());
    expected.insert(cid.multihash().bytes());
    bytes += data.size();
  }
  // Things that are not blocks: a foreign file, a bad name, temp files.
  write_file(dir / "blocks/_README", "readme");
  fs::create_directories(dir / "blocks/ZZ");
  write_file(dir / "blocks/ZZ/not-base32!.data", "junk");
  write_file(dir / "blocks/ZZ/.put-FRESH.1", "fresh temp");
  write_file(dir / "blocks/ZZ/.put-STALE.1", "stale temp");
  fs::last_write_time(dir / "blocks/ZZ/.put-STALE.1", fs::file_time_type::clock::now() - std::chrono::hours(2));

  std::set<std::string> seen;
  ASSERT_TRUE(bs->for_each([&](const ipld::Multihash& mh, uint64_t) {
                seen.insert(mh.bytes());
                return Status();
              }).ok());
  EXPECT_EQ(seen, expected);
  auto stats = bs->stats();
  EXPECT_EQ(stats->blocks, 50u);
  EXPECT_EQ(stats->bytes, bytes);
  EXPECT_TRUE(fs::exists(dir / "blocks/ZZ/.put-FRESH.1"));
  EXPECT_FALSE(fs::exists(dir / "blocks/ZZ/.put-STALE.1"));

  // fn may remove what it is given; its error stops the walk.
  ASSERT_TRUE(bs->for_each([&](const ipld::Multihash& mh, uint64_t) {
                return bs->remove(Cid::v1(ipld::kCodecRaw, mh));
              }).ok());
  EXPECT_EQ(bs->stats()->blocks, 0u);
}

TEST(FsBlockstore, RefusesAnotherShardingLayout) {
  TempDir dir;
  fs::create_directories(dir / "blocks");
  write_file(dir / "blocks/SHARDING", "/repo/flatfs/shard/v1/prefix/2\n");
  auto bs = open_fs_blockstore(dir / "blocks");
  ASSERT_FALSE(bs.ok());
  EXPECT_EQ(bs.status().code(), "SERVICE_UNAVAILABLE");
  // Our own file is accepted on reopen.
  TempDir other;
  ASSERT_TRUE(open_fs_blockstore(other / "blocks").ok());
  ASSERT_TRUE(open_fs_blockstore(other / "blocks").ok());
}

TEST(FsBlockstore, ConcurrentPutsAndGets) {
  TempDir dir;
  auto bs = open(dir);
  constexpr int kThreads = 6;
  constexpr int kBlocks = 60;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kBlocks; ++i) {
        // Half the blocks are shared by every thread, half are the thread's own.
        const std::string data = i % 2 ? "shared " + std::to_string(i) : "own " + std::to_string(t * 1000 + i);
        const Cid cid = Cid::v1_sha256(ipld::kCodecRaw, data);
        if (!bs->put(cid, data).ok()) ++failures;
        Result<std::string> got = bs->get(cid);
        if (!got.ok() || *got != data) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(bs->stats()->blocks, static_cast<uint64_t>(kBlocks / 2 + kThreads * kBlocks / 2));
}

TEST(FsBlockstore, CarExportImportRoundTripIntoAFreshBlockstore) {
  TempDir dir;
  auto from = open_fs_blockstore(dir / "from").value();
  auto to = open_fs_blockstore(dir / "to").value();
  std::mt19937_64 rng(7);
  std::vector<Cid> roots;
  for (int i = 0; i < 3; ++i) {
    roots.push_back(testing::put_random_dag(rng, [&](const Cid& c, std::string_view b) { return from->put(c, b); }));
  }
  std::string car;
  ASSERT_TRUE(ipld::export_car(roots, full_getter(*from), [&](std::string_view bytes) {
                car.append(bytes);
                return Status();
              }).ok());

  std::istringstream in(car);
  Result<ipld::CarImport> imported =
      ipld::import_car(ipld::istream_source(in), [&](const Cid& c, std::string_view b) { return to->put(c, b); });
  ASSERT_TRUE(imported.ok()) << imported.status().to_string();
  EXPECT_EQ(imported->roots, roots);

  auto multihashes = [](Blockstore& bs) {
    std::set<std::string> out;
    EXPECT_TRUE(bs.for_each([&](const ipld::Multihash& mh, uint64_t) {
                    out.insert(mh.bytes());
                    return Status();
                  }).ok());
    return out;
  };
  EXPECT_EQ(multihashes(*to), multihashes(*from));
  EXPECT_EQ(imported->blocks, from->stats()->blocks);
  EXPECT_EQ(imported->bytes, from->stats()->bytes);
  // Every DAG is whole in the new store, every block re-hashed as it is read.
  ipld::DagWalker walker(full_getter(*to));
  for (const Cid& root : roots) {
    EXPECT_TRUE(walker.walk(root, [](const Cid&, std::string_view) { return Status(); }).ok());
  }
}

}  // namespace
}  // namespace anarq
