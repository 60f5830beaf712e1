#pragma once
// Status and Result<T>: the one error channel across every layer.
//
// A Status is either OK or carries a wire error code from
// ../shared/spec/standards.md section 1 (VALIDATION_ERROR, NOT_FOUND, ...) with
// its HTTP status and retryable flag. Modules may add prefixed codes
// (QWALLET_LIMIT_EXCEEDED) through Status::custom. Result<T> holds a T or a
// non-OK Status. Both are values: copyable, no shared state, thread-compatible.
//
//   Result<int> parse_port(std::string_view s) {
//     if (s.empty()) return Status::validation("port is empty");
//     return 8080;
//   }
#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace anarq {

using Json = nlohmann::json;

enum class ErrorCode {
  kOk,
  kValidationError,
  kSquidIdentityInvalid,
  kSignatureInvalid,
  kQlockAuthFail,
  kInsufficientFunds,
  kQonsentDenied,
  kQerbSuspect,
  kNotFound,
  kQindexNotFound,
  kMethodNotAllowed,
  kVersionConflict,
  kIdempotencyKeyInUse,
  kPayloadTooLarge,
  kHeadersTooLarge,
  kIdempotencyKeyReused,
  kQmaskPolicyViolation,
  kDependencyMissing,
  kRateLimitExceeded,
  kBudgetExceeded,
  kInternalError,
  kServiceUnavailable,
  kIpfsUnavailable,
  kCircuitBreakerOpen,
  kTimeoutError,
  kQdriveStorageFull,
};

struct ErrorCodeInfo {
  std::string_view name;
  int http;
  bool retryable;
};

// The standards.md table, plus METHOD_NOT_ALLOWED (405) and
// REQUEST_HEADER_FIELDS_TOO_LARGE (431) that the HTTP transport needs.
const ErrorCodeInfo& info(ErrorCode code);
// Looks a wire name up; nullopt for names outside the table.
std::optional<ErrorCode> error_code_from_name(std::string_view name);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(ErrorCode code, std::string message, Json details = nullptr);

  // A module-specific code, e.g. custom("QWALLET_LIMIT_EXCEEDED", 422, false, "...").
  static Status custom(std::string code, int http, bool retryable, std::string message,
                       Json details = nullptr);

  static Status validation(std::string m, Json d = nullptr) { return {ErrorCode::kValidationError, std::move(m), std::move(d)}; }
  static Status not_found(std::string m) { return {ErrorCode::kNotFound, std::move(m)}; }
  static Status internal(std::string m) { return {ErrorCode::kInternalError, std::move(m)}; }
  static Status unavailable(std::string m) { return {ErrorCode::kServiceUnavailable, std::move(m)}; }

  bool ok() const { return code_.empty(); }
  const std::string& code() const { return code_; }
  int http_status() const { return ok() ? 200 : http_; }
  bool retryable() const { return retryable_; }
  const std::string& message() const { return message_; }
  const Json& details() const { return details_; }
  const std::vector<std::string>& suggested_actions() const { return suggested_actions_; }

  Status& with_suggestion(std::string action) {
    suggested_actions_.push_back(std::move(action));
    return *this;
  }
  // Retry-After seconds for 429/503 answers; 0 = none.
  Status& with_retry_after(int seconds) {
    retry_after_ = seconds;
    return *this;
  }
  int retry_after() const { return retry_after_; }

  std::string to_string() const { return ok() ? "OK" : code_ + ": " + message_; }

 private:
  std::string code_;
  int http_ = 200;
  bool retryable_ = false;
  std::string message_;
  Json details_;
  std::vector<std::string> suggested_actions_;
  int retry_after_ = 0;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(v_).ok() && "Result built from an OK Status");
  }
  Result(ErrorCode code, std::string message) : Result(Status(code, std::move(message))) {}
  // Anything T can be built from (a Json for Result<Reply>, a literal for Result<std::string>).
  template <typename U, typename = std::enable_if_t<!std::is_same_v<std::decay_t<U>, Status> &&
                                                    !std::is_same_v<std::decay_t<U>, T> &&
                                                    !std::is_same_v<std::decay_t<U>, Result> &&
                                                    std::is_constructible_v<T, U&&>>>
  Result(U&& u) : v_(std::in_place_type<T>, std::forward<U>(u)) {}  // NOLINT

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  // REQUIRES: ok()
  T& value() & { assert(ok()); return std::get<T>(v_); }
  const T& value() const& { assert(ok()); return std::get<T>(v_); }
  T&& value() && { assert(ok()); return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace anarq

// Propagates a non-OK Status from an expression returning Status.
#define ANARQ_RETURN_IF_ERROR(expr)          \
  do {                                       \
    ::anarq::Status anarq_status_ = (expr);  \
    if (!anarq_status_.ok()) return anarq_status_; \
  } while (0)
