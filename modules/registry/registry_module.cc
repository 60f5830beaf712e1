// registry: the event schema registry as tools. Every topic has versioned JSON
// Schemas and a compatibility mode; registering a version that breaks the mode
// answers VERSION_CONFLICT with each incompatibility and its JSON pointer.
// Topics of the node's own modules are registered by those modules at start
// (modules/<m>/events/*.event.json) and cannot be registered or deprecated here.
#include "bus/schema_registry.h"
#include "bus/topic.h"
#include "core/clock.h"
#include "runtime/identity.h"
#include "runtime/module.h"

namespace anarq {
namespace {

const char* kTopicPattern = "^q\\.[a-z][a-z0-9]*(\\.[a-z][a-z0-9_]*)+\\.v[1-9][0-9]*$";
const char* kModes[] = {"NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE"};

Json topic_param() {
  return {{"type", "string"}, {"maxLength", 255}, {"pattern", kTopicPattern}, {"description", "a topic: q.<module>.<action>.v<N>, lower case"}};
}
Json mode_param() {
  Json modes = Json::array();
  for (const char* m : kModes) modes.push_back(m);
  return {{"type", "string"}, {"enum", modes}, {"description", "how later schema versions must relate to earlier ones"}};
}

Json topic_schema() {
  return R"({"type": "object", "required": ["topic", "owner", "compatibility", "description", "latestVersion", "createdAt", "deprecated"],
    "properties": {"topic": {"type": "string"}, "owner": {"type": "string"}, "compatibility": {"type": "string"},
      "description": {"type": "string"}, "latestVersion": {"type": "integer"},
      "createdAt": {"type": "string", "format": "date-time"},
      "deprecated": {"oneOf": [{"type": "null"}, {"type": "object", "required": ["since"],
        "properties": {"since": {"type": "string"}, "sunset": {"type": "string"}, "replacement": {"type": "string"}}}]}}})"_json;
}

Json incompatibility_schema() {
  return R"({"type": "array", "items": {"type": "object", "required": ["type", "pointer", "message", "version", "direction"],
    "properties": {"type": {"type": "string"}, "pointer": {"type": "string"}, "message": {"type": "string"},
                   "version": {"type": "integer"}, "direction": {"type": "string"}}}})"_json;
}

// The optional "compatibility" input.
Result<std::optional<bus::CompatMode>> mode_of(const Json& in) {
  if (!in.contains("compatibility")) return std::optional<bus::CompatMode>();
  auto m = bus::parse_compat_mode(in["compatibility"].get<std::string>());
  if (!m.ok()) return m.status();
  return std::optional<bus::CompatMode>(*m);
}

std::string caller_of(const Context& ctx) { return ctx.identity ? ctx.identity->squid_id : std::string(); }

class RegistryModule final : public Module {
 public:
  std::string name() const override { return "registry"; }
  std::string version() const override { return "1.0.0"; }
  std::string description() const override {
    return "Event schema registry: versioned payload schemas per topic with Confluent-style compatibility checks.";
  }
  Status start(const ModuleEnv& env) override {
    if (!env.schemas) return Status::internal("the registry module needs the schema registry");
    env_ = env;
    return {};
  }
  std::vector<Tool> tools() override { return {register_tool(), get(), list(), check(), deprecate()}; }

 private:
  // Topics named after a module of this binary belong to that module; q.tools.*
  // is the node's own (tool-registry discovery).
  Status refuse_module_topic(const std::string& topic) const {
    auto parts = bus::parse_topic(topic);
    if (!parts.ok()) return parts.status();
    if (parts->module == "tools")
      return Status(ErrorCode::kQonsentDenied, "topics q.tools.* belong to the node (tool-registry discovery)");
    for (const auto& m : ModuleCatalog::instance().names())
      if (m == parts->module)
        return Status(ErrorCode::kQonsentDenied, "topics q." + m + ".* belong to module " + m +
                                                     ", which registers them from its events/ files");
    return {};
  }

