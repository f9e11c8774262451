#!/usr/bin/env bash
# One-command benchmarks for Kontor (issue 2 figures).
#
# What it does
#   1. builds the release binary once (cargo build --release -p kontor),
#   2. bench/cold_start.py: spawn -> first 200 on /readyz, 20 cold runs on a
#      fresh SQLite database, 10 warm runs on a migrated one, and 5 cold runs on
#      a fresh PostgreSQL database when one is reachable on 127.0.0.1:5432
#      (target: < 200 ms on SQLite),
#   3. bench/http_throughput.sh: wrk on GET /api/v1/hello vs GET /api/v1/me
#      (session cookie) on SQLite and PostgreSQL (target: me/hello >= 0.5 on SQLite),
#   4. prints the machine and a short summary.
#
# How to run (from anywhere):   bench/run.sh
#   Knobs: COLD_RUNS=20 WARM_RUNS=10 PG_COLD_RUNS=5, plus those of
#   http_throughput.sh (DURATION, THREADS, CONNECTIONS, WARMUP, BACKENDS, READYZ).
#   SKIP_BUILD=1 uses the existing target/release/kontor.
#
# Everything runs on loopback; each script removes its processes, temp dirs and
# databases. Runtime after the build: about 1.5-2 minutes.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    echo "== building release binary"
    cargo build --release -p kontor
fi

LOG_DIR="$(mktemp -d -t kontor-bench-XXXXXX)"
trap 'rm -rf "$LOG_DIR"' EXIT

echo "== machine"
echo "date:  $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "host:  $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(awk '/MemTotal/{printf "%.0f GiB RAM", $2/1048576}' /proc/meminfo)"
echo "kernel: $(uname -r)"
echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- crates 2>/dev/null || echo ' (crates/ modified)')"
echo "binary: target/release/kontor built $(date -u -r target/release/kontor '+%Y-%m-%d %H:%M UTC')"
# Other load on the machine distorts every figure; say so instead of hiding it.
idle_pct() {
    local a b c d e f g h t1 i1 t2 i2
    read -r _ a b c d e f g h _ < /proc/stat; t1=$((a+b+c+d+e+f+g+h)); i1=$((d+e))
    sleep 2
    read -r _ a b c d e f g h _ < /proc/stat; t2=$((a+b+c+d+e+f+g+h)); i2=$((d+e))
    echo $(( 100 * (i2 - i1) / (t2 - t1) ))
}
IDLE="$(idle_pct)"
echo "idle:  ${IDLE}% of CPU time idle over 2 s before the run"
if (( IDLE < 90 )); then
    echo "WARNING: the machine is busy (other builds/tests?); figures will be low and noisy" >&2
fi

echo
echo "== cold start (bench/cold_start.py)"
python3 bench/cold_start.py --runs "${COLD_RUNS:-20}" --warm-runs "${WARM_RUNS:-10}" \
    --pg-runs "${PG_COLD_RUNS:-5}" | tee "$LOG_DIR/cold.txt"

echo
echo "== throughput (bench/http_throughput.sh)"
RESULTS="$LOG_DIR/http.txt" bench/http_throughput.sh

echo
echo "== summary"
grep '^Target cold start' "$LOG_DIR/cold.txt" || true
grep -hE 'ratio me/hello|CPU per request' "$LOG_DIR/http.txt" || true
