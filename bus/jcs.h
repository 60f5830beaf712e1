#pragma once
// RFC 8785 JSON Canonicalization Scheme (JCS): the one byte string a JSON value
// signs as. Event envelopes are signed over jcs_serialize(envelope without sig)
// (spec/standards.md sections 5 and 10), so every node must produce exactly these
// bytes. Pure function, thread-safe.
//
//   Result<std::string> m = jcs_serialize(Json::parse(R"({"b":1,"a":[true,0.5]})"));
//   // *m == R"({"a":[true,0.5],"b":1})"
//
// The canonical form (RFC 8785 section 3.2):
//   - no whitespace;
//   - object members sorted by name compared as UTF-16 code unit sequences
//     (so U+1F600, stored as the surrogates D83D DE00, sorts before U+FB33);
//   - strings: literal UTF-8 except \" \\ \b \f \n \r \t and the other controls
//     U+0000..U+001F as \u00xx with lower-case hex;
//   - numbers as ECMAScript Number.prototype.toString prints the IEEE-754 double.
// Refused with VALIDATION_ERROR, since they have no canonical form:
//   - NaN and +-Infinity;
//   - integers with |n| > 2^53, which a double (hence a JavaScript verifier)
//     cannot hold exactly;
//   - strings (values or names) that are not well-formed UTF-8;
//   - binary values;
//   - containers nested deeper than kMaxJcsDepth (the core/json.h parse limit).
#include <string>

#include "core/status.h"

namespace anarq::bus {

constexpr int kMaxJcsDepth = 64;  // nested arrays/objects; a scalar is depth 0

Result<std::string> jcs_serialize(const Json& value);

}  // namespace anarq::bus
