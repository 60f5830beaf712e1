#pragma once
// Metrics primitives: counters, gauges and histograms with labels, rendered in
// the Prometheus text exposition format (version 0.0.4). Thread-safe: one mutex
// per registry; updates are a map lookup and an add.
//
//   Metrics m;
//   m.inc("anarq_tool_requests_total", "Tool calls.", {{"tool", "node.info"}});
//   m.observe("anarq_tool_duration_seconds", "Latency.", {{"tool", "node.info"}}, 0.0012, kLatencyBuckets);
//   std::string text = m.render();
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace anarq {

using Labels = std::vector<std::pair<std::string, std::string>>;

inline const std::vector<double> kLatencyBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                    0.05,   0.1,   0.25,   0.5,   1,     2.5, 5, 10};
inline const std::vector<double> kSizeBuckets = {64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216};

class Metrics {
 public:
  void inc(const std::string& name, const std::string& help, const Labels& labels, double delta = 1);
  void set(const std::string& name, const std::string& help, const Labels& labels, double value);
  void observe(const std::string& name, const std::string& help, const Labels& labels, double value,
               const std::vector<double>& buckets);
  std::string render() const;

 private:
  enum class Type { kCounter, kGauge, kHistogram };
  struct Series {
    double value = 0;               // counter / gauge
    std::vector<uint64_t> buckets;  // histogram, non-cumulative
    double sum = 0;
    uint64_t count = 0;
  };
  struct Family {
    Type type;
    std::string help;
    std::vector<double> bounds;
    std::map<std::string, Series> series;  // key: rendered label set
  };
  Family& family(const std::string& name, Type type, const std::string& help);

  mutable std::mutex mu_;
  std::map<std::string, Family> families_;
};

// Escapes a label value per the exposition format (\\, \", \n).
std::string escape_label_value(const std::string& v);

}  // namespace anarq
