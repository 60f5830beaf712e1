#pragma once
// multipart/form-data (RFC 7578 / RFC 2046 section 5.1) over a body already in
// memory, as Kubo RPC clients send files to /api/v0/add and blocks to
// /api/v0/block/put. Parts are views into the body: the body must outlive
// them. Pure functions; thread-safe.
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace anarq {

struct MultipartPart {
  std::string name;          // form field name (Content-Disposition name=)
  std::string filename;      // percent-decoded filename=, may be empty
  std::string content_type;  // default text/plain per RFC 7578
  std::string_view data;
};

inline constexpr size_t kMaxMultipartParts = 10'000;
inline constexpr size_t kMaxPartHeaderBytes = 8 << 10;

// The boundary parameter of a multipart/form-data Content-Type; VALIDATION_ERROR
// when the type is not multipart or the boundary is missing or malformed.
Result<std::string> multipart_boundary(std::string_view content_type);

// Splits the body. VALIDATION_ERROR on a missing opening boundary, a truncated
// body (no closing boundary), oversized part headers or too many parts.
Result<std::vector<MultipartPart>> parse_multipart(std::string_view body, std::string_view boundary);

}  // namespace anarq
