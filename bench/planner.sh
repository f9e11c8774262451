#!/usr/bin/env bash
# Planner scheduler benchmark (issue 9): 1,000,000 future planner entries
# with reminders; the server's CPU and memory while its scheduler idles
# over them, then the delay from due time to the reminder being queued and
# sent for 200 probe entries. Figures go to docs/benchmarks.md.
#
#   bench/planner.sh                         # SQLite (the default installation)
#   BACKEND=postgres bench/planner.sh        # needs postgres://postgres@127.0.0.1:5432
#   bench/planner.sh --entries 100000 --idle-secs 10 --probes 50
#
# Starts a release `kontor serve` on 127.0.0.1:${PORT:-18098} with a fresh
# database (no SMTP: mails go to the development mailbox), fills it through
# crates/server/examples/planner_bench.rs, measures, then removes both.
# Two to three minutes after the build.

set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=bench/serve.sh
source bench/serve.sh

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    cargo build --release -p kontor --bin kontor --example planner_bench
fi
PORT="${PORT:-18098}"
serve_fresh planner

echo "== planner scheduler benchmark on ${BACKEND:-sqlite}, $(nproc) cores, server pid $SERVER"
target/release/examples/planner_bench --db "$DB" --pid "$SERVER" "$@"
