#include "bus/catalog.h"

#include <set>

#include "core/json.h"

namespace anarq::bus {
namespace {

std::string type_of(const Json& s) {
  if (!s.is_object()) return s.is_boolean() ? (s.get<bool>() ? "any" : "nothing") : "?";
  if (s.contains("enum")) {
    std::string out;
    for (const auto& v : s["enum"]) out += (out.empty() ? "" : " \\| ") + v.dump();
    return "enum: " + out;
  }
  if (!s.contains("type")) return s.contains("$ref") ? s["$ref"].get<std::string>() : "any";
  const Json& t = s["type"];
  std::string out;
  if (t.is_string()) out = t.get<std::string>();
  else
    for (const auto& x : t) out += (out.empty() ? "" : " \\| ") + x.get<std::string>();
  if (out == "array" && s.contains("items") && s["items"].is_object() && s["items"].contains("type") &&
      s["items"]["type"].is_string())
    out += " of " + s["items"]["type"].get<std::string>();
  return out;
}

std::string cell(std::string text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += "\\|";
    else if (c == '\n') out += ' ';
    else out += c;
  }
  return out;
}

}  // namespace

Result<std::string> event_catalog(SchemaRegistry& registry, const std::string& module) {
  auto topics = registry.list(">", "", kMaxTopics);
  if (!topics.ok()) return topics.status();
  std::string owner = "module:" + module;
  std::string out = "# " + module + " events\n\n"
                    "Generated from the schema registry by `anarq spec write`; do not edit (a test fails when this\n"
                    "file is stale). Source: `modules/" + module + "/events/*.event.json`. Envelope, signature and\n"
                    "subject rules: ../../../docs/events.md.\n";
  int n = 0;
  for (const auto& t : *topics) {
    if (t.owner != owner) continue;
    ++n;
    auto latest = registry.get(t.topic, 0);
    if (!latest.ok()) return latest.status();
    auto versions = registry.versions(t.topic);
    if (!versions.ok()) return versions.status();
    out += "\n## `" + t.topic + "`\n\n" + t.description + "\n\n";
    out += "- Compatibility: " + std::string(compat_mode_name(t.compatibility)) + "\n";
    std::string vs;
    for (int v : *versions) vs += (vs.empty() ? "" : ", ") + std::to_string(v);
    out += "- Schema versions: " + vs + " (latest " + std::to_string(t.latest) + ")\n";
    if (t.deprecated)
      out += "- **Deprecated**" + (t.sunset.empty() ? std::string() : ", sunset " + t.sunset) +
             (t.replacement.empty() ? std::string() : "; use `" + t.replacement + "`") + "\n";
    const Json& schema = latest->schema;
    if (schema.is_object() && schema.contains("properties") && schema["properties"].is_object()) {
      std::set<std::string> required;
      if (schema.contains("required") && schema["required"].is_array())
        for (const auto& r : schema["required"]) required.insert(r.get<std::string>());
      out += "\n| field | type | required | description |\n|---|---|---|---|\n";
      for (const auto& [name, prop] : schema["properties"].items())
        out += "| `" + name + "` | " + cell(type_of(prop)) + " | " + (required.count(name) ? "yes" : "no") + " | " +
               cell(prop.is_object() ? prop.value("description", "") : "") + " |\n";
    }
    out += "\nPayload schema (version " + std::to_string(latest->version) + "):\n\n```json\n" + schema.dump(2) + "\n```\n";
    for (const auto& ex : latest->examples) out += "\nExample payload:\n\n```json\n" + ex.dump(2) + "\n```\n";
  }
  if (n == 0) out += "\nThis module publishes no events.\n";
  return out;
}

}  // namespace anarq::bus
