#include "ipld/car_stream.h"

#include "ipld/car.h"
#include "ipld/varint.h"

namespace anarq::ipld {

CarStream::CarStream(std::vector<Cid> roots, BlockGetter get, bool follow_links, WalkLimits limits)
    : roots_(std::move(roots)), get_(std::move(get)), follow_(follow_links), limits_(limits) {
  for (auto it = roots_.rbegin(); it != roots_.rend(); ++it) stack_.push_back(*it);
}

Result<bool> CarStream::next(std::string& out) {
  out.clear();
  if (!header_sent_) {
    header_sent_ = true;
    auto header = car_header(roots_);
    if (!header.ok()) return header.status();
    out = std::move(*header);
    return true;
  }
  while (!stack_.empty()) {
    Cid cid = std::move(stack_.back());
    stack_.pop_back();
    std::string key = cid.bytes();
    if (!seen_.insert(key).second) continue;
    if (seen_.size() > limits_.max_blocks) return Status::validation("DAG exceeds " + std::to_string(limits_.max_blocks) + " blocks");
    auto block = get_(cid);
    if (!block.ok()) return block.status();
    if (follow_) {
      auto links = block_links(cid, *block);
      if (!links.ok()) return links.status();
      if (stack_.size() + links->size() > limits_.max_pending)
        return Status::validation("DAG has more than " + std::to_string(limits_.max_pending) + " pending links");
      for (auto it = links->rbegin(); it != links->rend(); ++it) stack_.push_back(*it);
    }
    put_varint(out, key.size() + block->size());
    out += key;
    out += *block;
    return !stack_.empty();
  }
  return false;
}

}  // namespace anarq::ipld
