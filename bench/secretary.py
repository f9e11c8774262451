#!/usr/bin/env python3
"""Secretary benchmarks (issue 4).

What it measures, on the release binary with a fresh SQLite database
(or PostgreSQL with BACKEND=postgres) and the demo data:
  1. CSV import of ROWS employees (default 100,000) into Mustermann AG:
     preview time (POST /employees/import: decode, parse, check every row
     against the existing list, keep the upload), commit time (POST
     .../commit: check again and write every row in one transaction), and
     the server's peak resident memory (VmHWM) before/after each step.
     Targets: preview < 3 s, commit < 10 s on SQLite, memory < 200 MB.
  2. The employee list with LIST_ROWS employees (default 10,000, imported
     into Bäckerei Schmidt): server time per page of 50 for the JSON API and
     the HTML page, first / middle / last page and a search, median and p95
     of REPEAT requests each, measured as loopback round trips.

How to run:
  cargo build --release -p kontor
  bench/secretary.py                 # ROWS=100000 LIST_ROWS=10000 REPEAT=30
  BACKEND=postgres bench/secretary.py   # needs postgres://postgres@127.0.0.1:5432

Loopback only; removes the server, temp dir and database on exit.
"""

import http.cookiejar
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("BENCH_BIN", os.path.join(ROOT, "target", "release", "kontor"))
ROWS = int(os.environ.get("ROWS", "100000"))
LIST_ROWS = int(os.environ.get("LIST_ROWS", "10000"))
REPEAT = int(os.environ.get("REPEAT", "30"))
BACKEND = os.environ.get("BACKEND", "sqlite")
PASSWORD = "Kontor-Demo-2026"


def csv_file(rows, domain):
    """A German Excel-style file: semicolons, every row with a deputy."""
    lines = ["Name;E-Mail;Position;Zuständigkeit;Mobilnummer;SMS-Benachrichtigung;Vertreter;Abwesenheitsinfo"]
    for i in range(rows):
        deputy = f"person{i - 1}@{domain}" if i > 0 else ""
        lines.append(
            f"Nachname{i:06d}, Vorname{i % 97};person{i}@{domain};Sachbearbeitung;Team {i % 40};"
            f"0170 {1000000 + i};{'ja' if i % 3 == 0 else 'nein'};{deputy};Nur vormittags"
        )
    return ("\n".join(lines) + "\n").encode("utf-8")


class Client:
    def __init__(self, url):
        self.url = url
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def call(self, method, path, body=None, ctype="application/json"):
        data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
        req = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", ctype)
        try:
            with self.opener.open(req, timeout=120) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return (time.perf_counter() - t), out


def timed_with_memory(pid, fn):
    """Runs fn, sampling the server's resident memory every 10 ms."""
    import threading

    peak = [rss_mb(pid)]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_mb(pid))
            time.sleep(0.01)

    t = threading.Thread(target=sample)
    t.start()
    try:
        secs, out = timed(fn)
    finally:
        done.set()
        t.join()
    return secs, out, peak[0]


