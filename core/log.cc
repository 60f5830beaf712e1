#include "core/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>

#include "core/clock.h"

namespace anarq::log {
namespace {

std::atomic<Level> g_level{Level::kInfo};

spdlog::logger& logger() {
  static std::shared_ptr<spdlog::logger> l = [] {
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    auto lg = std::make_shared<spdlog::logger>("anarq", sink);
    lg->set_pattern("%v");
    lg->set_level(spdlog::level::trace);  // filtering happens in enabled()
    lg->flush_on(spdlog::level::trace);
    return lg;
  }();
  return *l;
}

constexpr const char* kNames[] = {"trace", "debug", "info", "warn", "error", "off"};

}  // namespace

void set_level(std::string_view name) {
  for (int i = 0; i < 6; ++i)
    if (name == kNames[i]) g_level = static_cast<Level>(i);
}

bool enabled(Level level) { return level != Level::kOff && level >= g_level.load(); }

void write(Level level, std::string_view msg, const Json& fields) {
  if (!enabled(level)) return;
  Json line = Json::object();
  line["ts"] = format_rfc3339_ms(SystemClock::instance().now_ms());
  line["level"] = kNames[static_cast<int>(level)];
  line["msg"] = msg;
  if (fields.is_object())
    for (auto it = fields.begin(); it != fields.end(); ++it) line[it.key()] = it.value();
  logger().log(spdlog::level::info, "{}",
               line.dump(-1, ' ', false, Json::error_handler_t::replace));
}

}  // namespace anarq::log
