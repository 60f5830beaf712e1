#include "ipld/pb_wire.h"

namespace anarq::ipld::pb {

size_t varint_size(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void put_key(std::string& out, uint32_t field, WireType type) {
  put_varint(out, (uint64_t{field} << 3) | static_cast<uint8_t>(type));
}

void put_varint_field(std::string& out, uint32_t field, uint64_t v) {
  put_key(out, field, WireType::kVarint);
  put_varint(out, v);
}

void put_bytes_field(std::string& out, uint32_t field, std::string_view bytes) {
  put_key(out, field, WireType::kBytes);
  put_varint(out, bytes.size());
  out.append(bytes);
}

size_t bytes_field_size(uint32_t field, size_t n) {
  return varint_size(uint64_t{field} << 3) + varint_size(n) + n;
}

Result<uint64_t> get_varint(std::string_view& in) {
  uint64_t value = 0;
  for (size_t i = 0; i < kMaxVarintBytes; ++i) {
    if (i >= in.size()) return Status::validation("protobuf varint: truncated");
    const auto byte = static_cast<uint8_t>(in[i]);
    // The tenth byte holds bit 63 only.
    if (i == kMaxVarintBytes - 1 && byte > 1) return Status::validation("protobuf varint: exceeds 64 bits");
    value |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) {
      if (byte == 0 && i > 0) return Status::validation("protobuf varint: not minimally encoded");
      in.remove_prefix(i + 1);
      return value;
    }
  }
  return Status::validation("protobuf varint: longer than 10 bytes");
}

Result<Field> read_field(std::string_view& in) {
  std::string_view cursor = in;
  Result<uint64_t> key = get_varint(cursor);
  if (!key.ok()) return Status::validation("protobuf field key: " + key.status().message());
  const uint64_t number = *key >> 3;
  if (number == 0 || number > 0x1fffffff) {
    return Status::validation("protobuf: invalid field number " + std::to_string(number));
  }
  Field f;
  f.number = static_cast<uint32_t>(number);
  const auto type = static_cast<uint8_t>(*key & 7);
  switch (type) {
    case 0: {
      f.type = WireType::kVarint;
      Result<uint64_t> v = get_varint(cursor);
      if (!v.ok()) return v.status();
      f.value = *v;
      break;
    }
    case 1:
    case 5: {
      const size_t n = type == 1 ? 8 : 4;
      if (cursor.size() < n) return Status::validation("protobuf: truncated fixed-width field");
      f.type = type == 1 ? WireType::kFixed64 : WireType::kFixed32;
      for (size_t i = n; i-- > 0;) f.value = (f.value << 8) | static_cast<uint8_t>(cursor[i]);
      cursor.remove_prefix(n);
      break;
    }
    case 2: {
      f.type = WireType::kBytes;
      Result<uint64_t> len = get_varint(cursor);
      if (!len.ok()) return len.status();
      if (*len > cursor.size()) {
        return Status::validation("protobuf: field " + std::to_string(number) + " length " +
                                  std::to_string(*len) + " runs past the end of input");
      }
      f.bytes = cursor.substr(0, *len);
      cursor.remove_prefix(*len);
      break;
    }
    default:
      return Status::validation("protobuf: unsupported wire type " + std::to_string(type) +
                                " for field " + std::to_string(number));
  }
  in = cursor;
  return f;
}

}  // namespace anarq::ipld::pb
