#include "bus/envelope.h"

#include "bus/jcs.h"
#include "bus/topic.h"
#include "core/ids.h"
#include "crypto/locksig.h"
#include "ipld/dag_cbor.h"

namespace anarq::bus {

Result<Json> make_event(const EventDraft& d, const Clock& clock, const crypto::Ed25519KeyPair& node_key) {
  ANARQ_RETURN_IF_ERROR(validate_topic(d.topic));
  if (!d.actor.is_object() || !d.actor.contains("squidId") || !d.actor["squidId"].is_string())
    return Status::validation("event actor needs a squidId");
  auto cid = ipld::dag_cbor_cid(d.payload);
  if (!cid.ok()) return cid.status();
  int64_t now = clock.now_ms();
  Json env = {{"id", uuid_v7(clock)},
              {"topic", d.topic},
              {"source", d.source},
              {"time", format_rfc3339_ms(now)},
              {"actor", d.actor},
              {"payload", d.payload},
              {"payloadCid", cid->to_string()}};
  if (!d.traceparent.empty()) env["traceparent"] = d.traceparent;
  auto canonical = jcs_serialize(env);
  if (!canonical.ok()) return canonical.status();
  auto sig = crypto::locksig_sign(node_key, *canonical, now, crypto::new_locksig_nonce());
  if (!sig.ok()) return sig.status();
  env["sig"] = std::move(*sig);
  return env;
}

Status verify_event(const Json& envelope) {
  if (!envelope.is_object() || !envelope.contains("sig") || !envelope.contains("payload") ||
      !envelope.contains("payloadCid") || !envelope.contains("topic") || !envelope["topic"].is_string())
    return Status::validation("an event envelope needs topic, payload, payloadCid and sig");
  ANARQ_RETURN_IF_ERROR(validate_topic(envelope["topic"].get<std::string>()));
  auto cid = ipld::dag_cbor_cid(envelope["payload"]);
  if (!cid.ok()) return cid.status();
  if (envelope["payloadCid"] != cid->to_string())
    return Status(ErrorCode::kSignatureInvalid, "payloadCid does not match the payload");
  Json unsigned_env = envelope;
  unsigned_env.erase("sig");
  auto canonical = jcs_serialize(unsigned_env);
  if (!canonical.ok()) return canonical.status();
  return crypto::locksig_verify(envelope["sig"], *canonical);
}

}  // namespace anarq::bus
