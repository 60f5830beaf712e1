// HTTP through real sockets: routes, envelopes, limits, keep-alive, tracing,
// metrics, OpenAPI, MCP over POST /mcp, graceful drain.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "core/json.h"
#include "tests/http_client.h"
#include "transport/mcp.h"
#include "tests/test_node.h"

namespace anarq::test {
namespace {

using ::testing::HasSubstr;

Json body_json(const RawResponse& r) {
  auto j = parse_json(r.body);
  EXPECT_TRUE(j.ok()) << "not JSON: " << r.body;
  return j.ok() ? *j : Json();
}

void expect_error_envelope(const RawResponse& r, int status, const std::string& code) {
  EXPECT_EQ(r.status, status) << r.body;
  Json j = body_json(r);
  EXPECT_EQ(j.value("status", ""), "error");
  EXPECT_EQ(j.value("code", ""), code) << r.body;
  EXPECT_TRUE(j.contains("message"));
  EXPECT_TRUE(j.contains("timestamp"));
  EXPECT_TRUE(j.contains("requestId"));
  EXPECT_TRUE(j.contains("retryable"));
}

class HttpTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Config c;
    c.max_body_bytes = 64 * 1024;
    c.read_timeout_ms = 1500;
    c.idle_timeout_ms = 1500;
    node_ = new ServedNode(c);
  }
  static void TearDownTestSuite() {
    delete node_;
    node_ = nullptr;
  }
  uint16_t port() { return node_->port(); }
  static ServedNode* node_;
};
ServedNode* HttpTest::node_ = nullptr;

TEST_F(HttpTest, ToolAnswersInTheSuccessEnvelope) {
  auto r = request(port(), "GET", "/node/v1/info");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_THAT(r.headers["content-type"], HasSubstr("application/json"));
  Json j = body_json(r);
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["code"], "NODE_INFO");
  EXPECT_EQ(j["data"]["modules"][0]["name"], "node");
  EXPECT_TRUE(j["data"]["nodeId"].is_string());
}

TEST_F(HttpTest, QueryParametersReachTheTool) {
  auto r = request(port(), "GET", "/node/v1/tools?module=node");
  ASSERT_EQ(r.status, 200) << r.body;
  Json j = body_json(r);
  EXPECT_EQ(j["data"]["count"], 2);
  auto none = request(port(), "GET", "/node/v1/tools?module=qwallet");
  EXPECT_EQ(body_json(none)["data"]["count"], 0);
}

TEST_F(HttpTest, UnknownRouteIs404InTheEnvelope) {
  expect_error_envelope(request(port(), "GET", "/nope"), 404, "NOT_FOUND");
  expect_error_envelope(request(port(), "GET", "/node/v1/info/extra"), 404, "NOT_FOUND");
}

TEST_F(HttpTest, WrongMethodIs405WithAllow) {
  auto r = request(port(), "DELETE", "/node/v1/info");
  expect_error_envelope(r, 405, "METHOD_NOT_ALLOWED");
  EXPECT_EQ(r.headers["allow"], "GET");
  expect_error_envelope(request(port(), "POST", "/health"), 405, "METHOD_NOT_ALLOWED");
}

TEST_F(HttpTest, MalformedJsonBodyIs400) {
  auto r = request(port(), "GET", "/node/v1/tools", {{"Content-Type", "application/json"}}, "{\"module\": ");
  expect_error_envelope(r, 400, "VALIDATION_ERROR");
  EXPECT_THAT(body_json(r)["message"].get<std::string>(), HasSubstr("malformed JSON"));
  expect_error_envelope(request(port(), "GET", "/node/v1/tools", {}, "[1,2]"), 400, "VALIDATION_ERROR");
}

TEST_F(HttpTest, SchemaViolationsListEveryPointer) {
  auto r = request(port(), "GET", "/node/v1/tools?module=Bad%20Name&extra=1");
  expect_error_envelope(r, 400, "VALIDATION_ERROR");
  Json v = body_json(r)["details"]["violations"];
  std::set<std::string> pointers;
  for (const auto& x : v) pointers.insert(x["pointer"]);
  EXPECT_TRUE(pointers.count("/module")) << v.dump();
  EXPECT_TRUE(pointers.count("/extra")) << v.dump();
}

TEST_F(HttpTest, DeepJsonIsRefusedNotRecursed) {
  std::string deep(20000, '[');
  expect_error_envelope(request(port(), "GET", "/node/v1/tools", {}, deep), 400, "VALIDATION_ERROR");
}

