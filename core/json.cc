#include "core/json.h"

namespace anarq {
namespace {

// The nesting depth bound, checked by one linear scan before parsing. (A
// parser callback would do it too, but nlohmann's callback parser is
// quadratic in the number of values: 80 000 small objects cost 4.5 s.)
bool nests_deeper_than(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '[' || c == '{') {
      if (++depth > max_depth) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

}  // namespace

Result<Json> parse_json(std::string_view text, int max_depth) {
  if (nests_deeper_than(text, max_depth))
    return Status::validation("JSON nests deeper than " + std::to_string(max_depth) + " levels");
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    return Status::validation("malformed JSON at byte " + std::to_string(e.byte) + ": " +
                              std::string(e.what()).substr(std::string(e.what()).find(':') + 2));
  } catch (const std::exception& e) {
    return Status::validation(std::string("malformed JSON: ") + e.what());
  }
}

std::string pointer_escape(std::string_view token) {
  std::string out;
  for (char c : token) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

std::string pointer_from_tokens(const std::vector<std::string>& tokens) {
  std::string out;
  for (const auto& t : tokens) out.append("/").append(pointer_escape(t));
  return out;
}

std::string dump_compact(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

}  // namespace anarq
