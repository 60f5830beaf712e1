#include "ipld/car.h"

#include <algorithm>
#include <cstring>
#include <istream>
#include <utility>

#include "ipld/dag_cbor.h"
#include "ipld/multihash.h"
#include "ipld/varint.h"

namespace anarq::ipld {
namespace {

constexpr size_t kReadChunk = size_t{64} << 10;

std::string section_at(uint64_t offset) { return "car: section at byte offset " + std::to_string(offset) + ": "; }

}  // namespace

Result<std::string> car_header(const std::vector<Cid>& roots) {
  Json links = Json::array();
  for (const Cid& root : roots) links.push_back(dag_json_link(root));
  // DAG-CBOR sorts the keys: "roots" (5 bytes) before "version" (7).
  Result<std::string> body = dag_cbor_encode(Json{{"roots", std::move(links)}, {"version", 1}});
  if (!body.ok()) return Status::validation("car header: " + body.status().message());
  if (body->size() > kMaxCarHeaderBytes) {
    return Status(ErrorCode::kPayloadTooLarge, "car header: " + std::to_string(roots.size()) +
                                                   " roots exceed " + std::to_string(kMaxCarHeaderBytes) + " bytes");
  }
  std::string out;
  put_varint(out, body->size());
  out += *body;
  return out;
}

Status export_car(const std::vector<Cid>& roots, const BlockGetter& get, const ByteSink& out,
                  const WalkLimits& limits) {
  Result<std::string> header = car_header(roots);
  if (!header.ok()) return header.status();
  ANARQ_RETURN_IF_ERROR(out(*header));
  DagWalker walker(get, limits);
  std::string prefix;
  for (const Cid& root : roots) {
    ANARQ_RETURN_IF_ERROR(walker.walk(root, [&](const Cid& cid, std::string_view block) -> Status {
      if (cid.multihash().code() == kMultihashIdentity) return {};
      // The getter is trusted to verify, but a CAR is a promise to whoever
      // reads it: a mismatching block (or a presence-only getter's empty
      // answer) must not go out under this CID.
      if (!cid.multihash().verify(block).ok()) {
        return Status::internal("car export: the bytes for block " + cid.to_string() + " do not match it");
      }
      prefix.clear();
      const std::string cid_bytes = cid.bytes();
      put_varint(prefix, cid_bytes.size() + block.size());
      prefix += cid_bytes;
      ANARQ_RETURN_IF_ERROR(out(prefix));
      return out(block);
    }));
  }
  return {};
}

CarReader::CarReader(ByteSource source) : source_(std::move(source)) {}

Result<CarReader> CarReader::open(ByteSource source) {
  if (!source) return Status::validation("car: no source");
  CarReader reader(std::move(source));
  ANARQ_RETURN_IF_ERROR(reader.read_header());
  return Result<CarReader>(std::move(reader));
}

Result<std::optional<uint8_t>> CarReader::byte() {
  if (pos_ == end_) {
    buf_.resize(kReadChunk);
    Result<size_t> n = source_(buf_.data(), buf_.size());
    if (!n.ok()) return n.status();
    if (*n > buf_.size()) return Status::internal("car: the source overran its buffer");
    if (*n == 0) return std::optional<uint8_t>();
    pos_ = 0;
    end_ = *n;
  }
  ++consumed_;
  return std::optional<uint8_t>(static_cast<uint8_t>(buf_[pos_++]));
}

Result<std::optional<uint64_t>> CarReader::length(uint64_t at) {
  std::string raw;
  while (true) {
    Result<std::optional<uint8_t>> b = byte();
    if (!b.ok()) return b.status();
    if (!*b) {
      if (raw.empty()) return std::optional<uint64_t>();
      return Status::validation(section_at(at) + "the stream ends inside the length varint");
    }
    raw.push_back(static_cast<char>(**b));
    if ((**b & 0x80) == 0) break;
    if (raw.size() == kMaxVarintBytes) {
      return Status::validation(section_at(at) + "length varint longer than " + std::to_string(kMaxVarintBytes) +
                                " bytes");
    }
  }
  std::string_view view = raw;
  Result<uint64_t> len = get_varint(view);
  if (!len.ok()) return Status::validation(section_at(at) + "bad length: " + len.status().message());
  return std::optional<uint64_t>(*len);
}

Status CarReader::read_exact(size_t n, std::string& out, uint64_t at) {
  out.resize(n);
  size_t have = std::min(n, end_ - pos_);
  std::memcpy(out.data(), buf_.data() + pos_, have);
  pos_ += have;
  consumed_ += have;
  while (have < n) {
    // Large payloads go straight into `out`, not through buf_.
    Result<size_t> got = source_(out.data() + have, n - have);
    if (!got.ok()) return got.status();
    if (*got > n - have) return Status::internal("car: the source overran its buffer");
    if (*got == 0) {
      return Status::validation(section_at(at) + "truncated: the stream ends after " + std::to_string(have) +
                                " of its " + std::to_string(n) + " bytes");
    }
    have += *got;
    consumed_ += *got;
  }
  return {};
}

Status CarReader::read_header() {
  Result<std::optional<uint64_t>> len = length(0);
  if (!len.ok()) return len.status();
  if (!*len) return Status::validation("car: empty stream, no header");
  if (**len == 0) return Status::validation("car: header of 0 bytes");
  if (**len > kMaxCarHeaderBytes) {
    return Status(ErrorCode::kPayloadTooLarge, "car: header of " + std::to_string(**len) + " bytes exceeds " +
                                                   std::to_string(kMaxCarHeaderBytes));
  }
  std::string bytes;
  ANARQ_RETURN_IF_ERROR(read_exact(static_cast<size_t>(**len), bytes, 0));
  Result<Json> header = dag_cbor_decode(bytes);
  if (!header.ok()) return Status::validation("car: header is not DAG-CBOR: " + header.status().message());
  if (!header->is_object()) return Status::validation("car: header is not a map");
  auto version = header->find("version");
  if (version == header->end() || !version->is_number_integer()) {
    return Status::validation("car: header has no integer version");
  }
  if (*version != 1) {
    return Status::validation("car: unsupported version " + version->dump() + " (only CARv1 is supported)");
  }
  for (const auto& [key, value] : header->items()) {
    if (key != "roots" && key != "version") return Status::validation("car: unexpected header key \"" + key + "\"");
  }
  auto roots = header->find("roots");
  if (roots == header->end() || !roots->is_array()) return Status::validation("car: header roots is not an array");
  for (size_t i = 0; i < roots->size(); ++i) {
    const Json& link = (*roots)[i];
    // dag_cbor_decode gives {"/": "<cid>"} for a tag-42 link and refuses real
    // maps of that shape, so this is a link and nothing else.
    auto slash = link.is_object() && link.size() == 1 ? link.find("/") : link.end();
    if (!link.is_object() || slash == link.end() || !slash->is_string()) {
      return Status::validation("car: header roots[" + std::to_string(i) + "] is not a CID link");
    }
    Result<Cid> cid = Cid::parse(slash->get<std::string>());
    if (!cid.ok()) return Status::validation("car: header roots[" + std::to_string(i) + "]: " + cid.status().message());
    roots_.push_back(std::move(cid).value());
  }
  return {};
}

Result<std::optional<CarBlock>> CarReader::next() {
  if (!failed_.ok()) return failed_;
  const uint64_t at = consumed_;
  auto fail = [&](Status s) -> Result<std::optional<CarBlock>> {
    failed_ = s;
    return s;
  };
  Result<std::optional<uint64_t>> len = length(at);
  if (!len.ok()) return fail(len.status());
  if (!*len) return std::optional<CarBlock>();
  if (**len == 0) return fail(Status::validation(section_at(at) + "zero-length section"));
  if (**len > kMaxCarSectionBytes) {
    return fail(Status(ErrorCode::kPayloadTooLarge, section_at(at) + "section of " + std::to_string(**len) +
                                                        " bytes exceeds " + std::to_string(kMaxCarSectionBytes)));
  }
  std::string section;
  if (Status s = read_exact(static_cast<size_t>(**len), section, at); !s.ok()) return fail(s);
  std::string_view rest = section;
  Result<Cid> cid = Cid::read(rest);
  if (!cid.ok()) return fail(Status::validation(section_at(at) + "bad CID: " + cid.status().message()));
  const std::string name = cid->to_string();
  if (rest.size() > kMaxBlockBytes) {
    return fail(Status(ErrorCode::kPayloadTooLarge, section_at(at) + "block " + name + " exceeds " +
                                                        std::to_string(kMaxBlockBytes) + " bytes"));
  }
  if (!cid->multihash().is_supported()) {
    return fail(Status::validation(section_at(at) + "block " + name + " uses a hash function we cannot verify"));
  }
  if (!cid->multihash().verify(rest).ok()) {
    return fail(Status::validation(section_at(at) + "block bytes do not hash to " + name));
  }
  section.erase(0, section.size() - rest.size());
  return std::optional<CarBlock>(CarBlock{std::move(cid).value(), std::move(section)});
}

Result<CarImport> import_car(ByteSource source, const BlockSink& sink, uint64_t max_blocks) {
  Result<CarReader> reader = CarReader::open(std::move(source));
  if (!reader.ok()) return reader.status();
  CarImport out;
  out.roots = reader->roots();
  while (true) {
    const uint64_t at = reader->offset();
    Result<std::optional<CarBlock>> block = reader->next();
    if (!block.ok()) return block.status();
    if (!*block) break;
    if (out.blocks == max_blocks) {
      return Status(ErrorCode::kPayloadTooLarge, section_at(at) + "more than " + std::to_string(max_blocks) +
                                                     " blocks");
    }
    ANARQ_RETURN_IF_ERROR(sink((*block)->cid, (*block)->bytes));
    ++out.blocks;
    out.bytes += (*block)->bytes.size();
  }
  return out;
}

ByteSource istream_source(std::istream& in) {
  return [&in](char* buf, size_t capacity) -> Result<size_t> {
    in.read(buf, static_cast<std::streamsize>(capacity));
    if (in.bad()) return Status::internal("car: read error on the input stream");
    return static_cast<size_t>(in.gcount());
  };
}

}  // namespace anarq::ipld
