#include "core/metrics.h"

#include <cmath>
#include <charconv>

namespace anarq {
namespace {

std::string render_labels(const Labels& labels) {
  std::string out;
  for (const auto& [k, v] : labels) {
    out += out.empty() ? "" : ",";
    out += k + "=\"" + escape_label_value(v) + "\"";
  }
  return out;
}

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip form
  return ec == std::errc() ? std::string(buf, end) : std::string("NaN");
}

std::string with_le(const std::string& labels, const std::string& le) {
  return "{" + labels + (labels.empty() ? "" : ",") + "le=\"" + le + "\"}";
}

}  // namespace

std::string escape_label_value(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

Metrics::Family& Metrics::family(const std::string& name, Type type, const std::string& help) {
  auto it = families_.find(name);
  if (it == families_.end()) it = families_.emplace(name, Family{type, help, {}, {}}).first;
  return it->second;
}

void Metrics::inc(const std::string& name, const std::string& help, const Labels& labels, double delta) {
  std::lock_guard lock(mu_);
  family(name, Type::kCounter, help).series[render_labels(labels)].value += delta;
}

void Metrics::set(const std::string& name, const std::string& help, const Labels& labels, double value) {
  std::lock_guard lock(mu_);
  family(name, Type::kGauge, help).series[render_labels(labels)].value = value;
}

void Metrics::observe(const std::string& name, const std::string& help, const Labels& labels, double value,
                      const std::vector<double>& buckets) {
  std::lock_guard lock(mu_);
  Family& f = family(name, Type::kHistogram, help);
  if (f.bounds.empty()) f.bounds = buckets;
  Series& s = f.series[render_labels(labels)];
  if (s.buckets.empty()) s.buckets.assign(f.bounds.size() + 1, 0);
  size_t i = 0;
  while (i < f.bounds.size() && value > f.bounds[i]) ++i;
  ++s.buckets[i];
  s.sum += value;
  ++s.count;
}

std::string Metrics::render() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& [name, f] : families_) {
    static const char* kTypes[] = {"counter", "gauge", "histogram"};
    out += "# HELP " + name + " " + f.help + "\n";
    out += "# TYPE " + name + " " + kTypes[static_cast<int>(f.type)] + "\n";
    for (const auto& [labels, s] : f.series) {
      if (f.type != Type::kHistogram) {
        out += name + (labels.empty() ? "" : "{" + labels + "}") + " " + number(s.value) + "\n";
        continue;
      }
      uint64_t cumulative = 0;
      for (size_t i = 0; i < f.bounds.size(); ++i) {
        cumulative += s.buckets[i];
        out += name + "_bucket" + with_le(labels, number(f.bounds[i])) + " " + std::to_string(cumulative) + "\n";
      }
      cumulative += s.buckets.back();
      out += name + "_bucket" + with_le(labels, "+Inf") + " " + std::to_string(cumulative) + "\n";
      std::string braces = labels.empty() ? "" : "{" + labels + "}";
      out += name + "_sum" + braces + " " + number(s.sum) + "\n";
      out += name + "_count" + braces + " " + std::to_string(s.count) + "\n";
    }
  }
  return out;
}

}  // namespace anarq
