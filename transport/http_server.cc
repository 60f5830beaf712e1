// The only translation unit that includes Boost.Asio/Beast (~14 s to compile).
#include <utility>  // before Asio: Boost 1.74 awaitable.hpp needs std::exchange

#include "transport/http_server.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <atomic>
#include <list>
#include <mutex>
#include <thread>

#include "core/log.h"

namespace anarq {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

// Wakes a connection writing a LiveStream: the source's waker (any thread)
// posts a cancel of the timer the writer waits on.
struct LiveWake {
  explicit LiveWake(net::any_io_executor ex) : timer(ex) {}
  net::steady_timer timer;
  std::atomic<bool> pending{false};
};

struct Connection {
  explicit Connection(tcp::socket s) : socket(std::move(s)), watchdog(socket.get_executor()) {}

  // Deadline pattern: moving the deadline is a plain store; one timer per
  // connection wakes at the deadline, re-arms if it moved, and cancels the
  // socket's operations if it passed. No timer operation per request.
  void set_deadline(std::chrono::milliseconds from_now) {
    auto next = std::chrono::steady_clock::now() + from_now;
    bool earlier = next < deadline;
    deadline = next;
    if (earlier) watchdog.cancel();  // wake the watchdog to re-arm sooner
  }

  tcp::socket socket;
  net::steady_timer watchdog;
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  bool timed_out = false;
  bool closed = false;
  std::string out;          // response head, reused across keep-alive requests
  std::string remote_addr;  // resolved once per connection
  bool busy = false;  // a request is being read or answered; touched on the strand only
  std::shared_ptr<LiveWake> live;  // set while a LiveStream is being written
};

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

}  // namespace

// One single-threaded io_context per I/O thread. Worker 0's acceptor hands
// each new connection to the next worker in turn; a connection then lives on
// that worker, so no strands or locks sit on the request path.
struct Worker {
  net::io_context ioc{1};
  tcp::acceptor acceptor{ioc};  // open on worker 0 only
  std::list<std::weak_ptr<Connection>> live;  // touched on this worker's thread only
};

struct HttpServer::Impl {
  HttpServerOptions options;
  HttpHandler handler;
  HttpErrorResponder on_error;
  std::vector<std::unique_ptr<Worker>> workers;
  std::unique_ptr<net::signal_set> signals;       // on worker 0
  std::unique_ptr<net::steady_timer> drain_timer;  // on worker 0
  std::atomic<bool> draining{false};
  std::atomic<int> connections{0};
  int reserve_fd = -1;  // a spare descriptor, given up to shed a client at EMFILE
  // Declared after the workers, so destroyed (joined) first: its tasks touch
  // coroutine frames that live until the io_contexts go.
  std::unique_ptr<net::thread_pool> blocking;

  Impl(HttpServerOptions o, HttpHandler h, HttpErrorResponder e)
      : options(std::move(o)), handler(std::move(h)), on_error(std::move(e)) {}
  ~Impl() {
    if (reserve_fd >= 0) ::close(reserve_fd);
  }

  int threads() const {
    int n = options.threads > 0 ? options.threads : static_cast<int>(std::thread::hardware_concurrency());
    return std::max(1, n);
  }
  net::io_context& control() { return workers.front()->ioc; }

