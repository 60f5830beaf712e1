#pragma once
// Module: a unit that owns tools, SQL migrations and lifecycle. Modules register
// a factory by name (REGISTER-style, no switch statements); the host decides
// which run. A module talks to other modules only through their tools.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "runtime/tool.h"
#include "store/db.h"

namespace anarq {

class ModuleHost;
class Metrics;
class ContentStore;
class Keystore;
namespace bus {
class Bus;
class SchemaRegistry;
}  // namespace bus

// What a module may hold on to for its lifetime (owned by the host, outlives it).
struct ModuleEnv {
  const Config* config = nullptr;
  const Clock* clock = nullptr;
  Db* db = nullptr;
  ContentStore* content = nullptr;  // immutable records and files (store/content.h)
  const ModuleHost* host = nullptr;
  bus::Bus* bus = nullptr;               // events: publish inside your transaction (bus/bus.h)
  bus::SchemaRegistry* schemas = nullptr;  // event schemas and upcasters (bus/schema_registry.h)
  Keystore* keystore = nullptr;            // sealed, versioned keys (store/keystore.h)
  std::string node_did;                    // the node's did:key: the operator, and the identity modules act as
};

// A module's event schemas, modules/<m>/events/*.event.json, embedded in the
// binary at build time and registered by the node at start-up:
//   {"topic", "description", "compatibility"?, "schema", "examples"?}
struct EventSchemaFile {
  const char* module;
  const char* file;
  const char* text;
};
const std::vector<EventSchemaFile>& embedded_event_schemas();

class Module {
 public:
  virtual ~Module() = default;
  virtual std::string name() const = 0;
  virtual std::string version() const = 0;
  virtual std::string description() const = 0;
  // Modules whose tools this one calls; they run in-process (unexposed when not
  // selected) or, later, as peers.
  virtual std::vector<std::string> dependencies() const { return {}; }
  virtual std::vector<Migration> migrations() const { return {}; }
  virtual std::vector<Tool> tools() = 0;
  // Called after migrations, before the transports open.
  virtual Status start(const ModuleEnv& env) = 0;
  virtual void stop() {}
};

using ModuleFactory = std::function<std::unique_ptr<Module>()>;

// Global catalogue of module factories, filled at static-init time by
// ANARQ_REGISTER_MODULE. Registering a name twice aborts at start-up.
class ModuleCatalog {
 public:
  static ModuleCatalog& instance();
  // Aborts on a duplicate name (a build error); try_add reports it instead.
  bool add(const std::string& name, ModuleFactory factory);
  bool try_add(const std::string& name, ModuleFactory factory);
  std::vector<std::string> names() const;
  std::unique_ptr<Module> create(const std::string& name) const;

 private:
  std::vector<std::pair<std::string, ModuleFactory>> factories_;
};

#define ANARQ_REGISTER_MODULE(name, type)                                                   \
  static const bool anarq_module_registered_##type = ::anarq::ModuleCatalog::instance().add( \
      name, [] { return std::unique_ptr<::anarq::Module>(std::make_unique<type>()); })

}  // namespace anarq
