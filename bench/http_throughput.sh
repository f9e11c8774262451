#!/usr/bin/env bash
# HTTP throughput benchmark: authenticated JSON endpoint vs static endpoint.
#
# What it measures
#   Requests/s and latency (p50/p99, wrk --latency) of
#     GET /api/v1/hello  - static JSON, no database work (baseline)
#     GET /api/v1/me     - authenticated by the kontor_session cookie; does the
#                          session lookup (sessions JOIN users) and the
#                          memberships query on every request
#   side by side on ONE server process, in the order hello, me, hello (the
#   second hello shows drift), and the ratio me/hello (against the mean of the
#   two hello runs). Afterwards, for reference, GET /readyz (one pool acquire
#   plus SELECT 1, no session; READYZ=0 skips it). The server is the release
#   binary on a fresh data dir with --demo; the operator demo login is used
#   for the session.
#   Done on SQLite and, when reachable, on PostgreSQL
#   (postgres://postgres@127.0.0.1:5432/<fresh db>, created with psql and
#   dropped afterwards).
#   wrk and the server share the machine's cores, so absolute req/s are a
#   lower bound for a dedicated server; the ratio is the figure to compare.
#   Per endpoint it also reports the kontor process's CPU time per request
#   (user+system from /proc/PID/stat; on PostgreSQL the database's own CPU is
#   not included) and context switches per request (summed over its threads)
#   - both much less sensitive to a noisy machine than req/s.
#
# Target (issue 2): me/hello >= 0.5 on SQLite.
#
# How to run
#   cargo build --release -p kontor     # once (bench/run.sh does this)
#   bench/http_throughput.sh
#   Environment knobs (defaults): DURATION=10s THREADS=2 CONNECTIONS=64
#   WARMUP=2s BACKENDS="sqlite postgres" READYZ=1 BENCH_BIN=target/release/kontor
#   RESULTS=<file> appends one line per measurement
#   ("backend endpoint rps p50 p99 non2xx cpu_us_per_req ctxsw_per_req")
#   and the ratio lines.
#   Installs the Debian package wrk with apt-get when it is missing.
#
# Only loopback addresses are used; the server processes, temp dirs and the
# PostgreSQL database are removed on exit (also on Ctrl-C / errors).
# Runtime: about 4*DURATION + 2*WARMUP + a few seconds per backend (~100 s total).

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${BENCH_BIN:-$ROOT/target/release/kontor}"
DURATION="${DURATION:-10s}"
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-64}"
WARMUP="${WARMUP:-2s}"
BACKENDS="${BACKENDS:-sqlite postgres}"
RESULTS="${RESULTS:-}"
READYZ="${READYZ:-1}"
PG_ADMIN=(psql -h 127.0.0.1 -U postgres -d test -v ON_ERROR_STOP=1 -qAt)

# Unknown KONTOR_* variables make the server refuse to start; never pass any on.
for v in $(env | awk -F= '/^KONTOR_/{print $1}'); do unset "$v"; done

if [[ ! -x "$BIN" ]]; then
    echo "http_throughput: $BIN not found; run: cargo build --release -p kontor" >&2
    exit 1
fi

if ! command -v wrk >/dev/null 2>&1; then
    echo "wrk missing; installing the Debian package" >&2
    if ! apt-get install -y wrk >/dev/null 2>&1; then
        apt-get update >/dev/null && apt-get install -y wrk >/dev/null
    fi
fi

TMP_ROOT="$(mktemp -d -t kontor-bench-http-XXXXXX)"
SERVER_PID=""
PG_DB=""

stop_server() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
}

drop_pg() {
    if [[ -n "$PG_DB" ]]; then
        "${PG_ADMIN[@]}" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true
        PG_DB=""
    fi
}