def main():
    if not os.access(BIN, os.X_OK):
        sys.exit("build first: cargo build --release -p kontor")
    tmp = tempfile.mkdtemp()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KONTOR_")}
    args = [BIN, "--listen", "127.0.0.1:0", "--data-dir", tmp, "--demo", "--log-level", "warn"]
    pg_db = None
    if BACKEND == "postgres":
        pg_db = f"kontor_bench_{os.getpid()}"
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"CREATE DATABASE {pg_db}"], check=True)
        args += ["--database-url", f"postgres://postgres@127.0.0.1:5432/{pg_db}"]
    out = open(os.path.join(tmp, "out"), "w+")
    server = subprocess.Popen(args, stdout=out, stderr=subprocess.DEVNULL, env=env)
    try:
        url = None
        for _ in range(400):
            out.seek(0)
            for line in out.read().splitlines():
                if line.startswith("Kontor listening on "):
                    url = line.split()[-1]
            if url:
                break
            time.sleep(0.05)
        if not url:
            sys.exit("server did not start")
        c = Client(url)
        status, _ = c.call("POST", "/api/v1/session", {"email": "operator@kontor.example", "password": PASSWORD})
        assert status == 200, status
        status, body = c.call("GET", "/api/v1/accounts?limit=10")
        accounts = {a["customer_number"]: a["id"] for a in json.loads(body)["items"]}
        big, small = accounts["K-10001"], accounts["K-10002"]

        print(f"== CSV import of {ROWS:,} employees ({BACKEND}, {os.cpu_count()} cores)")
        data = csv_file(ROWS, "bench.example")
        pid = server.pid
        print(f"file: {len(data) / 1e6:.1f} MB; server resident memory before: {rss_mb(pid):.0f} MB")

        def import_and_commit(label, payload):
            secs, (status, body), peak = timed_with_memory(
                pid, lambda: c.call("POST", f"/api/v1/accounts/{big}/employees/import", payload, "text/csv")
            )
            view = json.loads(body)
            assert status == 200 and not view["errors"], body[:500]
            print(f"{label} preview: {secs:5.2f} s  (creates {view['creates']:,}, updates {view['updates']:,}, "
                  f"unchanged {view['unchanged']:,}); peak resident memory {peak:.0f} MB")
            if view["upload_id"] is None:
                return
            secs, (status, body), peak = timed_with_memory(
                pid, lambda: c.call("POST", f"/api/v1/accounts/{big}/employees/import/{view['upload_id']}/commit", {})
            )
            assert status == 200, body[:500]
            print(f"{label} commit:  {secs:5.2f} s; peak resident memory {peak:.0f} MB")

        import_and_commit("new employees:", data)
        secs, (status, body), peak = timed_with_memory(
            pid, lambda: c.call("GET", f"/api/v1/accounts/{big}/employees/export")
        )
        assert status == 200
        print(f"export:  {secs:.2f} s ({len(body) / 1e6:.1f} MB); peak resident memory {peak:.0f} MB")
        import_and_commit("export re-imported:", body)
        import_and_commit("every row changed:", body.replace(b"Sachbearbeitung", b"Vertrieb"))

        print(f"\n== employee list with {LIST_ROWS:,} employees, 50 per page, {REPEAT} requests each")
        status, body = c.call(
            "POST", f"/api/v1/accounts/{small}/employees/import", csv_file(LIST_ROWS, "list.example"), "text/csv"
        )
        upload = json.loads(body)["upload_id"]
        status, _ = c.call("POST", f"/api/v1/accounts/{small}/employees/import/{upload}/commit", {})
        assert status == 200
        last = (LIST_ROWS // 50) * 50
        cases = [
            ("API first page", f"/api/v1/accounts/{small}/employees?limit=50"),
            ("API middle page", f"/api/v1/accounts/{small}/employees?limit=50&offset={last // 2}"),
            ("API last page", f"/api/v1/accounts/{small}/employees?limit=50&offset={last}"),
            ("API search", f"/api/v1/accounts/{small}/employees?limit=50&q=vorname42"),
            ("page first", f"/portal/{small}/employees"),
            ("page middle", f"/portal/{small}/employees?page={last // 100 + 1}"),
            ("page last", f"/portal/{small}/employees?page={last // 50 + 1}"),
            ("page search", f"/portal/{small}/employees?q=vorname42"),
        ]
        for name, path in cases:
            times = []
            for _ in range(REPEAT):
                secs, (status, _) = timed(lambda: c.call("GET", path))
                assert status == 200, (path, status)
                times.append(secs * 1000)
            times.sort()
            p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
            print(f"{name:16s} median {statistics.median(times):6.1f} ms   p95 {p95:6.1f} ms")
    finally:
        server.terminate()
        server.wait()
        if pg_db:
            subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"DROP DATABASE {pg_db}"])
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
