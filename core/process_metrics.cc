#include "core/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>

namespace anarq {

void collect_process_metrics(Metrics& m) {
  // /proc/self/stat: fields after the command name (which may hold spaces)
  // start at state (3); utime 14, stime 15, num_threads 20, starttime 22,
  // vsize 23, rss 24 (pages).
  std::ifstream stat("/proc/self/stat");
  std::string line;
  if (std::getline(stat, line)) {
    size_t close = line.rfind(')');
    if (close != std::string::npos) {
      std::istringstream in(line.substr(close + 2));
      std::string field[24];
      for (int i = 3; i <= 24 && in >> field[i - 1]; ++i) {
      }
      const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
      const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
      auto num = [&](int n) { return std::strtod(field[n - 1].c_str(), nullptr); };
      {
        // A counter: Metrics counters only go up by deltas.
        static std::mutex mu;
        static double reported = 0;
        std::lock_guard lock(mu);
        double cpu = (num(14) + num(15)) / tick;
        if (cpu > reported) {
          m.inc("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", {}, cpu - reported);
          reported = cpu;
        }
      }
      m.set("process_threads", "Number of OS threads in the process.", {}, num(20));
      m.set("process_virtual_memory_bytes", "Virtual memory size in bytes.", {}, num(23));
      m.set("process_resident_memory_bytes", "Resident memory size in bytes.", {}, num(24) * page);
      // starttime is in ticks since boot; boot time comes from /proc/stat.
      std::ifstream sys("/proc/stat");
      std::string key;
      double btime = 0;
      while (sys >> key) {
        if (key == "btime") {
          sys >> btime;
          break;
        }
        std::getline(sys, key);
      }
      if (btime > 0)
        m.set("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", {},
              btime + num(22) / tick);
    }
  }
  if (DIR* d = ::opendir("/proc/self/fd")) {
    int n = 0;
    while (struct dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') ++n;
    ::closedir(d);
    m.set("process_open_fds", "Number of open file descriptors.", {}, n - 1);  // minus the one opendir holds
  }
  struct rlimit lim {};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY)
    m.set("process_max_fds", "Maximum number of open file descriptors.", {}, static_cast<double>(lim.rlim_cur));
}

}  // namespace anarq
