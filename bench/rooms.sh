#!/usr/bin/env bash
# Realtime rooms benchmarks (issue 6): idle connections and memory per
# connection, chat fan-out latency in a room of 1,000, and messages per
# second across 100 rooms of 10. Figures go to docs/benchmarks.md.
#
#   bench/rooms.sh                      # SQLite (the default installation)
#   BACKEND=postgres bench/rooms.sh     # needs postgres://postgres@127.0.0.1:5432
#   bench/rooms.sh --idle 2000 --skip throughput   # flags of the load generator
#
# Starts a release `kontor serve` on 127.0.0.1:${PORT:-18099} with a fresh
# database, runs crates/server/examples/rooms_bench.rs against it (the
# server's memory is read from /proc), then removes both. Raises the open
# files limit (to 65536, or the hard limit; each side needs > 10,000). About 2 minutes after
# the build.

set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=bench/serve.sh
source bench/serve.sh

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    cargo build --release -p kontor --bin kontor --example rooms_bench
fi
# 10,000 sockets on each side: raise the open files limit as far as allowed.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
if (( $(ulimit -n) < 11000 )); then
    echo "open files limit $(ulimit -n) is below 11000; use --idle with fewer connections" >&2
fi

PORT="${PORT:-18099}"
serve_fresh rooms

echo "== rooms benchmark on ${BACKEND:-sqlite}, $(nproc) cores, server pid $SERVER"
target/release/examples/rooms_bench --url "http://127.0.0.1:$PORT" --db "$DB" --pid "$SERVER" "$@"
