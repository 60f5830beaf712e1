#include "store/gc.h"

#include <string_view>
#include <unordered_set>

#include "ipld/multicodec.h"

namespace anarq {

Result<GcReport> Gc::run() {
  const Clock& clock = pins_.clock();
  Blockstore& blocks = pins_.blocks();
  const int64_t started_ns = clock.mono_ns();
  GcReport report;
  GcLock::GcGuard guard = pins_.gc_lock().gc_guard();

  Result<int64_t> dropped = pins_.drop_expired(clock.now_ms());
  if (!dropped.ok()) return dropped.status();
  report.expired_pins_dropped = static_cast<uint64_t>(*dropped);

  // Mark. Multihash bytes, because the store is keyed by multihash: a raw and
  // a dag-pb CID of the same bytes are one stored block.
  std::unordered_set<std::string> marked;
  ipld::DagWalker walker(links_getter(blocks), limits_);
  auto mark = [&](const ipld::Cid& cid, std::string_view) {
    marked.insert(cid.multihash().bytes());
    return Status();
  };
  Status s = pins_.for_each([&](const Pin& pin) -> Status {
    if (pin.kind == PinKind::kRecursive) {
      Status w = walker.walk(pin.cid, mark);
      if (!w.ok()) {
        return Status::internal("gc aborted before removing anything: cannot read the DAG of pin " +
                                pin.cid.to_string() + ": " + w.message());
      }
    } else {
      marked.insert(pin.cid.multihash().bytes());
    }
    if (marked.size() > limits_.max_blocks) {
      return Status::internal("gc aborted before removing anything: pins reach more than " +
                              std::to_string(limits_.max_blocks) + " blocks");
    }
    return {};
  });
  if (!s.ok()) return s;

  // Sweep.
  s = blocks.for_each([&](const ipld::Multihash& mh, uint64_t size) -> Status {
    if (marked.count(mh.bytes()) != 0) {
      ++report.blocks_kept;
      return {};
    }
    ipld::Cid key = ipld::Cid::v1(ipld::kCodecRaw, mh);
    Status r = blocks.remove(key);
    if (r.ok()) {
      ++report.blocks_removed;
      if (report.removed.size() < GcReport::kMaxReportedRemovals) report.removed.push_back(std::move(key));
      report.bytes_freed += size;
    } else if (r.code() != "NOT_FOUND") {  // NOT_FOUND: removed by someone else meanwhile
      if (report.remove_failures++ == 0) report.first_failure = r.message();
    }
    return {};
  });
  if (!s.ok()) return Status::internal("gc sweep stopped: " + s.message());
  report.duration_ms = (clock.mono_ns() - started_ns) / 1'000'000;
  return report;
}

}  // namespace anarq
