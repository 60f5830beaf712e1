#!/usr/bin/env bash
# Installs dependencies, builds with the test preset and runs the fast test set
# (unit, contract, integration over real sockets and pipes, the MCP SDK
# client). Long soak/load runs carry the label `slow` and are excluded here.
# Default preset: dev (Debug + ASan + UBSan). ANARQ_TEST_PRESET=release runs
# the same tests on the optimised build.
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${ANARQ_TEST_PRESET:-dev}"
scripts/install-deps.sh
scripts/build.sh "$preset"
ctest --preset "$preset" -j2 "$@"
