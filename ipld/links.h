#pragma once
// The links out of a block, and a depth-first walk over the DAG they form.
// Pins, the garbage collector and CAR export all see a DAG through these two.
//
// block_links(cid, block), by the CID's codec:
//   dag-pb   (0x70)   the Hash of every PBLink, in link order
//   dag-cbor (0x71)   every tag-42 link anywhere in the value, in encoding order
//   raw (0x55), identity (0x00)   none
//   any other codec   VALIDATION_ERROR: we cannot tell what it links to, and
//                     calling it a leaf would let a GC drop its children.
// Duplicates are kept (a file of repeated chunks links one leaf many times).
//
// For dag-cbor we scan for links rather than decode: the scan checks that the
// bytes are well-formed CBOR as DAG-CBOR restricts it (definite lengths, no
// tags but 42, tag 42 over 0x00 ‖ binary CID, nothing after the value) but not
// the canonical-form rules (key order, shortest integers) that dag_cbor_decode
// enforces, so a foreign block with unsorted keys still shows its links.
//
// DagWalker visits each distinct CID once (across all walk() calls of one
// walker), parents before children, children in link order: the depth-first
// preorder CAR export writes (as Kubo's `dag export`). Iterative, so DAG depth
// costs no stack; the visited set and the pending stack are bounded by
// WalkLimits. A walker is single-owner (one thread at a time); block_links is
// a free function and thread-safe.
//
//   DagWalker walker(getter);
//   Status s = walker.walk(root, [&](const Cid& cid, std::string_view block) {
//     return out.put(cid, block);
//   });
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/status.h"
#include "ipld/block.h"
#include "ipld/cid.h"

namespace anarq::ipld {

// REQUIRES: `block` is the content of `cid` (verified by the caller).
// Blocks over kMaxBlockBytes are refused.
Result<std::vector<Cid>> block_links(const Cid& cid, std::string_view block);

// Default bounds: 4 Mi blocks is 1 TiB of 256 KiB chunks, a few hundred MiB of
// visited-set memory.
inline constexpr size_t kDefaultMaxWalkBlocks = size_t{1} << 22;
inline constexpr size_t kDefaultMaxWalkPending = size_t{1} << 22;

struct WalkLimits {
  size_t max_blocks = kDefaultMaxWalkBlocks;    // distinct CIDs visited by one walker
  size_t max_pending = kDefaultMaxWalkPending;  // links waiting to be visited
};

// Called once per distinct CID with the bytes the getter returned.
using BlockVisitor = std::function<Status(const Cid& cid, std::string_view block)>;

class DagWalker {
 public:
  explicit DagWalker(BlockGetter get, WalkLimits limits = {});

  // Visits `root` and everything reachable from it that this walker has not
  // visited yet. Stops at the first error: a getter error comes back unchanged
  // (so NOT_FOUND names the missing block), a visitor error likewise, a block
  // whose links cannot be read as VALIDATION_ERROR naming it, an exceeded
  // bound as PAYLOAD_TOO_LARGE. After an error the walker's visited set is
  // partial: start a new walker.
  Status walk(const Cid& root, const BlockVisitor& visit);

  size_t visited() const { return seen_.size(); }

 private:
  BlockGetter get_;
  WalkLimits limits_;
  std::unordered_set<std::string> seen_;  // binary CIDs
};

}  // namespace anarq::ipld
