#pragma once
// CarStream: CAR v1 export in pull style, for HTTP responses that stream a DAG
// piece by piece (dag/export, the gateway's ?format=car). Same bytes as
// export_car: header, then blocks in depth-first pre-order, each once.
// Memory: one block plus the pending-link stack (bounded by WalkLimits). Not
// thread-safe.
#include <string>
#include <unordered_set>
#include <vector>

#include "ipld/block.h"
#include "ipld/links.h"

namespace anarq::ipld {

class CarStream {
 public:
  // `follow_links` false: the root block only (dag-scope=block).
  CarStream(std::vector<Cid> roots, BlockGetter get, bool follow_links = true, WalkLimits limits = {});
  // Replaces `out` with the next piece; false after the last one.
  Result<bool> next(std::string& out);

 private:
  std::vector<Cid> roots_;
  BlockGetter get_;
  bool follow_;
  WalkLimits limits_;
  std::vector<Cid> stack_;
  std::unordered_set<std::string> seen_;
  bool header_sent_ = false;
};

}  // namespace anarq::ipld
