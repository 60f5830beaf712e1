#include "ipld/multibase.h"

#include <array>
#include <cstdint>
#include <vector>

namespace anarq::ipld {
namespace {

constexpr std::string_view kBase32Lower = "abcdefghijklmnopqrstuvwxyz234567";
constexpr std::string_view kBase32Upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr std::string_view kBase58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
constexpr std::string_view kBase64Std = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kBase64Url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

using ReverseTable = std::array<int8_t, 256>;

constexpr ReverseTable reverse(std::string_view alphabet) {
  ReverseTable t{};
  for (auto& v : t) v = -1;
  for (size_t i = 0; i < alphabet.size(); ++i) t[static_cast<uint8_t>(alphabet[i])] = static_cast<int8_t>(i);
  return t;
}

constexpr ReverseTable kRevBase32Lower = reverse(kBase32Lower);
constexpr ReverseTable kRevBase32Upper = reverse(kBase32Upper);
constexpr ReverseTable kRevBase58 = reverse(kBase58);
constexpr ReverseTable kRevBase64Std = reverse(kBase64Std);
constexpr ReverseTable kRevBase64Url = reverse(kBase64Url);

std::string bad_char(std::string_view base, char c, size_t pos) {
  char buf[8];
  if (static_cast<uint8_t>(c) >= 0x20 && static_cast<uint8_t>(c) < 0x7f) {
    buf[0] = '\'';
    buf[1] = c;
    buf[2] = '\'';
    buf[3] = 0;
  } else {
    static constexpr char kHex[] = "0123456789abcdef";
    buf[0] = '0';
    buf[1] = 'x';
    buf[2] = kHex[static_cast<uint8_t>(c) >> 4];
    buf[3] = kHex[static_cast<uint8_t>(c) & 15];
    buf[4] = 0;
  }
  return std::string(base) + ": invalid character " + buf + " at offset " + std::to_string(pos);
}

// RFC 4648 bit packing shared by base32 (5 bits/char) and base64 (6 bits/char).
std::string encode_bits(std::string_view bytes, std::string_view alphabet, int bits) {
  std::string out;
  out.reserve((bytes.size() * 8 + bits - 1) / bits);
  uint32_t acc = 0;
  int have = 0;
  const uint32_t mask = (1u << bits) - 1;
  for (char c : bytes) {
    acc = (acc << 8) | static_cast<uint8_t>(c);
    have += 8;
    while (have >= bits) {
      have -= bits;
      out.push_back(alphabet[(acc >> have) & mask]);
    }
  }
  if (have > 0) out.push_back(alphabet[(acc << (bits - have)) & mask]);
  return out;
}

Result<std::string> decode_bits(std::string_view text, const ReverseTable& rev, int bits,
                                std::string_view name) {
  if (text.size() > kMaxMultibaseTextBytes) {
    return Status::validation(std::string(name) + ": text longer than " +
                              std::to_string(kMaxMultibaseTextBytes) + " bytes");
  }
  // A trailing group of fewer than 8 bits can only be padding; lengths that
  // leave a whole unused character (base32 mod 8 in {1,3,6}, base64 mod 4 == 1)
  // are impossible.
  const size_t tail_bits = (text.size() * bits) % 8;
  if (tail_bits >= static_cast<size_t>(bits)) {
    return Status::validation(std::string(name) + ": impossible length " + std::to_string(text.size()));
  }
  std::string out;
  out.reserve(text.size() * bits / 8);
  uint32_t acc = 0;
  int have = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const int8_t v = rev[static_cast<uint8_t>(text[i])];
    if (v < 0) return Status::validation(bad_char(name, text[i], i));
    acc = (acc << bits) | static_cast<uint32_t>(v);
    have += bits;
    if (have >= 8) {
      have -= 8;
      out.push_back(static_cast<char>((acc >> have) & 0xff));
    }
  }
  if ((acc & ((1u << have) - 1)) != 0) {
    return Status::validation(std::string(name) + ": non-zero unused bits in the last character");
  }
  return out;
}

}  // namespace

std::string base32_encode(std::string_view bytes, bool upper) {
  return encode_bits(bytes, upper ? kBase32Upper : kBase32Lower, 5);
}

Result<std::string> base32_decode(std::string_view text, bool upper) {
  return decode_bits(text, upper ? kRevBase32Upper : kRevBase32Lower, 5,
                     upper ? "base32upper" : "base32");
}

std::string base64_encode(std::string_view bytes, bool url) {
  return encode_bits(bytes, url ? kBase64Url : kBase64Std, 6);
}

