#pragma once
// The client side of tests/bad_input_test.cc: the real binary run as a child
// process (so that a crash in the node is observed and reported, not the end
// of the test binary), and one HTTP/1.1 exchange with a deadline that tells an
// answer from a dropped connection and from a hang. A large body is sent while
// watching for an early answer (a 413 given on the headers alone).
// Not thread-safe: one NodeProcess per test, exchanges from one thread.
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace anarq::test {

struct Answer {
  enum class Kind { kAnswered, kNoConnect, kDropped, kTimeout } kind = Kind::kNoConnect;
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  double seconds = 0;
};

namespace probe_detail {

inline int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Parses a complete response out of `in`; false while more bytes are needed.
// at_eof: the peer closed, so a response without a length ends here.
inline bool parse_response(const std::string& in, bool at_eof, Answer& a) {
  size_t head_end = in.find("\r\n\r\n");
  if (head_end == std::string::npos) return false;
  std::istringstream head(in.substr(0, head_end));
  std::string line;
  std::getline(head, line);
  if (line.size() < 12 || line.compare(0, 5, "HTTP/") != 0) return false;
  a.status = std::atoi(line.c_str() + 9);
  a.headers.clear();
  while (std::getline(head, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), ::tolower);
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    a.headers[name] = value;
  }
  size_t pos = head_end + 4;
  if (a.headers["transfer-encoding"] == "chunked") {
    std::string body;
    for (;;) {
      size_t eol = in.find("\r\n", pos);
      if (eol == std::string::npos) return false;
      size_t n = std::strtoul(in.c_str() + pos, nullptr, 16);
      if (in.size() < eol + 2 + n + 2) return false;
      body.append(in, eol + 2, n);
      pos = eol + 2 + n + 2;
      if (n == 0) break;
    }
    a.body = std::move(body);
    return true;
  }
  if (a.headers.count("content-length")) {
    size_t length = std::strtoul(a.headers["content-length"].c_str(), nullptr, 10);
    if (in.size() < pos + length) return false;
    a.body = in.substr(pos, length);
    return true;
  }
  if (a.status == 204 || a.status == 304 || (a.status >= 100 && a.status < 200)) return true;
  if (!at_eof) return false;
  a.body = in.substr(pos);
  return true;
}

}  // namespace probe_detail

// One request (head already formatted, ending in CRLF CRLF) and its answer, all
// within timeout_ms.
inline Answer exchange(uint16_t port, const std::string& head, const std::string& body, int timeout_ms) {
  using probe_detail::now_ms;
  Answer a;
  const int64_t start = now_ms(), deadline = start + timeout_ms;
  auto finish = [&](Answer::Kind k) {
    a.kind = k;
    a.seconds = static_cast<double>(now_ms() - start) / 1000.0;
    return a;
  };
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return finish(Answer::Kind::kNoConnect);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return finish(Answer::Kind::kNoConnect);
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  const std::string* parts[2] = {&head, &body};
  size_t part = 0, off = 0;
  std::string in;
  bool eof = false, timed_out = false;
  // Send, unless the node answers (or closes) first.
  while (part < 2) {
    if (off >= parts[part]->size()) {
      ++part;
      off = 0;
      continue;
    }
    int64_t left = deadline - now_ms();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fd, POLLIN | POLLOUT, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) break;
    ssize_t n = ::send(fd, parts[part]->data() + off, parts[part]->size() - off, MSG_NOSIGNAL);
    if (n > 0) off += static_cast<size_t>(n);
    else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) break;
  }
  // Read the answer.
  while (!timed_out) {
    if (probe_detail::parse_response(in, eof, a)) {
      ::close(fd);
      return finish(Answer::Kind::kAnswered);
    }
    if (eof) break;
    int64_t left = deadline - now_ms();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    char chunk[65536];
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n > 0) in.append(chunk, static_cast<size_t>(n));
    else if (n == 0) eof = true;
    else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) eof = true;
  }
  ::close(fd);
  a.body = in;
  return finish(timed_out ? Answer::Kind::kTimeout : Answer::Kind::kDropped);
}

// `anarq serve` as a child process: stdout carries the ready line, stderr
// (logs at level error, sanitizer reports) goes to a file kept across restarts.
class NodeProcess {
 public:
  NodeProcess(std::string binary, std::string data_dir, std::string log_path)
      : binary_(std::move(binary)), data_dir_(std::move(data_dir)), log_path_(std::move(log_path)) {}
  ~NodeProcess() { kill_hard(); }

