#!/usr/bin/env bash
# Login throughput at the chosen argon2id parameters (issue 3).
#
# What it measures
#   Successful logins per second (POST /api/v1/session with the correct
#   password: one argon2id verification, one session row written, the
#   throttle counter reset) with wrk, on the release binary with a fresh
#   SQLite database and the demo logins. Argon2id parameters are those of
#   crates/domain/src/identity/password.rs: m = 19456 KiB (19 MiB), t = 2,
#   p = 1 — OWASP's recommended minimum for argon2id. Hashing runs on
#   tokio's blocking pool, so logins/s scales with cores; one core does
#   roughly logins/s ÷ cores.
#
# How to run
#   cargo build --release -p kontor
#   bench/login.sh            # DURATION=10s CONNECTIONS=8 THREADS=2 by default
#
# Loopback only; cleans up the server and temp dir on exit. ~20 s.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${BENCH_BIN:-$ROOT/target/release/kontor}"
DURATION="${DURATION:-10s}"
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-8}"
for v in $(env | grep -o '^KONTOR_[A-Z_]*' || true); do unset "$v"; done
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
[ -x "$BIN" ] || { echo "build first: cargo build --release -p kontor" >&2; exit 1; }

DIR=$(mktemp -d)
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$DIR"; }
trap cleanup EXIT INT TERM

"$BIN" --listen 127.0.0.1:0 --data-dir "$DIR" --demo --log-level warn >"$DIR/out" 2>"$DIR/err" &
PID=$!
for _ in $(seq 1 200); do grep -q "Kontor listening on" "$DIR/out" 2>/dev/null && break; sleep 0.05; done
URL=$(sed -n 's/^Kontor listening on //p' "$DIR/out" | head -n1)
[ -n "$URL" ] || { cat "$DIR/err" >&2; exit 1; }

cat >"$DIR/login.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"email":"operator@kontor.example","password":"Kontor-Demo-2026"}'
LUA
echo "== POST /api/v1/session (argon2id m=19456 KiB, t=2, p=1), $CONNECTIONS connections, $DURATION, $(nproc) cores"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$DIR/login.lua" "$URL/api/v1/session" | tee "$DIR/wrk"
RPS=$(awk '/Requests\/sec/ {print $2}' "$DIR/wrk")
NON2XX=$(awk '/Non-2xx/ {print $5}' "$DIR/wrk")
echo "logins/s: $RPS   non-2xx: ${NON2XX:-0}"
