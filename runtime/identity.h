#pragma once
// Who may make this node keep durable state (topics, durable consumers): the
// operator always; any other identity only once it is registered with sQuid
// (anyone can mint a did:key, so an unregistered one is a throwaway). Without
// the sQuid module there is no directory and every identity may.
// Stateless; safe from any handler.
#include "runtime/context.h"

namespace anarq {

struct ModuleEnv;

// The acting identity: the subidentity when one acts, else the root.
const std::string& acting_identity(const Context& ctx);

// OK when the caller may own durable state; SQUID_IDENTITY_INVALID (401)
// naming squid.create when it is not registered.
Status require_registered(const Context& ctx, const ModuleEnv& env, const char* what);

}  // namespace anarq