  // Serialises the response into one buffer and sends it with one write: the
  // head is a handful of lines, and Beast's generic serializer cost more than
  // the rest of a small request's path.
  // head: the answer to a HEAD request: the head the GET would carry
  // (Content-Type, Content-Length when known) and no body.
  net::awaitable<void> write(Connection& c, const HttpResponse& r, bool keep_alive, unsigned version, bool head = false) {
    std::string& out = c.out;
    out.clear();
    out += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
    out += std::to_string(r.status);
    out += ' ';
    auto reason = http::obsolete_reason(static_cast<http::status>(r.status));
    out.append(reason.data(), reason.size());
    out += "\r\nServer: anarq\r\n";
    if (!r.body.empty() || r.stream || r.live || (head && r.status != 204 && r.status != 304)) {
      out += "Content-Type: ";
      out += r.content_type;
      out += "\r\n";
    }
    for (const auto& [k, v] : r.headers) {
      // Values can echo caller input (x-request-id): never let one end the head.
      if (k.find_first_of("\r\n:") != std::string::npos || v.find_first_of("\r\n") != std::string::npos) continue;
      out += k;
      out += ": ";
      out += v;
      out += "\r\n";
    }
    if (head) {
      // An event stream has no length (its GET is chunked until it ends): no Content-Length.
      const bool endless = r.live || r.content_type.rfind("text/event-stream", 0) == 0;
      if (!endless && (r.stream ? r.stream_length >= 0 : true)) {
        out += "Content-Length: ";
        out += std::to_string(r.stream ? r.stream_length : static_cast<int64_t>(r.body.size()));
        out += "\r\n";
      }
      if (r.live) keep_alive = false;
      out += keep_alive ? (version == 10 ? "Connection: keep-alive\r\n\r\n" : "\r\n") : "Connection: close\r\n\r\n";
      beast::error_code ec;
      co_await net::async_write(c.socket, net::buffer(out), net::redirect_error(net::use_awaitable, ec));
      if (!keep_alive) c.timed_out = true;  // close after this response
      co_return;
    }
    if (r.live) {
      co_await write_live(c, r, version);
      co_return;
    }
    if (r.stream) {
      co_await write_stream(c, r, keep_alive, version);
      co_return;
    }
    out += "Content-Length: ";
    out += std::to_string(r.body.size());
    out += keep_alive ? (version == 10 ? "\r\nConnection: keep-alive\r\n\r\n" : "\r\n\r\n") : "\r\nConnection: close\r\n\r\n";
    std::array<net::const_buffer, 2> buffers{net::buffer(out), net::buffer(r.body)};
    beast::error_code ec;
    // The deadline set before reading the request also bounds this write.
    co_await net::async_write(c.socket, buffers, net::redirect_error(net::use_awaitable, ec));
  }

  // One piece of a streamed body: a chunk (size line, bytes, CRLF) or, for
  // close-delimited HTTP/1.0 bodies, the bytes alone.
  static net::awaitable<void> write_piece(Connection& c, std::string_view piece, bool chunked, beast::error_code& ec) {
    if (!chunked) {
      co_await net::async_write(c.socket, net::buffer(piece.data(), piece.size()), net::redirect_error(net::use_awaitable, ec));
      co_return;
    }
    char size_line[32];
    int n = std::snprintf(size_line, sizeof size_line, "%zx\r\n", piece.size());
    std::array<net::const_buffer, 3> b{net::buffer(size_line, static_cast<size_t>(n)), net::buffer(piece.data(), piece.size()),
                                       net::buffer("\r\n", 2)};
    co_await net::async_write(c.socket, b, net::redirect_error(net::use_awaitable, ec));
  }

