#!/usr/bin/env bash
# Fuzzes the SIP/SDP parser for a while (default 60 s) on stable Rust.
# Usage: crates/sip/fuzz/run.sh [seconds]. See README.md.
set -euo pipefail
secs="${1:-60}"
fuzz_dir="$(cd "$(dirname "$0")" && pwd)"
torture="$fuzz_dir/../tests/torture"

if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi

# Seeds: the RFC 4475 torture messages (copied here, not committed twice)
# and seeds/ (an INVITE with SDP and digest credentials, which the
# torture messages lack).
corpus="$fuzz_dir/corpus/parse"
mkdir -p "$corpus"
for kind in valid invalid; do
  for f in "$torture/$kind"/*.dat; do
    cp "$f" "$corpus/$kind-$(basename "$f")"
  done
done
cp "$fuzz_dir"/seeds/* "$corpus/"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
# cargo-fuzz passes nightly-only flags (-Zsanitizer=address, -Cpasses=
# sancov-module …); RUSTC_BOOTSTRAP=1 lets the stable compiler take them.
status=0
RUSTC_BOOTSTRAP=1 cargo fuzz run parse \
  --fuzz-dir "$fuzz_dir" --target-dir "$fuzz_dir/target" \
  "$corpus" \
  -- -max_total_time="$secs" -dict="$fuzz_dir/sip.dict" -rss_limit_mb=2048 \
  -print_final_stats=1 2>&1 | tee "$log" || status=$?

runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n1)
echo "== sip fuzz: ${runs:-?} executions in ${secs} s (${rate:-?} exec/s), corpus $(ls "$corpus" | wc -l) inputs"
if [ "$status" -ne 0 ]; then
  echo "FAIL: the fuzzer found a crash (input under $fuzz_dir/artifacts/parse/)" >&2
fi
exit "$status"
