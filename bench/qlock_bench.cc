// Identity and crypto costs (issue 5), as a load tool:
// - raw libsodium crypto_sign_verify_detached/s against authenticated calls of
//   a cheap tool (node.info) through the pipeline with signed headers, measured
//   in the same run (goal: >= 0.7x);
// - qlock.sign and qlock.encrypt (1 KiB) ops/s in-process and over HTTP
//   (signed requests on keep-alive connections). Each of these is an audited
//   key use: q.qlock.key.used.v1 commits durably (fsync) before the reply.
//
//   build/release/bench/anarq_qlock_bench [seconds=3] [http_connections=2]
//
// Prints a Markdown table; docs/performance.md has the figures and the command.
#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <thread>

#include "app/node.h"
#include "core/clock.h"
#include "core/ids.h"
#include "core/json.h"
#include "crypto/ed25519.h"
#include "pipeline/authenticate.h"
#include "tests/http_client.h"

namespace anarq {
namespace {

using Clk = std::chrono::steady_clock;

struct Result {
  size_t ops = 0;
  double secs = 0;
  std::vector<double> lat_us;
  double per_s() const { return static_cast<double>(ops) / secs; }
  double pct(double q) {
    if (lat_us.empty()) return 0;
    std::sort(lat_us.begin(), lat_us.end());
    return lat_us[std::min(lat_us.size() - 1, static_cast<size_t>(q * static_cast<double>(lat_us.size())))];
  }
};

template <typename F>
Result run_for(double seconds, F&& op) {
  Result r;
  auto start = Clk::now();
  auto end = start + std::chrono::duration<double>(seconds);
  while (Clk::now() < end) {
    auto t0 = Clk::now();
    op();
    r.lat_us.push_back(std::chrono::duration<double, std::micro>(Clk::now() - t0).count());
    ++r.ops;
  }
  r.secs = std::chrono::duration<double>(Clk::now() - start).count();
  return r;
}

void row(const char* what, Result& r, const char* note = "") {
  std::printf("| %s | %.0f | %.1f | %.1f | %s |\n", what, r.per_s(), r.pct(0.5), r.pct(0.99), note);
  std::fflush(stdout);
}

std::map<std::string, std::string> signed_headers(const crypto::Ed25519KeyPair& key, const std::string& method,
                                                  const std::string& target, const std::string& body) {
  std::map<std::string, std::string> h = {{"content-type", "application/json"}};
  for (auto& [k, v] : signed_request_headers(key, method, target, body, SystemClock::instance().now_ms(), random_hex(12)))
    h[k] = v;
  return h;
}

// n keep-alive connections, each sending signed requests back to back.
Result http_load(uint16_t port, int connections, double seconds, const crypto::Ed25519KeyPair& key,
                 const std::string& method, const std::string& target, const std::string& body) {
  std::atomic<size_t> ops{0};
  std::vector<std::vector<double>> lats(connections);
  std::atomic<bool> failed{false};
  auto start = Clk::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < connections; ++c) {
    threads.emplace_back([&, c] {
      test::Connection conn(port);
      auto end = start + std::chrono::duration<double>(seconds);
      while (Clk::now() < end) {
        auto h = signed_headers(key, method, target, body);
        std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
        for (auto& [k, v] : h) req += k + ": " + v + "\r\n";
        req += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
        auto t0 = Clk::now();
        if (!conn.send(req)) break;
        auto r = conn.read_response();
        if (r.status != 200) {
          if (!failed.exchange(true)) std::fprintf(stderr, "HTTP %d: %s\n", r.status, r.body.c_str());
          break;
        }
        lats[c].push_back(std::chrono::duration<double, std::micro>(Clk::now() - t0).count());
        ++ops;
      }
    });
  }
  for (auto& t : threads) t.join();
  Result r;
  r.ops = ops;
  r.secs = std::chrono::duration<double>(Clk::now() - start).count();
  for (auto& l : lats) r.lat_us.insert(r.lat_us.end(), l.begin(), l.end());
  return r;
}

int run(int argc, char** argv) {
  double seconds = argc > 1 ? std::atof(argv[1]) : 3.0;
  int connections = argc > 2 ? std::atoi(argv[2]) : 2;
  if (sodium_init() < 0) return 1;
  std::string dir = (std::filesystem::temp_directory_path() / ("anarq-qlock-bench-" + random_hex(4))).string();
  Config config;
  config.data_dir = dir;
  config.listen = "127.0.0.1:0";
  config.log_level = "off";
  config.threads = 2;
  auto node = std::make_unique<Node>(config);
  if (Status s = node->start(); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.to_string().c_str());
    return 1;
  }
  std::printf("| case | ops/s | p50 µs | p99 µs | note |\n|---|---|---|---|---|\n");

