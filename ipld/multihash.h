#pragma once
// Multihash (github.com/multiformats/multihash): a self-describing digest
//   <varint hash function code> <varint digest length> <digest bytes>
// and Sha256, a streaming SHA-256 over OpenSSL EVP (SHA-NI where the CPU has it).
//
// We compute and verify two functions: identity (0x00, the "digest" is the data
// itself, used to inline tiny blocks into CIDs) and sha2-256 (0x12, 32 bytes).
// Other codes (blake2b, sha2-512, ...) parse and round-trip so foreign CIDs can be
// carried, but verify() refuses them.
//
// Multihash is a value type (copyable, comparable, thread-compatible). A Sha256
// object is single-owner: one thread at a time.
#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace anarq::ipld {

inline constexpr uint64_t kMultihashIdentity = 0x00;
inline constexpr uint64_t kMultihashSha2_256 = 0x12;
inline constexpr size_t kSha256Bytes = 32;
// Bound on any digest we accept. Identity digests are inline data: Kubo refuses
// identity CIDs over 128 bytes, and no real hash function has a longer digest.
inline constexpr size_t kMaxDigestBytes = 128;

using Sha256Digest = std::array<uint8_t, kSha256Bytes>;

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&& other) noexcept;
  Sha256& operator=(Sha256&& other) noexcept;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  // REQUIRES (both): not moved-from.
  void update(std::string_view data);
  // Returns the digest of everything updated so far and starts over.
  Sha256Digest finish();

  static Sha256Digest digest(std::string_view data);

 private:
  EVP_MD_CTX* ctx_;
};

class Multihash {
 public:
  // Validates the code/length pair: sha2-256 digests must be 32 bytes; any digest
  // at most kMaxDigestBytes.
  static Result<Multihash> create(uint64_t code, std::string_view digest);
  static Multihash sha256(std::string_view data);
  // The data itself as the digest. Refused over kMaxDigestBytes.
  static Result<Multihash> identity(std::string_view data);

  // Exactly one multihash, nothing after it.
  static Result<Multihash> from_bytes(std::string_view bytes);
  // One multihash from the front of `in`; advances past it on success.
  static Result<Multihash> read(std::string_view& in);

  uint64_t code() const { return code_; }
  const std::string& digest() const { return digest_; }
  std::string bytes() const;
  void append_to(std::string& out) const;

  // Whether we can compute this function (identity, sha2-256).
  bool is_supported() const;
  // OK when `data` hashes to this multihash; a validation error on mismatch or
  // for a function we cannot compute.
  Status verify(std::string_view data) const;

  friend bool operator==(const Multihash&, const Multihash&) = default;
  friend std::strong_ordering operator<=>(const Multihash&, const Multihash&) = default;

 private:
  Multihash(uint64_t code, std::string digest) : code_(code), digest_(std::move(digest)) {}

  uint64_t code_;
  std::string digest_;
};

}  // namespace anarq::ipld
