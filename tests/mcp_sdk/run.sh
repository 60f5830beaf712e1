#!/usr/bin/env bash
# Runs the MCP client integration test (tests/mcp_sdk/sdk_client_test.mjs: the official TypeScript
# SDK clients and the MCP Inspector CLI) against an anarq binary.
#   usage: tests/mcp_sdk/run.sh /path/to/anarq
# Installs the pinned packages from package-lock.json with `npm ci` when node_modules is missing or
# older than the lock file (then it runs offline). Needs node >= 20 and npm.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../npm_client.sh" "$@"
node sdk_client_test.mjs "$bin"
