#!/usr/bin/env bash
# Phone dial-in benchmark (issue 10): callers in conference rooms of 10
# over SIP/RTP on loopback; the server's CPU while it mixes, the latency
# it adds from RTP in to mixed RTP out (p50/p95/p99), and late packets.
# Figures go to docs/benchmarks.md.
#
#   bench/phone.sh                                   # 200 callers, rooms of 10, 30 s
#   bench/phone.sh --members 400 --seconds 60
#   BACKEND=postgres bench/phone.sh
#
# Starts a release `kontor serve` on 127.0.0.1:${PORT:-18098} with SIP on
# 127.0.0.1:${SIP_PORT:-15070} and a fresh database; the callers are
# crates/server/examples/phone_bench.rs in a second process on the same
# machine (so they share its cores with the server).

set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=bench/serve.sh
source bench/serve.sh

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    cargo build --release -p kontor --bin kontor --example phone_bench
fi
PORT="${PORT:-18098}"
SIP_PORT="${SIP_PORT:-15070}"
SERVE_ARGS="--sip-listen 127.0.0.1:$SIP_PORT --sip-trunks 127.0.0.1 --rtp-ports 21000-29999 --dial-in +49-30-5557-0100"
serve_fresh phone

echo "== phone dial-in benchmark on ${BACKEND:-sqlite}, $(nproc) cores, server pid $SERVER"
target/release/examples/phone_bench --sip "127.0.0.1:$SIP_PORT" --db "$DB" --pid "$SERVER" "$@"