  // A streamed body: Content-Length when known, else chunked (HTTP/1.1) or
  // close-delimited (HTTP/1.0). Memory stays at one chunk whatever the size.
  // Any failure after the head is sent ends the connection, so a client never
  // takes a short body for a complete one.
  net::awaitable<void> write_stream(Connection& c, const HttpResponse& r, bool keep_alive, unsigned version) {
    std::string& out = c.out;
    const bool sized = r.stream_length >= 0;
    const bool chunked = !sized && version != 10;
    if (sized) out += "Content-Length: " + std::to_string(r.stream_length) + "\r\n";
    else if (chunked) out += "Transfer-Encoding: chunked\r\n";
    else keep_alive = false;
    out += keep_alive ? (version == 10 ? "Connection: keep-alive\r\n\r\n" : "\r\n") : "Connection: close\r\n\r\n";
    beast::error_code ec;
    co_await net::async_write(c.socket, net::buffer(out), net::redirect_error(net::use_awaitable, ec));
    std::string chunk;
    int64_t sent = 0;
    bool more = true;
    while (more && !ec) {
      chunk.clear();
      Result<bool> next = r.stream(chunk);
      if (!next.ok()) {
        log::error("response stream failed", {{"error", next.status().message()}});
        c.timed_out = true;
        co_return;
      }
      more = *next;
      sent += static_cast<int64_t>(chunk.size());
      // Each piece gets a fresh deadline: a large body may outlast one read timeout.
      c.set_deadline(std::chrono::milliseconds(options.read_timeout_ms));
      if (chunk.empty()) continue;
      co_await write_piece(c, chunk, chunked, ec);
    }
    if (chunked && !ec) co_await net::async_write(c.socket, net::buffer("0\r\n\r\n", 5), net::redirect_error(net::use_awaitable, ec));
    if (ec || (sized && sent != r.stream_length) || !keep_alive) {
      if (sized && sent != r.stream_length)
        log::error("response stream length mismatch", {{"declared", r.stream_length}, {"sent", sent}});
      c.timed_out = true;  // close the connection after this response
    }
  }

  // A Server-Sent Events stream: chunked (close-delimited for HTTP/1.0), polled
  // whenever the source wakes us, a heartbeat comment when idle, ended by the
  // source, a failed write (the client left) or the drain. The connection
  // closes afterwards.
  net::awaitable<void> write_live(Connection& c, const HttpResponse& r, unsigned version) {
    const bool chunked = version != 10;
    std::string& out = c.out;
    out += chunked ? "Transfer-Encoding: chunked\r\n\r\n" : "Connection: close\r\n\r\n";
    beast::error_code ec;
    co_await net::async_write(c.socket, net::buffer(out), net::redirect_error(net::use_awaitable, ec));
    auto wake = std::make_shared<LiveWake>(c.socket.get_executor());
    c.live = wake;
    r.live->set_waker([weak = std::weak_ptr<LiveWake>(wake), ex = c.socket.get_executor()] {
      auto w = weak.lock();
      if (!w || w->pending.exchange(true)) return;
      net::post(ex, [weak] {
        if (auto w2 = weak.lock()) w2->timer.cancel();
      });
    });
    auto send = [&](std::string_view piece) -> net::awaitable<void> {
      c.set_deadline(std::chrono::milliseconds(options.read_timeout_ms));
      co_await write_piece(c, piece, chunked, ec);
      c.deadline = std::chrono::steady_clock::time_point::max();  // idle waiting is not a timeout
    };
    std::string chunk;
    const auto heartbeat = std::chrono::milliseconds(std::max(100, r.live->heartbeat_ms));
    while (!ec && !draining && !c.timed_out) {
      wake->pending.store(false);
      chunk.clear();
      Result<bool> more = r.live->poll(chunk);
      if (!more.ok()) {
        log::warn("event stream failed", {{"error", more.status().message()}});
        break;
      }
      if (!chunk.empty()) co_await send(chunk);
      if (ec || !*more) break;
      if (wake->pending.load() || draining) continue;
      wake->timer.expires_after(heartbeat);
      beast::error_code wait_ec;
      co_await wake->timer.async_wait(net::redirect_error(net::use_awaitable, wait_ec));
      if (!wait_ec && !draining) {
        // Idle: a comment line keeps proxies from closing the stream and tells us when the client left.
        co_await send(": keep-alive\n\n");
      }
    }
    c.live.reset();
    if (chunked && !ec) {
      c.set_deadline(std::chrono::milliseconds(options.read_timeout_ms));
      co_await net::async_write(c.socket, net::buffer("0\r\n\r\n", 5), net::redirect_error(net::use_awaitable, ec));
    }
    c.timed_out = true;  // close after the stream
  }

