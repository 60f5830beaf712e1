#include "core/fault.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <set>
#include <string>

namespace anarq::fault {
namespace {

std::atomic<bool> g_any{false};
std::mutex g_mu;
std::set<std::string, std::less<>>& points() {
  static std::set<std::string, std::less<>> p;
  return p;
}

}  // namespace

void arm(std::string_view list) {
  std::lock_guard lock(g_mu);
  points().clear();
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(',', start);
    if (end == std::string_view::npos) end = list.size();
    if (end > start) points().emplace(list.substr(start, end - start));
    start = end + 1;
  }
  g_any.store(!points().empty(), std::memory_order_release);
}

void arm_from_env() {
  const char* v = std::getenv("ANARQ_FAULTS");
  if (v && *v) arm(v);
}

bool armed(std::string_view name) {
  if (!g_any.load(std::memory_order_acquire)) return false;
  std::lock_guard lock(g_mu);
  return points().find(name) != points().end();
}

void point(std::string_view name) {
  if (armed(name)) ::_exit(kFaultExitCode);
}

}  // namespace anarq::fault