  Tool register_tool() {
    Tool t;
    t.name = "registry.register";
    t.title = "Register an event schema";
    t.description =
        "Adds a schema version to a topic (creating the topic on first use) after checking it against the topic's "
        "compatibility mode; an identical schema returns the existing version.";
    t.input_schema = {{"type", "object"},
                      {"additionalProperties", false},
                      {"required", {"topic", "schema"}},
                      {"properties",
                       {{"topic", topic_param()},
                        {"schema", {{"type", {"object", "boolean"}}, {"description", "JSON Schema draft-07 of the payload"}}},
                        {"compatibility", mode_param()},
                        {"description", {{"type", "string"}, {"maxLength", 1024}, {"description", "what the topic's events mean"}}},
                        {"examples", {{"type", "array"}, {"maxItems", 16}, {"description", "example payloads, at most 16"}}}}}};
    t.output_schema = {{"type", "object"},
                       {"required", {"topic", "version", "created"}},
                       {"properties", {{"topic", topic_schema()}, {"version", {{"type", "integer"}}}, {"created", {{"type", "boolean"}}}}}};
    t.http = {"POST", "/registry/v1/topics/{topic}/versions"};
    t.access = Access::kIdentity;
    t.write = true;
    t.idempotent = true;
    t.success_code = "SCHEMA_REGISTERED";
    t.success_message = "schema registered";
    t.handler = [this](Context& ctx, const Json& in) -> Result<Reply> {
      ANARQ_RETURN_IF_ERROR(refuse_module_topic(in["topic"]));
      bus::RegisterRequest r;
      r.topic = in["topic"];
      r.schema = in["schema"];
      auto mode = mode_of(in);
      if (!mode.ok()) return mode.status();
      r.compatibility = *mode;
      r.description = in.value("description", "");
      r.examples = in.value("examples", Json::array());
      r.owner = caller_of(ctx);
      // A new topic is durable state: registered identities only, each within
      // its share; the operator within the node's bound.
      if (r.owner == env_.node_did) r.max_owned = bus::kMaxTopics;
      else if (!env_.schemas->topic(r.topic).ok()) ANARQ_RETURN_IF_ERROR(require_registered(ctx, env_, "registering a topic"));
      auto res = env_.schemas->register_schema(r);
      if (!res.ok()) return res.status();
      Reply reply(Json{{"topic", bus::topic_json(res->topic)}, {"version", res->version}, {"created", res->created}});
      if (!res->created) {
        reply.code = "SCHEMA_EXISTS";
        reply.message = "identical to version " + std::to_string(res->version);
      }
      return reply;
    };
    return t;
  }

  Tool get() {
    Tool t;
    t.name = "registry.get";
    t.title = "Get an event schema";
    t.description = "A topic's schema (latest or a given version), its versions, compatibility mode and deprecation.";
    t.input_schema = {{"type", "object"},
                      {"additionalProperties", false},
                      {"required", {"topic"}},
                      {"properties", {{"topic", topic_param()}, {"version", {{"type", "integer"}, {"minimum", 1}, {"description", "omitted: the latest"}}}}}};
    t.output_schema = {{"type", "object"},
                       {"required", {"topic", "version", "schema", "examples", "versions"}},
                       {"properties",
                        {{"topic", topic_schema()},
                         {"version", {{"type", "integer"}}},
                         {"schema", {{"type", {"object", "boolean"}}}},
                         {"examples", {{"type", "array"}}},
                         {"versions", {{"type", "array"}, {"items", {{"type", "integer"}}}}}}}};
    t.http = {"GET", "/registry/v1/topics/{topic}"};
    t.access = Access::kPublic;
    t.read_only = true;
    t.idempotent = true;
    t.success_code = "SCHEMA_FOUND";
    t.success_message = "schema";
    t.handler = [this](Context&, const Json& in) -> Result<Reply> {
      std::string topic = in["topic"];
      auto s = env_.schemas->get(topic, in.value("version", 0));
      if (!s.ok()) return s.status();
      auto info = env_.schemas->topic(topic);
      if (!info.ok()) return info.status();
      auto versions = env_.schemas->versions(topic);
      if (!versions.ok()) return versions.status();
      return Json{{"topic", bus::topic_json(*info)},
                  {"version", s->version},
                  {"schema", s->schema},
                  {"examples", s->examples},
                  {"versions", *versions}};
    };
    return t;
  }

  Tool list() {
    Tool t;
    t.name = "registry.list";
    t.title = "List event topics";
    t.description = "Registered topics matching a subject pattern, by name, paginated.";
    t.input_schema = {{"type", "object"},
                      {"additionalProperties", false},
                      {"properties",
                       {{"subject", {{"type", "string"}, {"maxLength", 255}, {"default", ">"},
                                     {"description", "a NATS-style subject pattern over topic names (* one token, > the rest)"}}},
                        {"after", {{"type", "string"}, {"maxLength", 255}, {"description", "nextAfter of the previous page"}}},
                        {"limit", {{"type", "integer"}, {"minimum", 1}, {"maximum", 1000}, {"default", 100},
                                   {"description", "page size, 1-1000"}}}}}};
    t.output_schema = {{"type", "object"},
                       {"required", {"topics", "nextAfter"}},
                       {"properties",
                        {{"topics", {{"type", "array"}, {"items", topic_schema()}}},
                         {"nextAfter", {{"type", {"string", "null"}}}}}}};
    t.http = {"GET", "/registry/v1/topics"};
    t.access = Access::kPublic;
    t.read_only = true;
    t.idempotent = true;
    t.success_code = "TOPICS_LISTED";
    t.success_message = "topics";
    t.handler = [this](Context&, const Json& in) -> Result<Reply> {
      size_t limit = in.value("limit", 100);
      auto topics = env_.schemas->list(in.value("subject", ">"), in.value("after", ""), limit + 1);
      if (!topics.ok()) return topics.status();
      bool more = topics->size() > limit;
      if (more) topics->pop_back();
      Json out = Json::array();
      for (const auto& ti : *topics) out.push_back(bus::topic_json(ti));
      return Json{{"topics", out}, {"nextAfter", more ? Json(topics->back().topic) : Json(nullptr)}};
    };
    return t;
  }

