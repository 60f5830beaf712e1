#include "ipld/dag_cbor.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

#include "ipld/cbor_wire.h"
#include "ipld/multicodec.h"

namespace anarq::ipld {
namespace {

using namespace cbor;  // major types and the link tag (ipld/cbor_wire.h)

constexpr uint8_t kFalse = 0xf4;
constexpr uint8_t kTrue = 0xf5;
constexpr uint8_t kNull = 0xf6;
constexpr uint8_t kFloat64 = 0xfb;
// The byte before the binary CID inside tag 42: the multibase "identity"
// prefix, kept for historical reasons by every DAG-CBOR implementation.
constexpr char kCidBytesPrefix = 0x00;

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    const auto c = static_cast<uint8_t>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if (c >= 0xc2 && c <= 0xdf) {
      len = 2;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3;
      cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (n - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<uint8_t>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) return false;
    if (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) return false;
    i += len;
  }
  return true;
}

// DAG-CBOR map key order: shorter keys first, equal lengths bytewise.
bool key_less(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return a.size() < b.size();
  return std::memcmp(a.data(), b.data(), a.size()) < 0;
}

// JSON Pointer segment (RFC 6901) for error messages.
std::string pointer_segment(std::string_view key) {
  std::string out = "/";
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

const std::string* link_form(const Json& v) {
  if (!v.is_object() || v.size() != 1) return nullptr;
  auto it = v.find("/");
  if (it == v.end() || !it->is_string()) return nullptr;
  return &it->get_ref<const std::string&>();
}

const std::string* bytes_form(const Json& v) {
  if (!v.is_object() || v.size() != 1) return nullptr;
  auto it = v.find("/");
  if (it == v.end() || !it->is_object() || it->size() != 1) return nullptr;
  auto b = it->find("bytes");
  if (b == it->end() || !b->is_string()) return nullptr;
  return &b->get_ref<const std::string&>();
}

void put_head(std::string& out, uint8_t major, uint64_t arg) {
  const auto m = static_cast<uint8_t>(major << 5);
  int extra;
  if (arg < 24) {
    out.push_back(static_cast<char>(m | arg));
    return;
  } else if (arg <= 0xff) {
    out.push_back(static_cast<char>(m | 24));
    extra = 1;
  } else if (arg <= 0xffff) {
    out.push_back(static_cast<char>(m | 25));
    extra = 2;
  } else if (arg <= 0xffffffff) {
    out.push_back(static_cast<char>(m | 26));
    extra = 4;
  } else {
    out.push_back(static_cast<char>(m | 27));
    extra = 8;
  }
  for (int i = extra - 1; i >= 0; --i) out.push_back(static_cast<char>((arg >> (8 * i)) & 0xff));
}

class Encoder {
 public:
  bool encode(const Json& v, size_t depth);
  std::string out;
  std::string what;  // the failure
  std::string path;  // JSON Pointer to it, built while unwinding

 private:
  bool fail(std::string why) {
    what = std::move(why);
    return false;
  }
  bool room(size_t more) {
    if (more > kMaxDagCborBytes - out.size()) {
      return fail("encoding exceeds " + std::to_string(kMaxDagCborBytes) + " bytes");
    }
    return true;
  }
  bool put_bytes(uint8_t major, std::string_view bytes) {
    if (!room(9 + bytes.size())) return false;
    put_head(out, major, bytes.size());
    out.append(bytes);
    return true;
  }
  bool put_link(const std::string& text);
  bool put_object(const Json& v, size_t depth);
};

bool Encoder::put_link(const std::string& text) {
  Result<Cid> cid = Cid::parse(text);
  if (!cid.ok()) return fail("link {\"/\": ...}: " + cid.status().message());
  std::string payload(1, kCidBytesPrefix);
  cid->append_bytes(payload);
  if (!room(2)) return false;
  put_head(out, kMajorTag, kTagCid);
  return put_bytes(kMajorBytes, payload);
}

bool Encoder::put_object(const Json& v, size_t depth) {
  if (const std::string* text = link_form(v)) return put_link(*text);
  if (const std::string* b64 = bytes_form(v)) {
    Result<std::string> bytes = base64_decode(*b64, /*url=*/false);
    if (!bytes.ok()) return fail("bytes {\"/\": {\"bytes\": ...}}: " + bytes.status().message());
    return put_bytes(kMajorBytes, *bytes);
  }
  if (depth + 1 > kMaxDagCborDepth) {
    return fail("nesting deeper than " + std::to_string(kMaxDagCborDepth));
  }
  std::vector<std::pair<std::string_view, const Json*>> entries;
  entries.reserve(v.size());
  for (auto it = v.begin(); it != v.end(); ++it) entries.emplace_back(it.key(), &it.value());
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return key_less(a.first, b.first); });
  if (!room(9)) return false;
  put_head(out, kMajorMap, entries.size());
  for (const auto& [key, value] : entries) {
    if (!valid_utf8(key)) {
      path = pointer_segment(key);
      return fail("map key is not valid UTF-8");
    }
    if (!put_bytes(kMajorText, key) || !encode(*value, depth + 1)) {
      path = pointer_segment(key) + path;
      return false;
    }
  }
  return true;
}

