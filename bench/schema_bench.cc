// Schema validation: core/schema_validator (RE2, bounds first) against valijson
// 1.0, the validator it replaced, on the schemas the tools publish in
// modules/<m>/mcp.json. Run (see docs/performance.md, "Schema validation"):
//   build/release/bench/anarq_schema_bench --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "core/schema_validator.h"

namespace anarq {
namespace {

Json tool_input_schema(const std::string& module, const std::string& tool) {
  std::ifstream f(std::string(ANARQ_SOURCE_DIR) + "/modules/" + module + "/mcp.json");
  std::stringstream ss;
  ss << f.rdbuf();
  const Json manifest = Json::parse(ss.str());
  for (const auto& t : manifest["tools"])
    if (t["name"] == tool) return t["inputSchema"];
  throw std::runtime_error("no tool " + tool);
}

// As the product used valijson: parsed once, one Validator per thread (its
// regex cache), every error collected.
struct Valijson {
  valijson::Schema schema;
  explicit Valijson(const Json& s) {
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    valijson::adapters::NlohmannJsonAdapter adapter(s);
    parser.populateSchema(adapter, schema);
  }
  size_t validate(const Json& doc) const {
    thread_local valijson::Validator validator(valijson::Validator::kStrongTypes);
    valijson::ValidationResults results;
    valijson::adapters::NlohmannJsonAdapter adapter(doc);
    validator.validate(schema, adapter, &results);
    return results.numErrors();
  }
};

const Json& encrypt_schema() {
  static const Json s = tool_input_schema("qlock", "qlock.encrypt");
  return s;
}
const Json& encrypt_input() {
  static const Json in = {{"data", "a short secret to encrypt"}, {"encoding", "utf8"},
                          {"recipient", "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"}};
  return in;
}
const Json& create_schema() {
  static const Json s = tool_input_schema("squid", "squid.create");
  return s;
}
const Json& tags_input() {
  static const Json in = [] {
    Json tags = Json::array();
    for (int i = 0; i < 20000; ++i) tags.push_back("tag" + std::to_string(i % 1000));
    return Json{{"name", "alice"}, {"tags", tags}};
  }();
  return in;
}

void BM_EncryptInput_Ours(benchmark::State& state) {
  auto v = *SchemaValidator::compile(encrypt_schema());
  for (auto _ : state) benchmark::DoNotOptimize(v->validate(encrypt_input()));
}
BENCHMARK(BM_EncryptInput_Ours);

void BM_EncryptInput_Valijson(benchmark::State& state) {
  Valijson v(encrypt_schema());
  for (auto _ : state) benchmark::DoNotOptimize(v.validate(encrypt_input()));
}
BENCHMARK(BM_EncryptInput_Valijson);

void BM_Tags20000_Ours(benchmark::State& state) {
  auto v = *SchemaValidator::compile(create_schema());
  for (auto _ : state) benchmark::DoNotOptimize(v->validate(tags_input()));
}
BENCHMARK(BM_Tags20000_Ours)->Unit(benchmark::kMicrosecond);

void BM_Tags20000_Valijson(benchmark::State& state) {
  Valijson v(create_schema());
  for (auto _ : state) benchmark::DoNotOptimize(v.validate(tags_input()));
}
BENCHMARK(BM_Tags20000_Valijson)->Unit(benchmark::kMillisecond)->Iterations(2);

// Ours without the maxItems bound: the uniqueness check itself (sorting 20 000 canonical forms).
void BM_Tags20000Unbounded_Ours(benchmark::State& state) {
  Json s = create_schema();
  s["properties"]["tags"].erase("maxItems");
  auto v = *SchemaValidator::compile(s);
  for (auto _ : state) benchmark::DoNotOptimize(v->validate(tags_input()));
}
BENCHMARK(BM_Tags20000Unbounded_Ours)->Unit(benchmark::kMillisecond);

// A 200 000-character did:key against the unbounded did:key pattern (std::regex overflowed the stack here).
void BM_HugeDidPattern_Ours(benchmark::State& state) {
  auto v = *SchemaValidator::compile(Json{{"type", "string"}, {"pattern", "^did:key:z6Mk[1-9A-HJ-NP-Za-km-z]+$"}});
  Json did = "did:key:z6Mk" + std::string(200000, 'a');
  for (auto _ : state) benchmark::DoNotOptimize(v->validate(did));
}
BENCHMARK(BM_HugeDidPattern_Ours)->Unit(benchmark::kMicrosecond);

// The worst schema a caller can register: 40 levels of anyOf over $refs (2^40
// evaluations unbounded) stopped by the work budget.
void BM_ExponentialSchema_Ours(benchmark::State& state) {
  Json s = {{"definitions", Json::object()}, {"$ref", "#/definitions/d0"}};
  for (int i = 0; i < 40; ++i) {
    std::string next = "#/definitions/d" + std::to_string(i + 1);
    s["definitions"]["d" + std::to_string(i)] = {{"anyOf", {{{"$ref", next}}, {{"$ref", next}}}}};
  }
  s["definitions"]["d40"] = {{"type", "string"}};
  auto v = *SchemaValidator::compile(s);
  for (auto _ : state) benchmark::DoNotOptimize(v->validate(Json(1)));
}
BENCHMARK(BM_ExponentialSchema_Ours)->Unit(benchmark::kMillisecond);

void BM_Compile_Ours(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(SchemaValidator::compile(create_schema()));
}
BENCHMARK(BM_Compile_Ours);

}  // namespace
}  // namespace anarq
