// Small pieces of runtime/: names, Context::call, the module catalogue.
#include <cstdio>
#include <cstdlib>

#include "runtime/client.h"
#include "runtime/module.h"

namespace anarq {

const char* access_name(Access a) {
  switch (a) {
    case Access::kPublic: return "public";
    case Access::kIdentity: return "identity";
    case Access::kCapability: return "capability";
  }
  return "identity";
}

const char* transport_name(Transport t) {
  switch (t) {
    case Transport::kHttp: return "http";
    case Transport::kMcp: return "mcp";
    case Transport::kCli: return "cli";
    case Transport::kInProcess: return "inprocess";
  }
  return "inprocess";
}

Result<Reply> Context::call(const std::string& tool_name, const Json& input) {
  if (client == nullptr) return Status::internal("no client bound to this context");
  return client->call(tool_name, input, *this);
}

ModuleCatalog& ModuleCatalog::instance() {
  static ModuleCatalog catalog;
  return catalog;
}

bool ModuleCatalog::try_add(const std::string& name, ModuleFactory factory) {
  for (const auto& [n, _] : factories_)
    if (n == name) return false;
  factories_.emplace_back(name, std::move(factory));
  return true;
}

bool ModuleCatalog::add(const std::string& name, ModuleFactory factory) {
  if (!try_add(name, std::move(factory))) {
    // Two modules under one name is a build error we cannot recover from.
    std::fprintf(stderr, "fatal: module '%s' registered twice\n", name.c_str());
    std::abort();
  }
  return true;
}

std::vector<std::string> ModuleCatalog::names() const {
  std::vector<std::string> out;
  for (const auto& [n, _] : factories_) out.push_back(n);
  return out;
}

std::unique_ptr<Module> ModuleCatalog::create(const std::string& name) const {
  for (const auto& [n, f] : factories_)
    if (n == name) return f();
  return nullptr;
}

}  // namespace anarq