  net::awaitable<void> reject(Connection& c, int status, const std::string& why) {
    HttpResponse r = on_error(status, why);
    c.set_deadline(std::chrono::milliseconds(options.read_timeout_ms));
    co_await write(c, r, false, 11);
  }

  static net::awaitable<void> watch(std::shared_ptr<Connection> conn) {
    Connection& c = *conn;
    while (!c.closed) {
      beast::error_code ec;
      c.watchdog.expires_at(c.deadline);
      co_await c.watchdog.async_wait(net::redirect_error(net::use_awaitable, ec));
      if (c.closed) break;
      if (std::chrono::steady_clock::now() >= c.deadline) {
        c.timed_out = true;
        c.deadline = std::chrono::steady_clock::time_point::max();
        c.socket.cancel(ec);
      }
    }
  }

  net::awaitable<void> session(std::shared_ptr<Connection> conn) {
    Connection& c = *conn;
    beast::flat_buffer buffer;
    bool first = true;
    for (;;) {
      c.busy = false;
      if (draining) break;
      http::request_parser<http::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
      parser.body_limit(static_cast<std::uint64_t>(options.max_body_bytes));
      beast::error_code ec;
      // First request: the read timeout; later ones: the idle timeout (a
      // keep-alive connection waiting for its next request).
      c.set_deadline(std::chrono::milliseconds(first || buffer.size() ? options.read_timeout_ms : options.idle_timeout_ms));
      co_await http::async_read_header(c.socket, buffer, parser, net::redirect_error(net::use_awaitable, ec));
      c.busy = true;
      if (ec == http::error::header_limit) {
        co_await reject(c, 431, "request headers exceed " + std::to_string(options.max_header_bytes) + " bytes");
        break;
      }
      if (ec == http::error::body_limit) {
        co_await reject(c, 413, "request body exceeds " + std::to_string(options.max_body_bytes) + " bytes");
        break;
      }
      if (ec == http::error::end_of_stream || c.timed_out || ec == net::error::operation_aborted ||
          ec == net::error::connection_reset || ec == net::error::eof)
        break;
      if (ec) {
        co_await reject(c, 400, "malformed HTTP request: " + ec.message());
        break;
      }
      first = false;
      auto& header = parser.get();
      if (auto len = parser.content_length(); len && *len > static_cast<std::uint64_t>(options.max_body_bytes)) {
        co_await reject(c, 413, "request body exceeds " + std::to_string(options.max_body_bytes) + " bytes");
        break;
      }
      if (!parser.is_done()) {
        if (beast::iequals(header[http::field::expect], "100-continue")) {
          http::response<http::empty_body> cont{http::status::continue_, header.version()};
          co_await http::async_write(c.socket, cont, net::redirect_error(net::use_awaitable, ec));
          if (ec) break;
        }
        c.set_deadline(std::chrono::milliseconds(options.read_timeout_ms));
        co_await http::async_read(c.socket, buffer, parser, net::redirect_error(net::use_awaitable, ec));
        if (ec == http::error::body_limit) {
          co_await reject(c, 413, "request body exceeds " + std::to_string(options.max_body_bytes) + " bytes");
          break;
        }
        if (c.timed_out) {
          c.timed_out = false;  // let the 408 go out under a fresh deadline
          co_await reject(c, 408, "request body not received within " + std::to_string(options.read_timeout_ms) + " ms");
          break;
        }
        if (ec) {
          if (ec != http::error::end_of_stream && ec != net::error::connection_reset && ec != net::error::eof)
            co_await reject(c, 400, "malformed HTTP request: " + ec.message());
          break;
        }
      }
      auto req = parser.release();
      HttpRequest in;
      in.method = std::string(req.method_string());
      in.target = std::string(req.target());
      for (const auto& f : req) {
        std::string name = lower(std::string_view(f.name_string().data(), f.name_string().size()));
        auto [it, inserted] = in.headers.emplace(std::move(name), std::string(f.value()));
        if (!inserted) it->second += ", " + std::string(f.value());
      }
      // Absolute form (RFC 9112 section 3.2.2, what proxies send): the
      // authority replaces Host and the path is routed as usual.
      if (in.target.rfind("http://", 0) == 0 || in.target.rfind("https://", 0) == 0) {
        size_t start = in.target.find("://") + 3;
        size_t slash = in.target.find_first_of("/?", start);
        std::string authority = in.target.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        std::string rest = slash == std::string::npos ? "/" : in.target.substr(slash);
        if (!rest.empty() && rest.front() == '?') rest.insert(0, "/");
        in.headers["host"] = authority;
        in.target = std::move(rest);
      }
      in.body = std::move(req.body());
      if (c.remote_addr.empty()) {
        beast::error_code rec;
        auto ep = c.socket.remote_endpoint(rec);
        if (!rec) c.remote_addr = ep.address().to_string();
      }
      in.remote_addr = c.remote_addr;
      HttpResponse out;
      if (blocking && options.offload(in)) {
        // Off the I/O thread; the coroutine waits on a timer the pool cancels
        // when done (posted to this worker, so it runs after we suspend).
        auto ex = co_await net::this_coro::executor;
        using Executor = decltype(ex);
        net::steady_timer done(ex, net::steady_timer::time_point::max());
        c.deadline = std::chrono::steady_clock::time_point::max();  // the handler's own bounds apply, not the read timeout
        net::post(*blocking, [&, ex] {
          struct Wake {  // on every way out, so the coroutine always resumes
            Executor ex;
            net::steady_timer& done;
            ~Wake() { net::post(ex, [&d = done] { d.cancel(); }); }
          } wake{ex, done};
          try {
            out = handler(in);
          } catch (const std::exception& e) {
            log::error("http handler threw", {{"error", e.what()}, {"target", in.target}});
            out = on_error(500, "internal error");
          } catch (...) {
            log::error("http handler threw a non-standard exception", {{"target", in.target}});
            out = on_error(500, "internal error");
          }
        });
        beast::error_code wait_ec;
        co_await done.async_wait(net::redirect_error(net::use_awaitable, wait_ec));
        c.set_deadline(std::chrono::milliseconds(options.read_timeout_ms));  // bounds the write
      } else {
        try {
          out = handler(in);
        } catch (const std::exception& e) {
          log::error("http handler threw", {{"error", e.what()}, {"target", in.target}});
          out = on_error(500, "internal error");
        }
      }
      bool keep_alive = req.keep_alive() && !draining;
      co_await write(c, out, keep_alive, req.version(), in.method == "HEAD");
      if (!keep_alive || c.timed_out) break;
    }
    beast::error_code ignored;
    c.socket.shutdown(tcp::socket::shutdown_send, ignored);
    c.socket.close(ignored);
    c.closed = true;
    c.watchdog.cancel();
  }

