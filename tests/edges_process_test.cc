// The real binary at its file-descriptor limit (issue 10): 1 100 idle
// connections under `ulimit -n 1024` must neither spin the server nor leave
// new clients hanging, and SIGTERM still stops it.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/json.h"
#include "tests/http_client.h"
#include "tests/test_node.h"

#ifndef ANARQ_BIN
#error "ANARQ_BIN must name the anarq binary"
#endif

namespace anarq::test {
namespace {

double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(in, line);
  std::istringstream rest(line.substr(line.rfind(')') + 2));
  std::string f;
  double utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> f; ++i) {
    if (i == 14) utime = std::stod(f);
    if (i == 15) stime = std::stod(f);
  }
  return (utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

int connect_idle(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// A child anarq serving on a free port with its stderr in a pipe.
struct Child {
  pid_t pid = -1;
  uint16_t port = 0;
  int err = -1;
  std::string dir;
  std::string stderr_text;

  // nofile > 0: the child's descriptor limit, soft and hard (ulimit -n).
  explicit Child(const std::vector<std::string>& args, rlim_t nofile = 0) {
    dir = temp_dir("anarq-child");
    int out[2], errp[2];
    if (::pipe(out) != 0 || ::pipe(errp) != 0) return;
    pid = ::fork();
    if (pid == 0) {
      if (nofile > 0) {
        struct rlimit lim = {nofile, nofile};
        ::setrlimit(RLIMIT_NOFILE, &lim);
      }
      ::dup2(out[1], 1);
      ::dup2(errp[1], 2);
      std::vector<std::string> all = {ANARQ_BIN, "--data-dir", dir};
      all.insert(all.end(), args.begin(), args.end());
      std::vector<char*> argv;
      for (auto& a : all) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(ANARQ_BIN, argv.data());
      ::_exit(127);
    }
    ::close(out[1]);
    ::close(errp[1]);
    err = errp[0];
    std::string text;
    char buf[512];
    while (port == 0) {
      ssize_t n = ::read(out[0], buf, sizeof buf);
      if (n <= 0) break;
      text.append(buf, static_cast<size_t>(n));
      auto at = text.find("listening on http://127.0.0.1:");
      if (at != std::string::npos && text.find('\n', at) != std::string::npos)
        port = static_cast<uint16_t>(std::stoi(text.substr(at + 30)));
    }
    ::close(out[0]);
  }
  // Stops the child (SIGTERM) and returns everything it wrote on stderr.
  std::string stop() {
    if (pid > 0) {
      ::kill(pid, SIGTERM);
      char buf[4096];
      ssize_t n;
      while ((n = ::read(err, buf, sizeof buf)) > 0) stderr_text.append(buf, static_cast<size_t>(n));
      int status = 0;
      ::waitpid(pid, &status, 0);
      pid = -1;
    }
    return stderr_text;
  }
  ~Child() {
    stop();
    if (err >= 0) ::close(err);
    std::filesystem::remove_all(dir);
  }
};

TEST(EdgesProcess, AtTheDescriptorLimitTheServerNeitherSpinsNorHangsClients) {
  // This test holds 1 100 sockets itself.
  struct rlimit mine {};
  ::getrlimit(RLIMIT_NOFILE, &mine);
  if (mine.rlim_max < 4096) GTEST_SKIP() << "needs a hard descriptor limit of 4096 here";
  struct rlimit raised = {4096, mine.rlim_max};
  ::setrlimit(RLIMIT_NOFILE, &raised);

  Child node({"--log-level", "off", "serve", "--listen", "127.0.0.1:0"}, /*nofile=*/1024);
  ASSERT_NE(node.port, 0);
  const uint16_t port = node.port;
  const pid_t pid = node.pid;

  std::vector<int> idle;
  for (int i = 0; i < 1100; ++i) {
    int fd = connect_idle(port);
    if (fd >= 0) idle.push_back(fd);
  }
  EXPECT_GE(idle.size(), 1000u);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let the server take what it can
  // A new client gets an answer (served or refused with 503), not a timeout.
  auto t0 = std::chrono::steady_clock::now();
  auto r = request(port, "GET", "/health");
  auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_TRUE(r.status == 200 || r.status == 503) << r.status << " after " << waited << " ms";
  // Idle, the server does not spin: well under a core-second in two seconds.
  double before = cpu_seconds(pid);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  double spent = cpu_seconds(pid) - before;
  EXPECT_LT(spent, 0.5) << "CPU seconds spent while 1 100 connections sat idle";

  for (int fd : idle) ::close(fd);
  bool healthy = false;
  for (int i = 0; i < 50 && !healthy; ++i) {
    healthy = request(port, "GET", "/health").status == 200;
    if (!healthy) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(healthy) << "serves again once the idle connections are gone";
  auto t1 = std::chrono::steady_clock::now();
  node.stop();  // SIGTERM, then waits for the exit
  EXPECT_LT(std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - t1).count(), 30)
      << "SIGTERM stops the node";
}


TEST(EdgesProcess, EveryRequestLeavesOneAccessLineAtTheDefaultLevel) {
  Child node({"serve", "--listen", "127.0.0.1:0"});
  ASSERT_NE(node.port, 0);
  ASSERT_EQ(request(node.port, "GET", "/node/v1/info", {{"x-request-id", "req-access-1"}}).status, 200);
  ASSERT_EQ(request(node.port, "GET", "/no/such/route", {{"x-request-id", "req-access-2"}}).status, 404);
  std::string log = node.stop();
  std::vector<Json> access;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    auto j = parse_json(line);
    if (j.ok() && j->is_object() && j->value("msg", "") == "access") access.push_back(*j);
  }
  ASSERT_EQ(access.size(), 2u) << log;
  EXPECT_EQ(access[0]["method"], "GET");
  EXPECT_EQ(access[0]["route"], "node.info");
  EXPECT_EQ(access[0]["status"], 200);
  EXPECT_EQ(access[0]["requestId"], "req-access-1");
  EXPECT_TRUE(access[0]["ms"].is_number());
  EXPECT_EQ(access[1]["route"], "unmatched");
  EXPECT_EQ(access[1]["status"], 404);
}

}  // namespace
}  // namespace anarq::test
