#include "core/config.h"

#include <charconv>

namespace anarq {

std::vector<std::string> split_list(const std::string& text, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(sep, start);
    if (end == std::string::npos) end = text.size();
    std::string item = text.substr(start, end - start);
    size_t a = item.find_first_not_of(" \t"), b = item.find_last_not_of(" \t");
    if (a != std::string::npos) out.push_back(item.substr(a, b - a + 1));
    start = end + 1;
  }
  return out;
}

namespace {

template <typename T>
Status parse_int(const char* name, const char* value, T& out) {
  std::string_view v(value);
  T parsed{};
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), parsed);
  if (ec != std::errc() || p != v.data() + v.size())
    return Status::validation(std::string(name) + " must be an integer, got '" + std::string(v) + "'");
  out = parsed;
  return {};
}

}  // namespace

Status load_env(Config& c, const EnvLookup& env) {
  if (const char* v = env("ANARQ_DATA_DIR")) c.data_dir = v;
  if (const char* v = env("ANARQ_LISTEN")) c.listen = v;
  if (const char* v = env("ANARQ_MODULES")) c.modules = split_list(v);
  if (const char* v = env("ANARQ_THREADS")) ANARQ_RETURN_IF_ERROR(parse_int("ANARQ_THREADS", v, c.threads));
  if (const char* v = env("ANARQ_MAX_BODY_BYTES"))
    ANARQ_RETURN_IF_ERROR(parse_int("ANARQ_MAX_BODY_BYTES", v, c.max_body_bytes));
  if (const char* v = env("ANARQ_READ_TIMEOUT_MS"))
    ANARQ_RETURN_IF_ERROR(parse_int("ANARQ_READ_TIMEOUT_MS", v, c.read_timeout_ms));
  if (const char* v = env("ANARQ_IDLE_TIMEOUT_MS"))
    ANARQ_RETURN_IF_ERROR(parse_int("ANARQ_IDLE_TIMEOUT_MS", v, c.idle_timeout_ms));
  if (const char* v = env("ANARQ_DRAIN_TIMEOUT_MS"))
    ANARQ_RETURN_IF_ERROR(parse_int("ANARQ_DRAIN_TIMEOUT_MS", v, c.drain_timeout_ms));
  if (const char* v = env("ANARQ_MAX_CONNECTIONS"))
    ANARQ_RETURN_IF_ERROR(parse_int("ANARQ_MAX_CONNECTIONS", v, c.max_connections));
  if (const char* v = env("ANARQ_LOG_LEVEL")) c.log_level = v;
  if (const char* v = env("ANARQ_ALLOWED_ORIGINS")) c.allowed_origins = split_list(v);
  if (const char* v = env("ANARQ_EVENTS_RETENTION")) c.events_retention = v;
  if (const char* v = env("ANARQ_ENV")) c.environment = v;
  if (const char* v = env("ANARQ_MASTER_KEY")) c.master_key = v;
  if (const char* v = env("ANARQ_KUBO_RPC_REMOTE")) {
    std::string b = v;
    if (b != "0" && b != "1" && b != "true" && b != "false")
      return Status::validation("ANARQ_KUBO_RPC_REMOTE must be 0, 1, true or false");
    c.kubo_rpc_remote = b == "1" || b == "true";
  }
  return c.validate();
}

Status Config::validate() const {
  if (data_dir.empty()) return Status::validation("data dir must not be empty");
  if (auto hp = parse_host_port(listen); !hp.ok()) return hp.status();
  if (threads < 0 || threads > 256) return Status::validation("threads must be within 0..256");
  if (max_body_bytes < 1024 || max_body_bytes > (int64_t{1} << 32))
    return Status::validation("max body bytes must be within 1 KiB..4 GiB");
  if (read_timeout_ms < 100 || idle_timeout_ms < 100 || drain_timeout_ms < 0)
    return Status::validation("timeouts must be at least 100 ms");
  if (max_connections < 1) return Status::validation("max connections must be positive");
  static const char* kLevels[] = {"trace", "debug", "info", "warn", "error", "off"};
  bool level_ok = false;
  for (const char* l : kLevels) level_ok |= log_level == l;
  if (!level_ok) return Status::validation("log level must be one of trace|debug|info|warn|error|off");
  if (environment != "dev" && environment != "staging" && environment != "prod")
    return Status::validation("ANARQ_ENV must be dev, staging or prod");
  return {};
}

Result<HostPort> parse_host_port(const std::string& text) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
    return Status::validation("listen address must be HOST:PORT, got '" + text + "'");
  HostPort hp;
  hp.host = text.substr(0, colon);
  if (hp.host.front() == '[') {
    if (hp.host.back() != ']' || hp.host.size() < 3)
      return Status::validation("bad IPv6 literal in '" + text + "'");
    hp.host = hp.host.substr(1, hp.host.size() - 2);
  }
  unsigned port = 0;
  std::string_view p(text.data() + colon + 1, text.size() - colon - 1);
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
  if (ec != std::errc() || end != p.data() + p.size() || port > 65535)
    return Status::validation("port must be 0..65535 in '" + text + "'");
  hp.port = static_cast<uint16_t>(port);
  return hp;
}

}  // namespace anarq
