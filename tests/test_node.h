#pragma once
// A node serving HTTP on a free loopback port in a background thread, with a
// private temp data dir; stopped (gracefully) and removed on destruction.
#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "app/node.h"
#include "core/ids.h"

namespace anarq::test {

inline std::string temp_dir(const std::string& prefix) {
  auto dir = std::filesystem::temp_directory_path() / (prefix + "-" + random_hex(8));
  std::filesystem::create_directories(dir);
  return dir.string();
}

class ServedNode {
 public:
  // data_dir: serve an existing data dir (kept on destruction: restarts);
  // empty = a fresh temp dir, removed on destruction.
  explicit ServedNode(Config config = {}, std::string data_dir = "", bool expect_start_failure = false)
      : keep_(!data_dir.empty()) {
    dir_ = keep_ ? data_dir : temp_dir("anarq-test");
    config.data_dir = dir_;
    config.listen = "127.0.0.1:0";
    if (config.threads == 0) config.threads = 2;
    config.log_level = "off";
    node_ = std::make_unique<Node>(config);
    Status s = node_->start();
    start_status_ = s;
    if (!expect_start_failure) {
      EXPECT_TRUE(s.ok()) << s.to_string();
    }
    if (!s.ok()) return;
    thread_ = std::thread([this] {
      Status st = node_->serve([this](const std::string& url) {
        std::lock_guard lock(mu_);
        port_ = static_cast<uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));
        cv_.notify_all();
      });
      std::lock_guard lock(mu_);
      serve_status_ = st;
      done_ = true;
      cv_.notify_all();
    });
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return port_ != 0 || done_; });
  }
  ~ServedNode() {
    stop();
    node_.reset();
    std::error_code ec;
    if (!keep_) std::filesystem::remove_all(dir_, ec);
  }
  void stop() {
    if (thread_.joinable()) {
      node_->stop();
      thread_.join();
    }
  }
  uint16_t port() const { return port_; }
  const Status& start_status() const { return start_status_; }
  Node& node() { return *node_; }
  const std::string& dir() const { return dir_; }

 private:
  bool keep_ = false;
  std::string dir_;
  std::unique_ptr<Node> node_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  uint16_t port_ = 0;
  bool done_ = false;
  Status serve_status_;
  Status start_status_;
};

}  // namespace anarq::test
