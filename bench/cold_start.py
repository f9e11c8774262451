#!/usr/bin/env python3
"""Cold start benchmark: wall time from spawning `kontor` to the first HTTP 200 on /readyz.

What it measures
  For each run a fresh, empty data dir (so a brand-new SQLite file) is created,
  `kontor --listen 127.0.0.1:<free port> --data-dir <dir>` is spawned and
  GET /readyz is polled (new loopback connection per attempt, ~1 ms sleep
  between refused attempts) until it answers 200. The figure includes process
  start, settings, opening the pool, all migrations, binding the socket and
  the first readiness query. The server is then stopped with SIGTERM.
  "warm" runs do the same against a data dir that already holds a migrated
  database (migrations are only checked, not applied).
  Also reported: time until the "Kontor listening on" line appears on stdout,
  time from SIGTERM to process exit, and how many runs died of SIGTERM instead
  of shutting down cleanly (the signal came before the handler was installed).

Target (issue 2): cold start to first 200 < 200 ms on SQLite.

How to run
  cargo build --release -p kontor          # once (bench/run.sh does this)
  python3 bench/cold_start.py [--runs 20] [--warm-runs 10] [--bin target/release/kontor]
  Optional: --pg-runs N also measures N cold starts on a fresh PostgreSQL
  database each (postgres://postgres@127.0.0.1:5432/kontor_bench_cs_*; created
  with psql and dropped afterwards). Default 0.

Only loopback addresses are used. All processes and temp dirs are cleaned up.
Runtime is bounded: every run gives up after --timeout seconds (default 10).
"""

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env():
    # Unknown KONTOR_* variables make the server refuse to start; don't inherit any.
    return {k: v for k, v in os.environ.items() if not k.startswith("KONTOR_")}


def one_start(binary, data_dir, timeout, database_url=None):
    """Returns dict with ms to first 200, ms to 'listening' line, ms to exit after SIGTERM."""
    port = free_port()
    args = [binary, "--listen", f"127.0.0.1:{port}", "--data-dir", data_dir]
    if database_url:
        args += ["--database-url", database_url]
    listening_at = [None]

    t0 = time.perf_counter()
    proc = subprocess.Popen(
        args,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        env=clean_env(),
        cwd=data_dir,  # so a ./kontor.toml of the caller is never picked up
    )

    def reader():
        for line in proc.stdout:
            if listening_at[0] is None and line.startswith(b"Kontor listening on"):
                listening_at[0] = time.perf_counter()
        proc.stdout.close()

    th = threading.Thread(target=reader, daemon=True)
    th.start()
    ready_at = None
    attempts = 0
    try:
        deadline = t0 + timeout
        while time.perf_counter() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"kontor exited early with code {proc.returncode}")
            attempts += 1
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            try:
                conn.request("GET", "/readyz")
                resp = conn.getresponse()
                resp.read()
                if resp.status == 200:
                    ready_at = time.perf_counter()
                    break
            except (ConnectionRefusedError, ConnectionResetError, http.client.HTTPException, OSError):
                pass
            finally:
                conn.close()
            time.sleep(0.001)
        if ready_at is None:
            raise RuntimeError(f"no 200 on /readyz within {timeout}s")
    finally:
        t_term = time.perf_counter()
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        t_exit = time.perf_counter()
        th.join(timeout=2)
    return {
        # SIGTERM that arrived before the server installed its handler (exit by signal)
        "killed_by_sigterm": proc.returncode == -signal.SIGTERM,
        "ready_ms": (ready_at - t0) * 1000,
        "listening_ms": (listening_at[0] - t0) * 1000 if listening_at[0] else float("nan"),
        "stop_ms": (t_exit - t_term) * 1000,
        "attempts": attempts,
    }


def pct(values, p):
    s = sorted(values)
    # nearest-rank percentile
    k = max(0, min(len(s) - 1, int(round(p / 100 * len(s) + 0.5)) - 1))
    return s[k]


def summary(name, results):
    out = {"name": name, "runs": len(results), "killed_by_sigterm": sum(r["killed_by_sigterm"] for r in results)}
    for key in ("ready_ms", "listening_ms", "stop_ms"):
        # listening_ms is NaN when the line had not been printed yet at SIGTERM
        v = [r[key] for r in results if r[key] == r[key]]
        out[key + "_n"] = len(v)
        if not v:
            out[key] = {"min": float("nan"), "median": float("nan"), "p90": float("nan"), "max": float("nan")}
            continue
        out[key] = {
            "min": min(v),
            "median": statistics.median(v),
            "p90": pct(v, 90),
            "max": max(v),
        }
    return out


