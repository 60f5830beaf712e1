#!/usr/bin/env bash
# bench/import_1gib.sh — UnixFS import throughput and peak memory of `anarq add` on a 1 GiB file
# of pseudo-random bytes, against `sha256sum` of the same file (the floor: one SHA-256 pass).
#
#   bench/import_1gib.sh
#   SIZE_BYTES=268435456 CACHE_MODES=warm bench/import_1gib.sh      # quick run
#
# Runs, each on the same input file:
#   sha256sum FILE
#   anarq --data-dir FRESH add -q FILE                        (CIDv0, stores blocks, pins)
#   anarq --data-dir FRESH add -q --cid-version 1 FILE        (CIDv1 raw leaves, stores, pins)
#   anarq --data-dir FRESH add -q --only-hash FILE            (CIDv0, computes the CID only)
#   anarq --data-dir FRESH add -q --only-hash --cid-version 1 FILE
# each under `/usr/bin/time -v` (peak RSS = "Maximum resident set size"), wall time from
# date +%s%N around the command. `sync` runs after every command, outside the timing.
#
# Cache modes (CACHE_MODES, default "warm cold"):
#   warm  the input is read once (cat > /dev/null) right before every run: all runs read it from
#         the page cache, so the numbers measure CPU + the store's writes, not the input disk.
#   cold  `sync; echo 3 > /proc/sys/vm/drop_caches` before every run. Skipped (and said so)
#         when dropping the cache does not work here (not root, read-only /proc/sys, or the
#         file's pages stay resident).
#
# Environment (defaults in brackets):
#   SIZE_BYTES [1073741824]   input size
#   CACHE_MODES ["warm cold"] see above
#   VERIFY [1]                after the warm stored adds: `anarq cat CID | sha256sum` = input
#   MAX_OTHER_CPU [10]        flag runs where other processes used more than this % of all CPUs
#   ANARQ_BIN [build/release/anarq]  RESULTS_DIR [bench/results]  TMPDIR [/tmp]
#
# Prints a Markdown report and writes it to
# $RESULTS_DIR/import_1gib-<YYYY-MM-DD>.md (import_<SIZE>B-<date>.md for another size).
# The input file and every data dir live in one temp dir that is removed on exit.
# Goals: anarq add >= 0.8x sha256sum throughput, peak RSS <= 64 MiB.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$SCRIPT_DIR/.." && pwd)

ANARQ_BIN=${ANARQ_BIN:-$REPO_DIR/build/release/anarq}
SIZE_BYTES=${SIZE_BYTES:-1073741824}
CACHE_MODES=${CACHE_MODES:-warm cold}
VERIFY=${VERIFY:-1}
RESULTS_DIR=${RESULTS_DIR:-$SCRIPT_DIR/results}
GOAL_RATIO=0.8
GOAL_RSS_MIB=64
MAX_OTHER_CPU=${MAX_OTHER_CPU:-10}