  // Runs on the worker the connection was accepted for.
  void start_connection(Worker& w, tcp::socket socket) {
    beast::error_code ec;
    socket.set_option(tcp::no_delay(true), ec);
    auto conn = std::make_shared<Connection>(std::move(socket));
    if (connections.load() >= options.max_connections) {
      net::co_spawn(w.ioc, [this, conn]() -> net::awaitable<void> {
        conn->set_deadline(std::chrono::milliseconds(options.read_timeout_ms));
        net::co_spawn(conn->socket.get_executor(), watch(conn), net::detached);
        co_await reject(*conn, 503, "connection limit reached");
        conn->closed = true;
        conn->watchdog.cancel();
        beast::error_code ignored;
        conn->socket.shutdown(tcp::socket::shutdown_both, ignored);
      }, net::detached);
      return;
    }
    w.live.remove_if([](const auto& weak) { return weak.expired(); });
    w.live.push_back(conn);
    ++connections;
    net::co_spawn(w.ioc, watch(conn), net::detached);
    net::co_spawn(w.ioc, [this, conn]() -> net::awaitable<void> {
      try {
        co_await session(conn);
      } catch (const std::exception& e) {
        log::warn("connection ended with an error", {{"error", e.what()}});
      }
      if (--connections == 0 && draining) {
        // The last connection is gone: stop waiting for the drain deadline.
        net::post(control(), [this] { drain_timer->cancel(); });
      }
    }, net::detached);
  }

