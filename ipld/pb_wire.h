#pragma once
// The protobuf wire format (protobuf.dev/programming-guides/encoding), the small
// part dag-pb and UnixFS need: field keys (field number << 3 | wire type),
// varints of up to 10 bytes / 64 bits, and length-delimited bytes. Internal to
// ipld/: dag_pb.cc and unixfs.cc use it.
//
// The reader is stricter than protobuf: varints must be minimal (what every
// IPFS implementation writes), and groups (wire types 3, 4) are refused.
//
// Free functions: thread-safe.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace anarq::ipld::pb {

enum class WireType : uint8_t { kVarint = 0, kFixed64 = 1, kBytes = 2, kFixed32 = 5 };

inline constexpr size_t kMaxVarintBytes = 10;

size_t varint_size(uint64_t v);
void put_varint(std::string& out, uint64_t v);
void put_key(std::string& out, uint32_t field, WireType type);
void put_varint_field(std::string& out, uint32_t field, uint64_t v);
void put_bytes_field(std::string& out, uint32_t field, std::string_view bytes);
// Bytes put_bytes_field writes for a payload of n bytes.
size_t bytes_field_size(uint32_t field, size_t n);

// Advances past the varint on success.
Result<uint64_t> get_varint(std::string_view& in);

struct Field {
  uint32_t number = 0;
  WireType type = WireType::kVarint;
  uint64_t value = 0;      // kVarint, kFixed64, kFixed32
  std::string_view bytes;  // kBytes (points into the input)
};

// Reads one field from the front of `in` and advances past it.
Result<Field> read_field(std::string_view& in);

}  // namespace anarq::ipld::pb