log() { printf '[bench] %s\n' "$*" >&2; }
die() { printf '[bench] error: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- checks
[[ $SIZE_BYTES =~ ^[1-9][0-9]*$ ]] || die "SIZE_BYTES must be a positive integer (got '$SIZE_BYTES')"
[[ $VERIFY == 0 || $VERIFY == 1 ]] || die "VERIFY must be 0 or 1"
[[ $MAX_OTHER_CPU =~ ^[0-9]+$ ]] || die "MAX_OTHER_CPU must be a non-negative integer"
for m in $CACHE_MODES; do [[ $m == warm || $m == cold ]] || die "CACHE_MODES: unknown mode '$m'"; done
[[ -n ${CACHE_MODES// /} ]] || die "CACHE_MODES is empty"
[[ -x $ANARQ_BIN ]] || die "anarq binary not found: $ANARQ_BIN (build the release preset first)"
command -v sha256sum >/dev/null || die "sha256sum not found (coreutils)"
command -v openssl >/dev/null || die "openssl not found (apt-get install openssl): makes the input and is a reference row"
if [[ ! -x /usr/bin/time ]]; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    log "/usr/bin/time missing: installing Debian package 'time'"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null 2>&1 ||
      { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null; } ||
      die "could not install the 'time' package"
  fi
  [[ -x /usr/bin/time ]] || die "/usr/bin/time not found (apt-get install time)"
fi

# ---------------------------------------------------------------- cleanup
TMP=$(mktemp -d "${TMPDIR:-/tmp}/anarq-import-bench.XXXXXX")
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Benchmark a private copy, so a rebuild during the run cannot swap the binary.
ANARQ_MTIME=$(date -u -r "$ANARQ_BIN" +%Y-%m-%dT%H:%M:%SZ)
cp "$ANARQ_BIN" "$TMP/anarq"
ANARQ="$TMP/anarq"
INPUT="$TMP/input.bin"

# ---------------------------------------------------------------- helpers
now_ns() { date +%s%N; }
# Busy and total jiffies of all CPUs (from /proc/stat's first line).
cpu_jiffies() { awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t; exit }' /proc/stat; }
CLK_TCK=$(getconf CLK_TCK)
NPROC=$(nproc)

resident_bytes() { # FILE → bytes of it in the page cache (fincore), or "" when unknown
  command -v fincore >/dev/null || { echo ""; return; }
  fincore --bytes --noheadings --output RES "$1" 2>/dev/null | awk '{print $1+0}' || echo ""
}

DROP_STATUS="not tried"
drop_cache() { # returns 0 when the input's pages are gone from the page cache
  sync
  if ! { echo 3 > /proc/sys/vm/drop_caches; } 2>/dev/null; then
    DROP_STATUS="does not work here: writing /proc/sys/vm/drop_caches failed"
    return 1
  fi
  local res
  res=$(resident_bytes "$INPUT")
  if [[ -n $res ]] && (( res > SIZE_BYTES / 10 )); then
    DROP_STATUS="does not work here: the write succeeded but $res bytes of the input stayed resident"
    return 1
  fi
  DROP_STATUS="works (fincore: ${res:-?} bytes of the input resident after the drop)"
  return 0
}

warm_cache() {
  cat "$INPUT" > /dev/null
}

# run_one LABEL OUTFILE CMD... : runs CMD under /usr/bin/time -v with stdout to OUTFILE, then
# sync; sets R_SECS R_RSS_KIB R_USER R_SYS R_CPU_PCT R_OTHER_PCT.
run_one() {
  local label=$1 out=$2
  shift 2
  local tv="$TMP/time.$RANDOM.txt" t0 t1 b0 b1 tot0 tot1
  read -r b0 tot0 < <(cpu_jiffies)
  t0=$(now_ns)
  if ! /usr/bin/time -v -o "$tv" "$@" > "$out" 2> "$TMP/stderr.txt"; then
    cat "$TMP/stderr.txt" >&2
    die "$label failed: $*"
  fi
  t1=$(now_ns)
  read -r b1 tot1 < <(cpu_jiffies)
  sync
  R_SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
  R_RSS_KIB=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tv")
  R_USER=$(awk -F': ' '/User time \(seconds\)/ {print $2}' "$tv")
  R_SYS=$(awk -F': ' '/System time \(seconds\)/ {print $2}' "$tv")
  R_CPU_PCT=$(awk -F': ' '/Percent of CPU this job got/ {sub(/%/, "", $2); print $2}' "$tv")
  # Share of all-core CPU time used by other processes during the run (noise indicator).
  R_OTHER_PCT=$(awk -v b="$(( b1 - b0 ))" -v t="$(( tot1 - tot0 ))" -v u="$R_USER" -v s="$R_SYS" -v hz="$CLK_TCK" \
    'BEGIN { if (t <= 0) { print 0; exit } o = (b - (u + s) * hz) / t * 100; if (o < 0) o = 0; printf "%.0f", o }')
  rm -f "$tv"
}

mbps() { awk -v n="$SIZE_BYTES" -v s="$1" 'BEGIN { printf "%.1f", n / 1e6 / s }'; }

# ---------------------------------------------------------------- machine
CPU_MODEL=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
CPU_FLAGS=$(grep -m1 -ow -e sha_ni -e avx2 -e avx512f /proc/cpuinfo | sort -u | tr '\n' ' ' | sed 's/ $//' || true)
MEM_TOTAL=$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
KERNEL="$(uname -s) $(uname -r) $(uname -m)"
FS_LINE=$(df -hT "$TMP" | awk 'NR == 2 {print $1 " (" $2 "), " $5 " free of " $3}')
ANARQ_VERSION=$("$ANARQ" version 2>/dev/null | sed -n 1p || echo unknown)
ANARQ_SHA=$(sha256sum "$ANARQ" | cut -c1-12)
GIT_REV=$(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$REPO_DIR" diff --quiet HEAD -- 2>/dev/null || GIT_REV+="+dirty"
SHA_VERSION=$(sha256sum --version | sed -n 1p)
START_ISO=$(date -u +%Y-%m-%dT%H:%M:%SZ)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
log "machine: $NPROC cores ($CPU_MODEL; $CPU_FLAGS), $MEM_TOTAL, $KERNEL; temp dir $TMP on $FS_LINE"

# The exact command line, with the settings that differ from the defaults.
CMD="bench/import_1gib.sh"
[[ $SIZE_BYTES != 1073741824 ]] && CMD="SIZE_BYTES=$SIZE_BYTES $CMD"
[[ $CACHE_MODES != "warm cold" ]] && CMD="CACHE_MODES=\"$CACHE_MODES\" $CMD"
[[ $VERIFY != 1 ]] && CMD="VERIFY=$VERIFY $CMD"
[[ $ANARQ_BIN != "$REPO_DIR/build/release/anarq" ]] && CMD="ANARQ_BIN=$ANARQ_BIN $CMD"

# ---------------------------------------------------------------- input
log "making $SIZE_BYTES bytes of pseudo-random input (AES-128-CTR keystream)"
t0=$(now_ns)
# head closes the pipe after SIZE_BYTES: openssl then dies of SIGPIPE, which is expected.
( set +o pipefail; openssl enc -aes-128-ctr -pass pass:anarq -nosalt < /dev/zero 2>/dev/null | head -c "$SIZE_BYTES" > "$INPUT" )
GEN="openssl enc -aes-128-ctr -pass pass:anarq -nosalt < /dev/zero | head -c $SIZE_BYTES"
sync
[[ $(stat -c %s "$INPUT") == "$SIZE_BYTES" ]] || die "input has $(stat -c %s "$INPUT") bytes, expected $SIZE_BYTES"
log "input ready in $(awk -v a="$t0" -v b="$(now_ns)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }') s"

# Does dropping the page cache work here?
COLD_OK=0
if [[ " $CACHE_MODES " == *" cold "* ]]; then
  if drop_cache; then COLD_OK=1; fi
  log "drop_caches: $DROP_STATUS"
else
  DROP_STATUS="not tried (CACHE_MODES=\"$CACHE_MODES\")"
fi

# ---------------------------------------------------------------- runs
# name | stored? | extra anarq args ("-" for sha256sum)
RUNS=(
  "sha256sum|-|-"
  "openssl dgst -sha256|-|openssl"
  "anarq add (CIDv0)|yes|"
  "anarq add (CIDv1 raw leaves)|yes|--cid-version 1"
  "anarq add --only-hash (CIDv0)|no|--only-hash"
  "anarq add --only-hash (CIDv1)|no|--only-hash --cid-version 1"
)

declare -A SECS RSS USERT SYST CPUP OTHER CIDS STORE
INPUT_SHA=""
ROWS_MODES=()
VERIFY_LINES=()
n=0
for mode in $CACHE_MODES; do
  if [[ $mode == cold && $COLD_OK != 1 ]]; then
    log "skipping cold-cache runs: drop_caches $DROP_STATUS"
    continue
  fi
  ROWS_MODES+=("$mode")
  for spec in "${RUNS[@]}"; do
    IFS='|' read -r name stored extra <<< "$spec"
    key="$mode|$name"
    n=$(( n + 1 ))
    [[ $extra == openssl ]] && ! command -v openssl >/dev/null && die "openssl not found (apt-get install openssl)"
    if [[ $mode == warm ]]; then warm_cache; else drop_cache || die "drop_caches stopped working: $DROP_STATUS"; fi
    out="$TMP/out.txt"
    if [[ $extra == "-" ]]; then
      log "[$mode] $name"
      run_one "$name" "$out" sha256sum "$INPUT"
      INPUT_SHA=$(cut -d' ' -f1 "$out")
      CIDS[$key]=""
    elif [[ $extra == openssl ]]; then
      # Reference only (not the baseline): OpenSSL's SHA-256 uses the SHA extensions when the CPU
      # has them, which coreutils' sha256sum may not.
      log "[$mode] $name"
      run_one "$name" "$out" openssl dgst -sha256 -r "$INPUT"
      [[ $(cut -d' ' -f1 "$out") == "$INPUT_SHA" ]] || die "openssl and sha256sum disagree on the input's sha256"
      CIDS[$key]=""
    else
      dd="$TMP/data-$n"
      log "[$mode] $name"
      # shellcheck disable=SC2086  # $extra is a list of flags
      run_one "$name" "$out" "$ANARQ" --data-dir "$dd" add -q $extra "$INPUT"
      CIDS[$key]=$(tr -d '\n' < "$out")
      [[ -n ${CIDS[$key]} ]] || die "$name printed no CID"
      STORE[$key]=$(du -sk "$dd" 2>/dev/null | cut -f1 || echo 0)
      if [[ $mode == warm && $stored == yes && $VERIFY == 1 ]]; then
        got=$("$ANARQ" --data-dir "$dd" cat "${CIDS[$key]}" | sha256sum | cut -d' ' -f1)
        [[ -n $INPUT_SHA ]] || INPUT_SHA=$(sha256sum "$INPUT" | cut -d' ' -f1)
        if [[ $got == "$INPUT_SHA" ]]; then
          VERIFY_LINES+=("\`anarq cat ${CIDS[$key]} | sha256sum\` equals the input's sha256 ($name)")
        else
          die "anarq cat ${CIDS[$key]} gave sha256 $got, input is $INPUT_SHA"
        fi
      fi
      rm -rf "$dd"
    fi
    SECS[$key]=$R_SECS RSS[$key]=$R_RSS_KIB USERT[$key]=$R_USER SYST[$key]=$R_SYS CPUP[$key]=$R_CPU_PCT OTHER[$key]=$R_OTHER_PCT
    log "    $R_SECS s, $(mbps "$R_SECS") MB/s, peak RSS $(( R_RSS_KIB / 1024 )) MiB, CPU ${R_CPU_PCT}% (user $R_USER s, sys $R_SYS s), other CPU ${R_OTHER_PCT}% ${CIDS[$key]:-}"
  done
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# CIDs must agree between stored and only-hash runs and across cache modes.
CID_NOTES=()
for v in 0 1; do
  want=""
  for mode in "${ROWS_MODES[@]}"; do
    for spec in "${RUNS[@]}"; do
      IFS='|' read -r name stored extra <<< "$spec"
      [[ $extra == "-" || $extra == openssl ]] && continue
      if [[ $v == 0 && $name == *CIDv0* ]] || [[ $v == 1 && $name == *CIDv1* ]]; then
        c=${CIDS["$mode|$name"]}
        if [[ -z $want ]]; then want=$c
        elif [[ $c != "$want" ]]; then die "CID mismatch for CIDv$v: $c ($mode, $name) vs $want"; fi
      fi
    done
  done
  CID_NOTES+=("CIDv$v: \`$want\` (same from every stored and --only-hash run)")
done

# ---------------------------------------------------------------- report
SIZE_H=$(awk -v n="$SIZE_BYTES" 'BEGIN { if (n % 1073741824 == 0) printf "%d GiB", n / 1073741824; else if (n % 1048576 == 0) printf "%d MiB", n / 1048576; else printf "%d bytes", n }')
DATE=$(date +%Y-%m-%d)
if [[ $SIZE_BYTES == 1073741824 ]]; then RESULT_NAME="import_1gib-$DATE.md"; else RESULT_NAME="import_${SIZE_BYTES}B-$DATE.md"; fi
mkdir -p "$RESULTS_DIR"
REPORT="$TMP/report.md"
{
  echo "### UnixFS import of a $SIZE_H file: anarq add vs sha256sum ($DATE)"
  echo
  echo "Machine: $NPROC cores, $CPU_MODEL (flags: ${CPU_FLAGS:-none of sha_ni/avx2/avx512f}), $MEM_TOTAL RAM; $KERNEL;"
  echo "temp dir (input and data dirs) on $FS_LINE (before the run)."
  echo "anarq: $ANARQ_VERSION (work tree $GIT_REV; binary ${ANARQ_BIN#"$REPO_DIR"/}, sha256 $ANARQ_SHA…, built $ANARQ_MTIME); $SHA_VERSION."
  echo "Run at $START_ISO; load average before/after: $LOAD_START / $LOAD_END."
  echo
  echo "Command: \`$CMD\`"
  echo
  echo "Input: $SIZE_BYTES bytes from \`$GEN\`."
  echo "Page cache: drop_caches $DROP_STATUS."
  echo "Modes run: ${ROWS_MODES[*]} (warm = \`cat FILE > /dev/null\` before every run, so every run reads the input from"
  echo "the page cache; cold = \`sync; echo 3 > /proc/sys/vm/drop_caches\` before every run)."
  echo
  echo "Each row is one run: \`/usr/bin/time -v CMD > out\`, wall time from \`date +%s%N\` around it, \`sync\` after it (untimed)."
  echo "Commands: \`sha256sum FILE\`; \`openssl dgst -sha256 -r FILE\` (reference only: OpenSSL uses the CPU's SHA"
  echo "extensions, coreutils' sha256sum here may not); \`anarq --data-dir FRESH_DIR add -q [--cid-version 1] [--only-hash] FILE\`"
  echo "(a new empty data dir for every anarq run). MB/s = 10^6 bytes per second of wall time;"
  echo "ratio = MB/s ÷ sha256sum's MB/s in the same cache mode; peak RSS = \"Maximum resident set size\"."
  echo "Goals: anarq add ≥ $GOAL_RATIO× sha256sum, peak RSS ≤ $GOAL_RSS_MIB MiB."
  echo
  echo "| tool | cache | wall (s) | MB/s | ratio to sha256sum | peak RSS (MiB) | CPU user / sys (s) | CPU % | other CPU % | store (MiB) | goals |"
  echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
  for mode in "${ROWS_MODES[@]}"; do
    base_mbps=$(mbps "${SECS["$mode|sha256sum"]}")
    for spec in "${RUNS[@]}"; do
      IFS='|' read -r name stored extra <<< "$spec"
      key="$mode|$name"
      m=$(mbps "${SECS[$key]}")
      ratio=$(awk -v a="$m" -v b="$base_mbps" 'BEGIN { printf "%.2f", a / b }')
      rss_mib=$(awk -v k="${RSS[$key]}" 'BEGIN { printf "%.1f", k / 1024 }')
      store="—"
      [[ -n ${STORE[$key]:-} ]] && store=$(awk -v k="${STORE[$key]}" 'BEGIN { printf "%.0f", k / 1024 }')
      goals="—"
      if [[ $extra != "-" && $extra != openssl ]]; then
        ok_ratio=$(awk -v r="$ratio" -v g="$GOAL_RATIO" 'BEGIN { print (r >= g) ? "yes" : "no" }')
        ok_rss=$(awk -v r="$rss_mib" -v g="$GOAL_RSS_MIB" 'BEGIN { print (r <= g) ? "yes" : "no" }')
        goals="speed: $ok_ratio, RSS: $ok_rss"
      fi
      echo "| $name | $mode | ${SECS[$key]} | $m | $ratio | $rss_mib | ${USERT[$key]} / ${SYST[$key]} | ${CPUP[$key]} | ${OTHER[$key]} | $store | $goals |"
    done
  done
  echo
  echo "\"other CPU %\": share of all-core CPU time during the run used by other processes (interference;"
  echo "this machine has $NPROC cores and may be shared with builds). \"store\": data dir size after the run (du)."
  noisy=""
  for mode in "${ROWS_MODES[@]}"; do
    for spec in "${RUNS[@]}"; do
      key="$mode|${spec%%|*}"
      if (( OTHER[$key] > MAX_OTHER_CPU )); then noisy+="$mode: ${spec%%|*} (${OTHER[$key]} %); "; fi
    done
  done
  if [[ -n $noisy ]]; then
    echo
    echo "**Warning:** other processes used more than $MAX_OTHER_CPU % of the CPU during: ${noisy%; }."
    echo "Those numbers are pessimistic; re-run on a quiet machine for clean figures."
  fi
  echo
  echo "Checks:"
  for l in "${CID_NOTES[@]}"; do echo "- $l"; done
  for l in "${VERIFY_LINES[@]}"; do echo "- $l"; done
  echo "- input sha256: \`$INPUT_SHA\`"
} > "$REPORT"
cp "$REPORT" "$RESULTS_DIR/$RESULT_NAME"
cat "$REPORT"
log "wrote ${RESULTS_DIR#"$REPO_DIR"/}/$RESULT_NAME"
