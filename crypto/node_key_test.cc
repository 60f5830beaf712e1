#include "crypto/node_key.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "core/ids.h"

namespace anarq::crypto {
namespace {

class NodeKeyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() / ("anarq-key-" + random_hex(6))).string();
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(NodeKeyTest, CreatedOnceWith0600AndReloaded) {
  auto a = load_or_create_node_key(dir_);
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  struct stat st {};
  ASSERT_EQ(::stat((dir_ + "/node.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto b = load_or_create_node_key(dir_);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->public_key(), b->public_key());
}

TEST_F(NodeKeyTest, RefusesLooseModeAndGarbage) {
  ASSERT_TRUE(load_or_create_node_key(dir_).ok());
  ::chmod((dir_ + "/node.key").c_str(), 0644);
  EXPECT_EQ(load_or_create_node_key(dir_).status().code(), "SERVICE_UNAVAILABLE");
  std::ofstream(dir_ + "/node.key") << "not a key";
  ::chmod((dir_ + "/node.key").c_str(), 0600);
  EXPECT_FALSE(load_or_create_node_key(dir_).ok());
}

}  // namespace
}  // namespace anarq::crypto
