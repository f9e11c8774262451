#!/usr/bin/env python3
"""Call benchmarks (issue 5): agent call screen, statistics, live push.

What it measures, on the release binary with a fresh SQLite database (or
PostgreSQL with BACKEND=postgres) filled to production size:

  Data: ACCOUNTS customer accounts (default 1,000) with EMPLOYEES employees
  each (50; some with deputies, absence info and a running appointment),
  settings, 5 FAQ entries and one service number each; VIPS VIP entries
  (100,000) spread over the accounts; CALLS finished calls (1,000,000) over
  the last two years, BUSY_CALLS (30,000) of them for the measured account
  B-00001 within the last year; OPEN_CALLS queued calls (1,000) spread over
  the accounts, every second one from a VIP's number. Notes (call_notes)
  exist for the measured account's calls (NOTES=all: for every call).
  The rows are written straight into the database (sqlite3 executemany in
  one transaction, or psql \\copy), after the server has created the
  schema and the demo logins; the server is then restarted on that data.
  PostgreSQL gets VACUUM ANALYZE after loading (what autovacuum does soon
  after a bulk load); SQLite gets no ANALYZE (the server does not run one).

  1. Call screen: GET /api/v1/agent/calls/{id}/screen as the demo agent
     (session cookie), the OPEN_CALLS calls round-robin. With wrk (2 threads,
     64 connections, 10 s, like bench/http_throughput.sh) in the order
     hello, screen, hello on one server: req/s, p50/p99 and server CPU per
     request, and the ratio screen / mean(hello). Then the same with ONE
     connection (requests back to back) for the latency of a single agent.
     Targets: p99 < 5 ms, screen/hello >= 0.3.
  2. Statistics for the busy account over one year (366 days up to today):
     GET /api/v1/accounts/{id}/calls/stats?from=..&to=.., REPEAT (30)
     sequential requests as the operator after one first request (shown
     separately: cold cache right after the restart): median / p95 / max.
     Target < 100 ms. Also the call list (first page and a middle page of
     50) and the CSV export of that year.
  3. Push latency: CONSOLES (10) agent consoles are connected to
     ws://HOST/api/v1/agent/live (minimal stdlib WebSocket client); PUSHES
     (500) calls are posted one after another to POST /api/v1/calls with an
     API token, PUSH_GAP_MS (10) apart. Measured from just before the POST
     is sent until the "queued" frame with the new id has been read, at
     the first console and at the last of them. Target p99 < 50 ms.

How to run:
  cargo build --release -p kontor
  bench/calls.py                          # SQLite, full size (~2.5 min)
  BACKEND=postgres bench/calls.py         # needs postgres://postgres@127.0.0.1:5432
  CALLS=100000 VIPS=10000 ACCOUNTS=100 bench/calls.py   # quick check

Environment knobs (defaults): BACKEND=sqlite ACCOUNTS=1000 EMPLOYEES=50
  VIPS=100000 CALLS=1000000 BUSY_CALLS=30000 OPEN_CALLS=1000 NOTES=busy
  DURATION=10 WARMUP=2 THREADS=2 CONNECTIONS=64 (wrk, seconds)
  REPEAT=30 PUSHES=500 CONSOLES=10 PUSH_GAP_MS=10 LOAD=auto (wrk if
  installed, else a Python load loop, which caps hello far lower: its
  ratio is then too kind) BENCH_BIN=target/release/kontor SEED=5
  PG_URL=postgres://postgres@127.0.0.1:5432 BREAKDOWN=0 (1: after the
  screen, load the endpoints that run its parts - /me, /readyz, employee
  list, VIP lookup, FAQ, settings - for req/s and server CPU per request)

Loopback only; stops the server and removes the temp dir and the
PostgreSQL database on exit, also on errors and Ctrl-C.
"""

import base64
import datetime
import hashlib
import http.client
import json
import multiprocessing
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("BENCH_BIN", os.path.join(ROOT, "target", "release", "kontor"))
BACKEND = os.environ.get("BACKEND", "sqlite")
ACCOUNTS = int(os.environ.get("ACCOUNTS", "1000"))
EMPLOYEES = int(os.environ.get("EMPLOYEES", "50"))
VIPS = int(os.environ.get("VIPS", "100000"))
CALLS = int(os.environ.get("CALLS", "1000000"))
BUSY_CALLS = int(os.environ.get("BUSY_CALLS", "30000"))
OPEN_CALLS = int(os.environ.get("OPEN_CALLS", "1000"))
NOTES = os.environ.get("NOTES", "busy")
DURATION = int(os.environ.get("DURATION", "10"))
WARMUP = int(os.environ.get("WARMUP", "2"))
THREADS = int(os.environ.get("THREADS", "2"))
CONNECTIONS = int(os.environ.get("CONNECTIONS", "64"))
REPEAT = int(os.environ.get("REPEAT", "30"))
PUSHES = int(os.environ.get("PUSHES", "500"))
CONSOLES = int(os.environ.get("CONSOLES", "10"))
PUSH_GAP_MS = float(os.environ.get("PUSH_GAP_MS", "10"))
LOAD = os.environ.get("LOAD", "auto")
SEED = int(os.environ.get("SEED", "5"))
BREAKDOWN = os.environ.get("BREAKDOWN", "0") == "1"
PG_URL = os.environ.get("PG_URL", "postgres://postgres@127.0.0.1:5432")
PASSWORD = "Kontor-Demo-2026"
AGENT = "agent@kontor.example"
OPERATOR = "operator@kontor.example"
DAY_MS = 86_400_000

