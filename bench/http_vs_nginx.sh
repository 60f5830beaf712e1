#!/usr/bin/env bash
# bench/http_vs_nginx.sh — HTTP keep-alive throughput of anarq's GET /health
# against nginx serving a static JSON body, plus anarq cold start and RSS.
#
#   bench/http_vs_nginx.sh
#   WRK_THREADS=2 WRK_CONNS=64 WRK_DURATION=10s ROUNDS=2 bench/http_vs_nginx.sh
#
# Environment (defaults in brackets):
#   WRK_THREADS [2]  WRK_CONNS [64]  WRK_DURATION [10s]   wrk settings, same for both servers
#   ROUNDS [2]        measured rounds, each runs anarq then nginx
#   WARMUP [3s]       wrk warm-up per server before the rounds (same -t/-c)
#   COLD_STARTS [5]   anarq starts (fresh data dir each) for the cold-start median
#   IDLE_SETTLE [1]   seconds between ready and the idle RSS reading
#   MAX_OTHER_CPU [5] flag rounds where other processes used more than this % of all-core CPU
#   ANARQ_BIN [build/release/anarq]  NGINX_BIN [/usr/sbin/nginx]  WRK_BIN [wrk]
#   RESULTS_DIR [bench/results]
#
# Prints a Markdown report (for docs/performance.md) and writes it to
# $RESULTS_DIR/http_vs_nginx-<YYYY-MM-DD>.md. Everything runs on 127.0.0.1 and
# in a temp dir; nginx gets a private config (bench/nginx.conf.in) and never
# touches /etc/nginx or /var/log. All processes are stopped on exit.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$SCRIPT_DIR/.." && pwd)

ANARQ_BIN=${ANARQ_BIN:-$REPO_DIR/build/release/anarq}
NGINX_BIN=${NGINX_BIN:-/usr/sbin/nginx}
WRK_BIN=${WRK_BIN:-wrk}
WRK_THREADS=${WRK_THREADS:-2}
WRK_CONNS=${WRK_CONNS:-64}
WRK_DURATION=${WRK_DURATION:-10s}
ROUNDS=${ROUNDS:-2}
WARMUP=${WARMUP:-3s}
COLD_STARTS=${COLD_STARTS:-5}
IDLE_SETTLE=${IDLE_SETTLE:-1}
MAX_OTHER_CPU=${MAX_OTHER_CPU:-5}
RESULTS_DIR=${RESULTS_DIR:-$SCRIPT_DIR/results}
NGINX_TEMPLATE=$SCRIPT_DIR/nginx.conf.in

log() { printf '[bench] %s\n' "$*" >&2; }
die() { printf '[bench] error: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- checks
for v in WRK_THREADS WRK_CONNS ROUNDS COLD_STARTS MAX_OTHER_CPU; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
[[ $IDLE_SETTLE =~ ^[0-9]+([.][0-9]+)?$ ]] || die "IDLE_SETTLE must be a number of seconds"
(( WRK_CONNS >= WRK_THREADS )) || die "WRK_CONNS ($WRK_CONNS) must be >= WRK_THREADS ($WRK_THREADS)"
[[ -x $ANARQ_BIN ]] || die "anarq binary not found: $ANARQ_BIN (build the release preset first)"
[[ -x $NGINX_BIN ]] || die "nginx not found: $NGINX_BIN (apt-get install nginx-light)"
command -v "$WRK_BIN" >/dev/null || die "wrk not found (apt-get install wrk)"
command -v python3 >/dev/null || die "python3 not found"
command -v curl >/dev/null || die "curl not found"
[[ -f $NGINX_TEMPLATE ]] || die "missing $NGINX_TEMPLATE"

# ---------------------------------------------------------------- cleanup
TMP=$(mktemp -d "${TMPDIR:-/tmp}/anarq-bench.XXXXXX")
ANARQ_PID=""
NGINX_PID=""

# stop_pid PID SIGNAL GRACE_SECONDS: signal, wait up to GRACE, then SIGKILL.
stop_pid() {
  local pid=$1 sig=$2 grace=$3 i
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill "-$sig" "$pid" 2>/dev/null || true
  for (( i = 0; i < grace * 20; i++ )); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "pid $pid did not exit after SIG$sig within ${grace}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_pid "$NGINX_PID" QUIT 5
  stop_pid "$ANARQ_PID" TERM 30
  rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- helpers
now_ns() { date +%s%N; }

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
hwm_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# nginx_rss: master + workers (direct children of the master), KiB.
nginx_rss() {
  local total pid
  total=$(rss_kib "$NGINX_PID")
  for pid in $(ps -o pid= --ppid "$NGINX_PID"); do
    total=$(( total + $(rss_kib "$pid") ))
  done
  echo "$total"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

median() {
  printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {
    if (NR == 0) { print "NaN"; exit }
    if (NR % 2) printf "%.3f\n", a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2] + a[NR/2+1]) / 2 }'
}

# wrk prints latencies as 812.00us / 1.23ms / 1.02s / 1.50m.
to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    f = (u == "us") ? 0.001 : (u == "ms") ? 1 : (u == "s") ? 1000 : (u == "m") ? 60000 : (u == "h") ? 3600000 : -1
    if (f < 0) print "NaN"; else printf "%.3f\n", n * f }'
}

