#pragma once
// Structured logging: one JSON object per line on stderr (stdout stays free for
// `anarq mcp` and `anarq call`). Backed by spdlog; thread-safe.
//
//   log::info("request", {{"requestId", id}, {"tool", "node.info"}, {"ms", 1.2}});
#include <string_view>

#include "core/status.h"

namespace anarq::log {

enum class Level { kTrace, kDebug, kInfo, kWarn, kError, kOff };

// "info" etc.; unknown names keep the current level.
void set_level(std::string_view name);
bool enabled(Level level);
void write(Level level, std::string_view msg, const Json& fields = Json::object());

inline void debug(std::string_view m, const Json& f = Json::object()) { write(Level::kDebug, m, f); }
inline void info(std::string_view m, const Json& f = Json::object()) { write(Level::kInfo, m, f); }
inline void warn(std::string_view m, const Json& f = Json::object()) { write(Level::kWarn, m, f); }
inline void error(std::string_view m, const Json& f = Json::object()) { write(Level::kError, m, f); }

}  // namespace anarq::log
