#!/usr/bin/env bash
# Conference join benchmark (issue 8): joins by room number and participant
# PIN (argon2id check) plus the waiting queue over the room socket, with
# 100,000 conference rooms in the database; joins/s and p50/p95/p99.
# Figures go to docs/benchmarks.md.
#
#   bench/conference.sh                      # SQLite (the default installation)
#   BACKEND=postgres bench/conference.sh     # needs postgres://postgres@127.0.0.1:5432
#   bench/conference.sh --rooms 10000 --joins 200 --clients 2
#
# Starts a release `kontor serve` on 127.0.0.1:${PORT:-18097} with a fresh
# database, fills it through crates/server/examples/conference_bench.rs,
# measures, then removes both. About a minute after the build.

set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=bench/serve.sh
source bench/serve.sh

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    cargo build --release -p kontor --bin kontor --example conference_bench
fi
PORT="${PORT:-18097}"
serve_fresh conference

echo "== conference join benchmark on ${BACKEND:-sqlite}, $(nproc) cores, server pid $SERVER"
target/release/examples/conference_bench --url "http://127.0.0.1:$PORT" --db "$DB" "$@"
