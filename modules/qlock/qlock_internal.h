#pragma once
// Private to modules/qlock: what its three tool families (keys and
// encryption, signatures, locks) share. Not included outside this directory.
#include <condition_variable>
#include <mutex>
#include <string>
#include <string_view>

#include "bus/bus.h"
#include "core/json.h"
#include "runtime/module.h"
#include "store/keystore.h"

namespace anarq::qlock {

inline constexpr size_t kMaxDataBytes = 1 << 20;  // decoded input of encrypt/sign/timelock
inline constexpr int kMaxDataChars = 1'398'104;   // base64 of 1 MiB

// The `data` + `encoding` (utf8 | base64) input pair, decoded and bounded.
Result<std::string> input_bytes(const Json& in);
// Schema fragments for that pair.
Json data_schema(const char* what);
Json encoding_schema();

// Publishes q.qlock.key.used.v1 in its own transaction: an answered use is
// always audited (the reply waits for the commit).
Status audit_use(const ModuleEnv& env, const Context& ctx, const KeyVersion& key, const char* operation, size_t bytes);
// Runs fn and the event it returns in one transaction (fn's key change and its audit).
Status publish_in(const ModuleEnv& env, const Context& ctx, const std::string& topic, Tx& tx, Json payload);

// The caller's key `key_id`: NOT_FOUND when absent or owned by someone else
// (existence is not disclosed to others).
Result<KeyVersion> own_key(const ModuleEnv& env, const Context& ctx, const std::string& key_id, int version = 0);

// Each caller's default keys, created on first use under a deterministic id
// ("enc:<did>", "sig:<did>") so that two first uses at once agree.
Result<KeyVersion> default_key(const ModuleEnv& env, const Context& ctx, KeyPurpose purpose);

const std::string& caller(const Context& ctx);

Tool sign_tool(const ModuleEnv* env);
Tool verify_tool();

// Locks (qlock_lock.cc): leases in the state store, fencing tokens from a
// durable counter. Waiting acquirers sleep on `released_` (woken by releases
// in this process, and every 100 ms for other processes' releases); at most
// kMaxWaiters wait at once, since handlers run on the I/O threads.
class LockService {
 public:
  static constexpr int kMaxWaiters = 4;
  explicit LockService(const ModuleEnv* env) : env_(env) {}
  static std::vector<Migration> migrations();
  Tool tool();
  // Deletes leases that lapsed more than a minute ago (the janitor).
  void reap_expired();
  void shutdown();

 private:
  Result<Reply> handle(Context& ctx, const Json& in);
  const ModuleEnv* env_;
  std::mutex mu_;
  std::condition_variable released_;
  int waiters_ = 0;
  bool stopping_ = false;
};

}  // namespace anarq::qlock
