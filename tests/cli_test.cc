// The CLI as users run it: the real binary, temp data dirs, exit codes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/json.h"
#include "tests/http_client.h"
#include "tests/test_node.h"

namespace anarq::test {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

struct Run {
  int rc;
  std::string out;
};

Run run(const std::string& args, const std::string& env = "", const std::string& stdin_text = "") {
  std::string cmd = env + " " + ANARQ_BIN + " " + args + " 2>/dev/null";
  if (!stdin_text.empty()) {
    std::string file = temp_dir("anarq-stdin") + "/in";
    std::ofstream(file) << stdin_text;
    cmd += " < " + file;
  }
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = temp_dir("anarq-cli"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dd() const { return "--data-dir " + dir_; }
  std::string dir_;
};

TEST_F(CliTest, Version) {
  auto r = run("version");
  EXPECT_EQ(r.rc, 0);
  EXPECT_THAT(r.out, StartsWith("anarq "));
}

TEST_F(CliTest, CallPrintsTheEnvelopeAndExitsZero) {
  auto r = run(dd() + " call node.info");
  ASSERT_EQ(r.rc, 0) << r.out;
  auto j = parse_json(r.out);
  ASSERT_TRUE(j.ok()) << r.out;
  EXPECT_EQ((*j)["status"], "ok");
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/state.db"));
}

TEST_F(CliTest, CallReadsInputFromStdin) {
  auto r = run(dd() + " call node.tools -", "", "{\"module\":\"node\"}");
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_EQ((*parse_json(r.out))["data"]["count"], 2);
}

TEST_F(CliTest, CallErrorsExitNonZeroWithTheEnvelope) {
  auto bad_input = run(dd() + " call node.info '{\"x\":1}'");
  EXPECT_EQ(bad_input.rc, 1);
  EXPECT_EQ((*parse_json(bad_input.out))["code"], "VALIDATION_ERROR");
  auto bad_json = run(dd() + " call node.info '{oops'");
  EXPECT_EQ(bad_json.rc, 1);
  EXPECT_EQ((*parse_json(bad_json.out))["code"], "VALIDATION_ERROR");
  auto unknown = run(dd() + " call nope.tool");
  EXPECT_EQ(unknown.rc, 1);
  EXPECT_EQ((*parse_json(unknown.out))["code"], "NOT_FOUND");
}

TEST_F(CliTest, ToolsListsTheRegistry) {
  auto r = run(dd() + " tools");
  EXPECT_EQ(r.rc, 0);
  EXPECT_THAT(r.out, HasSubstr("node.info\tGET /node/v1/info\tpublic"));
  auto j = run(dd() + " tools --json");
  Json listed = *parse_json(j.out);
  EXPECT_EQ(listed["count"], listed["tools"].size());
  EXPECT_GE(listed["count"], 12) << "node, events and registry tools";
}

TEST_F(CliTest, SpecPrintsOpenApiYamlAndMcpJson) {
  auto y = run("spec openapi --module node");
  EXPECT_EQ(y.rc, 0);
  EXPECT_THAT(y.out, HasSubstr("\"openapi\": \"3.1.0\""));
  auto m = run("spec mcp --module node");
  EXPECT_EQ((*parse_json(m.out))["tools"].size(), 2u);
  EXPECT_NE(run("spec swagger").rc, 0);
}

TEST_F(CliTest, EnvironmentConfiguresAndFlagsOverride) {
  std::string env_dir = dir_ + "/from-env", flag_dir = dir_ + "/from-flag";
  EXPECT_EQ(run("call node.info", "ANARQ_DATA_DIR=" + env_dir).rc, 0);
  EXPECT_TRUE(std::filesystem::exists(env_dir + "/state.db"));
  EXPECT_EQ(run("--data-dir " + flag_dir + " call node.info", "ANARQ_DATA_DIR=" + env_dir + "/x").rc, 0);
  EXPECT_TRUE(std::filesystem::exists(flag_dir + "/state.db"));
  EXPECT_FALSE(std::filesystem::exists(env_dir + "/x"));
  EXPECT_EQ(run(dd() + " call node.info", "ANARQ_THREADS=lots").rc, 2);
  EXPECT_EQ(run(dd() + " call node.info", "ANARQ_LOG_LEVEL=loud").rc, 2);
  EXPECT_EQ(run(dd() + " --modules nosuch call node.info").rc, 2);
}

TEST_F(CliTest, NodeIdSurvivesRestart) {
  auto a = parse_json(run(dd() + " call node.info").out);
  auto b = parse_json(run(dd() + " call node.info").out);
  EXPECT_EQ((*a)["data"]["nodeId"], (*b)["data"]["nodeId"]);
}

TEST_F(CliTest, McpStdioSpeaksOnlyJsonRpcOnStdout) {
  std::string in =
      R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})" "\n"
      R"({"jsonrpc":"2.0","method":"notifications/initialized"})" "\n"
      "\n"
      R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})" "\n"
      R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"node.info","arguments":{}}})" "\n"
      "not json\n"
      R"({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"no.such"}})" "\n"
      R"({"jsonrpc":"2.0","id":4,"method":"ping"})" "\n";
  auto r = run(dd() + " --log-level debug mcp", "", in);
  EXPECT_EQ(r.rc, 0);
  std::vector<Json> lines;
  size_t pos = 0;
  while (pos < r.out.size()) {
    size_t e = r.out.find('\n', pos);
    auto j = parse_json(r.out.substr(pos, e - pos));
    ASSERT_TRUE(j.ok()) << "stdout line is not JSON: " << r.out.substr(pos, e - pos);
    lines.push_back(*j);
    pos = e + 1;
  }
  ASSERT_EQ(lines.size(), 6u) << r.out;
  EXPECT_EQ(lines[0]["result"]["protocolVersion"], "2025-06-18");
  EXPECT_GE(lines[1]["result"]["tools"].size(), 12u);
  EXPECT_EQ(lines[1]["result"]["tools"][0].count("$schema") + lines[1]["result"]["tools"][0]["inputSchema"].count("$schema"), 0u);
  EXPECT_EQ(lines[2]["result"]["structuredContent"]["modules"][0]["name"], "node");
  EXPECT_EQ(lines[3]["error"]["code"], -32700);
  EXPECT_EQ(lines[4]["error"]["code"], -32602);
  EXPECT_EQ(lines[5]["result"], Json::object());
}

