#!/usr/bin/env bash
# Runs the kubo-rpc-client integration test (tests/kubo_client/kubo_client_test.mjs) against an
# anarq binary.
#   usage: tests/kubo_client/run.sh /path/to/anarq
# Installs the pinned client from package-lock.json with `npm ci` when node_modules is missing or
# older than the lock file. Needs node >= 20 and npm.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../npm_client.sh" "$@"
node kubo_client_test.mjs "$bin"
