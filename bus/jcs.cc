#include "bus/jcs.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace anarq::bus {
namespace {

constexpr uint64_t kMaxSafeInteger = uint64_t{1} << 53;

// Decodes well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF) and
// appends its UTF-16 code units to `out` when `out` is not null.
bool utf8_to_utf16(std::string_view s, std::u16string* out) {
  size_t i = 0;
  while (i < s.size()) {
    auto b0 = static_cast<unsigned char>(s[i]);
    uint32_t cp;
    size_t len;
    if (b0 < 0x80) {
      cp = b0;
      len = 1;
    } else if (b0 >= 0xC2 && b0 <= 0xDF) {
      cp = b0 & 0x1F;
      len = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      cp = b0 & 0x0F;
      len = 3;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      cp = b0 & 0x07;
      len = 4;
    } else {
      return false;
    }
    if (s.size() - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) return false;  // overlong
    if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return false;
    if (out != nullptr) {
      if (cp < 0x10000) {
        out->push_back(static_cast<char16_t>(cp));
      } else {
        cp -= 0x10000;
        out->push_back(static_cast<char16_t>(0xD800 + (cp >> 10)));
        out->push_back(static_cast<char16_t>(0xDC00 + (cp & 0x3FF)));
      }
    }
    i += len;
  }
  return true;
}

// RFC 8785 section 3.2.2.2; the caller has checked the UTF-8.
void append_string(std::string_view s, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xF]);
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
}

Status append_checked_string(std::string_view s, std::string& out) {
  if (!utf8_to_utf16(s, nullptr)) return Status::validation("JCS: string is not well-formed UTF-8");
  append_string(s, out);
  return {};
}

// ECMAScript Number::toString(x) (ECMA-262 section 6.1.6.1.20) for finite x.
// std::to_chars without a precision gives the shortest digits that round-trip,
// which are the digits s and exponent n the ES algorithm asks for.
void append_double(double v, std::string& out) {
  if (v == 0) {  // +0 and -0 both print as 0
    out.push_back('0');
    return;
  }
  if (v < 0) {
    out.push_back('-');
    v = -v;
  }
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  // 64 bytes always hold "d.<16 digits>e+308"; a failure is a bug of ours.
  assert(ec == std::errc());
  std::string_view sci(buf, static_cast<size_t>(end - buf));
  size_t e_pos = sci.find('e');
  std::string digits;
  digits.push_back(sci[0]);
  if (e_pos > 1) digits.append(sci.substr(2, e_pos - 2));  // skip the '.'
  int exp10 = 0;
  // from_chars reads a leading '-' but not '+', so skip only the latter.
  std::from_chars(sci.data() + e_pos + (sci[e_pos + 1] == '+' ? 2 : 1), sci.data() + sci.size(), exp10);
  const int k = static_cast<int>(digits.size());
  const int n = exp10 + 1;  // value = 0.digits * 10^n
  if (k <= n && n <= 21) {
    out += digits;
    out.append(static_cast<size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out.append(digits, 0, static_cast<size_t>(n));
    out.push_back('.');
    out.append(digits, static_cast<size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-n), '0');
    out += digits;
  } else {
    out.push_back(digits[0]);
    if (k > 1) {
      out.push_back('.');
      out.append(digits, 1);
    }
    out.push_back('e');
    out.push_back(n - 1 >= 0 ? '+' : '-');
    out += std::to_string(std::abs(n - 1));
  }
}

Status append_value(const Json& j, int depth, std::string& out) {
  switch (j.type()) {
    case Json::value_t::null:
      out += "null";
      return {};
    case Json::value_t::boolean:
      out += j.get<bool>() ? "true" : "false";
      return {};
    case Json::value_t::number_integer: {
      int64_t n = j.get<int64_t>();
      uint64_t magnitude = n < 0 ? uint64_t{0} - static_cast<uint64_t>(n) : static_cast<uint64_t>(n);
      if (magnitude > kMaxSafeInteger) {
        return Status::validation("JCS: integer magnitude above 2^53 cannot round-trip through a double");
      }
      out += std::to_string(n);
      return {};
    }
    case Json::value_t::number_unsigned: {
      uint64_t n = j.get<uint64_t>();
      if (n > kMaxSafeInteger) {
        return Status::validation("JCS: integer magnitude above 2^53 cannot round-trip through a double");
      }
      out += std::to_string(n);
      return {};
    }
    case Json::value_t::number_float: {
      double d = j.get<double>();
      if (!std::isfinite(d)) return Status::validation("JCS: NaN and Infinity have no JSON form");
      append_double(d, out);
      return {};
    }
    case Json::value_t::string:
      return append_checked_string(j.get_ref<const std::string&>(), out);
    case Json::value_t::array: {
      if (depth >= kMaxJcsDepth) {
        return Status::validation("JCS: value nests deeper than " + std::to_string(kMaxJcsDepth) + " levels");
      }
      out.push_back('[');
      bool first = true;
      for (const Json& item : j) {
        if (!first) out.push_back(',');
        first = false;
        ANARQ_RETURN_IF_ERROR(append_value(item, depth + 1, out));
      }
      out.push_back(']');
      return {};
    }
    case Json::value_t::object: {
      if (depth >= kMaxJcsDepth) {
        return Status::validation("JCS: value nests deeper than " + std::to_string(kMaxJcsDepth) + " levels");
      }
      // nlohmann orders names by UTF-8 bytes; RFC 8785 wants UTF-16 code units.
      std::vector<std::pair<std::u16string, Json::const_iterator>> members;
      members.reserve(j.size());
      for (auto it = j.begin(); it != j.end(); ++it) {
        std::u16string key16;
        if (!utf8_to_utf16(it.key(), &key16)) return Status::validation("JCS: member name is not well-formed UTF-8");
        members.emplace_back(std::move(key16), it);
      }
      std::sort(members.begin(), members.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      out.push_back('{');
      bool first = true;
      for (const auto& [key16, it] : members) {
        if (!first) out.push_back(',');
        first = false;
        append_string(it.key(), out);
        out.push_back(':');
        ANARQ_RETURN_IF_ERROR(append_value(it.value(), depth + 1, out));
      }
      out.push_back('}');
      return {};
    }
    case Json::value_t::binary:
      return Status::validation("JCS: binary values have no JSON form");
    case Json::value_t::discarded:
      return Status::validation("JCS: discarded value");
  }
  return Status::validation("JCS: unknown JSON value type");
}

}  // namespace

Result<std::string> jcs_serialize(const Json& value) {
  std::string out;
  ANARQ_RETURN_IF_ERROR(append_value(value, 0, out));
  return out;
}

}  // namespace anarq::bus
