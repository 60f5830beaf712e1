#pragma once
// Multibase (github.com/multiformats/multibase): one prefix character naming
// the base, then the encoded bytes. We speak:
//   'b' base32 lower   RFC 4648 section 6 alphabet a-z2-7, no padding (CIDv1 default)
//   'B' base32 upper   same, A-Z2-7
//   'z' base58btc      Bitcoin alphabet (CIDv0 strings are this without the 'z')
//   'u' base64url      RFC 4648 section 5 alphabet, no padding
//   'm' base64         RFC 4648 section 4 alphabet, no padding (also DAG-JSON bytes)
// Decoding is strict: characters outside the alphabet, padding, impossible
// lengths and non-zero unused trailing bits are refused, so every byte string
// has exactly one text form per base.
//
// Free functions, no shared state: thread-safe.
#include <cstddef>
#include <string>
#include <string_view>

#include "core/status.h"

namespace anarq::ipld {

enum class Multibase : char {
  kBase32 = 'b',
  kBase32Upper = 'B',
  kBase58Btc = 'z',
  kBase64Url = 'u',
  kBase64 = 'm',
};

// Bound on text we decode. base58 decoding is quadratic, so it gets a tighter
// bound; it only ever carries CIDs, keys and peer ids (well under 200 chars).
inline constexpr size_t kMaxMultibaseTextBytes = 1 << 20;
inline constexpr size_t kMaxBase58TextBytes = 1024;

struct MultibaseBytes {
  Multibase base;
  std::string bytes;
};

// Prefix + encoding.
std::string multibase_encode(Multibase base, std::string_view bytes);
// Reads the prefix, decodes the rest. Unknown prefixes are refused.
Result<MultibaseBytes> multibase_decode(std::string_view text);

// The bare encodings, without a prefix.
std::string base32_encode(std::string_view bytes, bool upper = false);
Result<std::string> base32_decode(std::string_view text, bool upper = false);
std::string base58btc_encode(std::string_view bytes);
Result<std::string> base58btc_decode(std::string_view text);
std::string base64_encode(std::string_view bytes, bool url);
Result<std::string> base64_decode(std::string_view text, bool url);

}  // namespace anarq::ipld
