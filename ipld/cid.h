#pragma once
// CID: a content identifier (github.com/multiformats/cid).
//
//   CIDv0  binary: <sha2-256 multihash> (0x12 0x20 + 32 bytes), always dag-pb
//          text:   base58btc of the binary, no multibase prefix ("Qm...", 46 chars)
//   CIDv1  binary: <varint 1> <varint content codec> <multihash>
//          text:   multibase of the binary; we emit base32 lower ("b...")
//
// Parsing follows the spec's decoding algorithm: a 46-character string starting
// "Qm" is a CIDv0; anything else is multibase, and a multibase payload starting
// 0x12 (a multibase-wrapped CIDv0) is refused.
//
// Value type: copyable, totally ordered (version, codec, hash code, digest),
// thread-compatible.
//
//   Result<Cid> cid = Cid::parse("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
//   Cid c = Cid::v1_sha256(kCodecRaw, "hello");  // c.to_string() == "bafkrei..."
#include <compare>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

#include "core/status.h"
#include "ipld/multibase.h"
#include "ipld/multihash.h"

namespace anarq::ipld {

// Bound on a CID's text form (a 128-byte identity digest in base32 is ~270).
inline constexpr size_t kMaxCidTextBytes = 512;

class Cid {
 public:
  // version 0 requires codec dag-pb and a 32-byte sha2-256 multihash; version 1
  // any codec that fits a varint.
  static Result<Cid> create(uint64_t version, uint64_t codec, Multihash hash);
  // REQUIRES: codec <= kMaxVarintValue (true of every multicodec constant).
  static Cid v1(uint64_t codec, Multihash hash);
  static Cid v1_sha256(uint64_t codec, std::string_view data);
  static Cid v0_sha256(std::string_view dag_pb_bytes);

  static Result<Cid> parse(std::string_view text);
  // Exactly one binary CID.
  static Result<Cid> from_bytes(std::string_view bytes);
  // One binary CID from the front of `in` (CAR sections, dag-pb links);
  // advances past it on success.
  static Result<Cid> read(std::string_view& in);

  uint64_t version() const { return version_; }
  uint64_t codec() const { return codec_; }
  const Multihash& multihash() const { return hash_; }

  std::string bytes() const;
  void append_bytes(std::string& out) const;
  // v0: base58btc without prefix; v1: base32 lower with the 'b' prefix.
  std::string to_string() const;
  // v1 in any base; v0 only in base58btc (its only text form).
  Result<std::string> to_string(Multibase base) const;

  // Only a dag-pb CID with a sha2-256 multihash has a v0 form.
  Result<Cid> to_v0() const;
  Cid to_v1() const;

  friend bool operator==(const Cid&, const Cid&) = default;
  friend std::strong_ordering operator<=>(const Cid&, const Cid&) = default;

 private:
  Cid(uint64_t version, uint64_t codec, Multihash hash)
      : version_(version), codec_(codec), hash_(std::move(hash)) {}

  uint64_t version_;
  uint64_t codec_;
  Multihash hash_;
};

std::ostream& operator<<(std::ostream& os, const Cid& cid);

}  // namespace anarq::ipld
