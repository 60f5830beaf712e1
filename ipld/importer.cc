#include "ipld/importer.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <utility>

#include "ipld/dag_pb.h"
#include "ipld/multicodec.h"
#include "ipld/pb_wire.h"
#include "ipld/unixfs.h"

namespace anarq::ipld {
namespace {

// Room before the chunk for the CIDv0 leaf header
//   0x0a <varint unixfs_len> 0x08 0x02 0x12 <varint n>   (<= 1+10+2+1+10 bytes)
// and after it for the trailer 0x18 <varint n>            (<= 11 bytes).
constexpr size_t kHeadroom = 32;
constexpr size_t kTrailer = 16;

// Field keys of the CIDv0 leaf: PBNode.Data (1, bytes), UnixFS Type (1,
// varint) = File (2), UnixFS Data (2, bytes), UnixFS filesize (3, varint).
constexpr char kPbNodeDataKey = 0x0a;
constexpr char kUnixfsTypeKey = 0x08;
constexpr char kUnixfsTypeFile = 0x02;
constexpr char kUnixfsDataKey = 0x12;
constexpr char kUnixfsFilesizeKey = 0x18;

}  // namespace

Result<FileImporter> FileImporter::create(const ImportOptions& options, BlockSink sink) {
  if (options.chunk_size == 0 || options.chunk_size > kMaxChunkSize) {
    return Status::validation("importer: chunk size must be 1.." + std::to_string(kMaxChunkSize) +
                              " bytes, got " + std::to_string(options.chunk_size));
  }
  if (options.max_links < 2 || options.max_links > kMaxMaxLinks) {
    return Status::validation("importer: max links must be 2.." + std::to_string(kMaxMaxLinks) +
                              ", got " + std::to_string(options.max_links));
  }
  if (!sink) return Status::validation("importer: no block sink");
  return FileImporter(options, std::move(sink));
}

FileImporter::FileImporter(const ImportOptions& options, BlockSink sink)
    : options_(options), sink_(std::move(sink)) {
  buffer_.resize(kHeadroom + options_.chunk_size + kTrailer);
}

Status FileImporter::fail(Status s) {
  failed_ = s;
  return s;
}

Status FileImporter::write(std::string_view data) {
  if (finished_) return Status::validation("importer: write after finish");
  if (!failed_.ok()) return failed_;
  if (data.size() > std::numeric_limits<uint64_t>::max() - file_size_) {
    return fail(Status::validation("importer: file size overflows 64 bits"));
  }
  file_size_ += data.size();
  const size_t chunk = options_.chunk_size;
  while (!data.empty()) {
    const size_t take = std::min(chunk - fill_, data.size());
    std::memcpy(buffer_.data() + kHeadroom + fill_, data.data(), take);
    fill_ += take;
    data.remove_prefix(take);
    if (fill_ == chunk) ANARQ_RETURN_IF_ERROR(flush_leaf());
  }
  return {};
}

Status FileImporter::flush_leaf() {
  const size_t n = fill_;
  fill_ = 0;
  ++leaves_;
  std::string_view block;
  Cid cid = [&] {
    if (options_.mode == CidMode::kCidV1RawLeaves) {
      block = std::string_view(buffer_).substr(kHeadroom, n);
      return Cid::v1_sha256(kCodecRaw, block);
    }
    // PBNode{Data: UnixFS{Type: File, Data: chunk, filesize: n}}, written around
    // the chunk in place. The empty file has no UnixFS Data field.
    const size_t n_size = pb::varint_size(n);
    const size_t unixfs_len = 2 + (n > 0 ? 1 + n_size + n : 0) + 1 + n_size;
    std::string header;
    header.push_back(kPbNodeDataKey);
    pb::put_varint(header, unixfs_len);
    header.push_back(kUnixfsTypeKey);
    header.push_back(kUnixfsTypeFile);
    if (n > 0) {
      header.push_back(kUnixfsDataKey);
      pb::put_varint(header, n);
    }
    char* start = buffer_.data() + kHeadroom - header.size();
    std::memcpy(start, header.data(), header.size());
    std::string trailer(1, kUnixfsFilesizeKey);
    pb::put_varint(trailer, n);
    std::memcpy(buffer_.data() + kHeadroom + n, trailer.data(), trailer.size());
    block = std::string_view(start, header.size() + n + trailer.size());
    return Cid::v0_sha256(block);
  }();
  Status s = sink_(cid, block);
  if (!s.ok()) return fail(std::move(s));
  return add_link(0, Link{std::move(cid), block.size(), n});
}

Status FileImporter::add_link(size_t level, Link link) {
  if (level >= kMaxImportDepth) {
    return fail(Status::validation("importer: tree deeper than " + std::to_string(kMaxImportDepth) + " levels"));
  }
  if (levels_.size() <= level) levels_.resize(level + 1);
  std::vector<Link>& links = levels_[level];
  links.push_back(std::move(link));
  if (links.size() < options_.max_links) return {};
  // A full node is final whatever follows: emit it now.
  Result<Link> node = build_node(links);
  links.clear();
  if (!node.ok()) return node.status();
  return add_link(level + 1, std::move(node).value());
}

Result<FileImporter::Link> FileImporter::build_node(std::vector<Link>& children) {
  UnixfsData meta;
  meta.type = UnixfsType::kFile;
  uint64_t filesize = 0;
  uint64_t tsize = 0;
  PbNode node;
  node.links.reserve(children.size());
  meta.blocksizes.reserve(children.size());
  for (Link& child : children) {
    filesize += child.filesize;
    tsize += child.tsize;
    meta.blocksizes.push_back(child.filesize);
    node.links.push_back(PbLink{std::move(child.cid), std::string(), child.tsize});
  }
  meta.filesize = filesize;
  node.data = unixfs_encode(meta);
  Result<std::string> block = dag_pb_encode(node);
  if (!block.ok()) return fail(block.status());
  Cid cid = options_.mode == CidMode::kCidV0 ? Cid::v0_sha256(*block)
                                              : Cid::v1_sha256(kCodecDagPb, *block);
  Status s = sink_(cid, *block);
  if (!s.ok()) return fail(std::move(s));
  return Link{std::move(cid), tsize + block->size(), filesize};
}

Result<Cid> FileImporter::finish() {
  if (finished_) return Status::validation("importer: finish called twice");
  if (!failed_.ok()) return failed_;
  finished_ = true;
  if (fill_ > 0 || leaves_ == 0) ANARQ_RETURN_IF_ERROR(flush_leaf());
  // Close the partial levels bottom-up. A level never holds max_links entries
  // here (add_link emits full ones), so one more push cannot overflow it.
  const size_t top = levels_.size() - 1;
  for (size_t level = 0; level < top; ++level) {
    if (levels_[level].empty()) continue;
    Result<Link> node = build_node(levels_[level]);
    levels_[level].clear();
    if (!node.ok()) return node.status();
    levels_[level + 1].push_back(std::move(node).value());
  }
  // One link on top with nothing below it: that subtree is the whole file
  // (a single leaf, or exactly max_links^top chunks).
  std::vector<Link>& last = levels_[top];
  if (last.size() == 1) {
    dag_size_ = last.front().tsize;
    return last.front().cid;
  }
  Result<Link> root = build_node(last);
  last.clear();
  if (!root.ok()) return root.status();
  dag_size_ = root->tsize;
  return root->cid;
}

Result<size_t> parse_chunker(std::string_view spec) {
  if (spec.empty() || spec == "default") return kDefaultChunkSize;
  constexpr std::string_view kSize = "size-";
  if (spec.substr(0, kSize.size()) != kSize) {
    return Status::validation("chunker: only size-<bytes> is supported, not \"" + std::string(spec.substr(0, 32)) + "\"");
  }
  const std::string_view digits = spec.substr(kSize.size());
  size_t n = 0;
  if (digits.empty() || digits.size() > 8) return Status::validation("chunker: bad size in \"" + std::string(spec.substr(0, 32)) + "\"");
  for (char c : digits) {
    if (c < '0' || c > '9') return Status::validation("chunker: bad size in \"" + std::string(spec.substr(0, 32)) + "\"");
    n = n * 10 + static_cast<size_t>(c - '0');
  }
  if (n == 0 || n > kMaxChunkSize) {
    return Status::validation("chunker: size must be 1.." + std::to_string(kMaxChunkSize) + " bytes");
  }
  return n;
}

Result<Cid> import_bytes(std::string_view data, const ImportOptions& options, const BlockSink& sink) {
  Result<FileImporter> importer = FileImporter::create(options, sink);
  if (!importer.ok()) return importer.status();
  ANARQ_RETURN_IF_ERROR(importer->write(data));
  return importer->finish();
}

}  // namespace anarq::ipld