TEST_F(HttpTest, BadPercentEncodingIs400) {
  expect_error_envelope(request(port(), "GET", "/node/v1/tools?module=%zz"), 400, "VALIDATION_ERROR");
}

TEST_F(HttpTest, OversizedBodyIs413) {
  std::string big(65 * 1024, 'x');
  expect_error_envelope(request(port(), "POST", "/mcp", {{"Content-Type", "application/json"}}, big), 413,
                        "PAYLOAD_TOO_LARGE");
}

TEST_F(HttpTest, OversizedHeadersAre431) {
  auto r = request(port(), "GET", "/health", {{"X-Big", std::string(17 * 1024, 'a')}});
  expect_error_envelope(r, 431, "REQUEST_HEADER_FIELDS_TOO_LARGE");
}

TEST_F(HttpTest, GarbageRequestLineIs400) {
  Connection c(port());
  ASSERT_TRUE(c.send("NOT HTTP AT ALL\r\n\r\n"));
  auto r = c.read_response();
  expect_error_envelope(r, 400, "VALIDATION_ERROR");
}

TEST_F(HttpTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  Connection c(port());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto r = c.read_response();
    ASSERT_EQ(r.status, 200);
  }
}

TEST_F(HttpTest, IdleConnectionIsClosedAfterTheIdleTimeout) {
  Connection c(port(), 5000);
  ASSERT_TRUE(c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_EQ(c.read_response().status, 200);
  EXPECT_TRUE(c.closed_by_peer(4000));  // idle timeout is 1.5 s here
}

TEST_F(HttpTest, SlowRequestIsCutOffByTheReadTimeout) {
  Connection c(port(), 5000);
  ASSERT_TRUE(c.send("GET /health HTTP/1.1\r\nHost: x\r\n"));  // never finishes the headers
  EXPECT_TRUE(c.closed_by_peer(4000));
}

TEST_F(HttpTest, RequestIdIsEchoedOrGenerated) {
  auto echoed = request(port(), "GET", "/node/v1/info", {{"X-Request-Id", "abc-123"}});
  EXPECT_EQ(echoed.headers["x-request-id"], "abc-123");
  auto err = request(port(), "GET", "/node/v1/info?x=1", {{"X-Request-Id", "req-9"}});
  EXPECT_EQ(body_json(err)["requestId"], "req-9");
  auto generated = request(port(), "GET", "/node/v1/info");
  EXPECT_EQ(generated.headers["x-request-id"].size(), 36u);
}

TEST_F(HttpTest, TraceparentContinuesTheCallersTrace) {
  std::string trace = "4bf92f3577b34da6a3ce929d0e0e4736";
  auto r = request(port(), "GET", "/node/v1/info", {{"traceparent", "00-" + trace + "-00f067aa0ba902b7-01"}});
  std::string tp = r.headers["traceparent"];
  ASSERT_EQ(tp.size(), 55u) << tp;
  EXPECT_EQ(tp.substr(3, 32), trace);
  EXPECT_NE(tp.substr(36, 16), "00f067aa0ba902b7");  // our own span
  auto fresh = request(port(), "GET", "/node/v1/info", {{"traceparent", "garbage"}});
  EXPECT_EQ(fresh.headers["traceparent"].size(), 55u);
}

TEST_F(HttpTest, HealthReportsDependenciesAndCounters) {
  request(port(), "GET", "/nope");
  auto r = request(port(), "GET", "/health");
  ASSERT_EQ(r.status, 200);
  Json j = body_json(r);
  EXPECT_EQ(j["status"], "healthy");
  EXPECT_EQ(j["dependencies"]["database"]["status"], "up");
  EXPECT_TRUE(j["dependencies"]["database"]["latency"].is_number());
  EXPECT_TRUE(j["dependencies"]["database"]["lastCheck"].is_string());
  EXPECT_GE(j["metrics"]["requestCount"].get<int>(), 1);
  EXPECT_TRUE(j["metrics"]["errorRate"].is_number());
  EXPECT_TRUE(j["metrics"]["avgResponseTime"].is_number());
  EXPECT_TRUE(j["version"].is_string());
  EXPECT_TRUE(j["uptime"].is_number_integer());
}

TEST_F(HttpTest, MetricsPassPromtool) {
  request(port(), "GET", "/node/v1/info");
  request(port(), "GET", "/node/v1/info?bad=1");
  auto r = request(port(), "GET", "/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_THAT(r.headers["content-type"], HasSubstr("text/plain"));
  EXPECT_THAT(r.body, HasSubstr("anarq_tool_requests_total{tool=\"node.info\",transport=\"http\",code=\"OK\"}"));
  EXPECT_THAT(r.body, HasSubstr("anarq_tool_errors_total{tool=\"node.info\",code=\"VALIDATION_ERROR\"}"));
  EXPECT_THAT(r.body, HasSubstr("anarq_tool_duration_seconds_bucket{tool=\"node.info\",le=\"+Inf\"}"));
  EXPECT_THAT(r.body, HasSubstr("anarq_tool_request_size_bytes_count"));
  EXPECT_THAT(r.body, HasSubstr("anarq_tool_response_size_bytes_count"));
  std::string file = node_->dir() + "/metrics.txt";
  std::ofstream(file) << r.body;
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) GTEST_SKIP() << "promtool not installed";
  std::string cmd = "promtool check metrics < " + file + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[512];
  while (fgets(buf, sizeof buf, p)) out += buf;
  int rc = pclose(p);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_EQ(out, "") << out;
}

TEST_F(HttpTest, OpenApiDescribesEveryTool) {
  auto r = request(port(), "GET", "/openapi.json");
  ASSERT_EQ(r.status, 200);
  Json j = body_json(r);
  EXPECT_EQ(j["openapi"], "3.1.0");
  EXPECT_EQ(j["paths"]["/node/v1/info"]["get"]["operationId"], "node.info");
  EXPECT_TRUE(j["paths"]["/node/v1/tools"]["get"]["responses"].contains("400"));
  EXPECT_TRUE(j["components"]["schemas"].contains("ErrorEnvelope"));
}

TEST_F(HttpTest, HeadGetsHeadersWithoutBody) {
  auto r = request(port(), "HEAD", "/node/v1/info");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(request(port(), "HEAD", "/health").status, 200);
}

// --- MCP over HTTP -------------------------------------------------------

RawResponse mcp_post(uint16_t port, const Json& msg, std::map<std::string, std::string> headers = {}) {
  headers.emplace("Content-Type", "application/json");
  headers.emplace("Accept", "application/json, text/event-stream");
  return request(port, "POST", "/mcp", headers, msg.dump());
}

TEST_F(HttpTest, McpSessionLifecycle) {
  auto init = mcp_post(port(), {{"jsonrpc", "2.0"}, {"id", 0}, {"method", "initialize"},
                                {"params", {{"protocolVersion", "2025-11-25"}, {"capabilities", Json::object()},
                                            {"clientInfo", {{"name", "t"}, {"version", "1"}}}}}});
  ASSERT_EQ(init.status, 200) << init.body;
  std::string sid = init.headers["mcp-session-id"];
  ASSERT_FALSE(sid.empty());
  EXPECT_EQ(body_json(init)["result"]["protocolVersion"], "2025-11-25");
  std::map<std::string, std::string> h = {{"Mcp-Session-Id", sid}, {"MCP-Protocol-Version", "2025-11-25"}};
  EXPECT_EQ(mcp_post(port(), {{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}}, h).status, 202);
  auto list = mcp_post(port(), {{"jsonrpc", "2.0"}, {"id", 1}, {"method", "tools/list"}}, h);
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(body_json(list)["result"]["tools"].size(), node_->node().pipeline().registry().list(true).size());
  auto call = mcp_post(port(), {{"jsonrpc", "2.0"}, {"id", 2}, {"method", "tools/call"},
                                {"params", {{"name", "node.info"}, {"arguments", Json::object()}}}}, h);
  Json res = body_json(call)["result"];
  EXPECT_FALSE(res["isError"].get<bool>());
  EXPECT_EQ(res["structuredContent"]["modules"][0]["name"], "node");
  EXPECT_EQ(res["content"][0]["type"], "text");
  // Missing session: 400; unknown: 404; wrong version header: 400.
  EXPECT_EQ(mcp_post(port(), {{"jsonrpc", "2.0"}, {"id", 3}, {"method", "tools/list"}}).status, 400);
  EXPECT_EQ(mcp_post(port(), {{"jsonrpc", "2.0"}, {"id", 3}, {"method", "tools/list"}}, {{"Mcp-Session-Id", "nope"}}).status, 404);
  EXPECT_EQ(mcp_post(port(), {{"jsonrpc", "2.0"}, {"id", 3}, {"method", "tools/list"}},
                     {{"Mcp-Session-Id", sid}, {"MCP-Protocol-Version", "1999-01-01"}}).status, 400);
  EXPECT_EQ(request(port(), "GET", "/mcp").status, 405);
  EXPECT_EQ(request(port(), "DELETE", "/mcp", {{"Mcp-Session-Id", sid}}).status, 204);
  EXPECT_EQ(mcp_post(port(), {{"jsonrpc", "2.0"}, {"id", 4}, {"method", "tools/list"}}, h).status, 404);
}

// POST /mcp from a given loopback source address (all of 127/8 is loopback
// on Linux), read to EOF: status and Mcp-Session-Id, or status 0.
std::pair<int, std::string> mcp_post_from(const char* source, uint16_t port, const std::string& body,
                                          const std::string& session = "") {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return {0, ""};
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in from{};
  from.sin_family = AF_INET;
  inet_pton(AF_INET, source, &from.sin_addr);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    ::close(fd);
    return {-1, ""};
  }
  std::string req = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                    "\r\nContent-Type: application/json\r\nAccept: application/json\r\nConnection: close\r\n" +
                    (session.empty() ? "" : "Mcp-Session-Id: " + session + "\r\n") +
                    "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  ::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  std::string resp;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) resp.append(buf, static_cast<size_t>(n));
  ::close(fd);
  int status = resp.size() > 12 ? std::atoi(resp.c_str() + 9) : 0;
  std::string sid;
  std::string lower = resp;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (size_t at = lower.find("\r\nmcp-session-id: "); at != std::string::npos) {
    size_t start = at + 18, end = resp.find("\r\n", start);
    sid = resp.substr(start, end - start);
  }
  return {status, sid};
}

