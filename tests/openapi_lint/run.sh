#!/usr/bin/env bash
# Lints the OpenAPI document a running anarq node serves (GET /openapi.json) and
# the committed modules/<m>/openapi.yaml with Redocly's recommended ruleset
# (@redocly/cli pinned in package-lock.json); fails on any error, prints the
# warnings. Also checks that the served `servers` entry is the address served.
#   usage: tests/openapi_lint/run.sh /path/to/anarq
# Installs the pinned CLI with `npm ci` when node_modules is missing or older
# than the lock file. Needs node >= 20 and npm. Nothing leaves loopback:
# Redocly's telemetry and update check are off.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../npm_client.sh" "$@"
root="$(cd "$here/../.." && pwd)"
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_UPDATE_NOTIFIER=1 CI=true

work="$(mktemp -d)"
pid=""
cleanup() {
  if [[ -n "$pid" ]]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# A node on a free port in a fresh data dir; its first stdout line names the URL.
"$bin" serve --listen 127.0.0.1:0 --data-dir "$work/data" --log-level warn >"$work/stdout" 2>"$work/stderr" &
pid=$!
url=""
for _ in $(seq 1 300); do
  url="$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$work/stdout" | head -n1 || true)"
  [[ -n "$url" ]] && break
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "anarq serve exited:" >&2
    cat "$work/stderr" >&2
    exit 1
  fi
  sleep 0.1
done
if [[ -z "$url" ]]; then
  echo "anarq serve did not print its URL" >&2
  cat "$work/stderr" >&2
  exit 1
fi

node --input-type=module - "$url" "$work/openapi.json" <<'EOF'
import { writeFileSync } from 'node:fs';
const [url, out] = process.argv.slice(2);
const res = await fetch(url + '/openapi.json');
if (res.status !== 200) throw new Error(`GET /openapi.json answered ${res.status}`);
const text = await res.text();
const doc = JSON.parse(text);
const servers = JSON.stringify(doc.servers);
if (doc.servers?.length !== 1 || doc.servers[0].url !== url)
  throw new Error(`servers is ${servers}, not the address served (${url})`);
console.log(`GET ${url}/openapi.json: OpenAPI ${doc.openapi}, ${Object.keys(doc.paths).length} paths, servers ${servers}`);
writeFileSync(out, text);
EOF

status=0
lint() {
  echo "== redocly lint --extends recommended $1"
  # Exit status 1 on any error; warnings are printed and counted, not fatal.
  local out rc=0
  out="$(npx --no-install redocly lint --extends recommended --format stylish "$1" 2>&1)" || rc=$?
  printf '%s\n' "$out" | grep -v '[║╔╚]' || true
  [[ $rc -eq 0 ]] || status=1
}
lint "$work/openapi.json"
for f in "$root"/modules/*/openapi.yaml; do
  lint "$f"
done
exit $status