  // Out of file descriptors: the pending client would wait in the backlog
  // (and the acceptor would report readable forever, a busy loop). Give back
  // the reserve descriptor, take the client, tell it 503, close it, take the
  // reserve again — then pause briefly before accepting more.
  void shed_one(tcp::acceptor& acceptor) {
    if (reserve_fd >= 0) ::close(reserve_fd);
    reserve_fd = -1;
    int fd = ::accept4(acceptor.native_handle(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd >= 0) {
      HttpResponse r = on_error(503, "this node is out of file descriptors; retry shortly");
      std::string msg = "HTTP/1.1 503 Service Unavailable\r\nServer: anarq\r\nContent-Type: " + r.content_type +
                        "\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: " + std::to_string(r.body.size()) +
                        "\r\n\r\n" + r.body;
      (void)!::send(fd, msg.data(), msg.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      ::close(fd);
    }
    reserve_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  }

  // One acceptor (on worker 0) hands connections round-robin to the workers:
  // no SO_REUSEPORT, so a second process cannot silently share our port.
  net::awaitable<void> accept_loop(Worker& w) {
    size_t next = 0;
    net::steady_timer pause(w.ioc);
    for (;;) {
      Worker& target = *workers[next++ % workers.size()];
      beast::error_code ec;
      tcp::socket socket = co_await w.acceptor.async_accept(target.ioc, net::redirect_error(net::use_awaitable, ec));
      if (ec) {
        if (draining || ec == net::error::operation_aborted) co_return;
        if (ec == net::error::no_descriptors || ec.value() == ENFILE || ec == net::error::no_buffer_space ||
            ec == net::error::no_memory) {
          shed_one(w.acceptor);
          log::warn("accept failed: out of descriptors or memory", {{"error", ec.message()}, {"connections", connections.load()}});
        }
        // Any other failure (a client that reset before we took it) is its
        // own; a short pause keeps a persistent one from spinning a core.
        pause.expires_after(std::chrono::milliseconds(ec == net::error::connection_aborted ? 0 : 10));
        co_await pause.async_wait(net::redirect_error(net::use_awaitable, ec));
        continue;
      }
      if (&target == &w) {
        start_connection(w, std::move(socket));
      } else {
        net::post(target.ioc, [this, &target, sock = std::make_shared<tcp::socket>(std::move(socket))]() mutable {
          start_connection(target, std::move(*sock));
        });
      }
    }
  }

  // Runs on worker 0.
  void begin_drain() {
    if (draining.exchange(true)) return;
    log::info("draining", {{"connections", connections.load()}});
    beast::error_code ec;
    signals->cancel(ec);
    for (auto& w : workers) {
      Worker* wp = w.get();
      net::post(wp->ioc, [wp] {
        beast::error_code e;
        wp->acceptor.close(e);
        // Connections waiting for a request close now; busy ones finish first.
        for (auto& weak : wp->live) {
          auto conn = weak.lock();
          if (!conn) continue;
          if (!conn->busy) conn->socket.cancel(e);
          else if (conn->live) conn->live->timer.cancel();  // event streams end at the drain
        }
      });
    }
    // A connection ending after this check posts its cancel behind us, on this thread.
    if (connections.load() == 0) return;
    drain_timer->expires_after(std::chrono::milliseconds(options.drain_timeout_ms));
    drain_timer->async_wait([this](beast::error_code e) {
      if (e || connections.load() == 0) return;
      log::warn("drain timeout: closing remaining connections", {{"connections", connections.load()}});
      for (auto& w : workers) w->ioc.stop();
    });
  }
};

HttpServer::HttpServer(HttpServerOptions options, HttpHandler handler, HttpErrorResponder on_error)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler), std::move(on_error))) {}

