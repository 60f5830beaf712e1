#pragma once
// The multicodec codes anarq uses (github.com/multiformats/multicodec,
// table.csv), and a name <-> code table for the ones we speak. Codes go on the
// wire as varints (varint.h): in a CIDv1 the content codec, in a multihash the
// hash function, in did:key the key type.
//
// Header-only constants: thread-safe.
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace anarq::ipld {

// Hash functions (multihash.h).
inline constexpr uint64_t kCodecIdentity = 0x00;
inline constexpr uint64_t kCodecSha2_256 = 0x12;
// Content codecs (the codec of a CIDv1).
inline constexpr uint64_t kCodecRaw = 0x55;
inline constexpr uint64_t kCodecDagPb = 0x70;
inline constexpr uint64_t kCodecDagCbor = 0x71;
inline constexpr uint64_t kCodecLibp2pKey = 0x72;
inline constexpr uint64_t kCodecDagJson = 0x0129;
// Public keys (did:key, libp2p).
inline constexpr uint64_t kCodecX25519Pub = 0xec;
inline constexpr uint64_t kCodecEd25519Pub = 0xed;

struct MulticodecEntry {
  std::string_view name;  // the table.csv spelling
  uint64_t code;
};

inline constexpr std::array<MulticodecEntry, 9> kMulticodecs = {{
    {"identity", kCodecIdentity},
    {"sha2-256", kCodecSha2_256},
    {"raw", kCodecRaw},
    {"dag-pb", kCodecDagPb},
    {"dag-cbor", kCodecDagCbor},
    {"libp2p-key", kCodecLibp2pKey},
    {"dag-json", kCodecDagJson},
    {"x25519-pub", kCodecX25519Pub},
    {"ed25519-pub", kCodecEd25519Pub},
}};

constexpr std::optional<uint64_t> multicodec_code(std::string_view name) {
  for (const auto& e : kMulticodecs) {
    if (e.name == name) return e.code;
  }
  return std::nullopt;
}

constexpr std::optional<std::string_view> multicodec_name(uint64_t code) {
  for (const auto& e : kMulticodecs) {
    if (e.code == code) return e.name;
  }
  return std::nullopt;
}

}  // namespace anarq::ipld
