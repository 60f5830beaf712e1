// Schema-driven bad input on every tool (issue 10, item 1): for each tool the
// registry exposes, inputs derived from its input schema (tests/bad_input_gen.h)
// go to the real binary over HTTP (the tool's own binding: path parameters,
// query for GET, JSON body otherwise) and over MCP (POST /mcp tools/call), each
// unsigned and signed by a fresh did:key. Every answer must be a 2xx or 4xx in
// the standard envelope (over MCP: a JSON-RPC result, isError with the error
// envelope for a tool error, or a JSON-RPC error), never a 5xx, a dropped
// connection or a hang; a crash of the node is reported with its sanitizer
// report and the node restarted; at the end it still answers /health and
// stops on SIGTERM. Failures are grouped by tool, transport, input class and
// answer, and the counts per status class are printed.
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <set>

#include "app/node.h"
#include "core/json.h"
#include "tests/bad_input_gen.h"
#include "tests/probe_client.h"
#include "tests/signing.h"
#include "tests/test_node.h"
#include "transport/router.h"

namespace anarq::test {
namespace {

constexpr int kTimeoutMs = 10'000;
constexpr const char* kTopic = "q.badinput.probe.v1";
constexpr const char* kConsumer = "bad-input-probe";
constexpr const char* kMcpVersion = "2025-11-25";

std::string percent_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string excerpt(const std::string& s, size_t n = 300) {
  std::string e = s.size() > n ? s.substr(0, n) + "...(" + std::to_string(s.size()) + " bytes)" : s;
  for (char& c : e)
    if (static_cast<unsigned char>(c) < 0x20 && c != '\n') c = '?';
  return e;
}

// A JSON-looking body out of an answer (the first `data:` of an SSE stream).
std::optional<Json> answer_json(const Answer& a) {
  std::string text = a.body;
  if (a.headers.count("content-type") && a.headers.at("content-type").find("text/event-stream") != std::string::npos) {
    size_t d = text.find("data:");
    if (d == std::string::npos) return std::nullopt;
    size_t e = text.find('\n', d);
    text = text.substr(d + 5, e == std::string::npos ? std::string::npos : e - d - 5);
  }
  auto j = parse_json(text);
  if (!j.ok()) return std::nullopt;
  return *j;
}

bool is_error_envelope(const Json& j) {
  return j.is_object() && j.value("status", "") == "error" && j.contains("code") && j["code"].is_string() &&
         j.contains("message") && j["message"].is_string() && j.contains("timestamp") && j.contains("requestId") &&
         j.contains("retryable") && j["retryable"].is_boolean();
}

bool is_server_error_code(const std::string& code) {
  auto c = error_code_from_name(code);
  return c && info(*c).http >= 500;
}

// The answer's defect, "" when it is acceptable.
std::string answer_kind_defect(const Answer& a) {
  switch (a.kind) {
    case Answer::Kind::kNoConnect: return "connection refused";
    case Answer::Kind::kDropped: return "connection dropped without a complete answer";
    case Answer::Kind::kTimeout: return "no answer within " + std::to_string(kTimeoutMs / 1000) + " s (hang)";
    case Answer::Kind::kAnswered: return "";
  }
  return "";
}

std::string http_defect(const Answer& a, std::string& request_id) {
  if (auto d = answer_kind_defect(a); !d.empty()) return d;
  auto j = answer_json(a);
  if (j && j->is_object()) request_id = j->value("requestId", "");
  std::string code = j && j->is_object() ? j->value("code", "") : "";
  if (a.status >= 500) return "HTTP " + std::to_string(a.status) + " " + code;
  if (a.status >= 200 && a.status < 300) {
    if (!j || !j->is_object() || j->value("status", "") != "ok" || !j->contains("data"))
      return "HTTP " + std::to_string(a.status) + " without the success envelope";
    return "";
  }
  if (a.status >= 400 && a.status < 500) {
    if (!j || !is_error_envelope(*j)) return "HTTP " + std::to_string(a.status) + " without the error envelope";
    return "";
  }
  return "HTTP " + std::to_string(a.status);
}

std::string mcp_defect(const Answer& a, int64_t id, std::string& request_id) {
  if (auto d = answer_kind_defect(a); !d.empty()) return d;
  auto j = answer_json(a);
  if (a.status >= 500) {
    if (j && j->is_object()) request_id = j->value("requestId", "");
    return "MCP HTTP " + std::to_string(a.status);
  }
  if (a.status >= 400 && a.status < 500) {
    // Before JSON-RPC (the body limit, a missing session): the error envelope or a JSON-RPC error.
    if (j && (is_error_envelope(*j) || (j->contains("error") && (*j)["error"].contains("code")))) return "";
    return "MCP HTTP " + std::to_string(a.status) + " without an error body";
  }
  if (a.status != 200) return "MCP HTTP " + std::to_string(a.status);
  if (!j || !j->is_object() || j->value("jsonrpc", "") != "2.0") return "MCP 200 without a JSON-RPC message";
  if (j->contains("error")) {
    const Json& e = (*j)["error"];
    if (!e.is_object() || !e.contains("code") || !e["code"].is_number_integer() || !e.contains("message"))
      return "MCP malformed JSON-RPC error";
    return "";
  }
  if (!j->contains("result") || !(*j)["result"].is_object()) return "MCP response with neither result nor error";
  if (!j->contains("id") || (*j)["id"] != id) return "MCP response to another id";
  const Json& r = (*j)["result"];
  if (!r.contains("content") || !r["content"].is_array() || r["content"].empty() || !r["content"][0].is_object() ||
      !r["content"][0].value("text", Json()).is_string())
    return "MCP result without a text content block";
  const Json meta = r.value("_meta", Json::object());
  if (r.value("isError", false)) {
    // The error envelope: in _meta["anarq/error"] (docs/mcp.md), else structuredContent, else content[1].
    Json env;
    if (meta.is_object() && meta.contains("anarq/error")) env = meta["anarq/error"];
    else if (r.contains("structuredContent")) env = r["structuredContent"];
    else if (r["content"].size() > 1 && r["content"][1].value("text", Json()).is_string())
      if (auto e = parse_json(r["content"][1]["text"].get<std::string>()); e.ok()) env = *e;
    if (!is_error_envelope(env)) return "MCP isError without the error envelope";
    request_id = env.value("requestId", "");
    std::string code = env["code"];
    if (is_server_error_code(code)) return "MCP isError " + code;
    if (meta.is_object() && meta.value("anarq/httpStatus", 0) >= 500)
      return "MCP isError with httpStatus " + std::to_string(meta.value("anarq/httpStatus", 0));
    return "";
  }
  if (r.contains("structuredContent") && !r["structuredContent"].is_object())
    return "MCP result whose structuredContent is not an object";
  return "";
}

struct Request {
  std::string method, target, body;
};

// The HTTP request that carries `b` to tool `t` through its binding, the way
// transport/router.cc assembles input: path parameters, then the query (GET)
// or the JSON body.
Request http_request(const Tool& t, const BadInput& b) {
  Request r{t.http.method, "", ""};
  const auto params = template_params(t.http.path);
  const std::set<std::string> param_set(params.begin(), params.end());
  // Members of the input: JSON text and, when a query can carry them, the values.
  struct Member {
    std::string json;
    std::optional<std::vector<std::string>> query;
  };
  std::map<std::string, Member> members;
  auto scalar = [](const Json& j) {
    Member m{j.dump(), std::nullopt};
    if (j.is_string()) m.query = std::vector<std::string>{j.get<std::string>()};
    else if (j.is_number() || j.is_boolean()) m.query = std::vector<std::string>{j.dump()};
    return m;
  };
  for (const auto& [k, v] : b.base.items()) members[k] = scalar(v);
  bool whole = b.http_body.has_value() || b.big_body > 0;
  std::string changed;
  if (!whole && !b.path.empty()) {
    changed = b.path[0];
    if (b.path.size() == 1) {
      if (b.value) members[changed] = {b.value->json, b.value->query};
      else members.erase(changed);
    } else {
      BadInput inner = b;
      inner.base = b.base.at(changed);
      inner.path.erase(inner.path.begin());
      members[changed] = {render_input(inner), std::nullopt};
    }
  }
  std::string path;
  std::vector<std::pair<std::string, std::string>> body_members;
  for (const auto& seg : [&] {
         std::vector<std::string> segs;
         std::string p = t.http.path;
         size_t i = 1;
         while (i <= p.size()) {
           size_t j = p.find('/', i);
           if (j == std::string::npos) j = p.size();
           segs.push_back(p.substr(i, j - i));
           i = j + 1;
         }
         return segs;
       }()) {
    path += "/";
    if (seg.size() > 2 && seg.front() == '{') {
      std::string name = seg.substr(1, seg.size() - 2);
      auto it = members.find(name);
      if (it == members.end()) continue;  // missing: an empty segment
      if (it->second.query && it->second.query->size() == 1) {
        path += percent_encode((*it->second.query)[0]);
      } else {
        // Not a path value (an object, null): the baseline in the path, the value in the body.
        if (b.base.contains(name)) path += percent_encode(scalar(b.base[name]).query.value_or(std::vector<std::string>{"x"})[0]);
        body_members.emplace_back(name, it->second.json);
      }
    } else {
      path += seg;
    }
  }
  std::string query;
  for (const auto& [name, m] : members) {
    if (param_set.count(name)) continue;
    if (whole) continue;
    if (t.http.method == "GET" && m.query) {
      std::string q;
      for (const auto& v : *m.query) q += (q.empty() ? "" : "&") + percent_encode(name) + "=" + percent_encode(v);
      if (q.size() <= 8192) {
        query += (query.empty() ? "" : "&") + q;
        continue;
      }
    }
    body_members.emplace_back(name, m.json);
  }
  r.target = path + (query.empty() ? "" : "?" + query);
  if (b.big_body > 0) {
    r.body = "{\"zz\":\"" + std::string(b.big_body, 'x') + "\"}";
  } else if (b.http_body) {
    r.body = *b.http_body;
  } else if (!body_members.empty()) {
    r.body = "{";
    for (size_t i = 0; i < body_members.size(); ++i)
      r.body += (i ? "," : "") + Json(body_members[i].first).dump() + ":" + body_members[i].second;
    r.body += "}";
  } else if (t.http.method != "GET" && t.http.method != "DELETE") {
    r.body = "{}";
  }
  return r;
}

// The tools/call message that carries `b` as the tool's arguments.
std::string mcp_body(const Tool& t, const BadInput& b, int64_t id) {
  std::string args;
  if (b.big_body > 0) args = "{\"zz\":\"" + std::string(b.big_body, 'x') + "\"}";
  else if (b.mcp_arguments) args = *b.mcp_arguments;
  else if (b.http_body) args = *b.http_body;
  else args = render_input(b);
  std::string msg = "{\"jsonrpc\":\"2.0\",\"id\":" + std::to_string(id) +
                    ",\"method\":\"tools/call\",\"params\":{\"name\":" + Json(t.name).dump();
  if (!args.empty()) msg += ",\"arguments\":" + args;
  return msg + "}}";
}

std::string head_of(const std::string& method, const std::string& target,
                    const std::map<std::string, std::string>& headers, size_t body_size) {
  std::string h = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const auto& [k, v] : headers) h += k + ": " + v + "\r\n";
  return h + "Content-Length: " + std::to_string(body_size) + "\r\nConnection: close\r\n\r\n";
}

struct Group {
  size_t count = 0;
  std::string example;
};

class BadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_dir("anarq-bad-input");
    node_ = std::make_unique<NodeProcess>(ANARQ_BIN, dir_ + "/data", dir_ + "/node.log");
    std::string why;
    ASSERT_TRUE(node_->start(why)) << why;
    did_ = crypto::did_key_from_ed25519(key_.public_key());
  }
  void TearDown() override {
    node_.reset();
    std::error_code ec;
    if (!HasFailure()) std::filesystem::remove_all(dir_, ec);
    else std::cout << "bad-input: node log kept in " << dir_ << "/node.log\n";
  }

  Answer send(const std::string& method, const std::string& target, std::map<std::string, std::string> headers,
              const std::string& body, bool sign) {
    if (sign)
      for (auto& [k, v] : sign_request(key_, method, target, body)) headers[k] = v;
    else
      headers.emplace("content-type", "application/json");
    return exchange(node_->port(), head_of(method, target, headers, body.size()), body, kTimeoutMs);
  }

  bool mcp_initialize() {
    std::string init = Json{{"jsonrpc", "2.0"}, {"id", 0}, {"method", "initialize"},
                            {"params", {{"protocolVersion", kMcpVersion}, {"capabilities", Json::object()},
                                        {"clientInfo", {{"name", "bad-input-test"}, {"version", "1"}}}}}}.dump();
    Answer a = send("POST", "/mcp", {{"Accept", "application/json, text/event-stream"}}, init, false);
    session_ = a.headers.count("mcp-session-id") ? a.headers["mcp-session-id"] : "";
    if (session_.empty()) return false;
    send("POST", "/mcp", mcp_headers(), R"({"jsonrpc":"2.0","method":"notifications/initialized"})", false);
    return true;
  }
  std::map<std::string, std::string> mcp_headers() const {
    return {{"Accept", "application/json, text/event-stream"}, {"Mcp-Session-Id", session_},
            {"MCP-Protocol-Version", kMcpVersion}};
  }

  // After an answer that is no answer: is the node dead, or hung? Restart it if so.
  void check_node(const std::string& context) {
    if (!node_->alive()) {
      ++restarts_;
      add_failure(context + " -> node crashed (" + node_->death() + ")",
                  "log of the dying node:\n" + node_->log_since(log_mark_, 8000));
      restart();
      return;
    }
    Answer h = exchange(node_->port(), head_of("GET", "/health", {}, 0), "", kTimeoutMs);
    if (h.kind != Answer::Kind::kAnswered || h.status != 200) {
      ++restarts_;
      add_failure(context + " -> node alive but /health unanswered (" + answer_kind_defect(h) + ")",
                  node_->log_since(log_mark_, 3000));
      node_->kill_hard();
      restart();
    }
  }
  void restart() {
    std::string why;
    log_mark_ = node_->log_size();
    if (!node_->start(why)) {
      ADD_FAILURE() << "the node did not restart: " << why;
      dead_ = true;
      return;
    }
    if (!mcp_initialize()) ADD_FAILURE() << "MCP initialize failed after a restart";
  }

  void add_failure(const std::string& key, const std::string& example) {
    Group& g = groups_[key];
    if (g.count++ == 0) g.example = example;
  }

  // One input to one tool over one transport; counts the answer and records a defect.
  void probe(const Tool& t, const BadInput& b, bool mcp, bool sign) {
    if (dead_) return;
    std::string transport = std::string(mcp ? "MCP" : "HTTP") + (sign ? " signed" : " unsigned");
    Answer a;
    std::string sent, defect, request_id;
    const size_t mark = node_->log_size();
    if (mcp) {
      int64_t id = ++rpc_id_;
      std::string body = mcp_body(t, b, id);
      sent = "POST /mcp " + excerpt(body, 400);
      a = send("POST", "/mcp", mcp_headers(), body, sign);
      defect = mcp_defect(a, id, request_id);
      ++requests_;
      auto j = a.kind == Answer::Kind::kAnswered ? answer_json(a) : std::nullopt;
      if (a.kind != Answer::Kind::kAnswered) ++mcp_stats_[answer_kind_defect(a)];
      else if (a.status != 200) ++mcp_stats_["HTTP " + std::to_string(a.status / 100) + "xx"];
      else if (j && j->contains("error")) ++mcp_stats_["JSON-RPC error"];
      else if (j && j->contains("result") && (*j)["result"].value("isError", false)) ++mcp_stats_["isError"];
      else ++mcp_stats_["result"];
    } else {
      Request r = http_request(t, b);
      sent = r.method + " " + excerpt(r.target, 200) + " " + excerpt(r.body, 400);
      a = send(r.method, r.target, {}, r.body, sign);
      defect = http_defect(a, request_id);
      ++requests_;
      if (a.kind != Answer::Kind::kAnswered) ++http_stats_[answer_kind_defect(a)];
      else ++http_stats_[std::to_string(a.status / 100) + "xx"];
    }
    slowest_ = std::max(slowest_, a.seconds);
    if (b.cls == "valid-baseline" && !mcp && sign) {
      auto j = a.kind == Answer::Kind::kAnswered ? answer_json(a) : std::nullopt;
      baselines_[t.name] = std::to_string(a.status) + (j && j->is_object() ? " " + j->value("code", "") : "");
    }
    if (defect.empty()) return;
    std::string key = t.name + " | " + transport + " | " + b.cls + " | " + defect;
    std::string example = "at " + (b.where.empty() ? std::string("(whole input)") : b.where) + ": " + sent +
                          "\n  answer: " + std::to_string(a.status) + " " + excerpt(a.body, 500) + " (" +
                          std::to_string(a.seconds) + " s)";
    for (const auto& line : node_->log_lines_with(request_id)) example += "\n  log: " + line;
    if (request_id.empty() && a.status >= 500) example += "\n  log: " + excerpt(node_->log_since(mark, 1500), 1500);
    if (a.kind != Answer::Kind::kAnswered) {
      log_mark_ = mark;
      add_failure(key, example);
      check_node(t.name + " | " + transport + " | " + b.cls);
      return;
    }
    add_failure(key, example);
  }

  // A setup call through the same HTTP path; its data, or null.
  Json setup_call(const std::map<std::string, const Tool*>& tools, const std::string& name, const Json& input) {
    auto it = tools.find(name);
    if (it == tools.end()) return nullptr;
    BadInput b;
    b.base = input;
    Request r = http_request(*it->second, b);
    Answer a = send(r.method, r.target, {}, r.body, true);
    auto j = answer_json(a);
    if (a.status / 100 != 2 || !j) {
      std::cout << "bad-input: setup " << name << " answered " << a.status << " " << excerpt(a.body) << "\n";
      return nullptr;
    }
    return (*j)["data"];
  }

  std::string dir_;
  std::unique_ptr<NodeProcess> node_;
  crypto::Ed25519KeyPair key_ = crypto::ed25519_generate();
  std::string did_;
  std::string session_;
  int64_t rpc_id_ = 0;
  size_t log_mark_ = 0;
  size_t requests_ = 0;
  int restarts_ = 0;
  bool dead_ = false;
  double slowest_ = 0;
  std::map<std::string, size_t> http_stats_, mcp_stats_;
  std::map<std::string, Group> groups_;
  std::map<std::string, std::string> baselines_;  // tool -> signed HTTP answer to its valid baseline
};

