#include "ipld/exporter.h"

#include "ipld/dag_pb.h"
#include "ipld/importer.h"
#include "ipld/multicodec.h"
#include "ipld/unixfs.h"

namespace anarq::ipld {
namespace {

struct Decoded {
  std::string inline_data;  // file bytes held by this node itself
  std::vector<Cid> children;
  std::vector<uint64_t> sizes;
  uint64_t file_size = 0;
  bool directory = false;
};

Result<Decoded> decode_file_node(const Cid& cid, std::string_view block) {
  Decoded d;
  if (cid.codec() == kCodecRaw) {
    d.inline_data = std::string(block);
    d.file_size = block.size();
    return d;
  }
  if (cid.codec() != kCodecDagPb) return Status::validation(cid.to_string() + " is not a UnixFS file (codec is not dag-pb or raw)");
  auto node = dag_pb_decode(block);
  if (!node.ok()) return node.status();
  if (!node->data) return Status::validation(cid.to_string() + " is a dag-pb node without UnixFS data");
  auto fs = unixfs_decode(*node->data);
  if (!fs.ok()) return fs.status();
  if (fs->type == UnixfsType::kDirectory || fs->type == UnixfsType::kHamtShard) {
    d.directory = true;
    return d;
  }
  if (fs->type != UnixfsType::kFile && fs->type != UnixfsType::kRaw)
    return Status::validation(cid.to_string() + " is a UnixFS node that is not a file");
  if (fs->blocksizes.size() != node->links.size())
    return Status::validation(cid.to_string() + " has " + std::to_string(node->links.size()) + " links but " +
                              std::to_string(fs->blocksizes.size()) + " blocksizes");
  d.inline_data = fs->data.value_or("");
  uint64_t total = d.inline_data.size();
  for (size_t i = 0; i < node->links.size(); ++i) {
    d.children.push_back(node->links[i].hash);
    d.sizes.push_back(fs->blocksizes[i]);
    if (total + fs->blocksizes[i] < total) return Status::validation(cid.to_string() + " declares an impossible size");
    total += fs->blocksizes[i];
  }
  d.file_size = total;
  if (fs->filesize && *fs->filesize != total)
    return Status::validation(cid.to_string() + " declares filesize " + std::to_string(*fs->filesize) +
                              " but its parts add up to " + std::to_string(total));
  return d;
}

}  // namespace

Result<UnixfsNodeInfo> unixfs_node_info(const Cid& cid, std::string_view block) {
  auto d = decode_file_node(cid, block);
  if (!d.ok()) return d.status();
  UnixfsNodeInfo info;
  info.is_directory = d->directory;
  info.is_file = !d->directory;
  info.file_size = d->file_size;
  return info;
}

Result<FileReader> FileReader::open(const Cid& root, BlockGetter get) {
  auto block = get(root);
  if (!block.ok()) return block.status();
  auto d = decode_file_node(root, *block);
  if (!d.ok()) return d.status();
  if (d->directory) return Status::validation(root.to_string() + " is a UnixFS directory, not a file");
  FileReader r(std::move(get), root, d->file_size);
  r.end_ = d->file_size;
  return r;
}

void FileReader::seek(uint64_t offset, uint64_t length) {
  begin_ = std::min(offset, size_);
  end_ = length > size_ - begin_ ? size_ : begin_ + length;
  stack_.clear();
  started_ = false;
}

Result<std::string> FileReader::visit(const Cid& cid, uint64_t start, uint64_t expected_size) {
  if (stack_.size() >= kMaxImportDepth) return Status::validation("UnixFS DAG is deeper than " + std::to_string(kMaxImportDepth));
  auto block = get_(cid);
  if (!block.ok()) return block.status();
  auto d = decode_file_node(cid, *block);
  if (!d.ok()) return d.status();
  if (d->directory) return Status::validation(cid.to_string() + " is a directory inside a file");
  if (expected_size != UINT64_MAX && d->file_size != expected_size)
    return Status::validation(cid.to_string() + " holds " + std::to_string(d->file_size) + " bytes where its parent says " +
                              std::to_string(expected_size));
  std::string out;
  uint64_t data_end = start + d->inline_data.size();
  if (data_end > begin_ && start < end_) {
    uint64_t from = std::max(begin_, start) - start, to = std::min(end_, data_end) - start;
    out = d->inline_data.substr(from, to - from);
  }
  if (!d->children.empty()) stack_.push_back(Frame{std::move(d->children), std::move(d->sizes), 0, data_end});
  return out;
}

Result<bool> FileReader::next(std::string& out) {
  out.clear();
  if (!started_) {
    started_ = true;
    if (begin_ >= end_) return false;
    auto first = visit(root_, 0, size_);
    if (!first.ok()) return first.status();
    out = std::move(*first);
    if (!out.empty()) return !stack_.empty();
  }
  while (!stack_.empty()) {
    Frame& f = stack_.back();
    if (f.index >= f.children.size() || f.start >= end_) {
      stack_.pop_back();
      continue;
    }
    size_t i = f.index++;
    uint64_t child_start = f.start;
    f.start += f.sizes[i];
    if (child_start + f.sizes[i] <= begin_) continue;  // wholly before the range: never fetched
    Cid child = f.children[i];
    uint64_t expected = f.sizes[i];
    auto piece = visit(child, child_start, expected);  // may push a frame (invalidates f)
    if (!piece.ok()) return piece.status();
    out = std::move(*piece);
    if (!out.empty()) return true;
  }
  return false;
}

}  // namespace anarq::ipld
