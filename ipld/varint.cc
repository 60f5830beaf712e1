#include "ipld/varint.h"

#include <cassert>

#include "ipld/pb_wire.h"

namespace anarq::ipld {

// The writer is protobuf's (any 64-bit value); multiformats only narrows the range.
size_t varint_size(uint64_t v) {
  assert(v <= kMaxVarintValue);
  return pb::varint_size(v);
}

void put_varint(std::string& out, uint64_t v) {
  assert(v <= kMaxVarintValue);
  pb::put_varint(out, v);
}

Result<uint64_t> get_varint(std::string_view& in) {
  uint64_t value = 0;
  for (size_t i = 0; i < kMaxVarintBytes; ++i) {
    if (i >= in.size()) {
      return Status::validation(in.empty() ? "varint: no bytes" : "varint: truncated");
    }
    const auto byte = static_cast<uint8_t>(in[i]);
    value |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) {
      // A zero final byte means a shorter encoding existed.
      if (byte == 0 && i > 0) return Status::validation("varint: not minimally encoded");
      in.remove_prefix(i + 1);
      return value;
    }
  }
  return Status::validation("varint: longer than 9 bytes");
}

}  // namespace anarq::ipld