TEST_F(CliTest, ServePrintsOneReadyLineAndDrainsOnSigterm) {
  int out_pipe[2];
  ASSERT_EQ(pipe(out_pipe), 0);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out_pipe[1], 1);
    close(out_pipe[0]);
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 2);
    execl(ANARQ_BIN, ANARQ_BIN, "--data-dir", dir_.c_str(), "serve", "--listen", "127.0.0.1:0", nullptr);
    _exit(127);
  }
  close(out_pipe[1]);
  std::string line;
  char c;
  while (read(out_pipe[0], &c, 1) == 1 && c != '\n') line += c;
  ASSERT_THAT(line, StartsWith("listening on http://127.0.0.1:"));
  uint16_t port = static_cast<uint16_t>(std::stoi(line.substr(line.rfind(':') + 1)));
  EXPECT_EQ(request(port, "GET", "/health").status, 200);
  kill(pid, SIGTERM);
  int status = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      FAIL() << "serve did not exit after SIGTERM";
    }
    usleep(10'000);
  }
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  close(out_pipe[0]);
}


TEST_F(CliTest, IdNewWritesAPrivateKeyFileAndNeverReplacesIt) {
  std::string key = dir_ + "/alice.key";
  auto r = run("id new --out " + key);
  ASSERT_EQ(r.rc, 0);
  EXPECT_THAT(r.out, StartsWith("did:key:z6Mk"));
  EXPECT_EQ(std::filesystem::status(key).permissions() & std::filesystem::perms::all, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  auto again = run("id new --out " + key);
  EXPECT_EQ(again.rc, 1);
  std::filesystem::permissions(key, std::filesystem::perms::group_read, std::filesystem::perm_options::add);
  auto loose = run(dd() + " --as " + key + " call node.info");
  EXPECT_EQ(loose.rc, 1) << "a key readable by others is refused";
}

TEST_F(CliTest, AsSignsRealHttpRequestsToANode) {
  ServedNode served;
  ASSERT_NE(served.port(), 0);
  std::string url = "http://127.0.0.1:" + std::to_string(served.port());
  std::string key = dir_ + "/bob.key";
  auto id = run("id new --out " + key);
  ASSERT_EQ(id.rc, 0);
  std::string did = id.out.substr(0, id.out.find('\n'));
  auto reg = run("--as " + key + " call registry.register '{\"topic\":\"q.bob.note.v1\",\"schema\":{\"type\":\"object\"}}' --node " + url);
  ASSERT_EQ(reg.rc, 0) << reg.out;
  EXPECT_EQ((*parse_json(reg.out))["data"]["topic"]["owner"], did);
  auto pub = run("--as " + key + " call events.publish '{\"topic\":\"q.bob.note.v1\",\"payload\":{\"n\":1}}' --node " + url);
  ASSERT_EQ(pub.rc, 0) << pub.out;
  auto unsigned_pub = run("call events.publish '{\"topic\":\"q.bob.note.v1\",\"payload\":{}}' --node " + url);
  EXPECT_EQ(unsigned_pub.rc, 1);
  EXPECT_EQ((*parse_json(unsigned_pub.out))["code"], "SQUID_IDENTITY_INVALID");
  auto history = run("call events.history '{\"subject\":\"q.bob.>\",\"actor\":\"" + did + "\"}' --node " + url);
  ASSERT_EQ(history.rc, 0) << history.out;
  EXPECT_EQ((*parse_json(history.out))["data"]["events"].size(), 1u) << "GET with the input as the query";
  auto del = run("--as " + key + " call events.unsubscribe '{\"consumer\":\"none\"}' --node " + url);
  EXPECT_EQ(del.rc, 1);
  EXPECT_EQ((*parse_json(del.out))["code"], "NOT_FOUND") << "DELETE with a path parameter, signed";
}

// Events from the CLI (the operator's own identity) and the transactional
// outbox across a real crash: the process dies right after the commit, before
// any delivery; the next process still delivers.
class CliEventsTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    auto r = run(dd() + " call registry.register '{\"topic\":\"q.demo.order.placed.v1\",\"schema\":{\"type\":\"object\","
                        "\"required\":[\"id\"],\"properties\":{\"id\":{\"type\":\"string\"}}}}'");
    ASSERT_EQ(r.rc, 0) << r.out;
  }
  Json call(const std::string& tool, const std::string& input, int* rc = nullptr, const std::string& env = "") {
    auto r = run(dd() + " call " + tool + " '" + input + "'", env);
    if (rc) *rc = r.rc;
    auto j = parse_json(r.out);
    return j.ok() ? *j : Json{{"unparsable", r.out}};
  }
};