HttpServer::~HttpServer() = default;

Result<uint16_t> HttpServer::listen() {
  auto& i = *impl_;
  beast::error_code ec;
  auto address = net::ip::make_address(i.options.host == "localhost" ? "127.0.0.1" : i.options.host, ec);
  if (ec) return Status::validation("cannot listen on '" + i.options.host + "': not an IP address");
  uint16_t port = i.options.port;
  for (int t = 0; t < i.threads(); ++t) i.workers.push_back(std::make_unique<Worker>());
  // SO_REUSEADDR only (restart over TIME_WAIT); never SO_REUSEPORT, which
  // would let a second anarq on this port take half the traffic.
  tcp::endpoint ep{address, port};
  auto& acceptor = i.workers.front()->acceptor;
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    i.workers.clear();
    std::string why = ec == net::error::address_in_use ? "address in use (another process serves this port)" : ec.message();
    return Status::unavailable("cannot listen on " + i.options.host + ":" + std::to_string(port) + ": " + why);
  }
  port = acceptor.local_endpoint().port();
  // Descriptors: raise the soft limit to the hard one, and keep the
  // connection bound below it (a reserve for the store, logs and shedding).
  struct rlimit lim {};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0) {
    if (lim.rlim_cur < lim.rlim_max) {
      lim.rlim_cur = lim.rlim_max;
      (void)::setrlimit(RLIMIT_NOFILE, &lim);
      (void)::getrlimit(RLIMIT_NOFILE, &lim);
    }
    if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur > 128) {
      int cap = static_cast<int>(std::min<rlim_t>(lim.rlim_cur - 96, 1 << 30));
      if (i.options.max_connections > cap) {
        log::info("connection limit lowered to fit the descriptor limit",
                  {{"maxConnections", cap}, {"nofile", static_cast<int64_t>(lim.rlim_cur)}});
        i.options.max_connections = cap;
      }
    }
  }
  i.reserve_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (i.options.offload) i.blocking = std::make_unique<net::thread_pool>(std::max(1, i.options.offload_threads));
  i.signals = std::make_unique<net::signal_set>(i.control());
  i.drain_timer = std::make_unique<net::steady_timer>(i.control());
  if (i.options.handle_signals) {
    // Installed before the caller announces readiness: a SIGTERM right after
    // "listening on" drains instead of killing the process.
    i.signals->add(SIGINT);
    i.signals->add(SIGTERM);
    i.signals->async_wait([this](beast::error_code e, int) {
      if (!e) impl_->begin_drain();
    });
  }
  return port;
}

void HttpServer::run() {
  auto& i = *impl_;
  net::co_spawn(i.control(), i.accept_loop(*i.workers.front()), net::detached);
  // Keep the other workers' io_contexts running while they have no connection yet.
  std::vector<net::executor_work_guard<net::io_context::executor_type>> keep;
  for (size_t t = 1; t < i.workers.size(); ++t) keep.push_back(net::make_work_guard(i.workers[t]->ioc));
  std::vector<std::thread> pool;
  for (size_t t = 1; t < i.workers.size(); ++t) pool.emplace_back([w = i.workers[t].get()] { w->ioc.run(); });
  i.control().run();
  keep.clear();  // worker 0 is done (drained): the others finish their own connections
  for (auto& t : pool) t.join();
  if (i.blocking) i.blocking->join();
}

void HttpServer::stop() {
  if (impl_->workers.empty()) return;
  net::post(impl_->control(), [this] { impl_->begin_drain(); });
}

}  // namespace anarq
