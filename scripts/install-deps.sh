#!/usr/bin/env bash
# Installs what anarq needs to build, test and benchmark, from Debian 12
# packages only. Idempotent: packages already present are skipped, and apt is
# not touched at all when nothing is missing. Run as root.
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config ccache git
  libboost-dev nlohmann-json3-dev libvalijson-dev libsqlitecpp-dev libsqlite3-dev
  libre2-dev libspdlog-dev libfmt-dev libcli11-dev libyaml-cpp-dev libssl-dev libsodium-dev libbotan-2-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  prometheus curl ca-certificates
)
# Tests drive the server with the official MCP TypeScript SDK (Node.js >= 18).
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)
# Benchmarks: wrk and nginx (the reference server), gcovr for coverage.
if [[ "${ANARQ_BENCH_DEPS:-0}" == "1" ]]; then packages+=(wrk nginx-light gcovr time); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# nodejs/npm may come from outside Debian (already on PATH): the checks above keep them out.
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
