#pragma once
// UnixFS file exporter: reassembles a file's bytes from its DAG (dag-pb UnixFS
// File/Raw nodes and raw leaves), any byte range, pull-style so a caller can
// stream a file of any size with memory bounded by one block plus one frame
// per tree level. Every block comes through the getter, which must verify it
// against its CID (the blockstore does). Not thread-safe; one reader per
// stream.
//
//   auto r = FileReader::open(root, [&](const Cid& c) { return blocks.get(c); });
//   r->seek(offset, length);
//   std::string piece;
//   while (true) { auto more = r->next(piece); if (!more.ok()) fail(); emit(piece); if (!*more) break; }
#include <functional>
#include <string>
#include <vector>

#include "ipld/block.h"
#include "ipld/cid.h"

namespace anarq::ipld {

class FileReader {
 public:
  // Reads the root; VALIDATION_ERROR when it is not a UnixFS file (a
  // directory, a non-UnixFS dag-pb node, another codec).
  static Result<FileReader> open(const Cid& root, BlockGetter get);

  uint64_t size() const { return size_; }
  // Restricts reading to [offset, offset + length) clipped to the file.
  void seek(uint64_t offset, uint64_t length);
  // Replaces `out` with the next piece (possibly empty); false once the range
  // is exhausted.
  Result<bool> next(std::string& out);

 private:
  struct Frame {
    std::vector<Cid> children;
    std::vector<uint64_t> sizes;
    size_t index = 0;
    uint64_t start = 0;  // file offset of children[index]
  };
  FileReader(BlockGetter get, Cid root, uint64_t size) : get_(std::move(get)), root_(std::move(root)), size_(size) {}
  // Visits one node whose bytes begin at file offset `start`: emits its inline
  // data clipped to the range and pushes a frame for its children.
  Result<std::string> visit(const Cid& cid, uint64_t start, uint64_t expected_size);

  BlockGetter get_;
  Cid root_;
  uint64_t size_;
  uint64_t begin_ = 0, end_ = 0;
  std::vector<Frame> stack_;
  bool started_ = false;
};

// Describes a UnixFS node for the gateway and stat calls.
struct UnixfsNodeInfo {
  bool is_file = false;
  bool is_directory = false;
  uint64_t file_size = 0;
};
Result<UnixfsNodeInfo> unixfs_node_info(const Cid& cid, std::string_view block);

}  // namespace anarq::ipld
