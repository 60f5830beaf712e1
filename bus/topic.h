#pragma once
// Event topics and NATS-style subscription subjects (spec/standards.md section 5).
//
// A topic names one kind of event: q.<module>.<action>.v<N>, e.g.
// q.squid.sub.created.v1. A subject pattern is what a subscriber asks for and may
// use the NATS wildcards `*` (exactly one token) and `>` (one or more trailing
// tokens). All inputs are untrusted: every function bounds its work by
// kMaxTopicBytes / kMaxSubjectTokens and never throws. Pure functions, thread-safe.
//
//   if (Status s = validate_topic(t); !s.ok()) return s;
//   Result<TopicParts> p = parse_topic("q.squid.sub.created.v1");  // squid, "sub.created", 1
//   subject_matches("q.*.sent.v1", "q.qmail.sent.v1");              // true
#include <cstddef>
#include <string>
#include <string_view>

#include "core/status.h"

namespace anarq::bus {

constexpr size_t kMaxTopicBytes = 255;    // topics and subject patterns alike
constexpr size_t kMaxSubjectTokens = 32;  // subject patterns and matched subjects

// OK when `topic` matches ^q\.[a-z][a-z0-9]*(\.[a-z][a-z0-9_]*)+\.v[1-9][0-9]*$ and
// is at most kMaxTopicBytes long; otherwise VALIDATION_ERROR naming the problem.
Status validate_topic(std::string_view topic);

struct TopicParts {
  std::string module;  // "squid"
  std::string action;  // the words between module and version, dot-joined: "sub.created"
  int version = 0;     // 1
};

// validate_topic, then the split. A version the regex accepts but an int cannot
// hold (more than 2147483647) is refused with VALIDATION_ERROR.
Result<TopicParts> parse_topic(std::string_view topic);

// OK when `pattern` is a subscription subject: '.'-separated non-empty tokens of
// [a-z0-9_], or a whole-token `*`, or a whole-token `>` as the last token; at most
// kMaxTopicBytes and kMaxSubjectTokens tokens.
Status validate_subject_pattern(std::string_view pattern);

// NATS matching: `*` matches exactly one token, `>` one or more trailing tokens.
// False (never an error) when `pattern` is not a valid subject pattern or
// `subject` is not a valid wildcard-free subject.
bool subject_matches(std::string_view pattern, std::string_view subject);

}  // namespace anarq::bus