  Tool check() {
    Tool t;
    t.name = "registry.check";
    t.title = "Check schema compatibility";
    t.description =
        "Whether a schema could be registered as the topic's next version under its mode (or the given one), with "
        "each incompatibility and its JSON pointer. Changes nothing.";
    t.input_schema = {{"type", "object"},
                      {"additionalProperties", false},
                      {"required", {"topic", "schema"}},
                      {"properties", {{"topic", topic_param()}, {"schema", {{"type", {"object", "boolean"}}, {"description", "the candidate JSON Schema draft-07"}}},
                                      {"compatibility", mode_param()}}}};
    t.output_schema = {{"type", "object"},
                       {"required", {"compatible", "compatibility", "incompatibilities"}},
                       {"properties",
                        {{"compatible", {{"type", "boolean"}}},
                         {"compatibility", {{"type", "string"}}},
                         {"incompatibilities", incompatibility_schema()}}}};
    t.http = {"POST", "/registry/v1/topics/{topic}/check"};
    t.access = Access::kPublic;
    t.read_only = true;
    t.idempotent = true;
    t.success_code = "SCHEMA_CHECKED";
    t.success_message = "compatibility checked";
    t.handler = [this](Context&, const Json& in) -> Result<Reply> {
      std::string topic = in["topic"];
      auto parsed = mode_of(in);
      if (!parsed.ok()) return parsed.status();
      std::optional<bus::CompatMode> mode = *parsed;
      bus::CompatMode effective = mode.value_or(bus::CompatMode::kBackward);
      if (!mode) {
        auto info = env_.schemas->topic(topic);
        if (info.ok()) effective = info->compatibility;
      }
      auto problems = env_.schemas->check(topic, in["schema"], effective);
      if (!problems.ok()) return problems.status();
      return Json{{"compatible", problems->empty()},
                  {"compatibility", bus::compat_mode_name(effective)},
                  {"incompatibilities", bus::incompatibilities_json(*problems)}};
    };
    return t;
  }

  Tool deprecate() {
    Tool t;
    t.name = "registry.deprecate";
    t.title = "Deprecate a topic";
    t.description = "Marks a topic deprecated (or no longer), with an optional sunset date and replacement topic; reads show it.";
    t.input_schema = {{"type", "object"},
                      {"additionalProperties", false},
                      {"required", {"topic"}},
                      {"properties",
                       {{"topic", topic_param()},
                        {"deprecated", {{"type", "boolean"}, {"default", true}, {"description", "false: no longer deprecated"}}},
                        {"sunset", {{"type", "string"}, {"format", "date"}, {"maxLength", 10},
                                    {"description", "RFC 3339 date (YYYY-MM-DD) after which the topic may go"}}},
                        {"replacement", topic_param()}}}};
    t.output_schema = {{"type", "object"}, {"required", {"topic"}}, {"properties", {{"topic", topic_schema()}}}};
    t.http = {"POST", "/registry/v1/topics/{topic}/deprecate"};
    t.access = Access::kIdentity;
    t.write = true;
    t.idempotent = true;
    t.success_code = "TOPIC_DEPRECATED";
    t.success_message = "deprecation recorded";
    t.handler = [this](Context& ctx, const Json& in) -> Result<Reply> {
      ANARQ_RETURN_IF_ERROR(refuse_module_topic(in["topic"]));
      auto info = env_.schemas->deprecate(in["topic"], caller_of(ctx), in.value("deprecated", true), in.value("sunset", ""),
                                          in.value("replacement", ""));
      if (!info.ok()) return info.status();
      return Json{{"topic", bus::topic_json(*info)}};
    };
    return t;
  }

  ModuleEnv env_;
};

}  // namespace

ANARQ_REGISTER_MODULE("registry", RegistryModule);

}  // namespace anarq
