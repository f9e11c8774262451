# Sourced by the benchmark scripts: starts a release `kontor serve` on
# 127.0.0.1:$PORT with a fresh database (SQLite in a temporary folder, or a
# fresh PostgreSQL database with BACKEND=postgres), waits until it is ready,
# and removes server, folder and database on exit. Sets DB and SERVER.
#
#   serve_fresh NAME     # NAME goes into the PostgreSQL database name

serve_fresh() {
    DATA="$(mktemp -d)"
    PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432}"
    case "${BACKEND:-sqlite}" in
        sqlite) DB="sqlite://$DATA/kontor.db" ;;
        postgres)
            PG_DB="kontor_bench_$1_$$"
            psql "$PG_URL/postgres" -qc "CREATE DATABASE $PG_DB"
            DB="$PG_URL/$PG_DB" ;;
        *) echo "BACKEND must be sqlite or postgres" >&2; exit 2 ;;
    esac
    # shellcheck disable=SC2086 # SERVE_ARGS: extra flags, word-split on purpose
    target/release/kontor serve --listen "127.0.0.1:$PORT" --data-dir "$DATA" --database-url "$DB" --log-level warn ${SERVE_ARGS:-} &
    SERVER=$!
    trap serve_cleanup EXIT
    for _ in $(seq 100); do
        curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break
        sleep 0.1
    done
}

serve_cleanup() {
    kill "$SERVER" 2>/dev/null || true
    wait "$SERVER" 2>/dev/null || true
    rm -rf "$DATA"
    if [[ -n "${PG_DB:-}" ]]; then psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)"; fi
}
