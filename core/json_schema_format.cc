// draft-07 `format` checks, hand-written (no std::regex: every check is one
// linear pass with no recursion). Strings only; the validator never passes a
// non-string here.
#include <arpa/inet.h>

#include <cctype>

#include "core/json_schema.h"

namespace anarq::json_schema {
namespace {

bool digits(std::string_view s, size_t pos, size_t n) {
  if (pos + n > s.size()) return false;
  for (size_t i = pos; i < pos + n; ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

int num(std::string_view s, size_t pos, size_t n) {
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) v = v * 10 + (s[i] - '0');
  return v;
}

int days_in_month(int year, int month) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

// RFC 3339 full-date: YYYY-MM-DD with the real day-of-month limit.
bool full_date(std::string_view s) {
  if (s.size() != 10 || !digits(s, 0, 4) || s[4] != '-' || !digits(s, 5, 2) || s[7] != '-' || !digits(s, 8, 2))
    return false;
  int y = num(s, 0, 4), m = num(s, 5, 2), d = num(s, 8, 2);
  return m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m);
}

// RFC 3339 full-time: HH:MM:SS[.frac](Z|+HH:MM|-HH:MM); second 60 is a leap second.
bool full_time(std::string_view s) {
  if (s.size() < 9 || !digits(s, 0, 2) || s[2] != ':' || !digits(s, 3, 2) || s[5] != ':' || !digits(s, 6, 2))
    return false;
  if (num(s, 0, 2) > 23 || num(s, 3, 2) > 59 || num(s, 6, 2) > 60) return false;
  size_t i = 8;
  if (s[i] == '.') {
    size_t start = ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == start) return false;
  }
  if (i >= s.size()) return false;
  if (s[i] == 'Z' || s[i] == 'z') return i + 1 == s.size();
  if (s[i] != '+' && s[i] != '-') return false;
  std::string_view off = s.substr(i + 1);
  return off.size() == 5 && digits(off, 0, 2) && off[2] == ':' && digits(off, 3, 2) && num(off, 0, 2) <= 23 &&
         num(off, 3, 2) <= 59;
}

bool date_time(std::string_view s) {
  return s.size() > 11 && (s[10] == 'T' || s[10] == 't') && full_date(s.substr(0, 10)) && full_time(s.substr(11));
}

bool hostname(std::string_view s) {
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  if (s.empty() || s.size() > 253) return false;
  size_t label = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == '.') {
      if (label == 0 || label > 63 || s[i - 1] == '-' || s[i - label] == '-') return false;
      label = 0;
      continue;
    }
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (!std::isalnum(c) && c != '-') return false;
    ++label;
  }
  return true;
}

// Simple on purpose: one '@', a non-empty local part without spaces or
// control characters, a hostname after it.
bool email(std::string_view s) {
  size_t at = s.find('@');
  if (at == std::string_view::npos || at == 0 || at > 64 || s.find('@', at + 1) != std::string_view::npos) return false;
  for (size_t i = 0; i < at; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c <= 0x20 || c == 0x7f || c == '"' || c == '(' || c == ')' || c == ',' || c == ':' || c == ';' || c == '<' ||
        c == '>' || c == '[' || c == ']' || c == '\\')
      return false;
  }
  if (s[0] == '.' || s[at - 1] == '.' || s.substr(0, at).find("..") != std::string_view::npos) return false;
  return hostname(s.substr(at + 1));
}

// RFC 3986 URI: scheme ":" then URI characters (or percent escapes) only.
bool uri(std::string_view s) {
  size_t colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0 || !std::isalpha(static_cast<unsigned char>(s[0]))) return false;
  for (size_t i = 1; i < colon; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (!std::isalnum(c) && c != '+' && c != '-' && c != '.') return false;
  }
  static const std::string_view kAllowed = "-._~:/?#[]@!$&'()*+,;=";
  for (size_t i = colon + 1; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '%') {
      if (i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
          !std::isxdigit(static_cast<unsigned char>(s[i + 2])))
        return false;
      i += 2;
      continue;
    }
    if (!std::isalnum(c) && kAllowed.find(static_cast<char>(c)) == std::string_view::npos) return false;
  }
  return true;
}

bool uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(s[i]))) {
      return false;
    }
  }
  return true;
}

// Dotted quad, each part 0-255 without leading zeros.
bool ipv4(std::string_view s) {
  int parts = 0;
  size_t i = 0;
  while (true) {
    size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - start < 4) ++i;
    size_t len = i - start;
    if (len == 0 || len > 3 || (len > 1 && s[start] == '0') || num(s, start, len) > 255) return false;
    ++parts;
    if (i == s.size()) break;
    if (s[i] != '.' || parts == 4) return false;
    ++i;
  }
  return parts == 4;
}

bool ipv6(std::string_view s) {
  if (s.size() > 45) return false;
  std::string z(s);
  if (z.find('\0') != std::string::npos) return false;
  unsigned char buf[16];
  return inet_pton(AF_INET6, z.c_str(), buf) == 1;
}

bool regex(std::string_view s) {
  RE2 re(s, pattern_options());
  return re.ok();
}

}  // namespace

Format format_from_name(std::string_view name) {
  static const std::pair<std::string_view, Format> kFormats[] = {
      {"date-time", Format::kDateTime}, {"date", Format::kDate}, {"time", Format::kTime},
      {"email", Format::kEmail},        {"uri", Format::kUri},   {"uuid", Format::kUuid},
      {"ipv4", Format::kIpv4},          {"ipv6", Format::kIpv6}, {"hostname", Format::kHostname},
      {"regex", Format::kRegex}};
  for (const auto& [n, f] : kFormats)
    if (n == name) return f;
  return Format::kNone;
}

bool check_format(Format f, std::string_view s) {
  switch (f) {
    case Format::kNone: return true;
    case Format::kDateTime: return date_time(s);
    case Format::kDate: return full_date(s);
    case Format::kTime: return full_time(s);
    case Format::kEmail: return email(s);
    case Format::kUri: return uri(s);
    case Format::kUuid: return uuid(s);
    case Format::kIpv4: return ipv4(s);
    case Format::kIpv6: return ipv6(s);
    case Format::kHostname: return hostname(s);
    case Format::kRegex: return regex(s);
  }
  return true;
}

std::string format_hint(Format f) {
  switch (f) {
    case Format::kNone: return "";
    case Format::kDateTime: return "an RFC 3339 date-time such as 2026-01-31T12:00:00Z";
    case Format::kDate: return "an RFC 3339 date such as 2026-01-31";
    case Format::kTime: return "an RFC 3339 time such as 12:00:00Z";
    case Format::kEmail: return "an email address";
    case Format::kUri: return "an absolute URI (scheme:...)";
    case Format::kUuid: return "a UUID (8-4-4-4-12 hex digits)";
    case Format::kIpv4: return "an IPv4 address";
    case Format::kIpv6: return "an IPv6 address";
    case Format::kHostname: return "a hostname";
    case Format::kRegex: return "a regular expression (RE2 syntax)";
  }
  return "";
}

}  // namespace anarq::json_schema
