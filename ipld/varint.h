#pragma once
// Unsigned varints as the multiformats spec defines them
// (github.com/multiformats/unsigned-varint): LEB128, 7 bits per byte, least
// significant group first, high bit set on every byte but the last.
// Multiformats narrows LEB128: at most 9 bytes (so values < 2^63) and only the
// minimal encoding is valid, so every value has exactly one byte form.
//
// These are not protobuf varints (up to 10 bytes, 64 bits); dag-pb and UnixFS
// use pb_wire.h. Free functions on caller-owned buffers: thread-compatible.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace anarq::ipld {

inline constexpr size_t kMaxVarintBytes = 9;
inline constexpr uint64_t kMaxVarintValue = (uint64_t{1} << 63) - 1;

// Bytes put_varint writes for v (1..9). REQUIRES: v <= kMaxVarintValue.
size_t varint_size(uint64_t v);

// Appends the minimal encoding of v. REQUIRES: v <= kMaxVarintValue (a larger
// value is our own bug: every code and length we encode is far below 2^63).
void put_varint(std::string& out, uint64_t v);

// Reads one varint from the front of `in` and advances past it. On error `in`
// is left unchanged. Refuses: empty input, a truncated varint, more than 9
// bytes, and non-minimal forms (a final 0x00 byte after a continuation byte,
// e.g. 0x80 0x00 for 0).
Result<uint64_t> get_varint(std::string_view& in);

}  // namespace anarq::ipld