// Issue 10, item 2: a flood of unauthenticated initialize calls from one source
// churns that source's own sessions, never another caller's.
TEST_F(HttpTest, McpInitializeFloodFromOneSourceLeavesOtherCallersSessions) {
  Json init = {{"jsonrpc", "2.0"}, {"id", 0}, {"method", "initialize"},
               {"params", {{"protocolVersion", "2025-11-25"}, {"capabilities", Json::object()},
                           {"clientInfo", {{"name", "t"}, {"version", "1"}}}}}};
  size_t before = node_->node().mcp().session_count();  // the node is shared by the suite's tests
  auto real = mcp_post(port(), init);  // from 127.0.0.1
  ASSERT_EQ(real.status, 200) << real.body;
  std::string real_sid = real.headers["mcp-session-id"];
  auto [first_status, flood_first_sid] = mcp_post_from("127.0.0.2", port(), init.dump());
  if (first_status == -1) GTEST_SKIP() << "cannot bind 127.0.0.2 here";
  ASSERT_EQ(first_status, 200);
  const size_t flood = 3 * McpServer::kMaxSessionsPerSource;
  for (size_t i = 0; i < flood; ++i) ASSERT_EQ(mcp_post_from("127.0.0.2", port(), init.dump()).first, 200) << i;
  EXPECT_EQ(node_->node().mcp().session_count(), before + 1 + McpServer::kMaxSessionsPerSource)
      << "the flood holds its share, no more";
  auto list = mcp_post(port(), {{"jsonrpc", "2.0"}, {"id", 1}, {"method", "tools/list"}},
                       {{"Mcp-Session-Id", real_sid}, {"MCP-Protocol-Version", "2025-11-25"}});
  EXPECT_EQ(list.status, 200) << "the earlier caller's session survived the flood: " << list.body;
  Json ping = {{"jsonrpc", "2.0"}, {"id", 2}, {"method", "ping"}};
  EXPECT_EQ(mcp_post_from("127.0.0.2", port(), ping.dump(), flood_first_sid).first, 404)
      << "the flooding source lost its own oldest session";
}

