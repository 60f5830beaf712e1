#pragma once
// HttpServer: HTTP/1.1 on Boost.Beast (kept inside http_server.cc). Keep-alive,
// one I/O thread per core, bounded headers (431) and bodies (413), read and
// idle timeouts, a bound on connections, and a graceful drain on SIGTERM/SIGINT
// or stop(): stop accepting, finish in-flight requests, close idle
// connections, then return from run().
//
//   HttpServer server(options, [&](HttpRequest& r) { return api.handle(r); },
//                     [&](int status, const std::string& why) { return api.transport_error(status, why); });
//   auto port = server.listen();   // binds; port 0 picks a free port
//   server.run();                  // blocks until drained
//
// Thread-safety: the handler runs on I/O threads concurrently; stop() may be
// called from any thread.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/status.h"
#include "transport/http_types.h"

namespace anarq {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  int threads = 0;  // 0 = one per core
  int64_t max_body_bytes = 16 << 20;
  int64_t max_header_bytes = 16 << 10;
  int read_timeout_ms = 30'000;
  int idle_timeout_ms = 60'000;
  int drain_timeout_ms = 10'000;
  int max_connections = 10'000;
  bool handle_signals = true;
  // Requests for which this answers true run on a separate pool of
  // offload_threads (handlers that may wait, such as qlock.lock with waitMs),
  // so that they never stall the I/O thread their connection lives on.
  std::function<bool(const HttpRequest&)> offload;
  int offload_threads = 8;
};

using HttpHandler = std::function<HttpResponse(HttpRequest&)>;
// Builds the body for errors the transport itself detects (400, 413, 431, 503).
using HttpErrorResponder = std::function<HttpResponse(int status, const std::string& reason)>;

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, HttpHandler handler, HttpErrorResponder on_error);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens; returns the bound port. SERVICE_UNAVAILABLE on failure.
  Result<uint16_t> listen();
  // Serves until drained. Call once, after listen().
  void run();
  // Starts the graceful drain. Safe from any thread.
  void stop();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace anarq