  // Starts the node and waits (up to 60 s) for "listening on http://host:port".
  bool start(std::string& why) {
    int out[2];
    if (::pipe(out) != 0) {
      why = "pipe failed";
      return false;
    }
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], 1);
      ::close(out[0]);
      int log = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      ::dup2(log, 2);
      ::execl(binary_.c_str(), binary_.c_str(), "--data-dir", data_dir_.c_str(), "--log-level", "error", "serve",
              "--listen", "127.0.0.1:0", "--threads", "2", nullptr);
      ::_exit(127);
    }
    ::close(out[1]);
    out_fd_ = out[0];
    std::string line;
    const int64_t deadline = probe_detail::now_ms() + 60'000;
    while (line.find('\n') == std::string::npos) {
      pollfd p{out_fd_, POLLIN, 0};
      int64_t left = deadline - probe_detail::now_ms();
      if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) {
        why = "no ready line within 60 s";
        return false;
      }
      char c[256];
      ssize_t n = ::read(out_fd_, c, sizeof c);
      if (n <= 0) {
        why = "the node exited before it listened: " + death();
        return false;
      }
      line.append(c, static_cast<size_t>(n));
    }
    size_t colon = line.rfind(':');
    if (line.rfind("listening on http://", 0) != 0 || colon == std::string::npos) {
      why = "unexpected ready line: " + line;
      return false;
    }
    port_ = static_cast<uint16_t>(std::stoi(line.substr(colon + 1)));
    return true;
  }

  bool alive() {
    if (pid_ <= 0) return false;
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == 0) return true;
    status_ = status;
    pid_ = -1;
    close_out();
    return false;
  }

  // How the process ended (after alive() returned false).
  std::string death() {
    alive();
    if (WIFSIGNALED(status_)) return "killed by signal " + std::to_string(WTERMSIG(status_)) + " (" +
                                     strsignal(WTERMSIG(status_)) + ")";
    if (WIFEXITED(status_)) return "exited with status " + std::to_string(WEXITSTATUS(status_));
    return "ended (status " + std::to_string(status_) + ")";
  }

  // SIGTERM, then up to timeout_ms for a clean exit; false when it had to be killed.
  bool stop(int timeout_ms, std::string& how) {
    if (pid_ <= 0) {
      how = "not running";
      return false;
    }
    ::kill(pid_, SIGTERM);
    const int64_t deadline = probe_detail::now_ms() + timeout_ms;
    while (alive()) {
      if (probe_detail::now_ms() > deadline) {
        kill_hard();
        how = "still running " + std::to_string(timeout_ms) + " ms after SIGTERM (killed)";
        return false;
      }
      ::usleep(20'000);
    }
    how = death();
    return WIFEXITED(status_) && WEXITSTATUS(status_) == 0;
  }

  void kill_hard() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status_, 0);
      pid_ = -1;
    }
    close_out();
  }

  uint16_t port() const { return port_; }

  size_t log_size() const {
    std::ifstream f(log_path_, std::ios::ate | std::ios::binary);
    return f ? static_cast<size_t>(f.tellg()) : 0;
  }
  // The log from byte `from` on, at most max_bytes of its end.
  std::string log_since(size_t from, size_t max_bytes = 6000) const {
    std::ifstream f(log_path_, std::ios::binary);
    std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (from >= all.size()) return "";
    std::string s = all.substr(from);
    return s.size() > max_bytes ? "..." + s.substr(s.size() - max_bytes) : s;
  }
  // Log lines that contain `needle` (a request id).
  std::vector<std::string> log_lines_with(const std::string& needle, size_t max_lines = 4) const {
    std::vector<std::string> out;
    if (needle.empty()) return out;
    std::ifstream f(log_path_);
    std::string line;
    while (std::getline(f, line) && out.size() < max_lines)
      if (line.find(needle) != std::string::npos) out.push_back(line.substr(0, 1500));
    return out;
  }

 private:
  void close_out() {
    if (out_fd_ >= 0) ::close(out_fd_);
    out_fd_ = -1;
  }
  std::string binary_, data_dir_, log_path_;
  pid_t pid_ = -1;
  int status_ = 0;
  int out_fd_ = -1;
  uint16_t port_ = 0;
};

}  // namespace anarq::test
