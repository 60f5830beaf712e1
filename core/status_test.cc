#include "core/status.h"

#include <gtest/gtest.h>

namespace anarq {
namespace {

TEST(StatusTest, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.http_status(), 200);
}

TEST(StatusTest, EveryCodeMapsToTheStandardHttpStatus) {
  struct Case { ErrorCode code; const char* name; int http; bool retryable; };
  const Case cases[] = {
      {ErrorCode::kValidationError, "VALIDATION_ERROR", 400, false},
      {ErrorCode::kSquidIdentityInvalid, "SQUID_IDENTITY_INVALID", 401, false},
      {ErrorCode::kSignatureInvalid, "SIGNATURE_INVALID", 401, false},
      {ErrorCode::kQlockAuthFail, "QLOCK_AUTH_FAIL", 401, false},
      {ErrorCode::kInsufficientFunds, "INSUFFICIENT_FUNDS", 402, false},
      {ErrorCode::kQonsentDenied, "QONSENT_DENIED", 403, false},
      {ErrorCode::kQerbSuspect, "QERB_SUSPECT", 403, false},
      {ErrorCode::kNotFound, "NOT_FOUND", 404, false},
      {ErrorCode::kQindexNotFound, "QINDEX_NOT_FOUND", 404, false},
      {ErrorCode::kMethodNotAllowed, "METHOD_NOT_ALLOWED", 405, false},
      {ErrorCode::kVersionConflict, "VERSION_CONFLICT", 409, false},
      {ErrorCode::kIdempotencyKeyInUse, "IDEMPOTENCY_KEY_IN_USE", 409, true},
      {ErrorCode::kPayloadTooLarge, "PAYLOAD_TOO_LARGE", 413, false},
      {ErrorCode::kHeadersTooLarge, "REQUEST_HEADER_FIELDS_TOO_LARGE", 431, false},
      {ErrorCode::kIdempotencyKeyReused, "IDEMPOTENCY_KEY_REUSED", 422, false},
      {ErrorCode::kQmaskPolicyViolation, "QMASK_POLICY_VIOLATION", 422, false},
      {ErrorCode::kDependencyMissing, "DEPENDENCY_MISSING", 424, false},
      {ErrorCode::kRateLimitExceeded, "RATE_LIMIT_EXCEEDED", 429, true},
      {ErrorCode::kBudgetExceeded, "BUDGET_EXCEEDED", 429, true},
      {ErrorCode::kInternalError, "INTERNAL_ERROR", 500, true},
      {ErrorCode::kServiceUnavailable, "SERVICE_UNAVAILABLE", 503, true},
      {ErrorCode::kIpfsUnavailable, "IPFS_UNAVAILABLE", 503, true},
      {ErrorCode::kCircuitBreakerOpen, "CIRCUIT_BREAKER_OPEN", 503, true},
      {ErrorCode::kTimeoutError, "TIMEOUT_ERROR", 504, true},
      {ErrorCode::kQdriveStorageFull, "QDRIVE_STORAGE_FULL", 507, false},
  };
  for (const auto& c : cases) {
    Status s(c.code, "m");
    EXPECT_EQ(s.code(), c.name);
    EXPECT_EQ(s.http_status(), c.http) << c.name;
    EXPECT_EQ(s.retryable(), c.retryable) << c.name;
    EXPECT_EQ(error_code_from_name(c.name), c.code);
  }
  EXPECT_EQ(error_code_from_name("NO_SUCH_CODE"), std::nullopt);
}

TEST(StatusTest, CustomModuleCodes) {
  Status s = Status::custom("QWALLET_LIMIT_EXCEEDED", 422, false, "over the limit", {{"limit", 10}});
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.http_status(), 422);
  EXPECT_EQ(s.details()["limit"], 10);
}

TEST(StatusTest, SuggestionsAndRetryAfter) {
  Status s = Status(ErrorCode::kRateLimitExceeded, "slow down").with_retry_after(3).with_suggestion("wait");
  EXPECT_EQ(s.retry_after(), 3);
  ASSERT_EQ(s.suggested_actions().size(), 1u);
}

Result<int> half(int x) {
  if (x % 2) return Status::validation("odd");
  return x / 2;
}

Status chain(int x, int& out) {
  auto r = half(x);
  if (!r.ok()) return r.status();
  out = *r;
  ANARQ_RETURN_IF_ERROR(Status());
  return {};
}

TEST(ResultTest, HoldsValueOrStatus) {
  EXPECT_EQ(*half(4), 2);
  EXPECT_FALSE(half(3).ok());
  EXPECT_EQ(half(3).status().code(), "VALIDATION_ERROR");
  EXPECT_TRUE(half(4).status().ok());
  int out = 0;
  EXPECT_TRUE(chain(8, out).ok());
  EXPECT_EQ(out, 4);
  EXPECT_FALSE(chain(7, out).ok());
}

TEST(ResultTest, ConvertsFromConstructibleValues) {
  Result<std::string> s = "text";
  EXPECT_EQ(*s, "text");
  Result<Json> j = Json{{"a", 1}};
  EXPECT_EQ((*j)["a"], 1);
}

}  // namespace
}  // namespace anarq
