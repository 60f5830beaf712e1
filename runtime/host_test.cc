#include "runtime/host.h"

#include <gtest/gtest.h>

#include "core/clock.h"

namespace anarq {
namespace {

class FakeModule : public Module {
 public:
  FakeModule(std::string name, std::vector<std::string> deps, std::vector<Migration> migrations = {},
             std::vector<std::string>* log = nullptr, bool fail_start = false)
      : name_(std::move(name)), deps_(std::move(deps)), migrations_(std::move(migrations)), log_(log), fail_(fail_start) {}
  std::string name() const override { return name_; }
  std::string version() const override { return "1.0.0"; }
  std::string description() const override { return "fake"; }
  std::vector<std::string> dependencies() const override { return deps_; }
  std::vector<Migration> migrations() const override { return migrations_; }
  std::vector<Tool> tools() override {
    Tool t;
    t.name = name_ + ".ping";
    t.description = "ping";
    t.input_schema = {{"type", "object"}};
    t.output_schema = {{"type", "object"}};
    t.http = {"GET", "/" + name_ + "/v1/ping"};
    t.handler = [](Context&, const Json&) -> Result<Reply> { return Json::object(); };
    return {t};
  }
  Status start(const ModuleEnv&) override {
    if (log_) log_->push_back("start " + name_);
    return fail_ ? Status::unavailable("nope") : Status();
  }
  void stop() override {
    if (log_) log_->push_back("stop " + name_);
  }

 private:
  std::string name_;
  std::vector<std::string> deps_;
  std::vector<Migration> migrations_;
  std::vector<std::string>* log_;
  bool fail_;
};

class HostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = open_sqlite(":memory:");
    ASSERT_TRUE(db.ok());
    db_ = std::move(*db);
    env_.db = db_.get();
    env_.clock = &clock_;
    env_.config = &config_;
  }
  void add(const std::string& name, std::vector<std::string> deps, std::vector<Migration> m = {}, bool fail = false) {
    catalog_.try_add(name, [=, this] { return std::make_unique<FakeModule>(name, deps, m, &log_, fail); });
  }
  ModuleCatalog catalog_;
  std::unique_ptr<Db> db_;
  ManualClock clock_{1000};
  Config config_;
  ModuleEnv env_;
  std::vector<std::string> log_;
};

TEST_F(HostTest, StartsDependenciesFirstAndHidesThem) {
  add("app", {"lib"});
  add("lib", {});
  ModuleHost host;
  ASSERT_TRUE(host.start({"app"}, env_, catalog_).ok());
  EXPECT_EQ(log_, (std::vector<std::string>{"start lib", "start app"}));
  EXPECT_TRUE(host.registry().exposed("app.ping"));
  EXPECT_FALSE(host.registry().exposed("lib.ping"));
  EXPECT_NE(host.registry().find("lib.ping"), nullptr);
  ASSERT_EQ(host.modules().size(), 2u);
  EXPECT_FALSE(host.modules()[0].exposed);
  EXPECT_EQ(host.started_at_ms(), 1000);
  host.stop();
  EXPECT_EQ(log_.back(), "stop lib");
}

TEST_F(HostTest, EmptySelectionRunsEverything) {
  add("a", {});
  add("b", {});
  ModuleHost host;
  ASSERT_TRUE(host.start({}, env_, catalog_).ok());
  EXPECT_EQ(host.registry().list(true).size(), 2u);
}

TEST_F(HostTest, UnknownModulesAndCyclesAreErrors) {
  add("a", {"b"});
  add("b", {"a"});
  ModuleHost h1;
  Status unknown = h1.start({"zzz"}, env_, catalog_);
  EXPECT_EQ(unknown.code(), "VALIDATION_ERROR");
  EXPECT_NE(unknown.message().find("known: a, b"), std::string::npos);
  ModuleHost h2;
  EXPECT_NE(h2.start({"a"}, env_, catalog_).message().find("cycle"), std::string::npos);
}

TEST_F(HostTest, MigrationsRunAndFailuresStopStartUp) {
  add("good", {}, {{1, "t", "CREATE TABLE good_t (x INTEGER)"}});
  add("bad", {}, {{1, "t", "CREATE TABLE ("}});
  ModuleHost ok;
  ASSERT_TRUE(ok.start({"good"}, env_, catalog_).ok());
  EXPECT_EQ(ok.modules()[0].schema_version, 1);
  ModuleHost broken;
  EXPECT_FALSE(broken.start({"bad"}, env_, catalog_).ok());
}

TEST_F(HostTest, FailedStartIsReported) {
  add("f", {}, {}, /*fail=*/true);
  ModuleHost host;
  Status s = host.start({"f"}, env_, catalog_);
  EXPECT_EQ(s.code(), "SERVICE_UNAVAILABLE");
}

TEST_F(HostTest, CatalogRefusesDuplicateNames) {
  EXPECT_TRUE(catalog_.try_add("x", [] { return std::unique_ptr<Module>(); }));
  EXPECT_FALSE(catalog_.try_add("x", [] { return std::unique_ptr<Module>(); }));
  EXPECT_DEATH(catalog_.add("x", [] { return std::unique_ptr<Module>(); }), "registered twice");
}

}  // namespace
}  // namespace anarq
