#pragma once
// Test-only helpers for store/*_test.cc and ipld/car_test.cc: a temp
// directory that cleans up after itself, and small DAG builders that hand
// their blocks to a sink. Not part of the library.
#include <cstdint>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "ipld/cid.h"
#include "ipld/dag_cbor.h"
#include "ipld/dag_pb.h"
#include "ipld/importer.h"
#include "ipld/multicodec.h"

namespace anarq::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "anarq-store-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

inline std::string random_bytes(std::mt19937_64& rng, size_t n) {
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng() & 0xff);
  return out;
}

// A dag-pb node linking `children` (empty names, no data); its CIDv0.
inline ipld::Cid put_pb_node(const std::vector<ipld::Cid>& children, const ipld::BlockSink& sink,
                             std::string data = {}) {
  ipld::PbNode node;
  for (const auto& c : children) node.links.push_back({c, std::string(), uint64_t{0}});
  if (!data.empty()) node.data = std::move(data);
  std::string bytes = ipld::dag_pb_encode(node).value();
  ipld::Cid cid = ipld::Cid::v0_sha256(bytes);
  if (!sink(cid, bytes).ok()) throw std::runtime_error("sink refused a dag-pb node");
  return cid;
}

// A dag-cbor node {"links": [...], "n": tag}; its CIDv1.
inline ipld::Cid put_cbor_node(const std::vector<ipld::Cid>& children, int64_t tag, const ipld::BlockSink& sink) {
  Json links = Json::array();
  for (const auto& c : children) links.push_back(ipld::dag_json_link(c));
  std::string bytes = ipld::dag_cbor_encode(Json{{"links", links}, {"n", tag}}).value();
  ipld::Cid cid = ipld::Cid::v1_sha256(ipld::kCodecDagCbor, bytes);
  if (!sink(cid, bytes).ok()) throw std::runtime_error("sink refused a dag-cbor node");
  return cid;
}

inline ipld::Cid put_raw(std::string_view bytes, const ipld::BlockSink& sink) {
  ipld::Cid cid = ipld::Cid::v1_sha256(ipld::kCodecRaw, bytes);
  if (!sink(cid, bytes).ok()) throw std::runtime_error("sink refused a raw block");
  return cid;
}

// A random DAG: a UnixFS file from the importer (small chunks, few links, so
// it has depth), wrapped in a dag-cbor record that also links a raw block.
// Returns the record's CID and fills `blocks` with every CID written.
inline ipld::Cid put_random_dag(std::mt19937_64& rng, const ipld::BlockSink& sink,
                                std::vector<ipld::Cid>* blocks = nullptr) {
  auto recording = [&](const ipld::Cid& cid, std::string_view bytes) {
    if (blocks) blocks->push_back(cid);
    return sink(cid, bytes);
  };
  ipld::ImportOptions options;
  options.chunk_size = 64 + rng() % 512;
  options.max_links = 2 + rng() % 4;
  options.mode = rng() % 2 ? ipld::CidMode::kCidV0 : ipld::CidMode::kCidV1RawLeaves;
  const std::string file = random_bytes(rng, 1 + rng() % 6000);
  ipld::Cid file_root = ipld::import_bytes(file, options, recording).value();
  ipld::Cid leaf = put_raw(random_bytes(rng, 1 + rng() % 100), recording);
  return put_cbor_node({file_root, leaf}, static_cast<int64_t>(rng() % 1000), recording);
}

}  // namespace anarq::testing