  // 1. Raw verify against the authenticated pipeline, interleaved in 100 ms
  //    slices so that both see the same machine (a shared host's load moves
  //    by more than the difference being measured).
  auto key = crypto::ed25519_generate();
  std::string msg(200, 'm');
  std::string sig = crypto::ed25519_sign(key, msg);
  const std::string empty;
  // Headers are signed ahead (the client's cost, not the node's), each with its own nonce.
  std::vector<std::map<std::string, std::string>> pre;
  for (int i = 0; i < static_cast<int>(seconds * 25000); ++i) pre.push_back(signed_headers(key, "GET", "/node/v1/info", ""));
  size_t next = 0;
  Result raw, auth;
  auto slices = static_cast<int>(seconds * 10);
  for (int k = 0; k < slices; ++k) {
    Result a = run_for(0.1, [&] {
      if (crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(sig.data()),
                                      reinterpret_cast<const unsigned char*>(msg.data()), msg.size(),
                                      reinterpret_cast<const unsigned char*>(key.public_key().data())) != 0)
        std::abort();
    });
    Result b = run_for(0.1, [&] {
      Call c;
      c.tool_name = "node.info";
      c.ctx = node->pipeline().new_context(Transport::kHttp, pre[next++ % pre.size()]);
      c.ctx.method = "GET";
      c.ctx.target = "/node/v1/info";
      c.ctx.body = &empty;
      (void)node->pipeline().execute(c);
      if (c.http_status != 200) {
        std::fprintf(stderr, "signed call refused: %s\n", c.envelope.dump().c_str());
        std::abort();
      }
    });
    for (Result* r : {&a, &b}) {
      Result& into = r == &a ? raw : auth;
      into.ops += r->ops;
      into.secs += r->secs;
      into.lat_us.insert(into.lat_us.end(), r->lat_us.begin(), r->lat_us.end());
    }
  }
  if (next > pre.size()) std::fprintf(stderr, "note: nonces reused; raise the pre-signed count\n");
  row("raw crypto_sign_verify_detached", raw);
  char note[64];
  std::snprintf(note, sizeof note, "%.2fx raw verify (interleaved)", auth.per_s() / raw.per_s());
  row("signed node.info through the pipeline", auth, note);
  Result unsigned_info = run_for(seconds, [&] {
    Call c;
    c.tool_name = "node.info";
    c.ctx = node->pipeline().new_context(Transport::kHttp);
    (void)node->pipeline().execute(c);
  });
  row("unsigned node.info through the pipeline", unsigned_info);

  // 2. qlock in-process (CLI transport: the operator's identity).
  std::string kib(1024, 'x');
  Result sign = run_for(seconds, [&] {
    Call c = node->call("qlock.sign", {{"data", kib}});
    if (c.http_status != 200) std::abort();
  });
  row("qlock.sign 1 KiB, in-process", sign, "Ed25519 + audited use (durable commit)");
  Result enc = run_for(seconds, [&] {
    Call c = node->call("qlock.encrypt", {{"data", kib}});
    if (c.http_status != 200) std::abort();
  });
  row("qlock.encrypt 1 KiB, in-process", enc, "XChaCha20-Poly1305 + audited use");
  Call one = node->call("qlock.sign", {{"data", kib}});
  Json verify_in = {{"data", kib}, {"signature", one.envelope["data"]["signature"]}};
  Result ver = run_for(seconds, [&] {
    Call c = node->call("qlock.verify", verify_in);
    if (c.http_status != 200) std::abort();
  });
  row("qlock.verify 1 KiB, in-process", ver, "no key, no write");

  // 3. Over HTTP, signed, keep-alive.
  std::promise<uint16_t> ready;
  std::thread server([&] {
    (void)node->serve([&](const std::string& url) {
      ready.set_value(static_cast<uint16_t>(std::stoi(url.substr(url.rfind(':') + 1))));
    });
  });
  uint16_t port = ready.get_future().get();
  auto other = crypto::ed25519_generate();
  // Keys are for registered identities: `other` registers (BYOK) before it signs.
  if (node->call_as("squid.create", {{"name", "bench"}}, IdentityRef{crypto::did_key_from_ed25519(other.public_key()), "", ""})
          .http_status >= 300)
    std::abort();
  Result info = http_load(port, connections, seconds, other, "GET", "/node/v1/info", "");
  row("signed GET /node/v1/info over HTTP", info, "keep-alive connections");
  std::string body = Json{{"data", kib}}.dump();
  Result hs = http_load(port, connections, seconds, other, "POST", "/qlock/v1/sign", body);
  row("signed qlock.sign 1 KiB over HTTP", hs);
  Result he = http_load(port, connections, seconds, other, "POST", "/qlock/v1/encrypt", body);
  row("signed qlock.encrypt 1 KiB over HTTP", he);
  node->stop();
  server.join();
  node.reset();
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace anarq

int main(int argc, char** argv) { return anarq::run(argc, argv); }
