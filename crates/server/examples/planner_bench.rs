//! Scheduler benchmark for the session planner (issue 9), run by
//! `bench/planner.sh` against a release server in another process (its
//! scheduler is the one measured): fills the database with 1,000,000
//! planner entries whose reminders lie in the coming 30 days (and as many
//! session rooms), measures the server's CPU and memory while it idles
//! over them, then adds probe entries due within the next minute and
//! measures, per probe, the delay from its due time to the reminder being
//! queued (outbox row written) and sent (handed to the mail transport).
//!
//! Flags: --db DATABASE_URL --pid SERVER_PID [--entries 1000000]
//! [--idle-secs 30] [--probes 200]

use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

#[path = "common/bulk.rs"]
mod bulk;
#[path = "common/flags.rs"]
mod flags;
use bulk::bulk;
use flags::Flags;

/// Ids of seeded rows start here (above anything the server creates).
const BASE: i64 = 10_000_000;
const CHUNK: usize = 50_000;

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Rooms and sessions `from..to` with reminders `due(i)`.
async fn seed(db: &store::Db, from: usize, to: usize, due: impl Fn(usize) -> i64) {
    let now = now_ms().to_string();
    for start in (from..to).step_by(CHUNK) {
        let end = (start + CHUNK).min(to);
        let (mut rooms, mut sessions) = (Vec::new(), Vec::new());
        for i in start..end {
            let id = (BASE + i as i64).to_string();
            rooms.push(vec![
                id.clone(),
                format!("bench{id}"),
                "session".into(),
                format!("Sitzung {i}"),
                BASE.to_string(),
                "8".into(),
                "1".into(),
                "1".into(),
                now.clone(),
            ]);
            let remind = due(i);
            sessions.push(vec![
                id.clone(),
                (100_000_000 + i as i64).to_string(),
                BASE.to_string(),
                "planned".into(),
                id.clone(),
                format!("Sitzung {i}"),
                (remind + 15 * 60_000).to_string(),
                "15".into(),
                remind.to_string(),
                format!("bench{id}@kontor"),
                now.clone(),
                now.clone(),
            ]);
        }
        bulk(
            db,
            "INSERT INTO rooms (id, public_id, kind, title, owner_id, max_members, wait_for_host, permanent, created_at)",
            9,
            rooms,
            &[true, false, false, false, true, true, true, true, true],
        )
        .await;
        bulk(
            db,
            "INSERT INTO planner_sessions (id, number, owner_id, kind, room_id, title, starts_at, reminder_min, \
             remind_at, uid, created_at, updated_at)",
            12,
            sessions,
            &[
                true, true, true, false, true, false, true, true, true, false, true, true,
            ],
        )
        .await;
    }
}

/// (user + system CPU seconds, resident memory MiB) of a process.
fn usage(pid: u32) -> (f64, f64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("server process");
    // Fields after the command name (which may hold spaces) start at ')'.
    let rest: Vec<&str> = stat.rsplit_once(')').unwrap().1.split_whitespace().collect();
    let ticks: f64 = rest[11].parse::<f64>().unwrap() + rest[12].parse::<f64>().unwrap();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let rss_kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    (ticks / 100.0, rss_kb / 1024.0)
}

fn pct(sorted: &[i64], p: f64) -> i64 {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

#[tokio::main]
async fn main() {
    let f = Flags::parse(&["db", "pid", "entries", "idle-secs", "probes"]);
    let url: String = f.get("db", String::new());
    let pid: u32 = f.get("pid", 0);
    let entries: usize = f.get("entries", 1_000_000);
    let idle: u64 = f.get("idle-secs", 30);
    let probes: usize = f.get("probes", 200);
    let db = store::Db::open(&url).await.unwrap();

    let t = Instant::now();
    let now = now_ms();
    bulk(
        &db,
        "INSERT INTO users (id, email, email_normalized, first_name, last_name, created_at)",
        6,
        vec![vec![
            BASE.to_string(),
            "bench@planner.example".into(),
            "bench@planner.example".into(),
            "Bench".into(),
            "Planer".into(),
            now.to_string(),
        ]],
        &[true, false, false, false, false, true],
    )
    .await;
    let mut rng = StdRng::seed_from_u64(9);
    let offsets: Vec<i64> = (0..entries)
        .map(|_| rng.gen_range(3_600_000..30 * 86_400_000))
        .collect();
    seed(&db, 0, entries, |i| now + offsets[i]).await;
    println!(
        "seeded {entries} future planner entries (and rooms) in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    // Idle: the scheduler polls every second over a million future rows.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (cpu0, _) = usage(pid);
    let t0 = Instant::now();
    let mut peak = 0.0f64;
    while t0.elapsed() < Duration::from_secs(idle) {
        tokio::time::sleep(Duration::from_millis(500)).await;
        peak = peak.max(usage(pid).1);
    }
    let (cpu1, rss) = usage(pid);
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "idle over {secs:.0} s: CPU {:.2} % of one core, resident memory {rss:.1} MiB (peak {peak:.1} MiB)",
        (cpu1 - cpu0) / secs * 100.0
    );

    // Probes due over the next 20 s, from 10 s on.
    let start = now_ms() + 10_000;
    let step = 20_000 / probes.max(1) as i64;
    seed(&db, entries, entries + probes, |i| start + (i - entries) as i64 * step).await;
    let deadline = Instant::now() + Duration::from_secs(90);
    let rows = loop {
        let rows: Vec<(String, i64, Option<i64>)> = sqlx::query_as(
            "SELECT idempotency_key, created_at, sent_at FROM outbox WHERE idempotency_key LIKE 'planner-reminder:%'",
        )
        .fetch_all(db.pool())
        .await
        .unwrap();
        let sent = rows.iter().filter(|r| r.2.is_some()).count();
        if sent >= probes || Instant::now() > deadline {
            break rows;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let (mut queued, mut sent): (Vec<i64>, Vec<i64>) = (Vec::new(), Vec::new());
    for (key, created, sent_at) in &rows {
        let due: i64 = key.rsplit(':').next().unwrap().parse().unwrap();
        queued.push(created - due);
        if let Some(s) = sent_at {
            sent.push(s - due);
        }
    }
    queued.sort();
    sent.sort();
    println!(
        "{} of {probes} reminders queued, {} sent (each once: {} outbox rows)",
        queued.len(),
        sent.len(),
        rows.len()
    );
    for (what, v) in [("due → queued", &queued), ("due → sent", &sent)] {
        if !v.is_empty() {
            println!(
                "{what}: p50 {} ms, p95 {} ms, p99 {} ms, max {} ms",
                pct(v, 0.5),
                pct(v, 0.95),
                pct(v, 0.99),
                v[v.len() - 1]
            );
        }
    }
}
