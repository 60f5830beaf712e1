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

TEST_F(NodeKeyTest, WrittenOnceWith0600AndReloaded) {
  auto a = ed25519_generate();
  const std::string path = dir_ + "/id.key";
  ASSERT_TRUE(write_new_key_file(path, a).ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto b = load_key_file(path);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a.public_key(), b->public_key());
  EXPECT_EQ(write_new_key_file(path, ed25519_generate()).code(), "VERSION_CONFLICT") << "never replaced";
  EXPECT_EQ(*load_secret_file(path), std::string(a.seed()));
}

TEST_F(NodeKeyTest, RefusesLooseModeAndGarbage) {
  const std::string path = dir_ + "/id.key";
  ASSERT_TRUE(write_new_secret_file(path, std::string(32, 'k')).ok());
  ::chmod(path.c_str(), 0644);
  EXPECT_EQ(load_secret_file(path).status().code(), "SERVICE_UNAVAILABLE");
  std::ofstream(path) << "not a key";
  ::chmod(path.c_str(), 0600);
  EXPECT_FALSE(load_key_file(path).ok());
  EXPECT_EQ(load_secret_file(dir_ + "/absent").status().code(), "NOT_FOUND");
}

}  // namespace
}  // namespace anarq::crypto
