#!/usr/bin/env bash
# Company card search benchmarks (issue 7): directory search over 50,000
# cards and person search over 500,000 people, p50/p95/p99 per query kind.
# Figures go to docs/benchmarks.md.
#
#   bench/cards.sh                      # SQLite (the default installation)
#   BACKEND=postgres bench/cards.sh     # needs postgres://postgres@127.0.0.1:5432
#   bench/cards.sh --cards 5000 --people 50000 --rounds 100
#
# Starts a release `kontor serve` on 127.0.0.1:${PORT:-18098} with a fresh
# database, fills it through crates/server/examples/cards_bench.rs (bulk
# SQL, the server's own search terms), measures over HTTP one request at a
# time, then removes both. About 2 minutes after the build.

set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=bench/serve.sh
source bench/serve.sh

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    cargo build --release -p kontor --bin kontor --example cards_bench
fi
PORT="${PORT:-18098}"
serve_fresh cards

echo "== card search benchmark on ${BACKEND:-sqlite}, $(nproc) cores, server pid $SERVER"
target/release/examples/cards_bench --url "http://127.0.0.1:$PORT" --db "$DB" "$@"
