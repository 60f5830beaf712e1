#pragma once
// JSON helpers over nlohmann::json: bounded parsing of untrusted text and
// RFC 6901 pointers. Thread-safe (pure functions).
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace anarq {

constexpr int kMaxJsonDepth = 64;

// Parses untrusted text. VALIDATION_ERROR (with the byte offset) when it is not
// one JSON value or nests deeper than max_depth. Never throws.
Result<Json> parse_json(std::string_view text, int max_depth = kMaxJsonDepth);

// Escapes one reference token for a JSON pointer: ~ -> ~0, / -> ~1.
std::string pointer_escape(std::string_view token);
std::string pointer_from_tokens(const std::vector<std::string>& tokens);

// Compact serialisation that never throws on invalid UTF-8 (replaces it).
std::string dump_compact(const Json& j);

}  // namespace anarq
