#pragma once
// Fault points: named places where a test can make the process die as a crash
// would (kill -9), to prove that nothing acknowledged is lost and nothing
// uncommitted escapes. Armed only through ANARQ_FAULTS (comma list of point
// names), read once at start-up; unarmed, a point costs one relaxed load.
//
//   fault::arm_from_env();                 // main(), once
//   fault::point("bus.after_commit");      // _exit(86) here when armed
//
// Points in the product: bus.after_commit (events committed, not yet
// delivered). Thread-safe after arm_from_env().
#include <string_view>

namespace anarq::fault {

inline constexpr int kFaultExitCode = 86;

// Reads ANARQ_FAULTS; unknown names are kept (a point may live in a later file).
void arm_from_env();
// Arms points by hand (unit tests). Empty disarms all.
void arm(std::string_view comma_list);
bool armed(std::string_view point);
// Exits the process at once (no destructors, no flush: a crash) when armed.
void point(std::string_view name);

}  // namespace anarq::fault