TEST_F(BadInputTest, EveryToolOverHttpAndMcpAnswersOnly4xxEnvelopes) {
  const auto started = std::chrono::steady_clock::now();
  // The registry as the binary builds it (same modules, same schemas).
  Config c;
  c.log_level = "off";
  Node registry_node(c, /*in_memory=*/true);
  ASSERT_TRUE(registry_node.start().ok());
  std::vector<const Tool*> tools = registry_node.pipeline().registry().list(/*exposed_only=*/true);
  ASSERT_FALSE(tools.empty());
  // What removes the state other tools use goes last.
  std::stable_sort(tools.begin(), tools.end(), [](const Tool* a, const Tool* b) {
    auto late = [](const Tool* t) {
      return t->name.find("delete") != std::string::npos || t->name.find("revoke") != std::string::npos ||
             t->name.find("unsubscribe") != std::string::npos;
    };
    return !late(a) && late(b);
  });
  std::map<std::string, const Tool*> by_name;
  for (const Tool* t : tools) by_name[t->name] = t;

  ASSERT_TRUE(mcp_initialize());
  // State that lets valid baselines reach past NOT_FOUND: the signer's identity,
  // a topic with a schema, a key, a signature, a durable consumer.
  setup_call(by_name, "squid.create", {{"name", "Bad Input Probe"}});
  setup_call(by_name, "registry.register", {{"topic", kTopic}, {"schema", {{"type", "object"}}}});
  Json key = setup_call(by_name, "qlock.key.create", {{"purpose", "ENCRYPTION"}});
  Json sealed = setup_call(by_name, "qlock.encrypt", {{"data", "probe"}});
  Json sig = setup_call(by_name, "qlock.sign", {{"data", "probe"}});
  setup_call(by_name, "events.subscribe", {{"consumer", kConsumer}});

  const std::string topic_re = R"(^q\.[a-z][a-z0-9]*(\.[a-z][a-z0-9_]*)+\.v[1-9][0-9]*$)";
  std::map<std::string, std::string> patterns = {
      {"^did:key:z6Mk[1-9A-HJ-NP-Za-km-z]{44}$", did_},
      {"^did:key:z6Mk[1-9A-HJ-NP-Za-km-z]+$", did_},
      {topic_re, kTopic},
      {"^[A-Za-z0-9_-]{1,64}$", kConsumer},
      {"^[a-z][a-z0-9]*$", "node"},
      {"^[A-Za-z0-9_-]{16,64}$", "abcdefghijklmnop0123"},
      {"^[a-z0-9_-]{1,32}$", "tag-1"},
      {"^[A-Za-z0-9 _.-]{1,100}$", "Bad Input Probe"},
      {"^[a-z][a-z0-9]{0,31}$", "operator"},
      {"^[A-Za-z0-9_-]{86}$", std::string(86, 'A')},
      {"^b[a-z2-7]{58}$", "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"},
      {"^[A-Za-z0-9+/]*={0,2}$", "cHJvYmU="},
  };
  std::map<std::string, Json> names = {{"data", "probe"}};
  if (key.is_object() && key.contains("key") && key["key"].contains("keyId")) names["keyId"] = key["key"]["keyId"];
  if (sealed.is_object() && sealed.contains("ciphertext")) names["ciphertext"] = sealed["ciphertext"];
  if (sig.is_object() && sig.contains("signature")) names["signature"] = sig["signature"];
  else if (sig.is_object()) names["signature"] = sig;

  Generator gen(patterns, names);
  size_t inputs = 0;
  std::map<std::string, size_t> per_tool;
  for (const Tool* t : tools) {
    const auto params = template_params(t->http.path);
    auto cases = gen.cases(t->input_schema, std::set<std::string>(params.begin(), params.end()));
    per_tool[t->name] = cases.size();
    for (const auto& b : cases) {
      ++inputs;
      for (bool mcp : {false, true})
        for (bool sign : {false, true}) probe(*t, b, mcp, sign);
    }
  }

  // Transport-level bodies no tool sees.
  for (const std::string& body : {std::string("not json"), std::string("[]"), std::string(100'000, '['),
                                  std::string(R"({"jsonrpc":"2.0","id":1,"method":"tools/call"})"),
                                  std::string(R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":7}})")}) {
    Answer a = send("POST", "/mcp", mcp_headers(), body, false);
    std::string rid;
    ++requests_;
    if (auto d = mcp_defect(a, 1, rid); !d.empty() && d != "MCP response to another id")
      add_failure("(mcp) | MCP unsigned | protocol:" + excerpt(body, 40) + " | " + d, excerpt(a.body));
  }

  Answer health = exchange(node_->port(), head_of("GET", "/health", {}, 0), "", kTimeoutMs);
  EXPECT_EQ(health.status, 200) << "the node no longer answers /health: " << answer_kind_defect(health);
  std::string how;
  EXPECT_TRUE(node_->stop(30'000, how)) << "after the run, SIGTERM: " << how << "\n" << node_->log_since(log_mark_, 3000);

  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cout << "bad-input: " << tools.size() << " tools, " << inputs << " inputs, " << requests_
            << " requests (HTTP and MCP, unsigned and signed) in " << secs << " s; slowest answer " << slowest_
            << " s; node restarts " << restarts_ << "\n  HTTP:";
  for (const auto& [k, n] : http_stats_) std::cout << " " << k << " " << n << ";";
  std::cout << "\n  MCP:";
  for (const auto& [k, n] : mcp_stats_) std::cout << " " << k << " " << n << ";";
  std::cout << "\n  inputs per tool:";
  for (const auto& [k, n] : per_tool) std::cout << " " << k << " " << n << ";";
  std::cout << "\n";
  std::cout << "  valid baselines (signed HTTP):";
  for (const auto& [k, v] : baselines_) std::cout << " " << k << " " << v << ";";
  std::cout << "\n";
  for (const auto& p : gen.unmatched_patterns()) std::cout << "  no valid sample for pattern " << p << "\n";
  std::cout << "  defects: " << groups_.size() << " distinct (tool | transport | input class | answer)\n";
  for (const auto& [k, g] : groups_) std::cout << "    " << g.count << "x " << k << "\n";
  for (const auto& [k, g] : groups_) ADD_FAILURE() << k << " (" << g.count << "x)\n  " << g.example;
}

}  // namespace
}  // namespace anarq::test
