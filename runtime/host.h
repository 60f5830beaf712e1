#pragma once
// ModuleHost: builds the chosen set of modules (--modules a,b or all), adds the
// modules they depend on (in-process, unexposed), runs each module's
// migrations, starts them in dependency order and owns the ToolRegistry.
// start() and stop() run on one thread; after start() the host is read-only
// and safe to share.
#include <memory>
#include <string>
#include <vector>

#include "runtime/module.h"
#include "runtime/registry.h"

namespace anarq {

struct ModuleInfo {
  std::string name;
  std::string version;
  std::string description;
  bool exposed;
  int schema_version;
};

class ModuleHost {
 public:
  ModuleHost() = default;
  ModuleHost(const ModuleHost&) = delete;
  ModuleHost& operator=(const ModuleHost&) = delete;
  ~ModuleHost();

  // selection empty = every module in the catalogue. Unknown names, dependency
  // cycles, duplicate tools and failed migrations are errors.
  Status start(const std::vector<std::string>& selection, const ModuleEnv& env,
               const ModuleCatalog& catalog = ModuleCatalog::instance());
  void stop();

  const ToolRegistry& registry() const { return registry_; }
  const std::vector<ModuleInfo>& modules() const { return infos_; }
  int64_t started_at_ms() const { return started_at_ms_; }

 private:
  std::vector<std::unique_ptr<Module>> modules_;  // start order
  std::vector<ModuleInfo> infos_;
  ToolRegistry registry_;
  int64_t started_at_ms_ = 0;
};

}  // namespace anarq
