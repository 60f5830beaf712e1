#include "runtime/host.h"

#include <algorithm>
#include <functional>
#include <set>

#include "core/clock.h"
#include "core/log.h"

namespace anarq {

ModuleHost::~ModuleHost() { stop(); }

Status ModuleHost::start(const std::vector<std::string>& selection, const ModuleEnv& env_in,
                         const ModuleCatalog& catalog) {
  std::vector<std::string> wanted = selection.empty() ? catalog.names() : selection;
  std::set<std::string> exposed(wanted.begin(), wanted.end());

  // Depth-first over dependencies gives a start order where every module
  // starts after the modules it calls.
  std::vector<std::unique_ptr<Module>> ordered;
  std::set<std::string> done, visiting;
  std::function<Status(const std::string&)> visit = [&](const std::string& name) -> Status {
    if (done.count(name)) return {};
    if (visiting.count(name)) return Status::internal("module dependency cycle through '" + name + "'");
    auto module = catalog.create(name);
    if (!module) {
      auto names = catalog.names();
      std::string known;
      for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
      return Status::validation("unknown module '" + name + "' (known: " + known + ")");
    }
    visiting.insert(name);
    for (const auto& dep : module->dependencies()) ANARQ_RETURN_IF_ERROR(visit(dep));
    visiting.erase(name);
    done.insert(name);
    ordered.push_back(std::move(module));
    return {};
  };
  for (const auto& name : wanted) ANARQ_RETURN_IF_ERROR(visit(name));

  ModuleEnv env = env_in;
  env.host = this;
  for (auto& m : ordered) {
    const std::string name = m->name();
    ANARQ_RETURN_IF_ERROR(env.db->migrate(name, m->migrations()));
    auto version = env.db->schema_version(name);
    if (!version.ok()) return version.status();
    bool is_exposed = exposed.count(name) > 0;
    for (auto& tool : m->tools()) ANARQ_RETURN_IF_ERROR(registry_.add(name, std::move(tool), is_exposed));
    infos_.push_back({name, m->version(), m->description(), is_exposed, *version});
  }
  started_at_ms_ = env.clock->now_ms();
  for (auto& m : ordered) {
    Status s = m->start(env);
    if (!s.ok()) return Status::unavailable("module " + m->name() + " failed to start: " + s.message());
    modules_.push_back(std::move(m));
  }
  return {};
}

void ModuleHost::stop() {
  // Reverse start order: dependants stop before what they depend on.
  for (auto it = modules_.rbegin(); it != modules_.rend(); ++it) (*it)->stop();
  modules_.clear();
}

}  // namespace anarq
