#pragma once
// ToolRegistry: every tool of the running modules, by name. Built once at
// start-up (not thread-safe while adding), then read concurrently (safe).
#include <map>
#include <string>
#include <vector>

#include "runtime/tool.h"

namespace anarq {

// Appended by the registry to the description of every tool that needs an
// identity (access identity or capability), so every surface says so.
inline constexpr const char* kSignedRequestNote = "Requires a signed request (sQuid identity).";

class ToolRegistry {
 public:
  // Refuses a duplicate name, a name not of the form <module>.<verb> for its
  // module, a missing handler or a non-object input schema (INTERNAL_ERROR:
  // a programming error surfaced at start-up). A tool that needs an identity
  // gets kSignedRequestNote at the end of its description.
  Status add(const std::string& module, Tool tool, bool exposed);
  const Tool* find(const std::string& name) const;
  // Exposed tools are served by transports; unexposed ones (dependencies of
  // selected modules) answer in-process calls only.
  bool exposed(const std::string& name) const;
  // Sorted by name.
  std::vector<const Tool*> list(bool exposed_only = true) const;
  std::vector<const Tool*> list_module(const std::string& module) const;

 private:
  struct Entry {
    Tool tool;
    bool exposed;
  };
  std::map<std::string, Entry> tools_;
};

bool valid_tool_name(const std::string& name);

}  // namespace anarq
