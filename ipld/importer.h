#pragma once
// Streaming UnixFS file importer: the same bytes give the same blocks and root
// CID as Kubo's `ipfs add` (boxo importer, fixed-size chunker, balanced layout).
//
// Chunker: the file cut into chunk_size pieces, the last one shorter (Kubo
// "size-262144" by default).
//
// Leaves: in kCidV0 mode (`ipfs add`) a dag-pb node whose Data is the UnixFS
// message {Type: File, Data: chunk, filesize: len}, addressed by a CIDv0; in
// kCidV1RawLeaves mode (`ipfs add --cid-version=1`) the chunk itself as a raw
// (0x55) block, CIDv1.
//
// Balanced layout: a file of one chunk is that leaf alone (the empty file is one
// empty leaf). Otherwise the root sits at the smallest depth d with
// max_links^d >= chunk count; every internal node is a dag-pb UnixFS
// {Type: File, filesize, blocksizes} with up to max_links links (empty Name,
// Tsize = child's cumulative size), filled left to right so all subtrees but the
// rightmost are full. Kubo builds this recursively after peeking whether more
// data follows; we build it bottom-up: one pending link list per level, a full
// list becomes a node at once (a full subtree is final whatever comes next),
// and finish() closes the partial lists from the bottom up.
//
// Memory: one chunk buffer plus at most max_links pending links per level, at
// most kMaxImportDepth levels. Every block goes to the sink as soon as it
// exists, children before parents, the root last.
//
// Not thread-safe: one writer. The sink runs on the writer's thread.
//
//   FileImporter importer = *FileImporter::create({}, [&](const Cid& cid, std::string_view block) {
//     return blockstore.put(cid, block);
//   });
//   ANARQ_RETURN_IF_ERROR(importer.write(part1));
//   ANARQ_RETURN_IF_ERROR(importer.write(part2));
//   Result<Cid> root = importer.finish();
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "ipld/cid.h"

namespace anarq::ipld {

inline constexpr size_t kDefaultChunkSize = 262144;
inline constexpr size_t kMaxChunkSize = 1 << 20;
inline constexpr size_t kDefaultMaxLinks = 174;
inline constexpr size_t kMaxMaxLinks = 1024;
// Levels of internal nodes. With max_links >= 2 this covers every file size a
// uint64 can count.
inline constexpr size_t kMaxImportDepth = 64;

enum class CidMode {
  kCidV0,            // dag-pb UnixFS leaves, CIDv0 (Kubo default)
  kCidV1RawLeaves,   // raw leaves, dag-pb internal nodes, CIDv1
};

struct ImportOptions {
  size_t chunk_size = kDefaultChunkSize;  // 1..kMaxChunkSize
  size_t max_links = kDefaultMaxLinks;    // 2..kMaxMaxLinks
  CidMode mode = CidMode::kCidV0;
};

// Receives every block the importer produces. A non-OK Status stops the import
// and is returned from write()/finish().
using BlockSink = std::function<Status(const Cid& cid, std::string_view block)>;

class FileImporter {
 public:
  // Refuses options outside the bounds above.
  static Result<FileImporter> create(const ImportOptions& options, BlockSink sink);

  FileImporter(FileImporter&&) = default;
  FileImporter& operator=(FileImporter&&) = default;

  // Appends file bytes. After an error (from the sink or a bound) the importer
  // is failed and every later call returns that error.
  Status write(std::string_view data);
  // Flushes the last chunk, closes the tree, returns the root CID. Once only.
  Result<Cid> finish();

  uint64_t file_size() const { return file_size_; }
  // Bytes of all blocks under the root (the root's Tsize); set by finish().
  uint64_t dag_size() const { return dag_size_; }

 private:
  struct Link {
    Cid cid;
    uint64_t tsize;     // block bytes of the subtree
    uint64_t filesize;  // file bytes under it
  };

  FileImporter(const ImportOptions& options, BlockSink sink);

  Status flush_leaf();
  Status add_link(size_t level, Link link);
  Result<Link> build_node(std::vector<Link>& children);
  Status fail(Status s);

  ImportOptions options_;
  BlockSink sink_;
  // The chunk lives at buffer_[kHeadroom, kHeadroom + chunk_size); in CIDv0
  // mode the dag-pb/UnixFS framing is written around it in place.
  std::string buffer_;
  size_t fill_ = 0;
  size_t leaves_ = 0;
  std::vector<std::vector<Link>> levels_;
  uint64_t file_size_ = 0;
  uint64_t dag_size_ = 0;
  Status failed_;
  bool finished_ = false;
};

// Kubo's --chunker values we support: "size-<N>" with 1 <= N <= kMaxChunkSize,
// and "" or "default" (size-262144). Rabin and buzhash are refused by name.
Result<size_t> parse_chunker(std::string_view spec);

// The whole file in one call.
Result<Cid> import_bytes(std::string_view data, const ImportOptions& options, const BlockSink& sink);

}  // namespace anarq::ipld
