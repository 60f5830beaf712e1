// Each stage alone (with a scripted next stage), then the default pipeline.
#include <gtest/gtest.h>

#include "core/clock.h"
#include "pipeline/pipeline.h"

namespace anarq {
namespace {

// The terminal stage of a test chain: returns what the test scripted.
class Scripted final : public Stage {
 public:
  explicit Scripted(std::function<Result<Reply>(Call&)> fn) : fn_(std::move(fn)) {}
  const char* name() const override { return "scripted"; }
  Result<Reply> process(Call& c, Chain&) override {
    ++calls;
    return fn_(c);
  }
  int calls = 0;

 private:
  std::function<Result<Reply>(Call&)> fn_;
};

Tool tool(const std::string& name, Access access = Access::kPublic) {
  Tool t;
  t.name = name;
  t.description = "d";
  t.input_schema = R"({"type":"object","additionalProperties":false,"properties":{"n":{"type":"integer"}}})"_json;
  t.output_schema = {{"type", "object"}};
  t.http = {"GET", "/t/v1/x"};
  t.access = access;
  t.success_code = "DONE";
  t.success_message = "done";
  t.handler = [](Context&, const Json& in) -> Result<Reply> {
    if (in.value("n", 0) == 13) throw std::runtime_error("unlucky");
    if (in.value("n", 0) == 4) return Status::not_found("no four");
    return Json{{"n", in.value("n", 0)}};
  };
  return t;
}

class StagesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(registry_.add("t", tool("t.open"), true).ok());
    ASSERT_TRUE(registry_.add("t", tool("t.signed", Access::kIdentity), true).ok());
    ASSERT_TRUE(registry_.add("t", tool("t.hidden"), false).ok());
  }
  Call call(const std::string& name, Json input = Json::object()) {
    Pipeline p(registry_, metrics_, clock_, nullptr);
    Call c;
    c.tool_name = name;
    c.input = std::move(input);
    c.ctx = p.new_context(Transport::kHttp);
    c.ctx.client = nullptr;
    c.ctx.tool = registry_.find(name);
    return c;
  }
  // Runs `stage` with the scripted stage after it.
  Result<Reply> run(Stage& stage, Call& c, std::function<Result<Reply>(Call&)> next) {
    std::vector<std::unique_ptr<Stage>> chain;
    chain.push_back(std::make_unique<Scripted>(std::move(next)));
    Chain rest(chain, 0);
    return stage.process(c, rest);
  }
  ToolRegistry registry_;
  Metrics metrics_;
  ManualClock clock_{1764079200000};
};

TEST_F(StagesTest, EnvelopeWrapsSuccessAndErrors) {
  auto env = make_envelope_stage();
  Call ok = call("t.open");
  ASSERT_TRUE(run(*env, ok, [](Call&) -> Result<Reply> { return Reply(Json{{"a", 1}}, "MADE", "made"); }).ok());
  EXPECT_EQ(ok.http_status, 200);
  EXPECT_EQ(ok.envelope, (Json{{"status", "ok"}, {"code", "MADE"}, {"message", "made"}, {"data", {{"a", 1}}}}));
  EXPECT_EQ(ok.body, ok.envelope.dump());

  Call err = call("t.open");
  (void)run(*env, err, [](Call&) -> Result<Reply> {
    return Status(ErrorCode::kRateLimitExceeded, "slow").with_retry_after(7).with_suggestion("wait");
  });
  EXPECT_EQ(err.http_status, 429);
  EXPECT_EQ(err.envelope["status"], "error");
  EXPECT_EQ(err.envelope["code"], "RATE_LIMIT_EXCEEDED");
  EXPECT_EQ(err.envelope["timestamp"], "2025-11-25T14:00:00.000Z");
  EXPECT_EQ(err.envelope["requestId"], err.ctx.request_id);
  EXPECT_EQ(err.envelope["retryable"], true);
  EXPECT_EQ(err.envelope["suggestedActions"][0], "wait");
  EXPECT_EQ(err.response_headers[0], (std::pair<std::string, std::string>{"retry-after", "7"}));
}

