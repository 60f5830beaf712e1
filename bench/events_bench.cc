// Event bus throughput and latency (issue 4): durable publish -> deliver with
// 1 and 4 subscribers, in-process (live subscriptions on the dispatcher) and
// over Server-Sent Events on loopback sockets; durable-consumer fetch+ack; and
// publish-to-deliver latency percentiles. Every publish is a durable commit
// (SQLite WAL, synchronous=FULL) unless the batch column says otherwise.
//
//   build/release/bench/anarq_events_bench [events=5000]
//
// Prints a Markdown table; docs/performance.md has the figures and the command.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <thread>

#include "app/node.h"
#include "core/ids.h"
#include "core/json.h"
#include "tests/sse_client.h"

namespace anarq {
namespace {

using Clk = std::chrono::steady_clock;

int64_t now_ns() { return std::chrono::duration_cast<std::chrono::nanoseconds>(Clk::now().time_since_epoch()).count(); }

struct Stats {
  double msgs_per_s = 0;
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
};

Stats summarise(std::vector<int64_t>& lat_ns, size_t delivered, double secs) {
  Stats s;
  s.msgs_per_s = static_cast<double>(delivered) / secs;
  if (lat_ns.empty()) return s;
  std::sort(lat_ns.begin(), lat_ns.end());
  auto at = [&](double q) { return static_cast<double>(lat_ns[std::min(lat_ns.size() - 1, static_cast<size_t>(q * lat_ns.size()))]) / 1e6; };
  s.p50_ms = at(0.50);
  s.p99_ms = at(0.99);
  s.max_ms = static_cast<double>(lat_ns.back()) / 1e6;
  return s;
}

void row(const char* path, int subs, int batch, size_t n, const Stats& s) {
  std::printf("| %s | %d | %d | %zu | %.0f | %.2f | %.2f | %.2f |\n", path, subs, batch, n, s.msgs_per_s, s.p50_ms,
              s.p99_ms, s.max_ms);
  std::fflush(stdout);
}

// Publishes n events, `batch` per transaction; the payload carries the send time.
void publish(Node& node, size_t n, int batch) {
  size_t sent = 0;
  while (sent < n) {
    Status s = node.db().transaction([&](Tx& tx) -> Status {
      for (int i = 0; i < batch && sent < n; ++i, ++sent) {
        bus::EventDraft d;
        d.topic = "q.bench.tick.v1";
        d.source = "bench";
        d.actor = {{"squidId", node.operator_identity().squid_id}};
        d.payload = {{"n", static_cast<int64_t>(sent)}, {"t", now_ns()}};
        auto p = node.bus().publish(tx, d);
        if (!p.ok()) return p.status();
      }
      return {};
    });
    if (!s.ok()) {
      std::fprintf(stderr, "publish failed: %s\n", s.to_string().c_str());
      std::exit(1);
    }
  }
}

int64_t sent_at(const std::string& envelope) {
  // The payload's "t" without a full parse would be faster, but subscribers parse in real life too.
  auto j = parse_json(envelope);
  return j.ok() ? (*j)["payload"].value("t", int64_t{0}) : 0;
}

Stats in_process(Node& node, int subs, size_t n, int batch) {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<int64_t> lat;
  lat.reserve(n * subs);
  size_t got = 0;
  std::vector<bus::Bus::Subscription> handles;
  for (int i = 0; i < subs; ++i) {
    auto h = node.bus().subscribe("q.bench.>", bus::Bus::kFromNow, [&](const bus::StoredEvent& e) {
      int64_t l = now_ns() - sent_at(e.envelope);
      std::lock_guard lock(mu);
      lat.push_back(l);
      if (++got == n * subs) cv.notify_all();
    });
    if (!h.ok()) std::exit(1);
    handles.push_back(std::move(*h));
  }
  auto t0 = Clk::now();
  publish(node, n, batch);
  std::unique_lock lock(mu);
  cv.wait_for(lock, std::chrono::minutes(5), [&] { return got == n * subs; });
  double secs = std::chrono::duration<double>(Clk::now() - t0).count();
  return summarise(lat, got, secs);
}

Stats over_sse(Node& node, uint16_t port, int subs, size_t n, int batch) {
  auto head = node.bus().log().last_seq();
  std::atomic<size_t> got{0};
  std::mutex mu;
  std::vector<int64_t> lat;
  std::vector<std::thread> readers;
  std::atomic<int> connected{0};
  for (int i = 0; i < subs; ++i) {
    readers.emplace_back([&] {
      test::SseClient c(port, "/events/stream?subject=q.bench.%3E&after=" + std::to_string(*head));
      ++connected;
      std::vector<int64_t> mine;
      for (size_t k = 0; k < n; ++k) {
        auto e = c.next(60'000);
        if (!e) break;
        mine.push_back(now_ns() - sent_at(e->data));
        ++got;
      }
      std::lock_guard lock(mu);
      lat.insert(lat.end(), mine.begin(), mine.end());
    });
  }
  while (connected < subs) std::this_thread::yield();
  auto t0 = Clk::now();
  publish(node, n, batch);
  for (auto& t : readers) t.join();
  double secs = std::chrono::duration<double>(Clk::now() - t0).count();
  return summarise(lat, got, secs);
}

Stats durable(Node& node, size_t n) {
  auto head = node.bus().log().last_seq();
  bus::ConsumerConfig c;
  c.name = "bench-" + random_hex(4);
  c.pattern = "q.bench.>";
  c.deliver = "seq";
  c.start_seq = *head + 1;
  c.owner = "bench";
  if (!node.bus().consumers().ensure(c).ok()) std::exit(1);
  publish(node, n, 100);
  auto t0 = Clk::now();
  size_t got = 0;
  std::vector<int64_t> none;
  while (got < n) {
    auto msgs = node.bus().consumers().fetch(c.name, 1000, "bench");
    if (!msgs.ok() || msgs->empty()) break;
    std::vector<int64_t> seqs;
    for (const auto& m : *msgs) seqs.push_back(m.event.seq);
    if (!node.bus().consumers().ack(c.name, seqs, "bench").ok()) std::exit(1);
    got += msgs->size();
  }
  double secs = std::chrono::duration<double>(Clk::now() - t0).count();
  return summarise(none, got, secs);
}

}  // namespace
}  // namespace anarq

int main(int argc, char** argv) {
  using namespace anarq;
  size_t n = argc > 1 ? std::stoul(argv[1]) : 5000;
  std::string dir = (std::filesystem::temp_directory_path() / ("anarq-events-bench-" + random_hex(4))).string();
  Config config;
  config.data_dir = dir;
  config.listen = "127.0.0.1:0";
  config.log_level = "off";
  config.threads = 1;
  Node node(config);
  if (Status s = node.start(); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.to_string().c_str());
    return 1;
  }
  Call reg = node.call("registry.register",
                       {{"topic", "q.bench.tick.v1"},
                        {"schema", {{"type", "object"}, {"required", {"n", "t"}},
                                    {"properties", {{"n", {{"type", "integer"}}}, {"t", {{"type", "integer"}}}}}}}});
  if (reg.http_status != 200) {
    std::fprintf(stderr, "%s\n", reg.body.c_str());
    return 1;
  }
  std::mutex mu;
  std::condition_variable cv;
  uint16_t port = 0;
  std::thread server([&] {
    (void)node.serve([&](const std::string& url) {
      std::lock_guard lock(mu);
      port = static_cast<uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));
      cv.notify_all();
    });
  });
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return port != 0; });
  }
  std::printf("| path | subscribers | events per commit | events | delivered msgs/s | p50 ms | p99 ms | max ms |\n");
  std::printf("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
  for (int batch : {1, 100})
    for (int subs : {1, 4}) row("in-process (live)", subs, batch, n, in_process(node, subs, n, batch));
  for (int batch : {1, 100})
    for (int subs : {1, 4}) row("SSE over loopback", subs, batch, n, over_sse(node, port, subs, n, batch));
  row("durable consumer fetch+ack (1000/fetch)", 1, 100, n, durable(node, n));
  node.stop();
  server.join();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return 0;
}
