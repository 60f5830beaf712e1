#pragma once
// Client: calls a tool by name through the full pipeline (validation, access,
// handler, envelope, metrics) as a child of a parent call. Implemented by the
// pipeline; later also by a remote client (HTTP with retries and a breaker).
// Implementations are thread-safe.
#include <string>

#include "runtime/tool.h"

namespace anarq {

// In-process calls nest at most this deep (A calls B calls C ...).
constexpr int kMaxCallDepth = 8;

class Client {
 public:
  virtual ~Client() = default;
  virtual Result<Reply> call(const std::string& tool, const Json& input, const Context& parent) = 0;
};

}  // namespace anarq