FIRST = ["Anna", "Ben", "Clara", "David", "Eva", "Felix", "Greta", "Hans", "Ida", "Jan", "Karl", "Lena", "Max",
         "Nina", "Otto", "Paula", "Quirin", "Rita", "Sven", "Tina", "Uwe", "Vera", "Wolfgang", "Xenia", "Yusuf", "Zoe"]
LAST = ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann",
        "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann",
        "Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Schmitt", "Werner", "Krause", "Meier", "Lehmann"]
CONCERNS = [
    "Bittet um Rückruf wegen des Angebots vom letzten Monat.",
    "Fragt nach dem Stand der Bestellung, Lieferung war für gestern zugesagt.",
    "Möchte einen Termin für nächste Woche vereinbaren, vormittags.",
    "Rechnung doppelt erhalten, bittet um Klärung und Gutschrift.",
    "Interessent, hat die Anzeige gesehen und möchte Unterlagen.",
    "Ruft wegen der Reklamation an, Vorgangsnummer liegt vor.",
    "Bittet um dringenden Rückruf, Thema vertraulich.",
]
QUERY_FIELDS = '[{"label":"Kundennummer","required":false},{"label":"Rückrufzeit","required":false}]'


# ----------------------------------------------------------------------------
# small helpers

def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def fold(s):
    """domain::secretary::fold for the names used here."""
    return s.lower().replace("ä", "a").replace("ö", "o").replace("ü", "u").replace("ß", "ss")


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(len(v) * p))]


def ms(secs):
    return f"{secs * 1000:7.2f} ms"


def idle_percent(secs=1.0):
    """How idle the machine's CPUs were over `secs` (from /proc/stat)."""
    def sample():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return v[3] + v[4], sum(v)
    i0, t0 = sample()
    time.sleep(secs)
    i1, t1 = sample()
    return 100.0 * (i1 - i0) / max(1, t1 - t0)


def server_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime (fields 14, 15)


class Http:
    """One keep-alive HTTP/1.1 connection (TCP_NODELAY: http.client sends
    headers and body in separate writes, which Nagle would hold back)."""

    def __init__(self, addr, cookie=None, headers=None):
        host, port = addr.rsplit(":", 1)
        self.host, self.port = host, int(port)
        self.headers = dict(headers or {})
        if cookie:
            self.headers["Cookie"] = cookie
        self.conn = None

    def _connect(self):
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=300)
        self.conn.connect()
        self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def call(self, method, path, body=None, headers=None):
        h = dict(self.headers)
        h.update(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        for attempt in (0, 1):
            if self.conn is None:
                self._connect()
            try:
                self.conn.request(method, path, body=body, headers=h)
                r = self.conn.getresponse()
                data = r.read()
                return r.status, data, r
            except (http.client.HTTPException, ConnectionError, BrokenPipeError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")


def login(addr, email):
    status, body, r = Http(addr).call("POST", "/api/v1/session", {"email": email, "password": PASSWORD})
    assert status == 200, (email, status, body[:300])
    for name, value in r.getheaders():
        if name.lower() == "set-cookie" and value.startswith("kontor_session="):
            return value.split(";", 1)[0]
    raise AssertionError("no kontor_session cookie")


# ----------------------------------------------------------------------------
# server and databases

class Server:
    def __init__(self, tmp, db_url):
        self.tmp, self.db_url, self.proc, self.addr = tmp, db_url, None, None

    def start(self, *extra):
        env = {k: v for k, v in os.environ.items() if not k.startswith("KONTOR_")}
        out_path = os.path.join(self.tmp, "server.out")
        err = open(os.path.join(self.tmp, "server.err"), "a")
        out = open(out_path, "w")
        args = [BIN, "--listen", "127.0.0.1:0", "--data-dir", self.tmp, "--database-url", self.db_url,
                "--log-level", "warn", *extra]
        # cwd = temp dir, so no kontor.toml of the caller is picked up.
        self.proc = subprocess.Popen(args, stdout=out, stderr=err, env=env, cwd=self.tmp)
        deadline = time.time() + 120
        while time.time() < deadline:
            with open(out_path) as f:
                m = re.search(r"Kontor listening on http://(\S+)", f.read())
            if m:
                self.addr = m.group(1)
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        with open(os.path.join(self.tmp, "server.err")) as f:
            sys.stderr.write(f.read()[-3000:])
        raise SystemExit("server did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


def psql(db, sql, *extra):
    out = subprocess.run(["psql", f"{PG_URL}/{db}", "-v", "ON_ERROR_STOP=1", "-qAt", *extra, "-c", sql],
                         check=True, capture_output=True, text=True)
    return out.stdout.strip()


class SqliteSink:
    """Rows straight into the database file, one transaction."""

    def __init__(self, path):
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute("BEGIN")
        self.buf = {}

    def query(self, sql):
        return self.db.execute(sql).fetchall()

    def add(self, table, cols, row):
        b = self.buf.setdefault((table, cols), [])
        b.append(row)
        if len(b) >= 20000:
            self._flush(table, cols)

    def _flush(self, table, cols):
        rows = self.buf.pop((table, cols), [])
        if rows:
            marks = ",".join("?" * len(rows[0]))
            self.db.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)

    def finish(self):
        for table, cols in list(self.buf):
            self._flush(table, cols)
        self.db.execute("COMMIT")
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.db.close()


def copy_text(v):
    if v is None:
        return "\\N"
    if isinstance(v, str):
        if "\\" in v or "\t" in v or "\n" in v or "\r" in v:
            v = v.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
        return v
    return str(v)


class PgSink:
    """Rows into COPY text files, loaded with psql \\copy in table order."""

    ORDER = ["accounts", "secretary_settings", "employees", "appointments", "vips", "faqs", "service_numbers",
             "calls", "call_notes"]

    def __init__(self, db, tmp):
        self.db, self.tmp, self.files = db, tmp, {}

    def query(self, sql):
        out = psql(self.db, sql, "-F", "\t")
        return [tuple(line.split("\t")) for line in out.splitlines()]

    def add(self, table, cols, row):
        if table not in self.files:
            path = os.path.join(self.tmp, f"copy-{table}.txt")
            self.files[table] = (cols, path, open(path, "w", encoding="utf-8", buffering=1 << 20))
        self.files[table][2].write("\t".join(map(copy_text, row)) + "\n")

    def finish(self):
        script = ["BEGIN;"]
        for table in self.ORDER:
            if table in self.files:
                cols, path, f = self.files[table]
                f.close()
                script.append(f"\\copy {table} ({cols}) FROM '{path}'")
        script.append("COMMIT;")
        for table in self.ORDER:
            if table in self.files and table not in ("secretary_settings", "service_numbers"):
                script.append(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}));")
        script.append("VACUUM ANALYZE;")
        path = os.path.join(self.tmp, "load.sql")
        with open(path, "w") as f:
            f.write("\n".join(script) + "\n")
        subprocess.run(["psql", f"{PG_URL}/{self.db}", "-v", "ON_ERROR_STOP=1", "-q", "-f", path],
                       check=True, stdout=subprocess.DEVNULL)
        for _, path, _ in self.files.values():
            os.remove(path)


