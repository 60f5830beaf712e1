#pragma once
// Gc: mark-and-sweep garbage collection of the blockstore (Kubo `repo gc`).
//
//   mark   under the exclusive GC lock: drop expired TEMPORARY pins, then
//          mark every block a live pin reaches. A recursive pin marks its
//          whole DAG (ipld::block_links, reading only blocks that can hold
//          links), a direct pin its one block. CONDITIONAL pins are live:
//          their condition is the owning module's business.
//   sweep  remove every stored block whose multihash is not marked.
//
// Safety: a block reachable from a pin is never removed. Adders hold an
// AddGuard (add_guard()) from their first put to their pin(), and the GC runs
// only while no adder does, so content added concurrently is either pinned
// before the mark or written after the sweep. If the mark cannot read a block
// under a pin (missing, corrupted, links unreadable, a bound exceeded), the GC
// stops before removing anything and says which pin and block.
//
// Thread-safety: run() may be called from any thread; concurrent runs
// serialise on the GC lock. Memory: the marked set, bounded by WalkLimits.
//
//   Gc gc(*pins);
//   { auto guard = gc.add_guard(); /* put blocks */ pins->pin(guard, root, true); }
//   Result<GcReport> report = gc.run();
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "ipld/links.h"
#include "store/gc_lock.h"
#include "store/pins.h"

namespace anarq {

struct GcReport {
  uint64_t blocks_removed = 0;
  uint64_t bytes_freed = 0;
  uint64_t blocks_kept = 0;        // stored blocks a pin reaches
  uint64_t expired_pins_dropped = 0;
  int64_t duration_ms = 0;
  // Blocks the sweep could not remove (left for the next run); the first error.
  uint64_t remove_failures = 0;
  std::string first_failure;
  // The first kMaxReportedRemovals removed blocks, as CIDv1 raw (Kubo's repo/gc lists keys).
  std::vector<ipld::Cid> removed;
  static constexpr size_t kMaxReportedRemovals = 100'000;
};

class Gc {
 public:
  // `pins` (and the blockstore and clock it holds) must outlive the Gc.
  explicit Gc(Pins& pins, ipld::WalkLimits limits = {}) : pins_(pins), limits_(limits) {}

  // The shared side of the GC lock, for an add-then-pin sequence.
  GcLock::AddGuard add_guard() { return pins_.gc_lock().add_guard(); }

  Result<GcReport> run();

 private:
  Pins& pins_;
  ipld::WalkLimits limits_;
};

}  // namespace anarq
