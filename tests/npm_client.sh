# Sourced by the run.sh of every npm test client (tests/<client>/run.sh): checks the one
# argument (the anarq binary), resolves it before changing directory (so relative paths keep
# working) into $bin, changes into the client's own folder ($here) and installs the pinned
# packages with `npm ci` when node_modules is missing or older than package-lock.json.
# node_modules/.package-lock.json is written by npm at the end of every install, so it dates the
# installed tree better than the directory's own mtime.
#   usage (in tests/<client>/run.sh): source "$(dirname "${BASH_SOURCE[0]}")/../npm_client.sh" "$@"
if [[ $# -lt 1 ]]; then
  echo "usage: $0 /path/to/anarq" >&2
  exit 2
fi
bin="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
here="$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)"
cd "$here"
if [[ ! -d node_modules || ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund
fi
