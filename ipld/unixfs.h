#pragma once
// UnixFS v1 `Data` message (specs.ipfs.tech/unixfs), carried in the Data field
// of a dag-pb node:
//
//   message Data {
//     enum DataType { Raw = 0; Directory = 1; File = 2; Metadata = 3; Symlink = 4; HAMTShard = 5; }
//     required DataType Type = 1;   optional bytes Data = 2;
//     optional uint64 filesize = 3; repeated uint64 blocksizes = 4;
//     optional uint64 hashType = 5; optional uint64 fanout = 6;
//     optional uint32 mode = 7;     optional UnixTime mtime = 8;
//   }
//   message UnixTime { required int64 Seconds = 1; optional fixed32 FractionalNanoseconds = 2; }
//
// Encoding is what Kubo (gogo-protobuf, proto2) writes: fields in number order,
// only those present, blocksizes unpacked (one key per entry). A Kubo file leaf
// is {Type: File, Data: chunk, filesize: len}; an internal file node
// {Type: File, filesize: sum, blocksizes: [child sizes]}; the empty file
// {Type: File, filesize: 0}.
//
// Decoding accepts fields in any order and packed blocksizes (both are valid
// protobuf other writers produce) but refuses unknown fields, duplicated
// singular fields, a missing Type, unknown Type values and out-of-range values.
//
// Value types and free functions: thread-compatible.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace anarq::ipld {

enum class UnixfsType : uint8_t {
  kRaw = 0,
  kDirectory = 1,
  kFile = 2,
  kMetadata = 3,
  kSymlink = 4,
  kHamtShard = 5,
};

// Bound on blocksizes entries (one per dag-pb link; see kMaxDagPbLinks).
inline constexpr size_t kMaxUnixfsBlocksizes = 1 << 18;
inline constexpr uint32_t kMaxUnixfsNanos = 999'999'999;

struct UnixTime {
  int64_t seconds = 0;
  std::optional<uint32_t> nanos;  // 1..999999999 when present

  friend bool operator==(const UnixTime&, const UnixTime&) = default;
};

struct UnixfsData {
  UnixfsType type = UnixfsType::kFile;
  std::optional<std::string> data;
  std::optional<uint64_t> filesize;
  std::vector<uint64_t> blocksizes;
  std::optional<uint64_t> hash_type;
  std::optional<uint64_t> fanout;
  std::optional<uint32_t> mode;
  std::optional<UnixTime> mtime;

  friend bool operator==(const UnixfsData&, const UnixfsData&) = default;
};

std::string unixfs_encode(const UnixfsData& message);
Result<UnixfsData> unixfs_decode(std::string_view bytes);

}  // namespace anarq::ipld