TEST_F(HttpTest, McpRefusesForeignOriginsAndHosts) {
  Json ping = {{"jsonrpc", "2.0"}, {"id", 1}, {"method", "initialize"}, {"params", {{"protocolVersion", "2025-06-18"}}}};
  EXPECT_EQ(mcp_post(port(), ping, {{"Origin", "http://evil.example"}}).status, 403);
  EXPECT_EQ(mcp_post(port(), ping, {{"Origin", "http://localhost:3000"}}).status, 200);
  Connection c(port());
  std::string body = ping.dump();
  ASSERT_TRUE(c.send("POST /mcp HTTP/1.1\r\nHost: attacker.example:80\r\nContent-Type: application/json\r\nContent-Length: " +
                     std::to_string(body.size()) + "\r\n\r\n" + body));
  EXPECT_EQ(c.read_response().status, 403);
}

TEST_F(HttpTest, McpMalformedMessagesGetJsonRpcErrors) {
  auto bad = request(port(), "POST", "/mcp", {{"Content-Type", "application/json"}}, "{nope");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(body_json(bad)["error"]["code"], -32700);
  EXPECT_FALSE(body_json(bad).contains("id"));
  auto batch = request(port(), "POST", "/mcp", {{"Content-Type", "application/json"}}, "[]");
  EXPECT_EQ(body_json(batch)["error"]["code"], -32600);
  EXPECT_EQ(request(port(), "POST", "/mcp", {{"Content-Type", "text/plain"}}, "{}").status, 415);
}

