#include "runtime/identity.h"

#include "runtime/client.h"
#include "runtime/host.h"
#include "runtime/module.h"

namespace anarq {

const std::string& acting_identity(const Context& ctx) {
  static const std::string kNone;
  if (!ctx.identity) return kNone;
  return ctx.identity->sub_id.empty() ? ctx.identity->squid_id : ctx.identity->sub_id;
}

Status require_registered(const Context& ctx, const ModuleEnv& env, const char* what) {
  const std::string& who = acting_identity(ctx);
  if (who.empty()) return Status(ErrorCode::kSquidIdentityInvalid, std::string(what) + " needs an identity");
  if (who == env.node_did) return {};
  if (!env.host || !env.host->registry().find("squid.get")) return {};
  if (!ctx.client) return Status::internal("no client to ask the sQuid directory");
  auto found = ctx.client->call("squid.get", {{"squidId", who}}, ctx);
  if (found.ok() && found->data.contains("identity") && found->data["identity"].value("status", "") == "ACTIVE") return {};
  if (!found.ok() && found.status().code() != "NOT_FOUND") return found.status();
  return Status(ErrorCode::kSquidIdentityInvalid,
                std::string(what) + " needs a registered identity: " + who + " is not registered on this node")
      .with_suggestion("register the identity first with squid.create (a signed request as that did:key)");
}

}  // namespace anarq