TEST_F(StagesTest, EnvelopeCarriesTheCid) {
  auto env = make_envelope_stage();
  Call c = call("t.open");
  (void)run(*env, c, [](Call&) -> Result<Reply> {
    Reply r(Json::object(), "STORED", "stored");
    r.cid = "bafkqaaa";
    return r;
  });
  EXPECT_EQ(c.envelope["cid"], "bafkqaaa");
}

TEST_F(StagesTest, ResolveFindsExposedToolsOnly) {
  auto resolve = make_resolve_stage(registry_);
  Call unknown = call("t.nope");
  EXPECT_EQ(run(*resolve, unknown, [](Call&) -> Result<Reply> { return Json(); }).status().code(), "NOT_FOUND");
  Call hidden = call("t.hidden");
  EXPECT_EQ(run(*resolve, hidden, [](Call&) -> Result<Reply> { return Json(); }).status().code(), "NOT_FOUND");
  hidden.external = false;  // in-process callers reach unexposed dependencies
  EXPECT_TRUE(run(*resolve, hidden, [](Call&) -> Result<Reply> { return Json(); }).ok());
}

TEST_F(StagesTest, GuardTurnsExceptionsIntoInternalError) {
  auto guard = make_guard_stage();
  Call c = call("t.open");
  auto r = run(*guard, c, [](Call&) -> Result<Reply> { throw std::out_of_range("oops"); });
  EXPECT_EQ(r.status().code(), "INTERNAL_ERROR");
  EXPECT_NE(r.status().message().find(c.ctx.request_id), std::string::npos);
  auto odd = run(*guard, c, [](Call&) -> Result<Reply> { throw 42; });
  EXPECT_EQ(odd.status().code(), "INTERNAL_ERROR");
}

TEST_F(StagesTest, ValidateRefusesBadInputBeforeTheHandler) {
  auto validate = make_validate_stage(registry_);
  ASSERT_TRUE(validate.ok());
  Scripted* next_ptr = nullptr;
  Call c = call("t.open", {{"n", "x"}, {"zz", 1}});
  auto r = run(**validate, c, [&](Call&) -> Result<Reply> { return Json(); });
  EXPECT_EQ(r.status().code(), "VALIDATION_ERROR");
  EXPECT_EQ(r.status().details()["violations"].size(), 2u);
  (void)next_ptr;
  Call good = call("t.open", {{"n", 1}});
  EXPECT_TRUE(run(**validate, good, [](Call&) -> Result<Reply> { return Json(); }).ok());
  Call not_object = call("t.open", Json::array());
  EXPECT_EQ(run(**validate, not_object, [](Call&) -> Result<Reply> { return Json(); }).status().code(), "VALIDATION_ERROR");
}

TEST_F(StagesTest, AccessDeniesNonPublicToolsWithoutAnIdentity) {
  auto access = make_access_stage();
  int reached = 0;
  auto next = [&](Call&) -> Result<Reply> {
    ++reached;
    return Json();
  };
  Call open = call("t.open");
  EXPECT_TRUE(run(*access, open, next).ok());
  Call signed_call = call("t.signed");
  auto r = run(*access, signed_call, next);
  EXPECT_EQ(r.status().code(), "SQUID_IDENTITY_INVALID");
  EXPECT_EQ(r.status().http_status(), 401);
  EXPECT_EQ(reached, 1);
}

TEST_F(StagesTest, HandlerFillsTheToolsSuccessCode) {
  auto handler = make_handler_stage();
  Call c = call("t.open", {{"n", 2}});
  auto r = run(*handler, c, [](Call&) -> Result<Reply> { return Status::internal("never"); });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->code, "DONE");
  EXPECT_EQ(r->message, "done");
  EXPECT_EQ(r->data["n"], 2);
}

