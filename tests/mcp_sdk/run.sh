#!/usr/bin/env bash
# Runs the MCP client integration test (tests/mcp_sdk/sdk_client_test.mjs: the official TypeScript
# SDK clients and the MCP Inspector CLI) against an anarq binary.
#   usage: tests/mcp_sdk/run.sh /path/to/anarq
# Installs the pinned packages from package-lock.json with `npm ci` when node_modules is missing or
# older than the lock file (then it runs offline). Needs node >= 20 and npm.
set -euo pipefail
if [[ $# -lt 1 ]]; then
  echo "usage: $0 /path/to/anarq" >&2
  exit 2
fi
# Resolve the binary before changing directory, so relative paths keep working.
bin="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
cd "$(dirname "${BASH_SOURCE[0]}")"
# node_modules/.package-lock.json is written by npm at the end of every install, so it dates the
# installed tree better than the directory's own mtime.
if [[ ! -d node_modules || ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund
fi
node sdk_client_test.mjs "$bin"
