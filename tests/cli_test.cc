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
  EXPECT_EQ((*parse_json(j.out))["count"], 2);
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
  EXPECT_EQ(lines[1]["result"]["tools"].size(), 2u);
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

}  // namespace
}  // namespace anarq::test