# ----------------------------------------------------------------------------
# seeding

ACCOUNT_COLS = "id, customer_number, postal_code, name, street, city, country, tariff, contact_email, time_zone, " \
               "status, created_at, updated_at"
SETTINGS_COLS = "account_id, greeting, instructions, with_transfer, query_fields, updated_at, confirmed_at"
EMPLOYEE_COLS = "id, account_id, name, sort_key, email, cc, position, responsibility, sms_enabled, mobile, " \
                "deputy_id, extension, wants_transfer, vip_transfer, vip_sms, absence_info, login_user_id, " \
                "created_at, updated_at"
APPT_COLS = "id, account_id, employee_id, starts_at, ends_at, all_day, text, created_at"
VIP_COLS = "id, account_id, employee_id, phone, name, note"
FAQ_COLS = "id, account_id, position, question, answer"
NUMBER_COLS = "number, account_id, created_at"
CALL_COLS = "id, account_id, service_number, caller_id, received_at, source, status, agent_id, agent_name, " \
            "claimed_at, closed_at, employee_id, employee_name, outcome, vip, caller_name, summary, note_id"
NOTE_COLS = "id, call_id, account_id, corrects_id, created_at, agent_id, agent_name, employee_id, employee_name, " \
            "outcome, connected_to, caller_name, company, phone, concern, extra"


def service_number(a):
    return f"+4930{2000000 + a:07d}"


def vip_phone(a, k):
    return f"+4917{a * 1000 + k:08d}"