TEST_F(StagesTest, MetricsCountOutcomes) {
  auto m = make_metrics_stage(metrics_);
  Call c = call("t.open");
  (void)run(*m, c, [](Call&) -> Result<Reply> { return Status::not_found("x"); });
  std::string text = metrics_.render();
  EXPECT_NE(text.find("anarq_tool_errors_total{tool=\"t.open\",code=\"NOT_FOUND\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("anarq_tool_duration_seconds_count{tool=\"t.open\"} 1"), std::string::npos);
}

TEST_F(StagesTest, TraceEmitsTraceparentAndRequestId) {
  auto trace = make_trace_stage();
  Call c = call("t.open");
  (void)run(*trace, c, [](Call&) -> Result<Reply> { return Json(); });
  ASSERT_EQ(c.response_headers.size(), 2u);
  EXPECT_EQ(c.response_headers[0].first, "traceparent");
  EXPECT_EQ(c.response_headers[0].second, c.ctx.trace.traceparent());
  EXPECT_EQ(c.response_headers[1].second, c.ctx.request_id);
}

class PipelineTest : public StagesTest {
 protected:
  void SetUp() override {
    StagesTest::SetUp();
    pipeline_ = std::make_unique<Pipeline>(registry_, metrics_, clock_, nullptr);
    ASSERT_TRUE(add_default_stages(*pipeline_).ok());
  }
  Call exec(const std::string& name, Json input) {
    Call c;
    c.tool_name = name;
    c.input = std::move(input);
    c.ctx = pipeline_->new_context(Transport::kHttp);
    (void)pipeline_->execute(c);
    return c;
  }
  std::unique_ptr<Pipeline> pipeline_;
};

TEST_F(PipelineTest, StagesRunInTheDocumentedOrder) {
  EXPECT_EQ(pipeline_->stage_names(), (std::vector<std::string>{"trace", "metrics", "envelope", "resolve", "guard",
                                                                "authenticate", "access", "validate", "handler"}));
}

TEST_F(PipelineTest, EndToEndOutcomes) {
  EXPECT_EQ(exec("t.open", {{"n", 2}}).envelope["data"]["n"], 2);
  EXPECT_EQ(exec("t.open", {{"n", 4}}).http_status, 404);
  Call thrown = exec("t.open", {{"n", 13}});
  EXPECT_EQ(thrown.http_status, 500);
  EXPECT_EQ(thrown.envelope["code"], "INTERNAL_ERROR");
  EXPECT_EQ(exec("t.open", {{"n", "x"}}).http_status, 400);
  EXPECT_EQ(exec("t.signed", Json::object()).http_status, 401);
  EXPECT_EQ(exec("t.nope", Json::object()).http_status, 404);
  // An unsigned caller of an identity tool is refused before its input is
  // examined: authentication and access come before validation.
  EXPECT_EQ(exec("t.signed", {{"zz", 1}}).http_status, 401);
}

TEST_F(PipelineTest, NestedCallsShareTheTraceAndAreBounded) {
  Context parent = pipeline_->new_context(Transport::kHttp);
  auto r = parent.call("t.hidden", {{"n", 3}});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->data["n"], 3);
  parent.depth = kMaxCallDepth;
  EXPECT_EQ(parent.call("t.open", Json::object()).status().code(), "INTERNAL_ERROR");
}

TEST_F(PipelineTest, CallerRequestIdIsKeptWhenSane) {
  EXPECT_EQ(pipeline_->new_context(Transport::kHttp, {{"x-request-id", "abc"}}).request_id, "abc");
  EXPECT_EQ(pipeline_->new_context(Transport::kHttp, {{"x-request-id", "bad id"}}).request_id.size(), 36u);
  EXPECT_EQ(pipeline_->new_context(Transport::kHttp, {{"x-request-id", std::string(200, 'a')}}).request_id.size(), 36u);
}

}  // namespace
}  // namespace anarq
