#include "core/config.h"

#include <gtest/gtest.h>

#include <map>

namespace anarq {
namespace {

EnvLookup env_of(std::map<std::string, std::string> vars) {
  auto shared = std::make_shared<std::map<std::string, std::string>>(std::move(vars));
  return [shared](const char* name) -> const char* {
    auto it = shared->find(name);
    return it == shared->end() ? nullptr : it->second.c_str();
  };
}

TEST(ConfigTest, DefaultsAreTheDocumentedOnes) {
  Config c;
  ASSERT_TRUE(load_env(c, env_of({})).ok());
  EXPECT_EQ(c.data_dir, "./data");
  EXPECT_EQ(c.listen, "127.0.0.1:8080");
  EXPECT_EQ(c.max_body_bytes, 16 << 20);
  EXPECT_TRUE(c.modules.empty());
}

TEST(ConfigTest, EnvironmentOverridesDefaults) {
  Config c;
  ASSERT_TRUE(load_env(c, env_of({{"ANARQ_DATA_DIR", "/tmp/x"}, {"ANARQ_LISTEN", "0.0.0.0:0"},
                                  {"ANARQ_MODULES", "node, qindex"}, {"ANARQ_THREADS", "4"},
                                  {"ANARQ_MAX_BODY_BYTES", "2048"}, {"ANARQ_LOG_LEVEL", "debug"}}))
                  .ok());
  EXPECT_EQ(c.data_dir, "/tmp/x");
  EXPECT_EQ(c.listen, "0.0.0.0:0");
  EXPECT_EQ(c.modules, (std::vector<std::string>{"node", "qindex"}));
  EXPECT_EQ(c.threads, 4);
  EXPECT_EQ(c.max_body_bytes, 2048);
}

TEST(ConfigTest, MalformedValuesAreErrorsNotIgnored) {
  for (auto [k, v] : std::vector<std::pair<std::string, std::string>>{
           {"ANARQ_THREADS", "many"}, {"ANARQ_THREADS", "4x"}, {"ANARQ_THREADS", "-1"}, {"ANARQ_LISTEN", "nohost"},
           {"ANARQ_LISTEN", "h:99999"}, {"ANARQ_MAX_BODY_BYTES", "1"}, {"ANARQ_LOG_LEVEL", "loud"},
           {"ANARQ_READ_TIMEOUT_MS", "5"}}) {
    Config c;
    Status s = load_env(c, env_of({{k, v}}));
    EXPECT_EQ(s.code(), "VALIDATION_ERROR") << k << "=" << v;
  }
}

TEST(ConfigTest, HostPort) {
  auto a = parse_host_port("127.0.0.1:0");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->port, 0);
  auto b = parse_host_port("[::1]:8080");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->host, "::1");
  EXPECT_FALSE(parse_host_port(":80").ok());
  EXPECT_FALSE(parse_host_port("host:").ok());
  EXPECT_FALSE(parse_host_port("[::1:80").ok());
}

TEST(ConfigTest, SplitList) {
  EXPECT_EQ(split_list(" a, b ,,c "), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(split_list("").empty());
}

}  // namespace
}  // namespace anarq
