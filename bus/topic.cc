#include "bus/topic.h"

#include <array>
#include <climits>

namespace anarq::bus {
namespace {

bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Splits on '.' into at most kMaxTopicBytes/2 + 1 tokens (the most a bounded
// string can hold). Returns false when there are more than `max_tokens`.
struct Tokens {
  std::array<std::string_view, kMaxTopicBytes / 2 + 1> items;
  size_t size = 0;
};

bool split(std::string_view s, size_t max_tokens, Tokens& out) {
  out.size = 0;
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    if (out.size == max_tokens || out.size == out.items.size()) return false;
    out.items[out.size++] = s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

Status check_module(std::string_view m) {
  if (!is_lower(m[0])) return Status::validation("module must start with a letter a-z");
  for (char c : m) {
    if (!is_lower(c) && !is_digit(c)) return Status::validation("module may contain only a-z and 0-9");
  }
  return {};
}

Status check_action_word(std::string_view w) {
  if (!is_lower(w[0])) return Status::validation("action word must start with a letter a-z");
  for (char c : w) {
    if (!is_lower(c) && !is_digit(c) && c != '_') {
      return Status::validation("action word may contain only a-z, 0-9 and _");
    }
  }
  return {};
}

Status check_version(std::string_view v) {
  if (v.size() < 2 || v[0] != 'v' || !is_digit(v[1])) return Status::validation("missing version suffix .vN");
  if (v[1] == '0') return Status::validation("version must be 1 or more without leading zeros");
  for (char c : v.substr(1)) {
    if (!is_digit(c)) return Status::validation("version suffix .vN may contain only digits after v");
  }
  return {};
}

bool is_subject_token(std::string_view t) {
  if (t.empty()) return false;
  for (char c : t) {
    if (!is_lower(c) && !is_digit(c) && c != '_') return false;
  }
  return true;
}

// Shared by patterns and subjects; subjects may not carry wildcards.
Status check_subject(std::string_view s, bool allow_wildcards, Tokens& tokens) {
  if (s.empty()) return Status::validation("subject is empty");
  if (s.size() > kMaxTopicBytes) {
    return Status::validation("subject longer than " + std::to_string(kMaxTopicBytes) + " bytes");
  }
  if (!split(s, kMaxSubjectTokens, tokens)) {
    return Status::validation("subject has more than " + std::to_string(kMaxSubjectTokens) + " tokens");
  }
  for (size_t i = 0; i < tokens.size; ++i) {
    std::string_view t = tokens.items[i];
    if (t.empty()) return Status::validation("subject has an empty token (leading, trailing or double dot)");
    if (t == "*" || t == ">") {
      if (!allow_wildcards) return Status::validation("subject may not contain wildcards");
      if (t == ">" && i + 1 != tokens.size) return Status::validation("'>' is allowed only as the last token");
      continue;
    }
    if (!is_subject_token(t)) {
      return Status::validation("subject token may contain only a-z, 0-9 and _, or be a whole * or >");
    }
  }
  return {};
}

}  // namespace

Status validate_topic(std::string_view topic) {
  if (topic.empty()) return Status::validation("topic is empty");
  if (topic.size() > kMaxTopicBytes) {
    return Status::validation("topic longer than " + std::to_string(kMaxTopicBytes) + " bytes");
  }
  if (topic.substr(0, 2) != "q.") return Status::validation("topic must start with 'q.'");
  Tokens t;
  split(topic, t.items.size(), t);  // cannot overflow: 255 bytes hold at most 128 tokens
  for (size_t i = 0; i < t.size; ++i) {
    if (t.items[i].empty()) return Status::validation("topic has an empty token (leading, trailing or double dot)");
  }
  if (Status s = check_version(t.items[t.size - 1]); !s.ok()) return s;
  if (t.size < 4) return Status::validation("topic needs q.<module>.<action>.v<N> with at least one action word");
  if (Status s = check_module(t.items[1]); !s.ok()) return s;
  for (size_t i = 2; i + 1 < t.size; ++i) {
    if (Status s = check_action_word(t.items[i]); !s.ok()) return s;
  }
  return {};
}

Result<TopicParts> parse_topic(std::string_view topic) {
  ANARQ_RETURN_IF_ERROR(validate_topic(topic));
  size_t module_end = topic.find('.', 2);
  size_t version_dot = topic.rfind('.');
  TopicParts parts;
  parts.module = std::string(topic.substr(2, module_end - 2));
  parts.action = std::string(topic.substr(module_end + 1, version_dot - module_end - 1));
  long long v = 0;
  for (char c : topic.substr(version_dot + 2)) {
    v = v * 10 + (c - '0');
    if (v > INT_MAX) return Status::validation("topic version exceeds " + std::to_string(INT_MAX));
  }
  parts.version = static_cast<int>(v);
  return parts;
}

Status validate_subject_pattern(std::string_view pattern) {
  Tokens t;
  return check_subject(pattern, /*allow_wildcards=*/true, t);
}

bool subject_matches(std::string_view pattern, std::string_view subject) {
  Tokens p;
  Tokens s;
  if (!check_subject(pattern, true, p).ok() || !check_subject(subject, false, s).ok()) return false;
  for (size_t i = 0; i < p.size; ++i) {
    if (p.items[i] == ">") return s.size > i;  // one or more remaining tokens
    if (i >= s.size) return false;
    if (p.items[i] != "*" && p.items[i] != s.items[i]) return false;
  }
  return p.size == s.size;
}

}  // namespace anarq::bus