Json modern(Json msg) {
  msg["jsonrpc"] = "2.0";
  msg["params"]["_meta"] = {{"io.modelcontextprotocol/protocolVersion", "2026-07-28"},
                            {"io.modelcontextprotocol/clientCapabilities", Json::object()}};
  return msg;
}

TEST_F(HttpTest, McpStatelessRevision) {
  std::map<std::string, std::string> h = {{"MCP-Protocol-Version", "2026-07-28"}, {"Mcp-Method", "server/discover"}};
  auto disc = mcp_post(port(), modern({{"id", "d"}, {"method", "server/discover"}}), h);
  ASSERT_EQ(disc.status, 200) << disc.body;
  Json d = body_json(disc)["result"];
  EXPECT_EQ(d["resultType"], "complete");
  EXPECT_EQ(d["supportedVersions"][0], "2026-07-28");
  EXPECT_TRUE(d.contains("ttlMs"));
  EXPECT_TRUE(disc.headers.count("mcp-session-id") == 0);

  h = {{"MCP-Protocol-Version", "2026-07-28"}, {"Mcp-Method", "tools/call"}, {"Mcp-Name", "node.info"}};
  auto call = mcp_post(port(), modern({{"id", 1}, {"method", "tools/call"}, {"params", {{"name", "node.info"}}}}), h);
  ASSERT_EQ(call.status, 200) << call.body;
  EXPECT_EQ(body_json(call)["result"]["resultType"], "complete");
  EXPECT_FALSE(body_json(call)["result"]["isError"].get<bool>());

  // Header/body mismatch: 400 with -32020.
  h["Mcp-Name"] = "node.tools";
  auto mismatch = mcp_post(port(), modern({{"id", 2}, {"method", "tools/call"}, {"params", {{"name", "node.info"}}}}), h);
  EXPECT_EQ(mismatch.status, 400);
  EXPECT_EQ(body_json(mismatch)["error"]["code"], -32020);
  // Base64-encoded header values are decoded before comparing.
  h["Mcp-Name"] = "=?base64?bm9kZS5pbmZv?=";
  EXPECT_EQ(mcp_post(port(), modern({{"id", 3}, {"method", "tools/call"}, {"params", {{"name", "node.info"}}}}), h).status, 200);
  // Missing Mcp-Method: -32020.
  auto missing = mcp_post(port(), modern({{"id", 4}, {"method", "tools/list"}}), {{"MCP-Protocol-Version", "2026-07-28"}});
  EXPECT_EQ(body_json(missing)["error"]["code"], -32020);
  // Unsupported version in _meta: -32022 listing what we support.
  Json old = modern({{"id", 5}, {"method", "tools/list"}});
  old["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"] = "2026-01-01";
  auto unsup = mcp_post(port(), old, {{"MCP-Protocol-Version", "2026-07-28"}, {"Mcp-Method", "tools/list"}});
  EXPECT_EQ(unsup.status, 400);
  EXPECT_EQ(body_json(unsup)["error"]["code"], -32022);
  // Unknown method: 404 with -32601.
  auto unknown = mcp_post(port(), modern({{"id", 6}, {"method", "prompts/list"}}),
                          {{"MCP-Protocol-Version", "2026-07-28"}, {"Mcp-Method", "prompts/list"}});
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(body_json(unknown)["error"]["code"], -32601);
}

TEST(HttpDrainTest, StopFinishesAndRefusesNewConnections) {
  auto node = std::make_unique<ServedNode>();
  uint16_t port = node->port();
  Connection idle(port);
  ASSERT_TRUE(idle.ok());
  ASSERT_EQ(request(port, "GET", "/health").status, 200);
  node->stop();  // returns only once the server has drained
  EXPECT_TRUE(idle.closed_by_peer(2000));
  EXPECT_EQ(request(port, "GET", "/health").status, 0);
}

TEST(HttpLimitsTest, ConnectionLimitAnswers503) {
  Config c;
  c.max_connections = 1;
  ServedNode node(c);
  Connection first(node.port());
  ASSERT_TRUE(first.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_EQ(first.read_response().status, 200);
  auto second = request(node.port(), "GET", "/health");
  EXPECT_EQ(second.status, 503);
}

}  // namespace
}  // namespace anarq::test
