#pragma once
// The process's own gauges under Prometheus's standard names (the ones
// client_golang and prometheus_client export): CPU seconds, resident memory,
// virtual memory, open and maximum descriptors, start time, threads. Read
// from /proc/self on each call (a few syscalls); elsewhere it sets nothing.
// Thread-safe (Metrics is).
#include "core/metrics.h"

namespace anarq {

void collect_process_metrics(Metrics& metrics);

}  // namespace anarq
