#include "core/status.h"

#include <array>

namespace anarq {
namespace {

struct Row {
  ErrorCode code;
  ErrorCodeInfo info;
};

constexpr std::array kTable = {
    Row{ErrorCode::kOk, {"OK", 200, false}},
    Row{ErrorCode::kValidationError, {"VALIDATION_ERROR", 400, false}},
    Row{ErrorCode::kSquidIdentityInvalid, {"SQUID_IDENTITY_INVALID", 401, false}},
    Row{ErrorCode::kSignatureInvalid, {"SIGNATURE_INVALID", 401, false}},
    Row{ErrorCode::kQlockAuthFail, {"QLOCK_AUTH_FAIL", 401, false}},
    Row{ErrorCode::kInsufficientFunds, {"INSUFFICIENT_FUNDS", 402, false}},
    Row{ErrorCode::kQonsentDenied, {"QONSENT_DENIED", 403, false}},
    Row{ErrorCode::kQerbSuspect, {"QERB_SUSPECT", 403, false}},
    Row{ErrorCode::kNotFound, {"NOT_FOUND", 404, false}},
    Row{ErrorCode::kQindexNotFound, {"QINDEX_NOT_FOUND", 404, false}},
    Row{ErrorCode::kMethodNotAllowed, {"METHOD_NOT_ALLOWED", 405, false}},
    Row{ErrorCode::kVersionConflict, {"VERSION_CONFLICT", 409, false}},
    Row{ErrorCode::kIdempotencyKeyInUse, {"IDEMPOTENCY_KEY_IN_USE", 409, true}},
    Row{ErrorCode::kPayloadTooLarge, {"PAYLOAD_TOO_LARGE", 413, false}},
    Row{ErrorCode::kHeadersTooLarge, {"REQUEST_HEADER_FIELDS_TOO_LARGE", 431, false}},
    Row{ErrorCode::kIdempotencyKeyReused, {"IDEMPOTENCY_KEY_REUSED", 422, false}},
    Row{ErrorCode::kQmaskPolicyViolation, {"QMASK_POLICY_VIOLATION", 422, false}},
    Row{ErrorCode::kDependencyMissing, {"DEPENDENCY_MISSING", 424, false}},
    Row{ErrorCode::kRateLimitExceeded, {"RATE_LIMIT_EXCEEDED", 429, true}},
    Row{ErrorCode::kBudgetExceeded, {"BUDGET_EXCEEDED", 429, true}},
    Row{ErrorCode::kInternalError, {"INTERNAL_ERROR", 500, true}},
    Row{ErrorCode::kServiceUnavailable, {"SERVICE_UNAVAILABLE", 503, true}},
    Row{ErrorCode::kIpfsUnavailable, {"IPFS_UNAVAILABLE", 503, true}},
    Row{ErrorCode::kCircuitBreakerOpen, {"CIRCUIT_BREAKER_OPEN", 503, true}},
    Row{ErrorCode::kTimeoutError, {"TIMEOUT_ERROR", 504, true}},
    Row{ErrorCode::kQdriveStorageFull, {"QDRIVE_STORAGE_FULL", 507, false}},
};

}  // namespace

const ErrorCodeInfo& info(ErrorCode code) {
  for (const auto& row : kTable)
    if (row.code == code) return row.info;
  return kTable[0].info;  // unreachable: every enumerator has a row (tested)
}

std::optional<ErrorCode> error_code_from_name(std::string_view name) {
  for (const auto& row : kTable)
    if (row.info.name == name) return row.code;
  return std::nullopt;
}

Status::Status(ErrorCode code, std::string message, Json details)
    : message_(std::move(message)), details_(std::move(details)) {
  assert(code != ErrorCode::kOk && "use Status() for OK");
  const auto& i = info(code);
  code_ = std::string(i.name);
  http_ = i.http;
  retryable_ = i.retryable;
}

Status Status::custom(std::string code, int http, bool retryable, std::string message, Json details) {
  Status s;
  s.code_ = std::move(code);
  s.http_ = http;
  s.retryable_ = retryable;
  s.message_ = std::move(message);
  s.details_ = std::move(details);
  return s;
}

}  // namespace anarq
