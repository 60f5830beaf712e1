// The CLI as users run it: the real binary, temp data dirs, exit codes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/json.h"
#include "ipld/car.h"
#include "ipld/cid.h"
#include "ipld/multicodec.h"
#include "ipld/varint.h"
#include "tests/http_client.h"
#include "tests/test_node.h"

namespace anarq::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

struct Run {
  int rc;
  std::string out;
  std::string err;
};

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

// `command` through the shell; stdout and stderr apart.
Run shell(const std::string& command, const std::string& stdin_text = "") {
  std::string tmp = temp_dir("anarq-run");
  std::string cmd = command + " 2>" + tmp + "/err";
  if (!stdin_text.empty()) {
    std::ofstream(tmp + "/in", std::ios::binary) << stdin_text;
    cmd += " < " + tmp + "/in";
  }
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = pclose(p);
  Run r{WIFEXITED(status) ? WEXITSTATUS(status) : -1, out, slurp(tmp + "/err")};
  std::filesystem::remove_all(tmp);
  return r;
}

Run run(const std::string& args, const std::string& env = "", const std::string& stdin_text = "") {
  return shell(env + " " + ANARQ_BIN + " " + args, stdin_text);
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

// Each test gets a node of its own (`anarq init`): commands that only read
// refuse a data dir without one.
class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_dir("anarq-cli");
    auto r = run(dd() + " init");
    ASSERT_EQ(r.rc, 0) << r.err;
    node_did_ = first_line(r.out);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dd() const { return "--data-dir " + dir_; }
  std::string dir_, node_did_;
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
  EXPECT_EQ(run("init", "ANARQ_DATA_DIR=" + env_dir).rc, 0);
  EXPECT_TRUE(std::filesystem::exists(env_dir + "/state.db"));
  EXPECT_EQ(run("call node.info", "ANARQ_DATA_DIR=" + env_dir).rc, 0);
  EXPECT_EQ(run("--data-dir " + flag_dir + " init", "ANARQ_DATA_DIR=" + env_dir + "/x").rc, 0);
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
    int err = open((dir_ + "/serve.err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(err, 2);
    execl(ANARQ_BIN, ANARQ_BIN, "serve", "--listen", "127.0.0.1:0", "--data-dir", dir_.c_str(), "--log-level", "warn",
          nullptr);
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
  // The banner (stderr): who this node is, where its state is, where to look.
  std::string banner = slurp(dir_ + "/serve.err");
  EXPECT_THAT(banner, HasSubstr(node_did_));
  EXPECT_THAT(banner, HasSubstr(std::filesystem::canonical(dir_).string()));
  EXPECT_THAT(banner, HasSubstr(line.substr(std::string("listening on ").size()) + "/openapi.json"));
  EXPECT_THAT(banner, Not(HasSubstr("created a new node"))) << "this node existed";
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
  // Topics belong to registered identities: register bob first (signed as bob).
  auto me = run("--as " + key + " call squid.create '{\"name\":\"bob\"}' --node " + url);
  ASSERT_EQ(me.rc, 0) << me.out;
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

TEST_F(CliTest, GlobalOptionsGoBeforeOrAfterTheSubcommand) {
  std::string file = dir_ + "/hello.txt";
  std::ofstream(file) << "hello anarq\n";
  auto after = run("add -q " + file + " " + dd());
  ASSERT_EQ(after.rc, 0) << after.err;
  auto before = run(dd() + " add -q " + file);
  ASSERT_EQ(before.rc, 0) << before.err;
  EXPECT_EQ(after.out, before.out);
  const std::string cid = first_line(after.out);
  EXPECT_EQ(run("cat " + cid + " " + dd()).out, "hello anarq\n");
  auto mcp = run("mcp " + dd() + " --log-level warn", "",
                 R"({"jsonrpc":"2.0","id":1,"method":"ping"})" "\n");
  EXPECT_EQ(mcp.rc, 0) << mcp.err;
  EXPECT_EQ((*parse_json(first_line(mcp.out)))["result"], Json::object());
  auto call = run("call node.info --log-level warn " + dd());
  ASSERT_EQ(call.rc, 0) << call.err;
  std::string key = dir_ + "/k.key";
  std::string did = first_line(run("id new --out " + key).out);
  ASSERT_EQ(run("call squid.create '{\"name\":\"k\"}' " + dd() + " --as " + key).rc, 0) << "keys are for registered identities";
  auto as = run("call qlock.key.create '{\"purpose\":\"SIGNING\"}' " + dd() + " --as " + key);
  ASSERT_EQ(as.rc, 0) << as.out << as.err;
  EXPECT_EQ((*parse_json(as.out))["data"]["key"]["owner"], did) << "--as after the subcommand";
}

TEST_F(CliTest, VersionFlagAndCommandPrintTheVersion) {
  auto flag = run("--version");
  EXPECT_EQ(flag.rc, 0) << flag.err;
  EXPECT_THAT(flag.out, StartsWith("anarq 0."));
  EXPECT_EQ(flag.out, run("version").out);
}

TEST_F(CliTest, ErrorsArePrintedOnce) {
  // A call's error is its envelope on stdout; stderr says nothing more.
  auto unknown = run(dd() + " call nope.tool");
  EXPECT_EQ(unknown.rc, 1);
  EXPECT_EQ((*parse_json(unknown.out))["code"], "NOT_FOUND");
  EXPECT_EQ(unknown.err, "");
  auto invalid = run(dd() + " call node.tools '{\"module\":7}'");
  EXPECT_EQ(invalid.rc, 1);
  EXPECT_EQ(invalid.err, "");
  // A command's own error: one line on stderr, nothing on stdout.
  auto bad_cid = run(dd() + " cat not-a-cid");
  EXPECT_NE(bad_cid.rc, 0);
  EXPECT_EQ(bad_cid.out, "");
  EXPECT_THAT(bad_cid.err, StartsWith("anarq: "));
  EXPECT_EQ(std::count(bad_cid.err.begin(), bad_cid.err.end(), '\n'), 1) << bad_cid.err;
}

TEST_F(CliTest, APatternViolationSaysWhatWasExpected) {
  auto r = run(dd() + " call squid.get '{\"squidId\":\"did:key:z6Mkshort\"}'");
  EXPECT_EQ(r.rc, 1);
  Json e = *parse_json(r.out);
  EXPECT_EQ(e["code"], "VALIDATION_ERROR");
  EXPECT_THAT(r.out, HasSubstr("Ed25519 did:key"));
  EXPECT_THAT(r.out, Not(HasSubstr("[1-9A-HJ-NP-Za-km-z]"))) << "not the regex";
  auto topic = run(dd() + " call events.publish '{\"topic\":\"Q.Bad\",\"payload\":{}}'");
  EXPECT_THAT(topic.out, HasSubstr("q.<module>.<action>.v<N>"));
  EXPECT_THAT(topic.out, Not(HasSubstr("[a-z0-9_]*)+"))) << topic.out;
}

TEST_F(CliTest, CommandsThatOnlyReadNeverCreateADataDir) {
  const std::string none = dir_ + "/elsewhere/data";
  const std::string at = "--data-dir " + none;
  for (const char* cmd : {"call node.info", "cat QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn",
                                 "car export QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn", "gc"}) {
    auto r = run(at + " " + std::string(cmd));
    EXPECT_EQ(r.rc, 1) << cmd;
    EXPECT_EQ(r.out, "") << cmd;
    EXPECT_THAT(r.err, HasSubstr("no node data in " + none)) << cmd;
    EXPECT_THAT(r.err, HasSubstr("anarq init")) << cmd;
  }
  auto env = run("call node.info", "ANARQ_DATA_DIR=" + none);
  EXPECT_THAT(env.err, HasSubstr("no node data in " + none));
  // Listing and specs need no node at all.
  EXPECT_EQ(run(at + " tools").rc, 0);
  EXPECT_EQ(run(at + " spec mcp --module node").rc, 0);
  EXPECT_EQ(run(at + " add -n -q " + dir_ + "/state.db").rc, 0) << "--only-hash stores nothing";
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/elsewhere"));
}

TEST_F(CliTest, CommandsThatCreateANodeSaySo) {
  const std::string fresh = dir_ + "/fresh";
  auto init = run("--data-dir " + fresh + " init");
  ASSERT_EQ(init.rc, 0) << init.err;
  const std::string did = first_line(init.out);
  EXPECT_THAT(did, StartsWith("did:key:z6Mk"));
  EXPECT_EQ(init.err, "anarq: created a new node in " + fresh + ": " + did + "\n");
  auto again = run("--data-dir " + fresh + " init");
  EXPECT_EQ(first_line(again.out), did);
  EXPECT_THAT(again.err, HasSubstr("already exists"));
  EXPECT_EQ((*parse_json(run("--data-dir " + fresh + " call node.info").out))["status"], "ok");
  // add and mcp create one too, and announce it.
  std::string file = dir_ + "/f.txt";
  std::ofstream(file) << "x";
  auto add = run("add -q " + file + " --data-dir " + dir_ + "/by-add");
  EXPECT_EQ(add.rc, 0);
  EXPECT_THAT(add.err, HasSubstr("created a new node in " + dir_ + "/by-add: did:key:z6Mk"));
  auto mcp = run("mcp --log-level warn --data-dir " + dir_ + "/by-mcp", "", R"({"jsonrpc":"2.0","id":1,"method":"ping"})" "\n");
  EXPECT_THAT(mcp.err, HasSubstr("created a new node in " + dir_ + "/by-mcp"));
  // The existing node: nothing announced.
  EXPECT_EQ(run(dd() + " add -q " + file).err, "");
}

TEST_F(CliTest, IdShowPrintsTheKeyAndRefusesLooseOrForeignFiles) {
  std::string key = dir_ + "/alice.key";
  std::string did = first_line(run("id new --out " + key).out);
  auto show = run("id show " + key);
  ASSERT_EQ(show.rc, 0) << show.err;
  EXPECT_THAT(show.out, HasSubstr(did));
  EXPECT_THAT(show.out, HasSubstr(std::filesystem::canonical(key).string()));
  Json j = *parse_json(run("id show --json " + key).out);
  EXPECT_EQ(j["did"], did);
  EXPECT_EQ(j["publicKey"].get<std::string>().size(), 64u) << "32 bytes, hex";
  EXPECT_EQ(j["file"], std::filesystem::canonical(key).string());
  std::filesystem::permissions(key, std::filesystem::perms::group_read | std::filesystem::perms::others_read,
                               std::filesystem::perm_options::add);
  auto loose = run("id show " + key);
  EXPECT_EQ(loose.rc, 1);
  EXPECT_THAT(loose.err, HasSubstr("mode 0644"));
  EXPECT_THAT(loose.err, HasSubstr("chmod 600"));
  std::string other = dir_ + "/notes.txt";
  std::ofstream(other) << "not a key\n";
  std::filesystem::permissions(other, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::replace);
  auto foreign = run("id show " + other);
  EXPECT_EQ(foreign.rc, 1);
  EXPECT_THAT(foreign.err, HasSubstr("is not a key file"));
  EXPECT_THAT(run("id show " + dir_ + "/none.key").err, HasSubstr("no key file"));
}

TEST_F(CliTest, IdSignPrintsALockSigQlockVerifies) {
  std::string key = dir_ + "/alice.key";
  std::string did = first_line(run("id new --out " + key).out);
  auto sig = run("id sign " + key + " --message 'I agree'");
  ASSERT_EQ(sig.rc, 0) << sig.err;
  Json s = *parse_json(sig.out);
  EXPECT_EQ(s["alg"], "Ed25519");
  EXPECT_EQ(s["pub"], did);
  EXPECT_EQ(std::count(sig.out.begin(), sig.out.end(), '\n'), 1) << "one line, to paste into JSON";
  auto verify = run(dd() + " call qlock.verify '{\"data\":\"I agree\",\"signature\":" + first_line(sig.out) + "}'");
  EXPECT_EQ((*parse_json(verify.out))["data"]["valid"], true) << verify.out;
  std::string msg = dir_ + "/msg";
  std::ofstream(msg) << "from a file";
  Json f = *parse_json(run("id sign " + key + " --message-file " + msg).out);
  auto fv = run(dd() + " call qlock.verify '{\"data\":\"from a file\",\"signature\":" + f.dump() + "}'");
  EXPECT_EQ((*parse_json(fv.out))["data"]["valid"], true) << fv.out;
  EXPECT_EQ(run("id sign " + key).rc, 2) << "one of --message, --message-file, --delegation, --squid-create";
  EXPECT_EQ(run("id sign " + key + " --message a --squid-create").rc, 2);
  auto stranger = run("id sign " + key + R"( --delegation '{"parentId":"did:key:z6MktwupdmLXVVqTzCw4i46r4uGyosGXRnR3XjN4Zq7oMMsw","squidId":"did:key:z6MktwupdmLXVVqTzCw4i46r4uGyosGXRnR3XjN4Zq7oMMsw","type":"DAO"}')");
  EXPECT_EQ(stranger.rc, 2);
  EXPECT_THAT(stranger.err, HasSubstr("a delegation is signed by its root"));
}

// The sQuid README's BYOK flows with nothing but the CLI: a root registered by
// proof (by another identity) and a DAO subidentity bound by the root's
// delegation and the subidentity's own subProof, all over signed HTTP.
TEST_F(CliTest, ByokRootAndSubidentityWithTheCliOnly) {
  ServedNode served;
  ASSERT_NE(served.port(), 0);
  const std::string url = " --node http://127.0.0.1:" + std::to_string(served.port());
  std::string helper = dir_ + "/helper.key", root = dir_ + "/root.key", sub = dir_ + "/sub.key";
  ASSERT_EQ(run("id new --out " + helper).rc, 0);
  std::string root_did = first_line(run("id new --out " + root).out);
  std::string sub_did = first_line(run("id new --out " + sub).out);
  std::string proof = first_line(run("id sign " + root + " --squid-create").out);
  auto created = run("--as " + helper + " call squid.create '{\"squidId\":\"" + root_did + "\",\"proof\":" + proof +
                     ",\"name\":\"root\"}'" + url);
  ASSERT_EQ(created.rc, 0) << created.out << created.err;
  EXPECT_EQ((*parse_json(created.out))["data"]["identity"]["custody"], "BYOK");
  const std::string binding = "{\"parentId\":\"" + root_did + "\",\"squidId\":\"" + sub_did + "\",\"type\":\"DAO\"}";
  std::string delegation = first_line(run("id sign " + root + " --delegation '" + binding + "'").out);
  std::string sub_proof = first_line(run("id sign " + sub + " --delegation '" + binding + "'").out);
  auto bound = run("--as " + root + " call squid.sub.create '{\"parentId\":\"" + root_did + "\",\"squidId\":\"" +
                   sub_did + "\",\"type\":\"DAO\",\"name\":\"my-dao\",\"delegation\":" + delegation +
                   ",\"subProof\":" + sub_proof + "}'" + url);
  ASSERT_EQ(bound.rc, 0) << bound.out << bound.err;
  Json identity = (*parse_json(bound.out))["data"]["identity"];
  EXPECT_EQ(identity["squidId"], sub_did);
  EXPECT_EQ(identity["parentId"], root_did);
  EXPECT_EQ(identity["delegation"]["pub"], root_did);
}

TEST_F(CliTest, IdOpenOpensASealedBoxAddressedToTheKeyFile) {
  std::string bob = dir_ + "/bob.key", eve = dir_ + "/eve.key";
  std::string bob_did = first_line(run("id new --out " + bob).out);
  ASSERT_EQ(run("id new --out " + eve).rc, 0);
  auto sealed = run(dd() + " call qlock.encrypt '{\"data\":\"for bob\",\"recipient\":\"" + bob_did + "\"}'");
  ASSERT_EQ(sealed.rc, 0) << sealed.out;
  // The envelope as printed, from stdin; or the bare ciphertext as an argument.
  auto opened = run("id open " + bob, "", sealed.out);
  EXPECT_EQ(opened.rc, 0) << opened.err;
  EXPECT_EQ(opened.out, "for bob");
  std::string box = (*parse_json(sealed.out))["data"]["ciphertext"].dump();
  EXPECT_EQ(run("id unseal " + bob + " '" + box + "'").out, "for bob");
  auto wrong = run("id open " + eve, "", sealed.out);
  EXPECT_EQ(wrong.rc, 1);
  EXPECT_EQ(wrong.out, "");
  EXPECT_THAT(wrong.err, HasSubstr("addressed to " + bob_did));
  auto keyed = run(dd() + " call qlock.encrypt '{\"data\":\"kept here\"}'");
  auto refused = run("id open " + bob, "", keyed.out);
  EXPECT_EQ(refused.rc, 2);
  EXPECT_THAT(refused.err, HasSubstr("qlock.decrypt opens it there"));
}

TEST_F(CliTest, ImportProgressOnlyOnATerminal) {
  std::string file = dir_ + "/big.bin";
  {
    std::ofstream f(file, std::ios::binary);
    std::string block(1 << 20, 'a');
    for (int i = 0; i < 4; ++i) {
      block[0] = static_cast<char>(i);
      f << block;
    }
  }
  auto piped = run(dd() + " add -q " + file);
  ASSERT_EQ(piped.rc, 0);
  EXPECT_EQ(piped.err, "") << "stderr is not a terminal: nothing but the result";
  const std::string cid = first_line(piped.out);
  std::string car = dir_ + "/big.car";
  ASSERT_EQ(run(dd() + " car export " + cid + " > " + car).rc, 0);
  auto import = run(dd() + " car import " + car);
  EXPECT_EQ(import.rc, 0);
  EXPECT_EQ(import.err, "");
  if (std::system("command -v script >/dev/null 2>&1") != 0) GTEST_SKIP() << "util-linux script not installed";
  // Under a pseudo-terminal (util-linux script): a progress line, erased at the end.
  auto tty = shell("script -qec '" + std::string(ANARQ_BIN) + " " + dd() + " add -q --no-pin " + file + "' /dev/null");
  EXPECT_EQ(tty.rc, 0);
  EXPECT_THAT(tty.out, HasSubstr("adding " + file + ": "));
  EXPECT_THAT(tty.out, HasSubstr("of 4.0 MiB"));
  EXPECT_THAT(tty.out, HasSubstr(cid));
  auto tty_car = shell("script -qec '" + std::string(ANARQ_BIN) + " " + dd() + " car import " + car + "' /dev/null");
  EXPECT_THAT(tty_car.out, HasSubstr("importing " + car + ": "));
}

TEST(CliInstall, InstallScriptPutsAWorkingAnarqUnderThePrefix) {
  std::string prefix = temp_dir("anarq-prefix");
  auto r = shell("ANARQ_BIN=" + std::string(ANARQ_BIN) + " PREFIX=" + prefix + " " + ANARQ_SOURCE_DIR +
                 "/scripts/install.sh");
  ASSERT_EQ(r.rc, 0) << r.out << r.err;
  EXPECT_TRUE(std::filesystem::exists(prefix + "/bin/anarq"));
  auto v = shell(prefix + "/bin/anarq --version");
  EXPECT_EQ(v.rc, 0);
  EXPECT_THAT(v.out, StartsWith("anarq 0."));
  EXPECT_TRUE(std::filesystem::exists(prefix + "/share/doc/anarq/docs/anarq.service"));
  // The unit parses (systemd-analyze verify, offline), pointed at the installed binary.
  if (std::system("command -v systemd-analyze >/dev/null 2>&1") == 0) {
    std::string unit = prefix + "/anarq.service";
    auto sub = shell("sed 's#/usr/local/bin/anarq#" + prefix + "/bin/anarq#' " + std::string(ANARQ_SOURCE_DIR) +
                     "/docs/anarq.service > " + unit + " && systemd-analyze verify " + unit);
    EXPECT_EQ(sub.rc, 0) << sub.out << sub.err;
    EXPECT_EQ(sub.err, "");
  }
  std::filesystem::remove_all(prefix);
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

// A CAR whose second block lies about its hash: from a file or from standard
// input, the import is refused and the valid block before it is not kept.
TEST_F(CliTest, ARejectedCarImportStoresNothing) {
  std::string good = "a block that is fine";
  ipld::Cid good_cid = ipld::Cid::v1_sha256(ipld::kCodecRaw, good);
  std::string car = *ipld::car_header({good_cid});
  for (const auto& [cid, bytes] : std::vector<std::pair<ipld::Cid, std::string>>{
           {good_cid, good}, {ipld::Cid::v1_sha256(ipld::kCodecRaw, "other bytes"), "a block whose hash lies"}}) {
    std::string section = cid.bytes() + bytes;
    ipld::put_varint(car, section.size());
    car += section;
  }
  std::string file = dir_ + "/bad.car";
  std::ofstream(file, std::ios::binary) << car;
  auto from_file = run(dd() + " car import " + file);
  EXPECT_NE(from_file.rc, 0);
  auto from_stdin = run(dd() + " car import -", "", car);
  EXPECT_NE(from_stdin.rc, 0);
  EXPECT_NE(run(dd() + " cat " + good_cid.to_string()).rc, 0) << "the valid block before the bad one is not kept";
}

}  // namespace
}  // namespace anarq::test