bool Encoder::encode(const Json& v, size_t depth) {
  if (!room(9)) return false;
  switch (v.type()) {
    case Json::value_t::null:
      out.push_back(static_cast<char>(kNull));
      return true;
    case Json::value_t::boolean:
      out.push_back(static_cast<char>(v.get<bool>() ? kTrue : kFalse));
      return true;
    case Json::value_t::number_unsigned:
      put_head(out, kMajorUnsigned, v.get<uint64_t>());
      return true;
    case Json::value_t::number_integer: {
      const auto i = v.get<int64_t>();
      // CBOR stores a negative n as the unsigned -1 - n, which is ~n.
      if (i >= 0) put_head(out, kMajorUnsigned, static_cast<uint64_t>(i));
      else put_head(out, kMajorNegative, ~static_cast<uint64_t>(i));
      return true;
    }
    case Json::value_t::number_float: {
      const auto d = v.get<double>();
      if (!std::isfinite(d)) return fail("NaN and infinities are not allowed");
      const auto bits = std::bit_cast<uint64_t>(d);
      out.push_back(static_cast<char>(kFloat64));
      for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
      return true;
    }
    case Json::value_t::string: {
      const auto& s = v.get_ref<const std::string&>();
      if (!valid_utf8(s)) return fail("string is not valid UTF-8");
      return put_bytes(kMajorText, s);
    }
    case Json::value_t::binary: {
      const auto& b = v.get_binary();
      return put_bytes(kMajorBytes,
                       std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
    }
    case Json::value_t::array: {
      if (depth + 1 > kMaxDagCborDepth) {
        return fail("nesting deeper than " + std::to_string(kMaxDagCborDepth));
      }
      put_head(out, kMajorArray, v.size());
      for (size_t i = 0; i < v.size(); ++i) {
        if (!encode(v[i], depth + 1)) {
          path = "/" + std::to_string(i) + path;
          return false;
        }
      }
      return true;
    }
    case Json::value_t::object:
      return put_object(v, depth);
    case Json::value_t::discarded:
      break;
  }
  return fail("value has no DAG-CBOR form");
}

class Decoder {
 public:
  explicit Decoder(std::string_view in) : in_(in) {}
  bool decode(Json& out, size_t depth);
  size_t pos() const { return pos_; }
  std::string what;
  std::string path;

 private:
  bool fail(std::string why) {
    what = std::move(why) + " at byte " + std::to_string(pos_);
    return false;
  }
  size_t left() const { return in_.size() - pos_; }
  // Reads an initial byte and its argument, enforcing the shortest form.
  // Major type 7 is left to the caller (its "argument" is not a number).
  bool read_head(uint8_t& major, uint8_t& info, uint64_t& arg);
  bool read_text(std::string_view& s, uint64_t len);
  bool decode_simple(uint8_t info, Json& out);
  bool decode_map(uint64_t count, Json& out, size_t depth);
  bool decode_link(Json& out);

  std::string_view in_;
  size_t pos_ = 0;
};

bool Decoder::read_head(uint8_t& major, uint8_t& info, uint64_t& arg) {
  if (left() == 0) return fail("unexpected end of input");
  const auto ib = static_cast<uint8_t>(in_[pos_]);
  major = ib >> 5;
  info = ib & 0x1f;
  if (major == kMajorSimple) {
    ++pos_;
    return true;
  }
  if (info == 31) return fail("indefinite-length items are not allowed");
  if (info >= 28) return fail("reserved additional information " + std::to_string(info));
  ++pos_;
  if (info < 24) {
    arg = info;
    return true;
  }
  const size_t n = size_t{1} << (info - 24);
  if (left() < n) return fail("truncated argument");
  arg = 0;
  for (size_t i = 0; i < n; ++i) arg = (arg << 8) | static_cast<uint8_t>(in_[pos_ + i]);
  pos_ += n;
  static constexpr uint64_t kMinimum[] = {24, 0x100, 0x10000, 0x100000000};
  if (arg < kMinimum[info - 24]) {
    pos_ -= n + 1;
    return fail("argument not in its shortest form");
  }
  return true;
}

bool Decoder::read_text(std::string_view& s, uint64_t len) {
  if (len > left()) return fail("length " + std::to_string(len) + " runs past the end of input");
  s = in_.substr(pos_, len);
  if (!valid_utf8(s)) return fail("string is not valid UTF-8");
  pos_ += len;
  return true;
}

bool Decoder::decode_simple(uint8_t info, Json& out) {
  switch (info) {
    case 20: out = false; return true;
    case 21: out = true; return true;
    case 22: out = nullptr; return true;
    case 23: --pos_; return fail("undefined is not allowed");
    case 25: --pos_; return fail("16-bit floats are not allowed (floats are always 64-bit)");
    case 26: --pos_; return fail("32-bit floats are not allowed (floats are always 64-bit)");
    case 27: {
      if (left() < 8) return fail("truncated float");
      uint64_t bits = 0;
      for (size_t i = 0; i < 8; ++i) bits = (bits << 8) | static_cast<uint8_t>(in_[pos_ + i]);
      const auto d = std::bit_cast<double>(bits);
      if (!std::isfinite(d)) {
        --pos_;
        return fail("NaN and infinities are not allowed");
      }
      pos_ += 8;
      out = d;
      return true;
    }
    case 31: --pos_; return fail("unexpected break (indefinite lengths are not allowed)");
    default: --pos_; return fail("simple value " + std::to_string(info) + " is not allowed");
  }
}

bool Decoder::decode_link(Json& out) {
  uint8_t major, info;
  uint64_t len = 0;
  if (!read_head(major, info, len)) return false;
  if (major != kMajorBytes) return fail("tag 42 must wrap a byte string");
  if (len > left()) return fail("length " + std::to_string(len) + " runs past the end of input");
  const std::string_view payload = in_.substr(pos_, len);
  if (payload.empty() || payload[0] != kCidBytesPrefix) {
    return fail("tag 42 bytes must start with 0x00");
  }
  Result<Cid> cid = Cid::from_bytes(payload.substr(1));
  if (!cid.ok()) return fail("tag 42: " + cid.status().message());
  pos_ += len;
  out = dag_json_link(*cid);
  return true;
}

bool Decoder::decode_map(uint64_t count, Json& out, size_t depth) {
  // Every entry takes at least two bytes: refuse impossible counts up front.
  if (count > left() / 2) return fail("map of " + std::to_string(count) + " entries runs past the end of input");
  out = Json::object();
  std::string_view previous;
  for (uint64_t i = 0; i < count; ++i) {
    uint8_t major, info;
    uint64_t len = 0;
    const size_t key_at = pos_;
    if (!read_head(major, info, len)) return false;
    if (major != kMajorText) {
      pos_ = key_at;
      return fail("map keys must be strings");
    }
    std::string_view key;
    if (!read_text(key, len)) return false;
    if (i > 0 && !key_less(previous, key)) {
      pos_ = key_at;
      return fail(previous == key ? "duplicate map key" : "map keys out of order");
    }
    previous = key;
    Json value;
    if (!decode(value, depth + 1)) {
      path = pointer_segment(key) + path;
      return false;
    }
    out.emplace(std::string(key), std::move(value));
  }
  // {"/": "..."} and {"/": {"bytes": "..."}} mean link and bytes in our JSON
  // mapping; a real map of that shape would not survive a round trip.
  if (link_form(out) != nullptr || bytes_form(out) != nullptr) {
    return fail("map has the reserved shape of a link or bytes ({\"/\": ...})");
  }
  return true;
}

bool Decoder::decode(Json& out, size_t depth) {
  uint8_t major, info;
  uint64_t arg = 0;
  if (!read_head(major, info, arg)) return false;
  switch (major) {
    case kMajorUnsigned:
      out = arg;
      return true;
    case kMajorNegative:
      if (arg > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return fail("negative integer below -2^63");
      }
      out = -1 - static_cast<int64_t>(arg);
      return true;
    case kMajorBytes: {
      if (arg > left()) return fail("length " + std::to_string(arg) + " runs past the end of input");
      const auto* p = reinterpret_cast<const uint8_t*>(in_.data() + pos_);
      out = Json::binary(std::vector<uint8_t>(p, p + arg));
      pos_ += arg;
      return true;
    }
    case kMajorText: {
      std::string_view s;
      if (!read_text(s, arg)) return false;
      out = std::string(s);
      return true;
    }
    case kMajorArray: {
      if (depth + 1 > kMaxDagCborDepth) return fail("nesting deeper than " + std::to_string(kMaxDagCborDepth));
      if (arg > left()) return fail("array of " + std::to_string(arg) + " items runs past the end of input");
      out = Json::array();
      auto& items = out.get_ref<Json::array_t&>();
      items.reserve(arg);
      for (uint64_t i = 0; i < arg; ++i) {
        items.emplace_back();
        if (!decode(items.back(), depth + 1)) {
          path = "/" + std::to_string(i) + path;
          return false;
        }
      }
      return true;
    }
    case kMajorMap:
      if (depth + 1 > kMaxDagCborDepth) return fail("nesting deeper than " + std::to_string(kMaxDagCborDepth));
      return decode_map(arg, out, depth);
    case kMajorTag:
      if (arg != kTagCid) return fail("tag " + std::to_string(arg) + " is not allowed (only 42)");
      return decode_link(out);
    default:
      return decode_simple(info, out);
  }
}

Status error(std::string_view op, const std::string& what, const std::string& path) {
  std::string msg = "dag-cbor ";
  msg += op;
  msg += ": ";
  msg += what;
  if (!path.empty()) msg += " (at " + path + ")";
  return Status::validation(std::move(msg));
}

}  // namespace

Result<std::string> dag_cbor_encode(const Json& value) {
  Encoder e;
  if (!e.encode(value, 0)) return error("encode", e.what, e.path);
  return std::move(e.out);
}

Result<Json> dag_cbor_decode(std::string_view bytes) {
  if (bytes.size() > kMaxDagCborBytes) {
    return Status::validation("dag-cbor decode: input exceeds " + std::to_string(kMaxDagCborBytes) + " bytes");
  }
  Decoder d(bytes);
  Json out;
  if (!d.decode(out, 0)) return error("decode", d.what, d.path);
  if (d.pos() != bytes.size()) {
    return Status::validation("dag-cbor decode: " + std::to_string(bytes.size() - d.pos()) +
                              " trailing bytes after the value");
  }
  return out;
}

Result<Cid> dag_cbor_cid(const Json& value) {
  Result<std::string> bytes = dag_cbor_encode(value);
  if (!bytes.ok()) return bytes.status();
  return Cid::v1_sha256(kCodecDagCbor, *bytes);
}

Json dag_json_link(const Cid& cid) { return Json{{"/", cid.to_string()}}; }

}  // namespace anarq::ipld
