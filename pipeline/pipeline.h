#pragma once
// Pipeline: the ordered list of stages every tool call goes through, whatever
// the transport (../shared/ARCHITECTURE.md section 2). Stages are small objects
// that call the rest of the chain; each is unit-tested alone.
//
//   Pipeline p(host.registry(), metrics, clock, db);
//   add_default_stages(p);
//   Call call;
//   call.tool_name = "node.info";
//   call.input = Json::object();
//   call.ctx = p.new_context(Transport::kHttp);
//   p.execute(call);          // never throws
//   send(call.http_status, call.body);
//
// Thread-safety: execute() may run on many threads at once; stages are
// immutable after start-up or guard their own state.
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/metrics.h"
#include "runtime/client.h"
#include "runtime/registry.h"

namespace anarq {

class Clock;
class Db;

struct Call {
  std::string tool_name;
  Json input = Json::object();
  Context ctx;
  size_t request_bytes = 0;
  bool external = true;  // from a transport: only exposed tools answer

  // Filled by the pipeline. For external calls the success envelope takes the
  // Reply's data over (the returned Reply's data is then empty); in-process
  // calls (external == false) get the Reply and no envelope.
  int http_status = 0;
  Json envelope;
  std::string body;  // envelope, serialised once
  std::vector<std::pair<std::string, std::string>> response_headers;
};

class Chain;

class Stage {
 public:
  virtual ~Stage() = default;
  virtual const char* name() const = 0;
  virtual Result<Reply> process(Call& call, Chain& next) = 0;
};

// The rest of the pipeline after the current stage.
class Chain {
 public:
  Chain(const std::vector<std::unique_ptr<Stage>>& stages, size_t index) : stages_(stages), index_(index) {}
  Result<Reply> proceed(Call& call);

 private:
  const std::vector<std::unique_ptr<Stage>>& stages_;
  size_t index_;
};

class Pipeline final : public Client {
 public:
  Pipeline(const ToolRegistry& registry, Metrics& metrics, const Clock& clock, Db* db);

  void add(std::unique_ptr<Stage> stage) { stages_.push_back(std::move(stage)); }
  std::vector<std::string> stage_names() const;

  // A fresh context: request id, trace, clock, db and this pipeline as client.
  Context new_context(Transport transport, const std::map<std::string, std::string>& headers = {});

  // Runs every stage; fills call.http_status, call.envelope and call.body.
  // Never throws.
  Result<Reply> execute(Call& call);

  // Client: a nested in-process call (same identity and trace, child span).
  Result<Reply> call(const std::string& tool, const Json& input, const Context& parent) override;

  const ToolRegistry& registry() const { return registry_; }
  Metrics& metrics() { return metrics_; }
  const Clock& clock() const { return clock_; }
  Db* db() const { return db_; }

 private:
  const ToolRegistry& registry_;
  Metrics& metrics_;
  const Clock& clock_;
  Db* db_;
  std::vector<std::unique_ptr<Stage>> stages_;
};

// The stages, outermost first. Factories keep the classes private to stages.cc.
std::unique_ptr<Stage> make_trace_stage();
std::unique_ptr<Stage> make_metrics_stage(Metrics& metrics);
std::unique_ptr<Stage> make_envelope_stage();
std::unique_ptr<Stage> make_resolve_stage(const ToolRegistry& registry);
std::unique_ptr<Stage> make_guard_stage();
// Compiles every tool's input schema now; a bad schema fails start-up.
Result<std::unique_ptr<Stage>> make_validate_stage(const ToolRegistry& registry);
std::unique_ptr<Stage> make_access_stage();
std::unique_ptr<Stage> make_handler_stage();

// trace, metrics, envelope, resolve, guard, authenticate, access, validate, handler.
// `subidentities` answers the authentication stage's x-subid check,
// `registered` whether a did:key is a registered identity (pipeline/authenticate.h).
Status add_default_stages(Pipeline& pipeline,
                          std::function<Result<bool>(const std::string&, const std::string&)> subidentities = {},
                          std::function<Result<bool>(const std::string&)> registered = {});

// The standard envelope of ../shared/spec/standards.md section 1.
// Moves reply.data into the envelope.
Json success_envelope(Reply&& reply);
Json error_envelope(const Status& status, const std::string& request_id, int64_t now_ms);

}  // namespace anarq
