#include "ipld/unixfs.h"

#include "ipld/pb_wire.h"

namespace anarq::ipld {
namespace {

constexpr uint32_t kType = 1;
constexpr uint32_t kData = 2;
constexpr uint32_t kFilesize = 3;
constexpr uint32_t kBlocksizes = 4;
constexpr uint32_t kHashType = 5;
constexpr uint32_t kFanout = 6;
constexpr uint32_t kMode = 7;
constexpr uint32_t kMtime = 8;
constexpr uint32_t kSeconds = 1;
constexpr uint32_t kNanos = 2;

std::string encode_time(const UnixTime& t) {
  std::string out;
  // int64 goes on the wire as its two's-complement uint64 (negative = 10 bytes).
  pb::put_varint_field(out, kSeconds, static_cast<uint64_t>(t.seconds));
  if (t.nanos) {
    pb::put_key(out, kNanos, pb::WireType::kFixed32);
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((*t.nanos >> (8 * i)) & 0xff));
  }
  return out;
}

Result<UnixTime> decode_time(std::string_view in) {
  UnixTime t;
  bool have_seconds = false;
  while (!in.empty()) {
    Result<pb::Field> f = pb::read_field(in);
    if (!f.ok()) return Status::validation("unixfs mtime: " + f.status().message());
    if (f->number == kSeconds && f->type == pb::WireType::kVarint) {
      if (have_seconds) return Status::validation("unixfs mtime: duplicate Seconds");
      have_seconds = true;
      t.seconds = static_cast<int64_t>(f->value);
    } else if (f->number == kNanos && f->type == pb::WireType::kFixed32) {
      if (t.nanos) return Status::validation("unixfs mtime: duplicate FractionalNanoseconds");
      if (f->value == 0 || f->value > kMaxUnixfsNanos) {
        return Status::validation("unixfs mtime: FractionalNanoseconds outside 1..999999999");
      }
      t.nanos = static_cast<uint32_t>(f->value);
    } else {
      return Status::validation("unixfs mtime: unexpected field " + std::to_string(f->number));
    }
  }
  if (!have_seconds) return Status::validation("unixfs mtime: missing Seconds");
  return t;
}

Status take_blocksizes(UnixfsData& m, const pb::Field& f) {
  auto add = [&m](uint64_t v) -> Status {
    if (m.blocksizes.size() == kMaxUnixfsBlocksizes) {
      return Status::validation("unixfs: more than " + std::to_string(kMaxUnixfsBlocksizes) + " blocksizes");
    }
    m.blocksizes.push_back(v);
    return {};
  };
  if (f.type == pb::WireType::kVarint) return add(f.value);
  if (f.type != pb::WireType::kBytes) return Status::validation("unixfs: blocksizes must be varints");
  std::string_view packed = f.bytes;
  while (!packed.empty()) {
    Result<uint64_t> v = pb::get_varint(packed);
    if (!v.ok()) return Status::validation("unixfs blocksizes: " + v.status().message());
    ANARQ_RETURN_IF_ERROR(add(*v));
  }
  return {};
}

// Sets a singular varint field once.
template <typename T>
Status set_once(std::optional<T>& slot, const pb::Field& f, const char* name, uint64_t max) {
  if (f.type != pb::WireType::kVarint) return Status::validation(std::string("unixfs: ") + name + " must be a varint");
  if (slot) return Status::validation(std::string("unixfs: duplicate ") + name);
  if (f.value > max) return Status::validation(std::string("unixfs: ") + name + " out of range");
  slot = static_cast<T>(f.value);
  return {};
}

}  // namespace

std::string unixfs_encode(const UnixfsData& m) {
  std::string out;
  pb::put_varint_field(out, kType, static_cast<uint8_t>(m.type));
  if (m.data) pb::put_bytes_field(out, kData, *m.data);
  if (m.filesize) pb::put_varint_field(out, kFilesize, *m.filesize);
  for (uint64_t size : m.blocksizes) pb::put_varint_field(out, kBlocksizes, size);
  if (m.hash_type) pb::put_varint_field(out, kHashType, *m.hash_type);
  if (m.fanout) pb::put_varint_field(out, kFanout, *m.fanout);
  if (m.mode) pb::put_varint_field(out, kMode, *m.mode);
  if (m.mtime) pb::put_bytes_field(out, kMtime, encode_time(*m.mtime));
  return out;
}

Result<UnixfsData> unixfs_decode(std::string_view bytes) {
  UnixfsData m;
  std::optional<uint8_t> type;
  constexpr uint64_t kU64 = ~uint64_t{0};
  while (!bytes.empty()) {
    Result<pb::Field> f = pb::read_field(bytes);
    if (!f.ok()) return Status::validation("unixfs: " + f.status().message());
    switch (f->number) {
      case kType:
        ANARQ_RETURN_IF_ERROR(set_once(type, *f, "Type", static_cast<uint8_t>(UnixfsType::kHamtShard)));
        break;
      case kData:
        if (f->type != pb::WireType::kBytes) return Status::validation("unixfs: Data must be bytes");
        if (m.data) return Status::validation("unixfs: duplicate Data");
        m.data = std::string(f->bytes);
        break;
      case kFilesize:
        ANARQ_RETURN_IF_ERROR(set_once(m.filesize, *f, "filesize", kU64));
        break;
      case kBlocksizes:
        ANARQ_RETURN_IF_ERROR(take_blocksizes(m, *f));
        break;
      case kHashType:
        ANARQ_RETURN_IF_ERROR(set_once(m.hash_type, *f, "hashType", kU64));
        break;
      case kFanout:
        ANARQ_RETURN_IF_ERROR(set_once(m.fanout, *f, "fanout", kU64));
        break;
      case kMode:
        ANARQ_RETURN_IF_ERROR(set_once(m.mode, *f, "mode", 0xffffffff));
        break;
      case kMtime: {
        if (f->type != pb::WireType::kBytes) return Status::validation("unixfs: mtime must be a message");
        if (m.mtime) return Status::validation("unixfs: duplicate mtime");
        Result<UnixTime> t = decode_time(f->bytes);
        if (!t.ok()) return t.status();
        m.mtime = *t;
        break;
      }
      default:
        return Status::validation("unixfs: unknown field " + std::to_string(f->number));
    }
  }
  if (!type) return Status::validation("unixfs: missing Type");
  m.type = static_cast<UnixfsType>(*type);
  return m;
}

}  // namespace anarq::ipld