cleanup() {
    stop_server
    drop_pg
    rm -rf "$TMP_ROOT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_server <data dir> [extra args...]; sets SERVER_PID and ADDR.
start_server() {
    local dir="$1"; shift
    # cwd = data dir so no ./kontor.toml of the caller is picked up.
    (cd "$dir" && exec "$BIN" --listen 127.0.0.1:0 --data-dir "$dir" --demo "$@" \
        >"$dir/stdout.log" 2>"$dir/stderr.log") &
    SERVER_PID=$!
    ADDR=""
    for _ in $(seq 600); do  # up to 60 s (demo seeding hashes six passwords)
        ADDR="$(sed -n 's|^Kontor listening on http://||p' "$dir/stdout.log" | head -n1)"
        [[ -n "$ADDR" ]] && break
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            echo "server exited early:" >&2; cat "$dir/stderr.log" >&2; return 1
        fi
        sleep 0.1
    done
    [[ -n "$ADDR" ]] || { echo "server did not start within 60 s" >&2; cat "$dir/stderr.log" >&2; return 1; }
}

# CPU time (clock ticks, user+system) the server process has used so far.
server_ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }
# Context switches (voluntary + involuntary) summed over the server's threads.
server_ctxsw() {
    cat /proc/"$SERVER_PID"/task/*/status 2>/dev/null | awk '/ctxt_switches/{n += $2} END {print n + 0}'
}
CLK_TCK="$(getconf CLK_TCK)"

# run_wrk <label> <path> [wrk args...];
# prints "rps p50 p99 non2xx cpu_us_per_req ctxsw_per_req".
run_wrk() {
    local label="$1" path="$2"; shift 2
    local out t0 t1 c0 c1
    t0="$(server_ticks)"; c0="$(server_ctxsw)"
    out="$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@" "http://$ADDR$path")"
    t1="$(server_ticks)"; c1="$(server_ctxsw)"
    echo "$out" > "$TMP_ROOT/wrk-$label.txt"
    local rps p50 p99 bad n cpu cs
    rps="$(awk '/^Requests\/sec:/{print $2}' <<<"$out")"
    p50="$(awk '$1=="50%"{print $2}' <<<"$out")"
    p99="$(awk '$1=="99%"{print $2}' <<<"$out")"
    bad="$(awk -F: '/Non-2xx or 3xx responses/{gsub(/ /,"",$2); print $2}' <<<"$out")"
    n="$(awk '/requests in/{print $1}' <<<"$out")"
    cpu="$(awk -v a="$t0" -v b="$t1" -v n="$n" -v hz="$CLK_TCK" 'BEGIN {printf "%.0f", (b - a) / hz * 1e6 / n}')"
    cs="$(awk -v a="$c0" -v b="$c1" -v n="$n" 'BEGIN {printf "%.2f", (b - a) / n}')"
    echo "$rps $p50 $p99 ${bad:-0} $cpu $cs"
}

bench_backend() {
    local backend="$1"
    local dir="$TMP_ROOT/$backend"
    mkdir -p "$dir"
    local extra=()
    if [[ "$backend" == postgres ]]; then
        if ! command -v psql >/dev/null 2>&1 || ! "${PG_ADMIN[@]}" -c 'SELECT 1' >/dev/null 2>&1; then
            echo "== postgres: not reachable on 127.0.0.1:5432, skipped"
            return 0
        fi
        PG_DB="kontor_bench_http_$$"
        "${PG_ADMIN[@]}" -c "CREATE DATABASE $PG_DB" >/dev/null
        extra=(--database-url "postgres://postgres@127.0.0.1:5432/$PG_DB")
    fi
    start_server "$dir" "${extra[@]}"
    echo "== $backend: server at http://$ADDR (pid $SERVER_PID)"

    local login
    login="$(curl -s -o /dev/null -w '%{http_code}' -c "$dir/cookies" -X POST "http://$ADDR/api/v1/session" \
        -H 'content-type: application/json' \
        -d '{"email":"operator@kontor.example","password":"Kontor-Demo-2026"}')"
    local token
    token="$(awk -F'\t' '$6=="kontor_session"{print $7}' "$dir/cookies")"
    if [[ "$login" != 200 || -z "$token" ]]; then
        echo "login failed (HTTP $login)" >&2; cat "$dir/stderr.log" >&2; return 1
    fi
    local cookie="Cookie: kontor_session=$token"
    local me_status
    me_status="$(curl -s -o /dev/null -w '%{http_code}' -H "$cookie" "http://$ADDR/api/v1/me")"
    [[ "$me_status" == 200 ]] || { echo "GET /api/v1/me answered $me_status, not 200" >&2; return 1; }

    # Short untimed warm-up of both paths (connection pool, caches).
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" "http://$ADDR/api/v1/hello" >/dev/null
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" -H "$cookie" "http://$ADDR/api/v1/me" >/dev/null

    local h1 me h2
    h1="$(run_wrk "$backend-hello1" /api/v1/hello)"
    me="$(run_wrk "$backend-me" /api/v1/me -H "$cookie")"
    h2="$(run_wrk "$backend-hello2" /api/v1/hello)"
    local pairs=("hello(1):$h1" "me:$me" "hello(2):$h2")
    if [[ "$READYZ" == 1 ]]; then
        pairs+=("readyz:$(run_wrk "$backend-readyz" /readyz)")
    fi
    stop_server
    drop_pg

    local line endpoint
    printf '%-9s %-10s %10s %9s %9s %8s %12s %12s\n' backend endpoint "req/s" p50 p99 non-2xx "cpu us/req" "ctxsw/req"
    for pair in "${pairs[@]}"; do
        endpoint="${pair%%:*}"; line="${pair#*:}"
        read -r rps p50 p99 bad cpu cs <<<"$line"
        printf '%-9s %-10s %10s %9s %9s %8s %12s %12s\n' "$backend" "$endpoint" "$rps" "$p50" "$p99" "$bad" "$cpu" "$cs"
        if [[ -n "$RESULTS" ]]; then echo "$backend $endpoint $rps $p50 $p99 $bad $cpu $cs" >> "$RESULTS"; fi
        if [[ "$bad" != 0 ]]; then echo "WARNING: $bad non-2xx responses for $endpoint" >&2; fi
    done
    local h1rps merps h2rps h1cpu mecpu h2cpu
    read -r h1rps _ _ _ h1cpu _ <<<"$h1"; read -r merps _ _ _ mecpu _ <<<"$me"; read -r h2rps _ _ _ h2cpu _ <<<"$h2"
    awk -v h1="$h1rps" -v m="$merps" -v h2="$h2rps" -v c1="$h1cpu" -v cm="$mecpu" -v c2="$h2cpu" -v b="$backend" 'BEGIN {
        mean = (h1 + h2) / 2
        r = m / mean
        printf "%s: ratio me/hello = %.2f (me %.0f / mean hello %.0f req/s; vs hello(1) %.2f, vs hello(2) %.2f) -> target >= 0.5 %s\n",
            b, r, m, mean, m / h1, m / h2, (r >= 0.5 ? "MET" : "MISSED")
        if (cm > 0)
            printf "%s: server CPU per request hello %.0f us, me %.0f us (CPU-bound ratio hello/me = %.2f)\n",
                b, (c1 + c2) / 2, cm, (c1 + c2) / 2 / cm
    }' | tee -a "${RESULTS:-/dev/null}"
}

echo "wrk: $THREADS threads, $CONNECTIONS connections, $DURATION per endpoint, warm-up $WARMUP; $(nproc) cores"
for b in $BACKENDS; do
    bench_backend "$b"
done
