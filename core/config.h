#pragma once
// Node configuration. Precedence is 12-factor: command-line flags, then ANARQ_*
// environment variables, then the defaults below. load_env() applies the
// environment layer; the CLI (app/) applies flags on top. Plain value type.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/status.h"

namespace anarq {

struct Config {
  std::string data_dir = "./data";          // ANARQ_DATA_DIR
  std::string listen = "127.0.0.1:8080";    // ANARQ_LISTEN (port 0 = any free port)
  std::vector<std::string> modules;         // ANARQ_MODULES, comma list; empty = all
  int threads = 0;                          // ANARQ_THREADS; 0 = one per core
  int64_t max_body_bytes = 16 << 20;        // ANARQ_MAX_BODY_BYTES
  int64_t max_header_bytes = 16 << 10;      // fixed by the wire standard (431 above it)
  int read_timeout_ms = 30'000;             // ANARQ_READ_TIMEOUT_MS: whole request must arrive
  int idle_timeout_ms = 60'000;             // ANARQ_IDLE_TIMEOUT_MS: keep-alive idle limit
  int drain_timeout_ms = 10'000;            // ANARQ_DRAIN_TIMEOUT_MS: SIGTERM grace period
  int max_connections = 10'000;             // ANARQ_MAX_CONNECTIONS
  std::string log_level = "info";           // ANARQ_LOG_LEVEL: trace|debug|info|warn|error|off
  std::vector<std::string> allowed_origins; // ANARQ_ALLOWED_ORIGINS: extra Origins for /mcp
  bool kubo_rpc_remote = false;             // ANARQ_KUBO_RPC_REMOTE=1: serve /api/v0 beyond loopback
  // ANARQ_EVENTS_RETENTION: event log retention, first matching rule wins:
  // "q.qchat.>=7d/64MiB;>=30d/1GiB" (pattern=age/size; 0 = no limit).
  std::string events_retention = ">=30d/1GiB";
  std::string environment = "dev";          // ANARQ_ENV: dev|staging|prod; keys of another one are refused
  // ANARQ_MASTER_KEY: base64 of 32 bytes sealing the keystore; empty = DATA_DIR/master.key
  // (created 0600 on first start). A secret: never logged or reported.
  std::string master_key;

  // Checks ranges; VALIDATION_ERROR naming the offending setting.
  Status validate() const;
};

using EnvLookup = std::function<const char*(const char*)>;

// Applies every ANARQ_* variable that is set. A malformed value is an error,
// never silently ignored.
Status load_env(Config& config, const EnvLookup& getenv_fn);

// "host:port" -> parts; "[::1]:80" accepted. VALIDATION_ERROR when malformed.
struct HostPort {
  std::string host;
  uint16_t port = 0;
};
Result<HostPort> parse_host_port(const std::string& text);

std::vector<std::string> split_list(const std::string& text, char sep = ',');

}  // namespace anarq
