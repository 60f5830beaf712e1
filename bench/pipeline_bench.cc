// In-process costs: a tool call through the whole pipeline, schema validation,
// JSON parsing and the MCP tools/call path. Run:
//   build/release/bench/anarq_pipeline_bench --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include "app/node.h"
#include "core/json.h"
#include "core/log.h"
#include "core/schema_validator.h"

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

}  // namespace
}  // namespace anarq