fmt0() { printf '%.0f' "$1"; }
fmt2() { printf '%.2f' "$1"; }
kib_mib() { awk -v k="$1" 'BEGIN { printf "%d KiB (%.1f MiB)", k, k / 1024 }'; }

wait_http_200() { # URL TIMEOUT_S
  local url=$1 deadline=$(( $(date +%s) + $2 ))
  while (( $(date +%s) < deadline )); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' "$url" 2>/dev/null) == 200 ]] && return 0
    sleep 0.05
  done
  return 1
}

# ---------------------------------------------------------------- machine
# Benchmark a private copy, so a rebuild during the run cannot swap the binary.
ANARQ_MTIME=$(date -u -r "$ANARQ_BIN" +%Y-%m-%dT%H:%M:%SZ)
cp "$ANARQ_BIN" "$TMP/anarq"
ANARQ_SHA=$(sha256sum "$TMP/anarq" | cut -c1-12)
NPROC=$(nproc)
CPU_MODEL=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo)
[[ -n $CPU_MODEL ]] || CPU_MODEL=$(awk -F': *' '/^(Hardware|cpu model|Model)/ {print $2; exit}' /proc/cpuinfo)
KERNEL="$(uname -s) $(uname -r) $(uname -m)"
ANARQ_VERSION=$("$TMP/anarq" version 2>&1 | head -n1)
NGINX_VERSION=$("$NGINX_BIN" -v 2>&1 | head -n1 | sed 's/^nginx version: //')
WRK_VERSION=$("$WRK_BIN" -v 2>&1 | head -n1 | awk '{print $1, $2}' || true)
MEM_TOTAL_KIB=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
GIT_REV=$(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$REPO_DIR" diff --quiet HEAD -- 2>/dev/null || GIT_REV+="+dirty"

# CPU accounting, in clock ticks (USER_HZ) as in /proc/stat and /proc/PID/stat.
# cpu_ticks: "TOTAL BUSY" over all cores (busy = total - idle - iowait).
cpu_ticks() {
  local _cpu user nice sys idle iowait irq softirq steal _rest
  read -r _cpu user nice sys idle iowait irq softirq steal _rest </proc/stat
  local total=$(( user + nice + sys + idle + iowait + irq + softirq + steal ))
  echo "$total $(( total - idle - iowait ))"
}
# proc_ticks PID...: utime + stime of these processes (0 for any that is gone).
proc_ticks() {
  local pid sum=0 line st
  for pid in "$@"; do
    line=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
    read -r -a st <<<"${line##*) }"   # drop "pid (comm) ": st[0] is field 3 (state)
    sum=$(( sum + st[11] + st[12] ))  # fields 14 and 15
  done
  echo "$sum"
}
# self_child_ticks: cutime + cstime of this shell = CPU of the children it has
# waited for (wrk runs as such a child).
self_child_ticks() {
  local line st; line=$(cat "/proc/$$/stat"); read -r -a st <<<"${line##*) }"
  echo $(( st[13] + st[14] ))         # fields 16 and 17
}
# Share of all-core CPU time that is busy over one second: other work running
# now (a build, a test suite) takes CPU from both the server and wrk.
cpu_busy_pct() {
  local t0 b0 t1 b1
  read -r t0 b0 <<<"$(cpu_ticks)"; sleep 1; read -r t1 b1 <<<"$(cpu_ticks)"
  if (( t1 > t0 )); then echo $(( 100 * (b1 - b0) / (t1 - t0) )); else echo 0; fi
}
CPU_BUSY_START=$(cpu_busy_pct)
DATE_DAY=$(date +%Y-%m-%d)
DATE_FULL=$(date -u +%Y-%m-%dT%H:%M:%SZ)

# The exact command, with every setting spelled out so it can be re-run.
CMD="WRK_THREADS=$WRK_THREADS WRK_CONNS=$WRK_CONNS WRK_DURATION=$WRK_DURATION ROUNDS=$ROUNDS"
CMD+=" WARMUP=$WARMUP COLD_STARTS=$COLD_STARTS"
[[ $ANARQ_BIN != "$REPO_DIR/build/release/anarq" ]] && CMD+=" ANARQ_BIN=$(printf '%q' "$ANARQ_BIN")"
[[ $NGINX_BIN != /usr/sbin/nginx ]] && CMD+=" NGINX_BIN=$(printf '%q' "$NGINX_BIN")"
CMD+=" bench/http_vs_nginx.sh"
WRK_CMD="wrk -t$WRK_THREADS -c$WRK_CONNS -d$WRK_DURATION --latency URL"

log "machine: $NPROC cores ($CPU_MODEL), $KERNEL, load average $LOAD_START, CPU busy ${CPU_BUSY_START}% before start"
if (( CPU_BUSY_START > 10 )); then
  log "warning: CPU already ${CPU_BUSY_START}% busy before the benchmark — something else is running; numbers will be noisy"
fi

# ---------------------------------------------------------------- 1. cold start
# Python times spawn -> the "listening on" line on a pipe (monotonic clock) and
# reads VmRSS at ready. Sequential, each with a fresh empty data dir, nothing
# else of ours running. These throwaway processes are SIGKILLed; graceful
# SIGTERM shutdown is timed once, on the benchmarked instance below.
log "cold start: $COLD_STARTS starts with fresh data dirs"
COLD_OUT=$TMP/cold.txt
python3 - "$TMP/anarq" "$COLD_STARTS" "$TMP" >"$COLD_OUT" <<'PY'
import os, signal, subprocess, sys, tempfile, time

binary, n, base = sys.argv[1], int(sys.argv[2]), sys.argv[3]
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

def rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0

for i in range(n):
    d = tempfile.mkdtemp(prefix=f"cold{i}-", dir=base)
    err = open(os.path.join(base, f"cold{i}.stderr"), "wb")
    p = None
    try:
        t0 = time.monotonic_ns()
        p = subprocess.Popen([binary, "--data-dir", d, "serve", "--listen", "127.0.0.1:0"],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err)
        line = p.stdout.readline()
        t1 = time.monotonic_ns()
        if not line.startswith(b"listening on http://"):
            sys.exit(f"cold start {i}: expected 'listening on', got {line!r} (rc={p.poll()})")
        r = rss(p.pid)
        print(f"{(t1 - t0) / 1e6:.1f} {r}", flush=True)
    finally:
        if p is not None and p.poll() is None:
            p.kill()
            p.wait()
        err.close()
PY
mapfile -t COLD_READY < <(awk '{print $1}' "$COLD_OUT")
mapfile -t COLD_RSS < <(awk '{print $2}' "$COLD_OUT")
COLD_MEDIAN=$(median "${COLD_READY[@]}")
COLD_RSS_MEDIAN=$(median "${COLD_RSS[@]}")
(( ${#COLD_READY[@]} == COLD_STARTS )) || die "cold start measurement failed"
log "cold start ready (ms): ${COLD_READY[*]} -> median $COLD_MEDIAN"

# ---------------------------------------------------------------- 2. anarq
mkdir -p "$TMP/anarq-data"
log "starting anarq (default threads = one per core)"
"$TMP/anarq" --data-dir "$TMP/anarq-data" serve --listen 127.0.0.1:0 \
  </dev/null >"$TMP/anarq.stdout" 2>"$TMP/anarq.stderr" &
ANARQ_PID=$!
ANARQ_PORT=""
for (( i = 0; i < 200; i++ )); do
  ANARQ_PORT=$(sed -n 's#^listening on http://127\.0\.0\.1:\([0-9][0-9]*\).*#\1#p' "$TMP/anarq.stdout")
  [[ -n $ANARQ_PORT ]] && break
  kill -0 "$ANARQ_PID" 2>/dev/null || { cat "$TMP/anarq.stderr" >&2; die "anarq exited before listening"; }
  sleep 0.05
done
[[ -n $ANARQ_PORT ]] || die "anarq did not print 'listening on' within 10s"
ANARQ_URL=http://127.0.0.1:$ANARQ_PORT/health
sleep "$IDLE_SETTLE"
ANARQ_RSS_IDLE=$(rss_kib "$ANARQ_PID")
ANARQ_THREADS_OS=$(awk '/^Threads:/ {print $2}' "/proc/$ANARQ_PID/status")
log "anarq pid $ANARQ_PID on port $ANARQ_PORT, idle RSS $ANARQ_RSS_IDLE KiB"

# ---------------------------------------------------------------- 3. nginx
NGINX_PREFIX=$TMP/nginx
mkdir -p "$NGINX_PREFIX"
NGINX_WITHOUT=$("$NGINX_BIN" -V 2>&1 | grep -o -- '--without-http_[a-z0-9_]*_module' | sed 's/--without-http_//; s/_module$//' || true)
NGINX_PORT=""
for attempt in 1 2 3 4 5; do
  port=$(free_port)
  sed -e "s#@PREFIX@#$NGINX_PREFIX#g" -e "s#@PORT@#$port#g" "$NGINX_TEMPLATE" >"$NGINX_PREFIX/nginx.conf"
  for m in $NGINX_WITHOUT; do sed -i "/#module:$m\$/d" "$NGINX_PREFIX/nginx.conf"; done
  "$NGINX_BIN" -p "$NGINX_PREFIX/" -e "$NGINX_PREFIX/error.log" -c "$NGINX_PREFIX/nginx.conf" -t -q \
    || { cat "$NGINX_PREFIX/error.log" >&2 2>/dev/null; die "nginx -t rejected the rendered config"; }
  "$NGINX_BIN" -p "$NGINX_PREFIX/" -e "$NGINX_PREFIX/error.log" -c "$NGINX_PREFIX/nginx.conf" \
    </dev/null >"$TMP/nginx.stdout" 2>&1 &
  NGINX_PID=$!
  if wait_http_200 "http://127.0.0.1:$port/" 10 && kill -0 "$NGINX_PID" 2>/dev/null; then
    NGINX_PORT=$port
    break
  fi
  log "nginx did not come up on port $port (attempt $attempt); retrying"
  stop_pid "$NGINX_PID" QUIT 5
  NGINX_PID=""
done
[[ -n $NGINX_PORT ]] || { cat "$NGINX_PREFIX/error.log" >&2 2>/dev/null || true; die "nginx failed to start"; }
NGINX_URL=http://127.0.0.1:$NGINX_PORT/
NGINX_WORKERS=$(ps -o pid= --ppid "$NGINX_PID" | wc -l)
log "nginx pid $NGINX_PID on port $NGINX_PORT, $NGINX_WORKERS workers"

# ---------------------------------------------------------------- sanity
wait_http_200 "$ANARQ_URL" 10 || die "anarq GET /health is not 200"
ANARQ_BODY=$(curl -s "$ANARQ_URL")
[[ $ANARQ_BODY == *'"status":"healthy"'* ]] || die "anarq /health is not healthy: $ANARQ_BODY"
ANARQ_BYTES=$(curl -s -o /dev/null -w '%{size_download}' "$ANARQ_URL")
NGINX_BYTES=$(curl -s -o /dev/null -w '%{size_download}' "$NGINX_URL")
NGINX_CT=$(curl -s -o /dev/null -w '%{content_type}' "$NGINX_URL")
[[ $NGINX_CT == application/json* ]] || die "nginx answered Content-Type '$NGINX_CT', expected application/json"

# ---------------------------------------------------------------- 4. wrk
ensure_alive() {
  kill -0 "$ANARQ_PID" 2>/dev/null || { tail -n 20 "$TMP/anarq.stderr" >&2; die "anarq died"; }
  kill -0 "$NGINX_PID" 2>/dev/null || { tail -n 20 "$NGINX_PREFIX/error.log" >&2; die "nginx died"; }
}

# server_pids NAME: the processes of that server (nginx: master + workers).
server_pids() {
  if [[ $1 == anarq ]]; then echo "$ANARQ_PID"; else echo "$NGINX_PID $(ps -o pid= --ppid "$NGINX_PID" | tr -s ' \n' ' ')"; fi
}

# run_wrk NAME URL DURATION OUTFILE: runs wrk and sets OTHER_CPU_PCT, the share
# of all-core CPU time during the run used by anything other than this server
# and wrk (interference from other work on the machine).
run_wrk() {
  local pids t0 b0 t1 b1 s0 s1 w0 w1
  pids=$(server_pids "$1")
  read -r t0 b0 <<<"$(cpu_ticks)"
  # shellcheck disable=SC2086
  s0=$(proc_ticks $pids); w0=$(self_child_ticks)
  "$WRK_BIN" -t"$WRK_THREADS" -c"$WRK_CONNS" -d"$3" --latency "$2" >"$4" 2>&1 \
    || { cat "$4" >&2; die "wrk failed against $1"; }
  read -r t1 b1 <<<"$(cpu_ticks)"
  # shellcheck disable=SC2086
  s1=$(proc_ticks $pids); w1=$(self_child_ticks)
  OTHER_CPU_PCT=0
  if (( t1 > t0 )); then
    OTHER_CPU_PCT=$(( 100 * ((b1 - b0) - (s1 - s0) - (w1 - w0)) / (t1 - t0) ))
    (( OTHER_CPU_PCT >= 0 )) || OTHER_CPU_PCT=0
  fi
  ensure_alive
}

# Parse one wrk output file into: rps p50_ms p99_ms requests errors
parse_wrk() {
  local f=$1 rps p50 p99 reqs errs
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$f")
  p50=$(to_ms "$(awk '$1 == "50%" {print $2; exit}' "$f")")
  p99=$(to_ms "$(awk '$1 == "99%" {print $2; exit}' "$f")")
  reqs=$(awk '/ requests in / {print $1; exit}' "$f")
  errs=$(awk '/^ *Non-2xx or 3xx responses:/ {s += $NF}
              /^ *Socket errors:/ {gsub(/,/, ""); s += $4 + $6 + $8 + $10}
              END {print s + 0}' "$f")
  [[ -n $rps && -n $reqs ]] || { cat "$f" >&2; die "could not parse wrk output $f"; }
  echo "$rps $p50 $p99 $reqs $errs"
}

log "warm-up: $WARMUP each (anarq, nginx)"
run_wrk anarq "$ANARQ_URL" "$WARMUP" "$TMP/warmup-anarq.txt"
run_wrk nginx "$NGINX_URL" "$WARMUP" "$TMP/warmup-nginx.txt"

declare -a A_RPS A_P50 A_P99 N_RPS N_P50 N_P99
ROUND_ROWS=""
NOISY_ROUNDS=""
for (( r = 1; r <= ROUNDS; r++ )); do
  for name in anarq nginx; do
    if [[ $name == anarq ]]; then url=$ANARQ_URL; else url=$NGINX_URL; fi
    out=$TMP/round$r-$name.txt
    log "round $r/$ROUNDS: $name ($WRK_DURATION)"
    run_wrk "$name" "$url" "$WRK_DURATION" "$out"
    res=$(parse_wrk "$out")
    read -r rps p50 p99 reqs errs <<<"$res"
    log "  $name: $(fmt0 "$rps") req/s, p50 $(fmt2 "$p50") ms, p99 $(fmt2 "$p99") ms, $reqs requests, $errs errors, other CPU ${OTHER_CPU_PCT}%"
    (( OTHER_CPU_PCT <= MAX_OTHER_CPU )) || NOISY_ROUNDS+="$r/$name "
    if [[ $name == anarq ]]; then
      A_RPS+=("$rps"); A_P50+=("$p50"); A_P99+=("$p99"); A_ERRS=$(( ${A_ERRS:-0} + errs ))
    else
      N_RPS+=("$rps"); N_P50+=("$p50"); N_P99+=("$p99"); N_ERRS=$(( ${N_ERRS:-0} + errs ))
    fi
    ROUND_ROWS+="| $r | $name | $(fmt0 "$rps") | $(fmt2 "$p50") | $(fmt2 "$p99") | $reqs | $errs | $OTHER_CPU_PCT % |"$'\n'
  done
done

ANARQ_RSS_AFTER=$(rss_kib "$ANARQ_PID")
ANARQ_HWM=$(hwm_kib "$ANARQ_PID")
NGINX_RSS_AFTER=$(nginx_rss)

A_RPS_MED=$(median "${A_RPS[@]}"); N_RPS_MED=$(median "${N_RPS[@]}")
A_P50_MED=$(median "${A_P50[@]}"); N_P50_MED=$(median "${N_P50[@]}")
A_P99_MED=$(median "${A_P99[@]}"); N_P99_MED=$(median "${N_P99[@]}")
RATIO=$(awk -v a="$A_RPS_MED" -v n="$N_RPS_MED" 'BEGIN { if (n > 0) printf "%.2f", a / n; else print "NaN" }')

# ---------------------------------------------------------------- shutdown
log "stopping anarq with SIGTERM (timing the drain)"
t0=$(now_ns)
kill -TERM "$ANARQ_PID"
for (( i = 0; i < 600; i++ )); do kill -0 "$ANARQ_PID" 2>/dev/null || break; sleep 0.05; done
if kill -0 "$ANARQ_PID" 2>/dev/null; then
  log "anarq still running 30s after SIGTERM; killing"; kill -KILL "$ANARQ_PID"
fi
ANARQ_EXIT=0; wait "$ANARQ_PID" || ANARQ_EXIT=$?
ANARQ_STOP_MS=$(( ($(now_ns) - t0) / 1000000 ))
ANARQ_PID=""
ANARQ_DRAIN_TIMEOUT_HIT=no
grep -q 'drain timeout' "$TMP/anarq.stderr" && ANARQ_DRAIN_TIMEOUT_HIT=yes
stop_pid "$NGINX_PID" QUIT 5; NGINX_PID=""
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
CPU_BUSY_END=$(cpu_busy_pct)

# ---------------------------------------------------------------- report
REPORT=$TMP/report.md
ORDER=$(for (( r = 1; r <= ROUNDS; r++ )); do printf 'anarq, nginx, '; done | sed 's/, $//')
{
  echo "### HTTP keep-alive throughput: anarq vs nginx ($DATE_DAY)"
  echo
  echo "Machine: $NPROC cores, $CPU_MODEL, $(awk -v k="$MEM_TOTAL_KIB" 'BEGIN {printf "%.0f GiB", k/1048576}') RAM; $KERNEL;"
  echo "$ANARQ_VERSION (work tree $GIT_REV; binary ${ANARQ_BIN#"$REPO_DIR"/}, sha256 $ANARQ_SHA…, built $ANARQ_MTIME); $NGINX_VERSION; $WRK_VERSION."
  echo "Run at $DATE_FULL. Background CPU use (1 s sample, all cores) before/after: ${CPU_BUSY_START}% / ${CPU_BUSY_END}%;"
  echo "load average before/after: $LOAD_START / $LOAD_END."
  echo
  echo "**wrk runs on the same $NPROC cores as the server under test**, so the client competes with the"
  echo "server for CPU: absolute req/s are lower than with a separate load generator. Both servers"
  echo "get exactly the same treatment, so the ratio is the meaningful figure."
  echo
  echo "Command: \`$CMD\`"
  echo
  echo "Each measurement: \`$WRK_CMD\` (HTTP/1.1 keep-alive), after a $WARMUP warm-up per server;"
  echo "order $ORDER; values are medians over the $ROUNDS rounds."
  echo "anarq: \`anarq --data-dir TMP serve --listen 127.0.0.1:0\` (default I/O threads: one per core = $NPROC),"
  echo "\`GET /health\` ($ANARQ_BYTES-byte JSON built per request: status, uptime, request metrics, SQLite check cached 1 s)."
  echo "nginx: \`worker_processes auto\` ($NGINX_WORKERS workers), access log off, keep-alive on,"
  echo "\`location / { return 200 '{\"status\":\"healthy\"}'; }\` ($NGINX_BYTES-byte static body) — see bench/nginx.conf.in."
  echo
  echo "| server | request | req/s | p50 latency | p99 latency | errors |"
  echo "| --- | --- | ---: | ---: | ---: | ---: |"
  echo "| anarq | GET /health | $(fmt0 "$A_RPS_MED") | $(fmt2 "$A_P50_MED") ms | $(fmt2 "$A_P99_MED") ms | ${A_ERRS:-0} |"
  echo "| nginx | GET / | $(fmt0 "$N_RPS_MED") | $(fmt2 "$N_P50_MED") ms | $(fmt2 "$N_P99_MED") ms | ${N_ERRS:-0} |"
  echo "| **anarq / nginx** | | **$RATIO** | | | |"
  echo
  echo "Per round (\"other CPU\": share of all-core CPU time during the run used by neither the server"
  echo "under test nor wrk — interference from other work on the machine):"
  echo
  echo "| round | server | req/s | p50 (ms) | p99 (ms) | requests | errors | other CPU |"
  echo "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
  printf '%s' "$ROUND_ROWS"
  if [[ -n $NOISY_ROUNDS ]]; then
    echo
    echo "**Warning:** other work used more than $MAX_OTHER_CPU % of the CPU during ${NOISY_ROUNDS% }; re-run on a quiet machine."
  fi
  echo
  echo "| anarq process | value |"
  echo "| --- | ---: |"
  echo "| cold start, spawn → \`listening on\` (median of $COLD_STARTS, fresh data dir each) | $(fmt2 "$COLD_MEDIAN") ms |"
  echo "| cold start, each run (ms) | $(printf '%s, ' "${COLD_READY[@]}" | sed 's/, $//') |"
  echo "| RSS at ready (median of the cold starts) | $(kib_mib "$(fmt0 "$COLD_RSS_MEDIAN")") |"
  echo "| idle RSS, ${IDLE_SETTLE} s after ready, no traffic | $(kib_mib "$ANARQ_RSS_IDLE") |"
  echo "| RSS after all wrk runs | $(kib_mib "$ANARQ_RSS_AFTER") |"
  echo "| peak RSS (VmHWM) over the wrk runs | $(kib_mib "$ANARQ_HWM") |"
  echo "| OS threads while serving | $ANARQ_THREADS_OS |"
  echo "| SIGTERM → exit, after the wrk runs (no open connections) | $ANARQ_STOP_MS ms, exit $ANARQ_EXIT$([[ $ANARQ_DRAIN_TIMEOUT_HIT == yes ]] && echo ', hit the drain timeout') |"
  echo "| nginx RSS after the wrk runs (master + $NGINX_WORKERS workers), for comparison | $(kib_mib "$NGINX_RSS_AFTER") |"
} >"$REPORT"

mkdir -p "$RESULTS_DIR"
RESULT_FILE=$RESULTS_DIR/http_vs_nginx-$DATE_DAY.md
cp "$REPORT" "$RESULT_FILE"
cat "$REPORT"
echo
log "written to ${RESULT_FILE#"$REPO_DIR"/}"