def seed(sink, now):
    """Writes everything; returns what the benchmarks need."""
    rng = random.Random(SEED)

    def base(table):
        return int(sink.query(f"SELECT COALESCE(MAX(id), 0) FROM {table}")[0][0]) + 1

    acc0, emp0, appt0, vip0, faq0, call0, note0 = (
        base(t) for t in ("accounts", "employees", "appointments", "vips", "faqs", "calls", "call_notes"))
    agent_id, agent_name = sink.query(
        f"SELECT id, first_name || ' ' || last_name FROM users WHERE email_normalized = '{AGENT}'")[0]
    agent_id = int(agent_id)
    created = now - 3 * 365 * DAY_MS

    def account_id(a):
        return acc0 + a

    def emp_id(a, j):
        return emp0 + a * EMPLOYEES + j

    def transfer(a):
        return a % 2 == 0

    emp_names = []
    for a in range(ACCOUNTS):
        aid = account_id(a)
        name = f"Bench Kunde {a + 1:05d} GmbH"
        sink.add("accounts", ACCOUNT_COLS, (
            aid, f"B-{a + 1:05d}", f"{10000 + a % 89999:05d}", name, f"Hauptstraße {a % 200 + 1}", "Berlin", "DE",
            "Sekretariat Vermittlung" if transfer(a) else "Sekretariat Basis", None, "Europe/Berlin", "active",
            created, created))
        sink.add("secretary_settings", SETTINGS_COLS, (
            aid, f"{name}, guten Tag, mein Name ist [Vorname, Nachname]. Was kann ich für Sie tun?",
            "Rechnungsfragen bitte an die Buchhaltung; Bewerber auf die Website verweisen.",
            1 if transfer(a) else 0, QUERY_FIELDS, created, created))
        sink.add("service_numbers", NUMBER_COLS, (service_number(a), aid, created))
        for j in range(EMPLOYEES):
            first, last = FIRST[(j + a) % len(FIRST)], LAST[(j * 7 + a * 3) % len(LAST)]
            ename = f"{first} {last}"
            emp_names.append(ename)
            mobile = f"+49160{a * 100 + j:07d}" if j % 3 == 0 else None
            sink.add("employees", EMPLOYEE_COLS, (
                emp_id(a, j), aid, ename, fold(f"{last} {first}"), f"{fold(first)}.{fold(last)}.{j}@kunde{a + 1}.example",
                "", ["Geschäftsführung", "Vertrieb", "Buchhaltung", "Technik", "Empfang"][j % 5],
                f"Team {j % 7 + 1}", 1 if mobile and j % 2 == 0 else 0, mobile,
                emp_id(a, j - 1) if j % 5 in (1, 2) else None, f"{100 + j}", 1 if j % 3 != 0 else 0,
                1 if j % 4 == 0 else 0, 1 if j % 8 == 0 else 0,
                "Im Urlaub bis Monatsende, Vertretung siehe Liste" if j % 10 == 9 else "", None, created, created))
        for k in range(4):
            running = k % 2 == 0
            start = now - 3_600_000 if running else now + DAY_MS + k * 3_600_000
            sink.add("appointments", APPT_COLS, (
                appt0 + a * 4 + k, aid, emp_id(a, k * 3), start, start + 3 * 3_600_000, 0,
                "Kundentermin außer Haus" if running else "Besprechung", created))
        for k in range(5):
            sink.add("faqs", FAQ_COLS, (
                faq0 + a * 5 + k, aid, k + 1, f"Frage {k + 1}: Wie sind die Öffnungszeiten?",
                "Montag bis Freitag von 8 bis 18 Uhr, freitags bis 15 Uhr."))
    vips_per = max(1, VIPS // ACCOUNTS)
    n = 0
    for a in range(ACCOUNTS):
        for k in range(vips_per):
            if n >= VIPS:
                break
            sink.add("vips", VIP_COLS, (
                vip0 + n, account_id(a), emp_id(a, k % EMPLOYEES) if k % 3 == 0 else None, vip_phone(a, k),
                f"{LAST[k % len(LAST)]} Holding", "Immer sofort durchstellen"))
            n += 1

    # Finished calls, day by day in time order (ids grow with time, rows of
    # one account are interleaved with all others as in production).
    # The busy account's calls fall on the 364 days before today, inside the
    # measured period (366 days up to today in Berlin) whatever the hour.
    busy_days, all_days = 364, 730
    other_calls = CALLS - BUSY_CALLS
    today0 = now - now % DAY_MS  # UTC midnight
    cid, nid = call0, note0
    for d in range(all_days, 0, -1):
        k = all_days - d
        todo = []
        n_other = other_calls * (k + 1) // all_days - other_calls * k // all_days
        start = today0 - d * DAY_MS + 6 * 3_600_000  # 07:00 / 08:00 Berlin
        for _ in range(n_other):
            todo.append((start + int(rng.random() * 11 * 3_600_000), rng.randrange(1, ACCOUNTS) if ACCOUNTS > 1 else 0))
        if d <= busy_days:
            kb = busy_days - d
            for _ in range(BUSY_CALLS * (kb + 1) // busy_days - BUSY_CALLS * kb // busy_days):
                todo.append((start + int(rng.random() * 11 * 3_600_000), 0))
        todo.sort()
        for t, a in todo:
            aid = account_id(a)
            j = rng.randrange(EMPLOYEES)
            r = rng.random()
            if r < 0.1:
                caller, vip = vip_phone(a, rng.randrange(vips_per)), 1
            elif r < 0.15:
                caller, vip = "", 0
            else:
                caller, vip = f"+4915{rng.randrange(10 ** 9):09d}", 0
            outcome = "connected" if transfer(a) and rng.random() < 0.4 else "message"
            ename = emp_names[a * EMPLOYEES + j]
            caller_name = f"{FIRST[rng.randrange(len(FIRST))]} {LAST[rng.randrange(len(LAST))]}"
            concern = CONCERNS[rng.randrange(len(CONCERNS))]
            note = None
            if a == 0 or NOTES == "all":
                note = nid
                nid += 1
                sink.add("call_notes", NOTE_COLS, (
                    note, cid, aid, None, t + 120_000, agent_id, agent_name, emp_id(a, j), ename, outcome,
                    ename if outcome == "connected" else "", caller_name, "Muster GmbH" if r < 0.5 else "", caller,
                    concern, '[{"label":"Kundennummer","value":"%d"}]' % (r * 100000)))
            sink.add("calls", CALL_COLS, (
                cid, aid, service_number(a), caller, t, "api", "done", agent_id, agent_name, t + 5_000, t + 120_000,
                emp_id(a, j), ename, outcome, vip, caller_name, concern[:80], note))
            cid += 1
    # The open calls the call screen benchmark looks at.
    open_ids = []
    for i in range(OPEN_CALLS):
        a = i % ACCOUNTS
        caller = vip_phone(a, i % vips_per) if i % 2 == 0 else f"+4916{rng.randrange(10 ** 9):09d}"
        sink.add("calls", CALL_COLS, (
            cid, account_id(a), service_number(a), caller, now - (OPEN_CALLS - i) * 1000, "api", "queued", None, "",
            None, None, None, "", None, 0, "", "", None))
        open_ids.append(cid)
        cid += 1
    sink.finish()
    return {"busy_account": account_id(0), "open_ids": open_ids,
            "numbers": [service_number(a) for a in range(ACCOUNTS)], "notes": nid - note0}


# ----------------------------------------------------------------------------
# load generation

def parse_wrk(out):
    def to_ms(s):
        m = re.match(r"([\d.]+)(us|ms|s|m)", s)
        v, u = float(m.group(1)), m.group(2)
        return v * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[u]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    n = int(re.search(r"(\d+) requests in", out).group(1))
    p50 = to_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = to_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errs = re.search(r"Socket errors:.*", out)
    return {"rps": rps, "n": n, "p50": p50, "p99": p99, "bad": int(bad.group(1)) if bad else 0,
            "errors": errs.group(0) if errs else ""}


def wrk_lua(tmp, paths):
    path = os.path.join(tmp, f"paths-{len(paths)}-{hashlib.md5(''.join(paths).encode()).hexdigest()[:8]}.lua")
    with open(path, "w") as f:
        f.write("local counter = 0\n"
                "function setup(thread) thread:set('tid', counter); counter = counter + 1 end\n"
                "paths = {" + ",".join(f'"{p}"' for p in paths) + "}\n"
                "i = 0\n"
                "function init(args) i = (tid or 0) * 7919 end\n"
                "function request() i = i + 1; return wrk.format(nil, paths[(i % #paths) + 1]) end\n")
    return path


def _py_worker(args):
    addr, paths, headers, duration, conns, offset = args
    lat, bad, lock = [], [0], threading.Lock()
    stop = time.perf_counter() + duration

    def run(k):
        c = Http(addr, headers=headers)
        mine, i = [], offset + k * 7919
        while time.perf_counter() < stop:
            i += 1
            t = time.perf_counter()
            status, _, _ = c.call("GET", paths[i % len(paths)])
            mine.append(time.perf_counter() - t)
            if status >= 400:
                bad[0] += 1
        with lock:
            lat.extend(mine)

    ts = [threading.Thread(target=run, args=(k,)) for k in range(conns)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return lat, bad[0]


def load(ctx, paths, cookie, threads, conns, duration):
    """Closed-loop load on `paths` (round-robin). Returns rps/p50/p99/… ."""
    pid = ctx["server"].proc.pid
    t0, c0 = server_ticks(pid), time.perf_counter()
    if ctx["wrk"]:
        cmd = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{duration}s", "--latency", "-s", wrk_lua(ctx["tmp"], paths)]
        if cookie:
            cmd += ["-H", f"Cookie: {cookie}"]
        out = subprocess.run(cmd + [f"http://{ctx['server'].addr}/"], check=True, capture_output=True, text=True).stdout
        res = parse_wrk(out)
    else:
        headers = {"Cookie": cookie} if cookie else {}
        per = [max(1, conns // threads + (1 if k < conns % threads else 0)) for k in range(min(threads, conns))]
        with multiprocessing.Pool(len(per)) as pool:
            parts = pool.map(_py_worker, [(ctx["server"].addr, paths, headers, duration, c, k * 104729)
                                          for k, c in enumerate(per)])
        lat = [x for part in parts for x in part[0]]
        res = {"rps": len(lat) / duration, "n": len(lat), "p50": pct(lat, 0.5) * 1000, "p99": pct(lat, 0.99) * 1000,
               "bad": sum(p[1] for p in parts), "errors": ""}
    res["cpu_us"] = (server_ticks(pid) - t0) / os.sysconf("SC_CLK_TCK") * 1e6 / max(1, res["n"])
    res["secs"] = time.perf_counter() - c0
    return res


# ----------------------------------------------------------------------------
# WebSocket console (stdlib): handshake, read frames, answer pings

class Console(threading.Thread):
    def __init__(self, addr, cookie, seen, cond):
        super().__init__(daemon=True)
        host, port = addr.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET /api/v1/agent/live HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                           f"Cookie: {cookie}\r\n\r\n").encode())
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise AssertionError("WebSocket handshake: connection closed")
            buf += chunk
        head, self.buf = buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        assert " 101 " in lines[0] + " ", f"WebSocket handshake refused: {lines[0]}"
        accept = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
        assert any(l.lower().startswith("sec-websocket-accept:") and accept.decode() in l for l in lines), head
        self.seen, self.cond, self.ready, self.other = seen, cond, threading.Event(), 0
        self.first_queue = None
        self.sock.settimeout(None)

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise EOFError
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _send(self, opcode, payload):
        mask = os.urandom(4)
        head = bytes([0x80 | opcode])
        n = len(payload)
        head += bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + n.to_bytes(2, "big")
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def run(self):
        message, kind = b"", 0
        try:
            while True:
                b0, b1 = self._read(2)
                n = b1 & 0x7F
                if n == 126:
                    n = int.from_bytes(self._read(2), "big")
                elif n == 127:
                    n = int.from_bytes(self._read(8), "big")
                mask = self._read(4) if b1 & 0x80 else None
                payload = self._read(n)
                now = time.perf_counter()
                if mask:
                    payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
                op = b0 & 0x0F
                if op == 0x9:
                    self._send(0xA, payload)
                    continue
                if op == 0x8:
                    return
                if op in (0x1, 0x2):
                    message, kind = payload, op
                elif op == 0x0:
                    message += payload
                else:
                    continue
                if not b0 & 0x80:
                    continue
                event = json.loads(message)
                if event.get("type") == "queue":
                    self.first_queue = len(event["calls"])
                    self.ready.set()
                elif event.get("type") == "queued":
                    with self.cond:
                        self.seen.setdefault(event["call"]["id"], []).append(now)
                        self.cond.notify_all()
                else:
                    self.other += 1
        except (EOFError, OSError):
            return

    def close(self):
        try:
            self._send(0x8, b"\x03\xe8")
            self.sock.close()
        except OSError:
            pass


# ----------------------------------------------------------------------------
# the three benchmarks

def breakdown(ctx, operator_cookie, account, phone):
    """The screen's parts as separate endpoints (operator session; each also
    does the session lookup and, as operator, one account lookup)."""
    b = f"/api/v1/accounts/{account}"
    cases = [("me (1 query)", "/api/v1/me"), ("readyz (SELECT 1)", "/readyz"),
             ("employees limit=50", f"{b}/employees?limit=50"), ("vips/lookup", f"{b}/vips/lookup?phone={urllib.parse.quote(phone)}"),
             ("faq", f"{b}/faq"), ("secretary/settings", f"{b}/secretary/settings")]
    secs = max(3, DURATION // 2)
    print(f"\nbreakdown (operator session, {CONNECTIONS} connections, {secs} s each):")
    print(f"{'endpoint':20s} {'req/s':>9s} {'p50':>9s} {'p99':>9s} {'non-2xx':>8s} {'cpu us/req':>11s}")
    for name, path in cases:
        r = load(ctx, [path], operator_cookie if path != "/readyz" else None, THREADS, CONNECTIONS, secs)
        print(f"{name:20s} {r['rps']:9.0f} {r['p50']:6.2f} ms {r['p99']:6.2f} ms {r['bad']:8d} {r['cpu_us']:11.0f}")


def bench_screen(ctx, agent_cookie, open_ids):
    paths = [f"/api/v1/agent/calls/{i}/screen" for i in open_ids]
    api = Http(ctx["server"].addr, agent_cookie)
    status, body, _ = api.call("GET", paths[0])
    assert status == 200, (status, body[:500])
    view = json.loads(body)
    status, body2, _ = api.call("GET", paths[1 % len(paths)])
    assert status == 200, (status, body2[:500])
    print(f"screen: {len(view['employees'])} employees, {len(view['vips'])} VIP hits, {len(view['faqs'])} FAQ, "
          f"{len(body)} bytes (call {open_ids[0]}); call {open_ids[1 % len(paths)]}: "
          f"{len(json.loads(body2)['vips'])} VIP hits")
    assert len(view["employees"]) == EMPLOYEES and view["vips"], "screen lacks employees or VIPs"
    assert "[Vorname" not in view["greeting"], view["greeting"]
    tool = "wrk" if ctx["wrk"] else "python load loop"
    print(f"\n== 1. call screen ({BACKEND}): {len(paths)} open calls round-robin; {tool}, {THREADS} threads, "
          f"{CONNECTIONS} connections, {DURATION} s each after {WARMUP} s warm-up")
    hello = ["/api/v1/hello"]
    load(ctx, hello, None, THREADS, CONNECTIONS, WARMUP)
    load(ctx, paths, agent_cookie, THREADS, CONNECTIONS, WARMUP)
    rows = [("hello (1st)", load(ctx, hello, None, THREADS, CONNECTIONS, DURATION)),
            ("screen", load(ctx, paths, agent_cookie, THREADS, CONNECTIONS, DURATION)),
            ("hello (2nd)", load(ctx, hello, None, THREADS, CONNECTIONS, DURATION)),
            ("screen, 1 conn.", load(ctx, paths, agent_cookie, 1, 1, DURATION)),
            ("hello, 1 conn.", load(ctx, hello, None, 1, 1, DURATION))]
    print(f"{'endpoint':16s} {'req/s':>9s} {'p50':>9s} {'p99':>9s} {'non-2xx':>8s} {'cpu us/req':>11s}")
    for name, r in rows:
        print(f"{name:16s} {r['rps']:9.0f} {r['p50']:6.2f} ms {r['p99']:6.2f} ms {r['bad']:8d} {r['cpu_us']:11.0f}"
              + (f"  {r['errors']}" if r["errors"] else ""))
    h1, s, h2, s1 = rows[0][1], rows[1][1], rows[2][1], rows[3][1]
    ratio = s["rps"] / ((h1["rps"] + h2["rps"]) / 2)
    res = {"screen_rps": s["rps"], "screen_p50": s["p50"], "screen_p99": s["p99"], "ratio": ratio,
           "single_p50": s1["p50"], "single_p99": s1["p99"], "hello_rps": (h1["rps"] + h2["rps"]) / 2,
           "bad": sum(r["bad"] for _, r in rows)}
    print(f"ratio screen/hello = {ratio:.2f} -> target >= 0.3 {'MET' if ratio >= 0.3 else 'MISSED'}")
    print(f"p99 at {CONNECTIONS} connections {s['p99']:.2f} ms, at 1 connection {s1['p99']:.2f} ms -> target < 5 ms "
          f"{'MET' if s['p99'] < 5 else 'MISSED'} under full load, {'MET' if s1['p99'] < 5 else 'MISSED'} for one agent")
    res["account"], res["phone"] = view["call"]["account_id"], view["call"]["caller_id"]
    return res


def timed_requests(api, path, repeat):
    times, size = [], 0
    for _ in range(repeat):
        t = time.perf_counter()
        status, body, _ = api.call("GET", path)
        times.append(time.perf_counter() - t)
        assert status == 200, (path, status, body[:300])
        size = len(body)
    return times, body, size


def bench_stats(ctx, operator_cookie, account, today):
    frm, to = (today - datetime.timedelta(days=365)).isoformat(), today.isoformat()
    api = Http(ctx["server"].addr, operator_cookie)
    base = f"/api/v1/accounts/{account}/calls"
    period = f"from={frm}&to={to}"
    print(f"\n== 2. statistics, list and export ({BACKEND}): account {account}, {frm} to {to}, "
          f"{REPEAT} requests each (first one shown separately)")
    status, body, _ = api.call("GET", f"{base}?{period}&limit=1")
    total = json.loads(body)["total"]
    cases = [("stats", f"{base}/stats?{period}"),
             ("list first page", f"{base}?{period}&limit=50"),
             ("list middle page", f"{base}?{period}&limit=50&offset={total // 2 // 50 * 50}"),
             ("export CSV", f"{base}/export?{period}")]
    out = {}
    print(f"{'request':18s} {'first':>10s} {'median':>10s} {'p95':>10s} {'max':>10s}  size")
    for name, path in cases:
        first, _, _ = timed_requests(api, path, 1)
        times, body, size = timed_requests(api, path, REPEAT)
        print(f"{name:18s} {ms(first[0])} {ms(statistics.median(times))} {ms(pct(times, 0.95))} {ms(max(times))}"
              f"  {size / 1e3:.0f} kB")
        out[name] = (first[0], statistics.median(times), pct(times, 0.95), max(times))
        if name == "stats":
            stats = json.loads(body)
            assert stats["total"] == total, (stats["total"], total)
            print(f"{'':18s} total {stats['total']:,} calls ({stats['connected']:,} connected), "
                  f"{len(stats['per_day'])} days, {len(stats['per_employee'])} employees")
        if name == "export CSV":
            text = body.decode("utf-8-sig")
            rows = text.count("\n") - 1
            assert rows == total, (rows, total)
            with_note = sum(1 for c in CONCERNS if c in text)
            assert with_note, "export has no note texts"
            print(f"{'':18s} {rows:,} rows with notes")
    print(f"stats median {out['stats'][1] * 1000:.1f} ms, p95 {out['stats'][2] * 1000:.1f} ms -> target < 100 ms "
          f"{'MET' if out['stats'][2] < 0.1 else 'MISSED'}")
    return out, total


def bench_push(ctx, agent_cookie, secret, numbers):
    addr = ctx["server"].addr
    seen, cond = {}, threading.Condition()
    consoles = [Console(addr, agent_cookie, seen, cond) for _ in range(CONSOLES)]
    for c in consoles:
        c.start()
    for c in consoles:
        assert c.ready.wait(30), "no queue frame"
    print(f"\n== 3. push latency ({BACKEND}): {CONSOLES} consoles on /api/v1/agent/live (first frame: "
          f"{consoles[0].first_queue} calls), {PUSHES} calls posted one by one, {PUSH_GAP_MS:g} ms apart")
    api = Http(addr, headers={"Authorization": f"Bearer {secret}"})
    rng = random.Random(SEED + 1)
    post, first, last = [], [], []
    try:
        for k in range(PUSHES + 10):
            body = json.dumps({"service_number": numbers[rng.randrange(len(numbers))],
                               "caller_id": f"+49151{rng.randrange(10 ** 8):08d}"}).encode()
            t0 = time.perf_counter()
            status, resp, _ = api.call("POST", "/api/v1/calls", body, {"Content-Type": "application/json"})
            t1 = time.perf_counter()
            assert status == 201, (status, resp[:300])
            cid = json.loads(resp)["id"]
            with cond:
                ok = cond.wait_for(lambda: len(seen.get(cid, ())) >= CONSOLES, timeout=10)
            assert ok, f"call {cid} reached {len(seen.get(cid, ()))} of {CONSOLES} consoles within 10 s"
            if k >= 10:  # the first ten warm up connections and statements
                post.append(t1 - t0)
                first.append(min(seen[cid]) - t0)
                last.append(max(seen[cid]) - t0)
            time.sleep(PUSH_GAP_MS / 1000)
    finally:
        for c in consoles:
            c.close()
    print(f"{'':28s} {'p50':>10s} {'p90':>10s} {'p99':>10s} {'max':>10s}")
    for name, v in (("POST /api/v1/calls (201)", post), ("push, first console", first),
                    (f"push, all {CONSOLES} consoles", last)):
        print(f"{name:28s} {ms(pct(v, 0.5))} {ms(pct(v, 0.9))} {ms(pct(v, 0.99))} {ms(max(v))}")
    extra = sum(c.other for c in consoles)
    if extra:
        print(f"(consoles also got {extra} other frames, e.g. resync)")
    p99 = pct(last, 0.99)
    print(f"push p99 (all consoles) {p99 * 1000:.1f} ms -> target < 50 ms {'MET' if p99 < 0.05 else 'MISSED'}")
    return {"post": post, "first": first, "last": last}


# ----------------------------------------------------------------------------

def main():
    if not os.access(BIN, os.X_OK):
        sys.exit(f"{BIN} not found; build first: cargo build --release -p kontor")
    use_wrk = LOAD == "wrk" or (LOAD == "auto" and shutil.which("wrk"))
    if LOAD == "wrk" and not shutil.which("wrk"):
        sys.exit("LOAD=wrk but wrk is not installed (apt-get install wrk)")
    if BUSY_CALLS > CALLS:
        sys.exit("BUSY_CALLS must not exceed CALLS")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    tmp = tempfile.mkdtemp(prefix="kontor-bench-calls-")
    pg_db = None
    server = None
    try:
        if BACKEND == "postgres":
            pg_db = f"kontor_bench_calls_{os.getpid()}"
            psql("postgres", f"CREATE DATABASE {pg_db}")
            db_url = f"{PG_URL}/{pg_db}"
        elif BACKEND == "sqlite":
            db_url = f"sqlite://{tmp}/kontor.db"
        else:
            sys.exit("BACKEND must be sqlite or postgres")
        server = Server(tmp, db_url)
        ctx = {"server": server, "tmp": tmp, "wrk": bool(use_wrk)}
        print(f"Kontor calls benchmark: {BACKEND}, {os.cpu_count()} cores, binary {BIN}")
        print(f"data: {ACCOUNTS:,} accounts x {EMPLOYEES} employees, {VIPS:,} VIPs, {CALLS:,} finished calls "
              f"({BUSY_CALLS:,} for the measured account in the last year), {OPEN_CALLS:,} open calls")

        started = time.perf_counter()
        log(f"machine idle before the run: {idle_percent():.0f} % (load average {os.getloadavg()[0]:.2f})")
        log("starting the server once: migrations and demo logins")
        server.start("--demo")
        server.stop()
        now = int(time.time() * 1000)
        log("seeding")
        t = time.perf_counter()
        sink = SqliteSink(os.path.join(tmp, "kontor.db")) if pg_db is None else PgSink(pg_db, tmp)
        data = seed(sink, now)
        size = ""
        if pg_db is None:
            size = f", database file {os.path.getsize(os.path.join(tmp, 'kontor.db')) / 1e6:.0f} MB"
        else:
            size = f", database {int(psql(pg_db, 'SELECT pg_database_size(current_database())')) / 1e6:.0f} MB"
        log(f"seeded in {time.perf_counter() - t:.0f} s ({data['notes']:,} notes{size})")
        server.start()
        log(f"server at http://{server.addr} (pid {server.proc.pid})")

        agent_cookie = login(server.addr, AGENT)
        operator_cookie = login(server.addr, OPERATOR)
        status, body, _ = Http(server.addr, operator_cookie).call("POST", "/api/v1/api-tokens", {"name": "bench"})
        assert status == 201, (status, body[:300])
        secret = json.loads(body)["secret"]

        try:
            from zoneinfo import ZoneInfo
            today = datetime.datetime.now(ZoneInfo("Europe/Berlin")).date()
        except Exception:  # no tz database: UTC is off by a day at most around midnight
            today = datetime.datetime.utcnow().date()

        idle = idle_percent()
        log(f"machine idle before measuring: {idle:.0f} %"
            + ("  WARNING: the machine is busy, figures will be low and noisy" if idle < 90 else ""))
        screen = bench_screen(ctx, agent_cookie, data["open_ids"])
        if BREAKDOWN:
            breakdown(ctx, operator_cookie, screen["account"], screen["phone"])
        stats, total = bench_stats(ctx, operator_cookie, data["busy_account"], today)
        push = bench_push(ctx, agent_cookie, secret, data["numbers"])

        print(f"\n== summary ({BACKEND})")
        print(f"screen: {screen['screen_rps']:.0f} req/s at {CONNECTIONS} connections (hello {screen['hello_rps']:.0f}),"
              f" ratio {screen['ratio']:.2f} [>= 0.3]; p50/p99 {screen['screen_p50']:.2f}/{screen['screen_p99']:.2f} ms"
              f" loaded, {screen['single_p50']:.2f}/{screen['single_p99']:.2f} ms one connection [p99 < 5 ms]")
        s = stats["stats"]
        print(f"stats ({total:,} calls in the year): median {s[1] * 1000:.1f} ms, p95 {s[2] * 1000:.1f} ms [< 100 ms]; "
              f"list {stats['list first page'][1] * 1000:.1f} ms, export {stats['export CSV'][1] * 1000:.0f} ms (median)")
        print(f"push: p50 {pct(push['last'], 0.5) * 1000:.1f} ms, p99 {pct(push['last'], 0.99) * 1000:.1f} ms "
              f"to all {CONSOLES} consoles [p99 < 50 ms]")
        log(f"done in {time.perf_counter() - started:.0f} s")
    finally:
        if server:
            server.stop()
        if pg_db:
            subprocess.run(["psql", f"{PG_URL}/postgres", "-qc", f"DROP DATABASE IF EXISTS {pg_db} WITH (FORCE)"],
                           stdout=subprocess.DEVNULL)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