Result<std::string> base64_decode(std::string_view text, bool url) {
  return decode_bits(text, url ? kRevBase64Url : kRevBase64Std, 6, url ? "base64url" : "base64");
}

// base58btc: the bytes as one big-endian number written in base 58, each
// leading zero byte written as '1'. Quadratic; inputs are short.
std::string base58btc_encode(std::string_view bytes) {
  size_t zeros = 0;
  while (zeros < bytes.size() && bytes[zeros] == 0) ++zeros;
  // log(256)/log(58) < 1.366: digits needed for the rest.
  std::vector<uint8_t> digits((bytes.size() - zeros) * 138 / 100 + 1, 0);
  size_t used = 0;  // digits in use, least significant first
  for (size_t i = zeros; i < bytes.size(); ++i) {
    uint32_t carry = static_cast<uint8_t>(bytes[i]);
    size_t j = 0;
    for (; j < used || carry != 0; ++j) {
      carry += static_cast<uint32_t>(digits[j]) << 8;
      digits[j] = static_cast<uint8_t>(carry % 58);
      carry /= 58;
    }
    used = j;
  }
  std::string out(zeros, '1');
  out.reserve(zeros + used);
  for (size_t j = used; j-- > 0;) out.push_back(kBase58[digits[j]]);
  return out;
}

Result<std::string> base58btc_decode(std::string_view text) {
  if (text.size() > kMaxBase58TextBytes) {
    return Status::validation("base58btc: text longer than " + std::to_string(kMaxBase58TextBytes) +
                              " bytes");
  }
  size_t ones = 0;
  while (ones < text.size() && text[ones] == '1') ++ones;
  // log(58)/log(256) < 0.733: bytes needed for the rest.
  std::vector<uint8_t> bytes((text.size() - ones) * 733 / 1000 + 1, 0);
  size_t used = 0;  // bytes in use, least significant first
  for (size_t i = ones; i < text.size(); ++i) {
    const int8_t v = kRevBase58[static_cast<uint8_t>(text[i])];
    if (v < 0) return Status::validation(bad_char("base58btc", text[i], i));
    uint32_t carry = static_cast<uint32_t>(v);
    size_t j = 0;
    for (; j < used || carry != 0; ++j) {
      carry += static_cast<uint32_t>(bytes[j]) * 58;
      bytes[j] = static_cast<uint8_t>(carry & 0xff);
      carry >>= 8;
    }
    used = j;
  }
  std::string out(ones, '\0');
  out.reserve(ones + used);
  for (size_t j = used; j-- > 0;) out.push_back(static_cast<char>(bytes[j]));
  return out;
}

std::string multibase_encode(Multibase base, std::string_view bytes) {
  std::string out(1, static_cast<char>(base));
  switch (base) {
    case Multibase::kBase32: out += base32_encode(bytes, false); break;
    case Multibase::kBase32Upper: out += base32_encode(bytes, true); break;
    case Multibase::kBase58Btc: out += base58btc_encode(bytes); break;
    case Multibase::kBase64Url: out += base64_encode(bytes, true); break;
    case Multibase::kBase64: out += base64_encode(bytes, false); break;
  }
  return out;
}

Result<MultibaseBytes> multibase_decode(std::string_view text) {
  if (text.empty()) return Status::validation("multibase: empty text");
  const char prefix = text.front();
  const std::string_view body = text.substr(1);
  Result<std::string> bytes = Status::validation("multibase: unsupported prefix");
  Multibase base = Multibase::kBase32;
  switch (prefix) {
    case 'b': base = Multibase::kBase32; bytes = base32_decode(body, false); break;
    case 'B': base = Multibase::kBase32Upper; bytes = base32_decode(body, true); break;
    case 'z': base = Multibase::kBase58Btc; bytes = base58btc_decode(body); break;
    case 'u': base = Multibase::kBase64Url; bytes = base64_decode(body, true); break;
    case 'm': base = Multibase::kBase64; bytes = base64_decode(body, false); break;
    default: {
      std::string msg = "multibase: unsupported prefix ";
      if (static_cast<uint8_t>(prefix) >= 0x20 && static_cast<uint8_t>(prefix) < 0x7f) {
        msg += '\'';
        msg += prefix;
        msg += '\'';
      } else {
        msg += "byte " + std::to_string(static_cast<uint8_t>(prefix));
      }
      return Status::validation(msg);
    }
  }
  if (!bytes.ok()) return bytes.status();
  return MultibaseBytes{base, std::move(bytes).value()};
}

}  // namespace anarq::ipld
