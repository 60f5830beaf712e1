#pragma once
// The event envelope of ../shared/spec/standards.md section 5:
//
//   {id (UUIDv7), topic, source, time (RFC 3339 ms), actor (IdentityRef),
//    payload, payloadCid (DAG-CBOR CIDv1 of payload), traceparent?, sig}
//
// `sig` is the node's LockSig whose message is the RFC 8785 (JCS) serialisation
// of the envelope without `sig`. Pure functions; thread-safe.
#include <string>

#include "core/clock.h"
#include "crypto/ed25519.h"

namespace anarq::bus {

struct EventDraft {
  std::string topic;
  std::string source;  // the publishing module
  Json actor;          // {squidId, subId?, daoId?}
  Json payload;
  std::string traceparent;  // empty: left out
};

// VALIDATION_ERROR for a malformed topic, an actor without squidId, or a
// payload DAG-CBOR cannot encode (floats NaN, too deep, ...).
Result<Json> make_event(const EventDraft& draft, const Clock& clock, const crypto::Ed25519KeyPair& node_key);
// Checks the topic, the payload CID and the signature (any did:key signer;
// callers that trust only their node compare sig.pub themselves).
Status verify_event(const Json& envelope);

}  // namespace anarq::bus