def print_table(sums):
    print()
    print(f"{'scenario':<26} {'n':>4}  {'metric':<22} {'min':>8} {'median':>8} {'p90':>8} {'max':>8}")
    labels = {"ready_ms": "spawn -> 200 /readyz", "listening_ms": "spawn -> 'listening'", "stop_ms": "SIGTERM -> exit"}
    for s in sums:
        for key, label in labels.items():
            m = s[key]
            print(
                f"{s['name']:<26} {s[key + '_n']:>4}  {label:<22} "
                f"{m['min']:>8.1f} {m['median']:>8.1f} {m['p90']:>8.1f} {m['max']:>8.1f}"
            )
    print("(all times in ms; n = runs with a value)")
    for s in sums:
        if s["killed_by_sigterm"]:
            print(
                f"note: {s['name']}: {s['killed_by_sigterm']} of {s['runs']} runs died of SIGTERM instead of "
                "shutting down (signal arrived before the handler was installed)"
            )


def psql(sql):
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-v", "ON_ERROR_STOP=1", "-qAtc", sql],
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=30,
    )


def pg_reachable():
    if shutil.which("psql") is None:
        return False
    try:
        psql("SELECT 1")
        return True
    except Exception:
        return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "kontor"))
    ap.add_argument("--runs", type=int, default=20, help="cold runs on a fresh SQLite database")
    ap.add_argument("--warm-runs", type=int, default=10, help="runs on an already migrated SQLite database")
    ap.add_argument("--pg-runs", type=int, default=0, help="cold runs on a fresh PostgreSQL database each")
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds per run before giving up")
    ap.add_argument("--json", help="also write the summary as JSON to this file")
    a = ap.parse_args()

    binary = os.path.abspath(a.bin)
    if not os.access(binary, os.X_OK):
        sys.exit(f"cold_start: {binary} not found; run: cargo build --release -p kontor")

    tmp_root = tempfile.mkdtemp(prefix="kontor-bench-cold-")
    sums = []
    try:
        # One untimed start first so the binary is in the page cache for everyone.
        d = tempfile.mkdtemp(dir=tmp_root)
        one_start(binary, d, a.timeout)
        shutil.rmtree(d, ignore_errors=True)

        cold = []
        for i in range(a.runs):
            d = tempfile.mkdtemp(dir=tmp_root)
            cold.append(one_start(binary, d, a.timeout))
            shutil.rmtree(d, ignore_errors=True)
        sums.append(summary("sqlite cold (fresh db)", cold))
        print(f"sqlite cold ready_ms: {' '.join('%.0f' % r['ready_ms'] for r in cold)}", flush=True)

        if a.warm_runs > 0:
            d = tempfile.mkdtemp(dir=tmp_root)
            one_start(binary, d, a.timeout)  # creates and migrates the database
            warm = [one_start(binary, d, a.timeout) for _ in range(a.warm_runs)]
            shutil.rmtree(d, ignore_errors=True)
            sums.append(summary("sqlite warm (migrated)", warm))
            print(f"sqlite warm ready_ms: {' '.join('%.0f' % r['ready_ms'] for r in warm)}", flush=True)

        if a.pg_runs > 0:
            if not pg_reachable():
                print("postgres: not reachable on 127.0.0.1:5432, skipped", flush=True)
            else:
                pg = []
                for i in range(a.pg_runs):
                    name = f"kontor_bench_cs_{os.getpid()}_{i}"
                    psql(f"CREATE DATABASE {name}")
                    d = tempfile.mkdtemp(dir=tmp_root)
                    try:
                        pg.append(one_start(binary, d, a.timeout, f"postgres://postgres@127.0.0.1:5432/{name}"))
                    finally:
                        shutil.rmtree(d, ignore_errors=True)
                        psql(f"DROP DATABASE IF EXISTS {name}")
                sums.append(summary("postgres cold (fresh db)", pg))
                print(f"postgres cold ready_ms: {' '.join('%.0f' % r['ready_ms'] for r in pg)}", flush=True)
    finally:
        shutil.rmtree(tmp_root, ignore_errors=True)

    print_table(sums)
    med = sums[0]["ready_ms"]["median"]
    p90 = sums[0]["ready_ms"]["p90"]
    verdict = "MET" if p90 < 200 else "MISSED"
    print(f"\nTarget cold start < 200 ms (SQLite, fresh db): median {med:.1f} ms, p90 {p90:.1f} ms -> {verdict}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(sums, f, indent=2)


if __name__ == "__main__":
    main()
