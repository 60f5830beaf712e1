#pragma once
// DAG-PB (ipld.io/specs/codecs/dag-pb/spec/), codec 0x70: the protobuf
// envelope of UnixFS.
//
//   message PBLink { optional bytes Hash = 1; optional string Name = 2; optional uint64 Tsize = 3; }
//   message PBNode { repeated PBLink Links = 2; optional bytes Data = 1; }
//
// Canonical bytes, as go-codec-dagpb / Kubo write them: every Links entry
// (field 2) first, in the order given, then Data (field 1); inside a link Hash,
// Name, Tsize in field order, each only when present. Kubo's file nodes carry
// an empty Name and a Tsize on every link (0x12 0x00 0x18 ...).
//
// The decoder follows the spec's strictness rules: a link's fields in order,
// no duplicate fields, no unknown fields or wire types, Hash required and a
// valid CID, Links contiguous. Data before Links is accepted (the spec says old
// IPFS data exists in that form); re-encoding such a node gives the canonical
// bytes and so a different CID.
//
// Links are encoded in the order given. The spec asks writers to sort by Name;
// builders of directories sort, file nodes have all-empty names.
//
// Value types and free functions: thread-compatible.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "ipld/cid.h"

namespace anarq::ipld {

// Largest block we encode or decode (the bitswap block limit is 2 MiB).
inline constexpr size_t kMaxDagPbBytes = 2 << 20;
// A 2 MiB block of minimal links (raw identity CIDs) holds fewer than this.
inline constexpr size_t kMaxDagPbLinks = 1 << 18;

struct PbLink {
  Cid hash;
  std::optional<std::string> name;
  std::optional<uint64_t> tsize;

  friend bool operator==(const PbLink&, const PbLink&) = default;
};

struct PbNode {
  std::vector<PbLink> links;
  std::optional<std::string> data;

  friend bool operator==(const PbNode&, const PbNode&) = default;
};

Result<std::string> dag_pb_encode(const PbNode& node);
Result<PbNode> dag_pb_decode(std::string_view bytes);

}  // namespace anarq::ipld
