#!/usr/bin/env bash
# Installs dependencies, builds the release binary and runs the node on
# embedded storage (SQLite in ./data). Extra arguments go to `anarq serve`,
# e.g. scripts/run.sh --listen 0.0.0.0:8080
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh release anarq
exec build/release/anarq --data-dir "${ANARQ_DATA_DIR:-./data}" serve "$@"
