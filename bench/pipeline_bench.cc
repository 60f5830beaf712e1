// In-process costs: a tool call through the whole pipeline, schema validation,
// JSON parsing and the MCP tools/call path. Run:
//   build/release/bench/anarq_pipeline_bench --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include "app/node.h"
#include "core/json.h"
#include "core/log.h"
#include "core/schema_validator.h"
#include "tests/signing.h"

namespace anarq {
namespace {

Node& node() {
  static Node* n = [] {
    Config c;
    log::set_level("off");
    auto* node = new Node(c, /*in_memory=*/true);
    if (!node->start().ok()) std::abort();
    return node;
  }();
  return *n;
}

void BM_PipelineNodeInfo(benchmark::State& state) {
  for (auto _ : state) {
    Call c = node().call("node.info", Json::object());
    benchmark::DoNotOptimize(c.body);
  }
}
BENCHMARK(BM_PipelineNodeInfo);

void BM_PipelineValidationError(benchmark::State& state) {
  Json bad = {{"module", "Not Valid"}, {"extra", 1}};
  for (auto _ : state) {
    Call c = node().call("node.tools", bad);
    benchmark::DoNotOptimize(c.body);
  }
}
BENCHMARK(BM_PipelineValidationError);

void BM_ValidateToolsOutput(benchmark::State& state) {
  const Tool* t = node().pipeline().registry().find("node.tools");
  auto v = *SchemaValidator::compile(t->output_schema);
  Json out = node().call("node.tools", Json::object()).envelope["data"];
  for (auto _ : state) benchmark::DoNotOptimize(v->validate(out));
}
BENCHMARK(BM_ValidateToolsOutput);

void BM_ParseJson1KiB(benchmark::State& state) {
  std::string text = node().call("node.info", Json::object()).body;
  for (auto _ : state) benchmark::DoNotOptimize(parse_json(text));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_ParseJson1KiB);

void BM_McpToolsCallStdio(benchmark::State& state) {
  McpStdioState st;
  std::string msg = R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"node.info","arguments":{}}})";
  for (auto _ : state) benchmark::DoNotOptimize(node().mcp().handle_stdio(msg, st));
}
BENCHMARK(BM_McpToolsCallStdio);

// Signed requests (issue 5 goal: authenticated calls/s >= 0.7x raw Ed25519
// verifies/s). The client-side signing happens before the timed loop.
void BM_Ed25519Verify(benchmark::State& state) {
  auto key = crypto::ed25519_generate();
  std::string msg(256, 'm');
  std::string sig = crypto::ed25519_sign(key, msg);
  for (auto _ : state) benchmark::DoNotOptimize(crypto::ed25519_verify(key.public_key(), msg, sig));
}
BENCHMARK(BM_Ed25519Verify);

constexpr int kSignedIterations = 30000;

void BM_AuthenticatedNodeInfo(benchmark::State& state) {
  static auto key = crypto::ed25519_generate();
  std::vector<std::map<std::string, std::string>> signed_headers;
  signed_headers.reserve(kSignedIterations);
  for (int i = 0; i < kSignedIterations; ++i) signed_headers.push_back(test::sign_request(key, "GET", "/node/v1/info", ""));
  static const std::string empty;
  size_t i = 0;
  for (auto _ : state) {
    Call c;
    c.tool_name = "node.info";
    c.ctx = node().pipeline().new_context(Transport::kHttp, signed_headers[i++ % signed_headers.size()]);
    c.ctx.method = "GET";
    c.ctx.target = "/node/v1/info";
    c.ctx.body = &empty;
    (void)node().pipeline().execute(c);
    if (c.http_status != 200) state.SkipWithError("signed call refused");
    benchmark::DoNotOptimize(c.body);
  }
}
BENCHMARK(BM_AuthenticatedNodeInfo)->Iterations(kSignedIterations);

void BM_UnsignedHttpNodeInfo(benchmark::State& state) {
  for (auto _ : state) {
    Call c;
    c.tool_name = "node.info";
    c.ctx = node().pipeline().new_context(Transport::kHttp);
    (void)node().pipeline().execute(c);
    benchmark::DoNotOptimize(c.body);
  }
}
BENCHMARK(BM_UnsignedHttpNodeInfo);

}  // namespace
}  // namespace anarq