TEST_F(CliEventsTest, PublishErrorsAreClearEnvelopes) {
  int rc = 0;
  Json unknown = call("events.publish", R"({"topic":"q.demo.order.lost.v1","payload":{}})", &rc);
  EXPECT_EQ(rc, 1);
  EXPECT_EQ(unknown["code"], "NOT_FOUND");
  EXPECT_THAT(unknown["message"].get<std::string>(), HasSubstr("not registered"));
  Json malformed = call("events.publish", R"({"topic":"q.demo..v1","payload":{}})", &rc);
  EXPECT_EQ(rc, 1);
  EXPECT_EQ(malformed["code"], "VALIDATION_ERROR");
  Json mismatch = call("events.publish", R"({"topic":"q.demo.order.placed.v1","payload":{"id":7}})", &rc);
  EXPECT_EQ(rc, 1);
  EXPECT_EQ(mismatch["code"], "VALIDATION_ERROR");
  EXPECT_EQ(mismatch["details"]["violations"][0]["pointer"], "/id");
  Json ok = call("events.publish", R"({"topic":"q.demo.order.placed.v1","payload":{"id":"o-1"}})", &rc);
  EXPECT_EQ(rc, 0) << ok.dump();
  Json h = call("events.history", R"({"subject":"q.demo.>"})");
  ASSERT_EQ(h["data"]["events"].size(), 1u) << "only the accepted publish is logged";
}

