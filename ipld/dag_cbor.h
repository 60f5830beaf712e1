#pragma once
// DAG-CBOR (ipld.io/specs/codecs/dag-cbor/spec/): deterministic CBOR for IPLD
// records, codec 0x71. Values are nlohmann::json in the DAG-JSON convention:
//
//   JSON / nlohmann            DAG-CBOR
//   null, true, false          0xf6, 0xf5, 0xf4
//   integer >= 0 (u)int64      major 0, shortest argument
//   integer < 0                major 1, shortest argument
//   float                      0xfb + IEEE 754 binary64, always 64-bit; NaN/Inf refused
//   string                     major 3, UTF-8 (invalid UTF-8 refused)
//   Json::binary_t             major 2
//   {"/": {"bytes": "<b64>"}}  major 2 (standard base64, no padding)
//   {"/": "<cid>"}             tag 42 (0xd8 0x2a) over bytes 0x00 || binary CID
//   array                      major 4, definite length
//   object                     major 5, keys sorted by length then bytewise
//
// The decoder accepts only the canonical form, so one value has one byte string
// and one CID: it refuses non-shortest integers and lengths, indefinite lengths,
// unsorted or duplicate keys, non-string keys, tags other than 42, float16/32,
// NaN and infinities, undefined and other simple values, trailing bytes,
// nesting deeper than kMaxDagCborDepth and lengths beyond the input. It also
// refuses integers below -2^63 (nlohmann cannot hold them) and maps that would
// read back as a link or bytes ({"/": "..."}), which our JSON mapping cannot
// represent.
//
// Decoded links come back as {"/": cid.to_string()}; decoded byte strings as
// Json::binary_t; non-negative integers as unsigned.
//
// Free functions: thread-safe.
//
//   Json record = {{"kind", "audit"}, {"seq", 7}, {"prev", dag_json_link(prev_cid)}};
//   Result<std::string> bytes = dag_cbor_encode(record);   // deterministic
//   Result<Cid> cid = dag_cbor_cid(record);                // bafyrei...
//   Result<Json> back = dag_cbor_decode(*bytes);           // == record
#include <cstddef>
#include <string>
#include <string_view>

#include "core/status.h"
#include "ipld/cid.h"

namespace anarq::ipld {

// Largest block we encode or decode (the bitswap block limit is 2 MiB).
inline constexpr size_t kMaxDagCborBytes = 2 << 20;
// Containers (arrays, maps) nested inside each other; the outermost is depth 1.
inline constexpr size_t kMaxDagCborDepth = 64;

Result<std::string> dag_cbor_encode(const Json& value);
Result<Json> dag_cbor_decode(std::string_view bytes);
// CIDv1, codec dag-cbor, sha2-256 of the encoding.
Result<Cid> dag_cbor_cid(const Json& value);

// {"/": "<cid>"}: how a link is written in the JSON values above.
Json dag_json_link(const Cid& cid);

}  // namespace anarq::ipld
