#include "core/json.h"

namespace anarq {
namespace {

struct TooDeep {};

}  // namespace

Result<Json> parse_json(std::string_view text, int max_depth) {
  try {
    Json::parser_callback_t cb = [max_depth](int depth, Json::parse_event_t, Json&) {
      if (depth >= max_depth) throw TooDeep{};  // depth counts from 0
      return true;
    };
    return Json::parse(text.begin(), text.end(), cb);
  } catch (const TooDeep&) {
    return Status::validation("JSON nests deeper than " + std::to_string(max_depth) + " levels");
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