TEST_F(CliEventsTest, ACrashBetweenCommitAndDeliveryStillDeliversAfterRestart) {
  // A durable consumer that has seen everything so far.
  Json sub = call("events.subscribe", R"({"consumer":"billing","subject":"q.demo.>"})");
  ASSERT_EQ(sub["status"], "ok") << sub.dump();
  EXPECT_TRUE(sub["data"]["messages"].empty());
  int rc = 0;
  Json crashed = call("events.publish", R"({"topic":"q.demo.order.placed.v1","payload":{"id":"o-2"}})", &rc,
                      "ANARQ_FAULTS=bus.after_commit");
  EXPECT_EQ(rc, 86) << "the fault point exits like kill -9, after the commit: " << crashed.dump();
  // Restart: the event is in the log and the consumer gets it exactly once.
  Json got = call("events.subscribe", R"({"consumer":"billing","subject":"q.demo.>"})");
  ASSERT_EQ(got["data"]["messages"].size(), 1u) << got.dump();
  EXPECT_EQ(got["data"]["messages"][0]["event"]["payload"]["id"], "o-2");
  int64_t seq = got["data"]["messages"][0]["seq"];
  Json acked = call("events.ack", R"({"consumer":"billing","seqs":[)" + std::to_string(seq) + "]}");
  EXPECT_EQ(acked["data"]["acked"], 1);
  Json none = call("events.subscribe", R"({"consumer":"billing","subject":"q.demo.>"})");
  EXPECT_TRUE(none["data"]["messages"].empty());
}

TEST_F(CliEventsTest, LeasesOutliveTheProcessAndExpireAfterTheirAckWait) {
  ASSERT_EQ(call("events.publish", R"({"topic":"q.demo.order.placed.v1","payload":{"id":"o-3"}})")["status"], "ok");
  Json first = call("events.subscribe", R"({"consumer":"ship","subject":"q.demo.>","ackWaitMs":3600000})");
  ASSERT_EQ(first["data"]["messages"].size(), 1u);
  EXPECT_EQ(first["data"]["messages"][0]["deliveries"], 1);
  // Another process (this is a new one) must not take over a lease still running.
  Json busy = call("events.subscribe", R"({"consumer":"ship"})");
  EXPECT_TRUE(busy["data"]["messages"].empty()) << busy.dump();
  EXPECT_EQ(busy["data"]["consumer"]["pending"], 1);

  ASSERT_EQ(call("events.subscribe", R"({"consumer":"fast","subject":"q.demo.>","ackWaitMs":100})")["data"]["messages"].size(), 1u);
  usleep(200'000);  // past the 100 ms ack wait (a lower bound, not a synchronisation)
  Json again = call("events.subscribe", R"({"consumer":"fast"})");
  ASSERT_EQ(again["data"]["messages"].size(), 1u) << again.dump();
  EXPECT_EQ(again["data"]["messages"][0]["deliveries"], 2);
}

TEST_F(CliEventsTest, ToolRegistryChangesAreAnnouncedOnce) {
  auto updates = [&](const std::string& extra = "") {
    auto r = run(dd() + extra + " call events.history '{\"subject\":\"q.tools.registry.updated.v1\",\"limit\":1000}'");
    auto j = parse_json(r.out);
    std::vector<std::string> out;
    if (!j.ok()) return out;
    for (const auto& e : (*j)["data"]["events"])
      out.push_back(e["event"]["payload"]["module"].get<std::string>() + ":" +
                    e["event"]["payload"]["action"].get<std::string>());
    return out;
  };
  auto first = updates();
  EXPECT_THAT(first, ::testing::IsSupersetOf({"events:ADDED", "node:ADDED", "registry:ADDED"}));
  EXPECT_EQ(updates(), first) << "an unchanged restart announces nothing";
  // Every module but node and events is removed, once each; all come back.
  const size_t others = first.size() - 2;
  auto narrowed = updates(" --modules node,events");
  ASSERT_EQ(narrowed.size(), first.size() + others);
  EXPECT_THAT(std::vector<std::string>(narrowed.end() - others, narrowed.end()),
              ::testing::Contains("registry:REMOVED"));
  EXPECT_THAT(std::vector<std::string>(narrowed.end() - others, narrowed.end()),
              ::testing::Not(::testing::Contains("events:REMOVED")));
  auto back = updates();
  ASSERT_EQ(back.size(), narrowed.size() + others);
  EXPECT_THAT(std::vector<std::string>(back.end() - others, back.end()), ::testing::Contains("registry:ADDED"));
}

}  // namespace
}  // namespace anarq::test
