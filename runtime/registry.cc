#include "runtime/registry.h"

#include <regex>

namespace anarq {

bool valid_tool_name(const std::string& name) {
  static const std::regex kName("^[a-z][a-z0-9]*(\\.[a-z][a-zA-Z0-9_]*)+$");
  return name.size() <= 64 && std::regex_match(name, kName);
}

Status ToolRegistry::add(const std::string& module, Tool tool, bool exposed) {
  if (!valid_tool_name(tool.name) || tool.name.rfind(module + ".", 0) != 0)
    return Status::internal("tool name '" + tool.name + "' must be <" + module + ">.<verb>");
  if (tools_.count(tool.name)) return Status::internal("duplicate tool name '" + tool.name + "'");
  if (!tool.handler) return Status::internal("tool '" + tool.name + "' has no handler");
  if (!tool.input_schema.is_object() || tool.input_schema.value("type", "") != "object")
    return Status::internal("tool '" + tool.name + "' input schema must be a JSON Schema of type object");
  if (!tool.output_schema.is_object())
    return Status::internal("tool '" + tool.name + "' has no output schema");
  if (tool.access == Access::kCapability && tool.ability.empty())
    return Status::internal("tool '" + tool.name + "' needs a capability but names no ability");
  // Said once here, so no module can forget it: MCP and OpenAPI show it.
  if (tool.access != Access::kPublic) {
    std::string needs = tool.access == Access::kCapability
                            ? std::string(kSignedRequestNote) + " It needs the capability " + tool.ability + "."
                            : std::string(kSignedRequestNote);
    if (tool.description.find(kSignedRequestNote) == std::string::npos)
      tool.description += (tool.description.empty() || tool.description.back() == ' ' ? "" : " ") + needs;
  }
  tool.module = module;
  std::string name = tool.name;
  tools_.emplace(name, Entry{std::move(tool), exposed});
  return {};
}

const Tool* ToolRegistry::find(const std::string& name) const {
  auto it = tools_.find(name);
  return it == tools_.end() ? nullptr : &it->second.tool;
}

bool ToolRegistry::exposed(const std::string& name) const {
  auto it = tools_.find(name);
  return it != tools_.end() && it->second.exposed;
}

std::vector<const Tool*> ToolRegistry::list(bool exposed_only) const {
  std::vector<const Tool*> out;
  for (const auto& [_, e] : tools_)
    if (e.exposed || !exposed_only) out.push_back(&e.tool);
  return out;
}

std::vector<const Tool*> ToolRegistry::list_module(const std::string& module) const {
  std::vector<const Tool*> out;
  for (const auto& [_, e] : tools_)
    if (e.tool.module == module) out.push_back(&e.tool);
  return out;
}

}  // namespace anarq
