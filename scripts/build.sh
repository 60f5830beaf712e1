#!/usr/bin/env bash
# Configures and builds one CMake preset (default: release) with Ninja + ccache,
# -j2; optional targets after the preset (default: everything).
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"
cmake --preset "$preset" >/dev/null
shift || true
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build --preset "$preset" "${targets[@]}"
