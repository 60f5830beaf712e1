#pragma once
// CBOR (RFC 8949) wire constants shared by the DAG-CBOR codec and the link
// scanner. The initial byte holds the major type in its top 3 bits and the
// "additional information" in the low 5: 0..23 is the argument itself,
// 24/25/26/27 say a 1/2/4/8-byte big-endian argument follows, 31 marks
// indefinite length.
#include <cstdint>

namespace anarq::ipld::cbor {

inline constexpr uint8_t kMajorUnsigned = 0;
inline constexpr uint8_t kMajorNegative = 1;
inline constexpr uint8_t kMajorBytes = 2;
inline constexpr uint8_t kMajorText = 3;
inline constexpr uint8_t kMajorArray = 4;
inline constexpr uint8_t kMajorMap = 5;
inline constexpr uint8_t kMajorTag = 6;
inline constexpr uint8_t kMajorSimple = 7;
// DAG-CBOR links: tag 42 over the bytes 0x00 ‖ binary CID.
inline constexpr uint64_t kTagCid = 42;

}  // namespace anarq::ipld::cbor
