#pragma once
// The generated event catalogue of one module (modules/<m>/events/catalog.md):
// every topic the module owns in the schema registry, with its description,
// compatibility mode, versions, deprecation, payload fields, schema and
// examples. Deterministic (no timestamps), so a test can compare the committed
// copy with what the registry says.
#include <string>

#include "bus/schema_registry.h"

namespace anarq::bus {

// Topics owned by "module:<module>"; an empty catalogue says so.
Result<std::string> event_catalog(SchemaRegistry& registry, const std::string& module);

}  // namespace anarq::bus
