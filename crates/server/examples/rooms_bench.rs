//! Load generator for the realtime rooms (issue 6), run by `bench/rooms.sh`
//! against a release server in another process:
//!
//! 1. idle: N members (10 per room) connect and join; the server's resident
//!    memory is read from /proc before and after (memory per connection);
//! 2. fan-out: one room of M members; chat lines sent one every 20 ms,
//!    latency from send to the last of the M deliveries (p50/p99);
//! 3. throughput: 100 rooms of 10; chat at the protocol's maximum (every
//!    member one line per second), then `typing` frames open-loop at rising
//!    rates, counting deliveries (each frame goes to the 9 others).
//!
//! Grants are signed with the installation key read from the server's
//! database, exactly as the server's features sign them.
//!
//! Flags: --url URL --db DATABASE_URL --pid SERVER_PID [--idle 10000]
//! [--fanout 1000] [--messages 200] [--skip idle,fanout,throughput]

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use domain::rooms::{GrantKey, MemberId, NewRoom, Role, RoomRules, RoomStore, GRANT_TTL_MS};
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use kernel::Timestamp;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, Semaphore};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

#[path = "common/flags.rs"]
mod flags;
use flags::Flags;

type Sink = SplitSink<WebSocketStream<MaybeTlsStream<TcpStream>>, Message>;

struct Args {
    url: String,
    db: String,
    pid: u32,
    idle: usize,
    fanout: usize,
    messages: usize,
    skip: Vec<String>,
}

fn args() -> Args {
    let f = Flags::parse(&["url", "db", "pid", "idle", "fanout", "messages", "skip"]);
    let skip: String = f.get("skip", String::new());
    Args {
        url: f.get("url", "http://127.0.0.1:18099".into()),
        db: f.get("db", String::new()),
        pid: f.get("pid", 0),
        idle: f.get("idle", 10_000),
        fanout: f.get("fanout", 1_000),
        messages: f.get("messages", 200),
        skip: skip.split(',').filter(|s| !s.is_empty()).map(String::from).collect(),
    }
}

/// Resident memory of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("server process");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

struct Bench {
    url: String,
    db: store::Db,
    key: GrantKey,
}

/// What readers report.
struct Seen {
    /// Chat lines "b:<n>" received: (n, when).
    chats: mpsc::UnboundedSender<(u64, Instant)>,
    typing: Arc<AtomicU64>,
}

impl Bench {
    async fn room(&self, max_members: usize) -> String {
        let public_id = format!("bench-{}", &domain::token::new_token()[..12]);
        self.db
            .create_room(&NewRoom {
                public_id: public_id.clone(),
                kind: "bench".into(),
                title: "Benchmark".into(),
                owner_id: None,
                rules: RoomRules {
                    max_members,
                    ..RoomRules::default()
                },
                created_at: Timestamp(chrono::Utc::now().timestamp_millis()),
            })
            .await
            .expect("room");
        public_id
    }

    fn grant(&self, room: &str, member: &str) -> String {
        self.key.sign(&domain::rooms::Grant {
            room: room.to_string(),
            member: MemberId(member.to_string()),
            name: member.to_string(),
            role: Role::Participant,
            expires: chrono::Utc::now().timestamp_millis() + GRANT_TTL_MS,
        })
    }

    /// Connects, joins, waits for `welcome`, then leaves a task reading
    /// (and counting) everything that arrives.
    async fn member(&self, room: &str, member: &str, seen: Option<Arc<Seen>>) -> Sink {
        let url = format!("{}/api/v1/rooms/{room}/live", self.url.replace("http://", "ws://"));
        let (ws, _) = tokio_tungstenite::connect_async(url).await.expect("connect");
        let (mut tx, mut rx) = ws.split();
        let join = serde_json::json!({"type": "join", "grant": self.grant(room, member)}).to_string();
        tx.send(Message::Text(join.into())).await.expect("join");
        loop {
            match rx.next().await {
                Some(Ok(Message::Text(t))) if t.contains("\"type\":\"welcome\"") => break,
                Some(Ok(Message::Text(t))) if t.contains("\"type\":\"error\"") => panic!("refused: {t}"),
                Some(Ok(_)) => {}
                other => panic!("no welcome: {other:?}"),
            }
        }
        tokio::spawn(async move {
            while let Some(Ok(msg)) = rx.next().await {
                let (Some(seen), Message::Text(t)) = (&seen, msg) else {
                    continue;
                };
                if let Some(pos) = t.find("\"text\":\"b:") {
                    let rest = &t[pos + 10..];
                    let n: u64 = rest[..rest.find('"').unwrap_or(0)].parse().unwrap_or(u64::MAX);
                    let _ = seen.chats.send((n, Instant::now()));
                } else if t.starts_with("{\"type\":\"typing\"") {
                    seen.typing.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
        tx
    }

    /// `count` members in rooms of `per_room`, connected 200 at a time.
    async fn crowd(self: &Arc<Self>, count: usize, per_room: usize, seen: Option<Arc<Seen>>) -> Vec<Sink> {
        let mut rooms = Vec::new();
        for _ in 0..count.div_ceil(per_room) {
            rooms.push(self.room(per_room).await);
        }
        let gate = Arc::new(Semaphore::new(200));
        let mut tasks = Vec::new();
        for i in 0..count {
            let (bench, gate, seen) = (self.clone(), gate.clone(), seen.clone());
            let room = rooms[i / per_room].clone();
            tasks.push(tokio::spawn(async move {
                let _permit = gate.acquire().await.unwrap();
                bench.member(&room, &format!("m{i}"), seen).await
            }));
        }
        let mut sinks = Vec::new();
        for t in tasks {
            sinks.push(t.await.expect("member"));
        }
        sinks
    }
}

fn seen() -> (Arc<Seen>, mpsc::UnboundedReceiver<(u64, Instant)>) {
    let (chats, rx) = mpsc::unbounded_channel();
    (
        Arc::new(Seen {
            chats,
            typing: Arc::new(AtomicU64::new(0)),
        }),
        rx,
    )
}

/// Sends chat line `n` from `sink`, remembering when.
async fn say(sink: &mut Sink, n: u64, sent: &Mutex<HashMap<u64, Instant>>) {
    sent.lock().unwrap().insert(n, Instant::now());
    let frame = serde_json::json!({"type": "chat", "text": format!("b:{n}")}).to_string();
    sink.send(Message::Text(frame.into())).await.expect("send");
}

/// Collects deliveries until `expected` arrived or 10 s passed; returns
/// (last-delivery latency per line, every delivery's latency) in ms.
async fn latencies(
    rx: &mut mpsc::UnboundedReceiver<(u64, Instant)>,
    sent: &Mutex<HashMap<u64, Instant>>,
    expected: usize,
) -> (Vec<f64>, Vec<f64>, usize) {
    let mut last: HashMap<u64, Instant> = HashMap::new();
    let mut all = Vec::with_capacity(expected);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while all.len() < expected {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some((n, at))) => {
                all.push((n, at));
                let e = last.entry(n).or_insert(at);
                if at > *e {
                    *e = at;
                }
            }
            _ => break,
        }
    }
    let sent = sent.lock().unwrap();
    let ms = |n: &u64, at: &Instant| at.duration_since(sent[n]).as_secs_f64() * 1000.0;
    let mut per_line: Vec<f64> = last.iter().map(|(n, at)| ms(n, at)).collect();
    let mut each: Vec<f64> = all.iter().map(|(n, at)| ms(n, at)).collect();
    per_line.sort_by(|a, b| a.total_cmp(b));
    each.sort_by(|a, b| a.total_cmp(b));
    let received = all.len();
    (per_line, each, received)
}

#[tokio::main]
async fn main() {
    let args = args();
    let db = store::Db::open(&args.db).await.expect("database");
    let secret = db
        .server_key("room_grants", &domain::token::new_token(), Timestamp(0))
        .await
        .expect("key");
    let bench = Arc::new(Bench {
        url: args.url.clone(),
        db,
        key: GrantKey::new(secret.as_bytes()),
    });

    if !args.skip.iter().any(|s| s == "idle") {
        let before = rss_kib(args.pid);
        let started = Instant::now();
        let sinks = bench.crowd(args.idle, 10, None).await;
        let joined = started.elapsed();
        tokio::time::sleep(Duration::from_secs(3)).await;
        let after = rss_kib(args.pid);
        println!(
            "idle: {} connections joined in {:.1} s; server RSS {} → {} MiB; {:.1} KiB per connection",
            sinks.len(),
            joined.as_secs_f64(),
            before / 1024,
            after / 1024,
            (after.saturating_sub(before)) as f64 / sinks.len() as f64
        );
        drop(sinks);
        tokio::time::sleep(Duration::from_secs(3)).await;
    }

    if !args.skip.iter().any(|s| s == "fanout") {
        let (seen, mut rx) = seen();
        let mut sinks = bench.crowd(args.fanout, args.fanout, Some(seen)).await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        let sent = Mutex::new(HashMap::new());
        let started = Instant::now();
        for n in 0..args.messages {
            // A different sender each time: the chat limit is per member.
            let who = (n * 7) % sinks.len();
            say(&mut sinks[who], n as u64, &sent).await;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let (per_line, each, received) = latencies(&mut rx, &sent, args.messages * args.fanout).await;
        println!(
            "fan-out: room of {}, {} lines at 50/s over {:.1} s: {} of {} deliveries; send → last delivery p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; each delivery p50 {:.1} ms, p99 {:.1} ms",
            args.fanout,
            args.messages,
            started.elapsed().as_secs_f64(),
            received,
            args.messages * args.fanout,
            percentile(&per_line, 0.5),
            percentile(&per_line, 0.99),
            per_line.last().copied().unwrap_or(f64::NAN),
            percentile(&each, 0.5),
            percentile(&each, 0.99),
        );
        drop(sinks);
        tokio::time::sleep(Duration::from_secs(2)).await;
    }

    if !args.skip.iter().any(|s| s == "throughput") {
        let (seen, mut rx) = seen();
        let typing = seen.typing.clone();
        let sinks = bench.crowd(1000, 10, Some(seen)).await;
        let sinks: Vec<Arc<tokio::sync::Mutex<Sink>>> = sinks
            .into_iter()
            .map(|s| Arc::new(tokio::sync::Mutex::new(s)))
            .collect();
        tokio::time::sleep(Duration::from_secs(1)).await;

        // Chat at the protocol's limit: every member one line a second for 10 s.
        let sent = Arc::new(Mutex::new(HashMap::new()));
        let mut tasks = Vec::new();
        for (i, sink) in sinks.iter().enumerate() {
            let (sink, sent) = (sink.clone(), sent.clone());
            tasks.push(tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis((i as u64 * 997) % 1000)).await;
                for round in 0..10u64 {
                    say(&mut *sink.lock().await, round * 1000 + i as u64, &sent).await;
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let (_, each, received) = latencies(&mut rx, &sent, 1000 * 10 * 10).await;
        println!(
            "throughput, chat: 100 rooms of 10, 1,000 lines/s in (every member at the limit of 1/s), 10,000 deliveries/s out, every line stored: {} of 100000 deliveries, latency p50 {:.1} ms, p99 {:.1} ms",
            received,
            percentile(&each, 0.5),
            percentile(&each, 0.99)
        );

        // Relay capacity: typing frames (no limit, not stored) at rising rates.
        for rate in [5_000u64, 10_000, 20_000, 40_000] {
            typing.store(0, Ordering::Relaxed);
            let per_member = rate as f64 / sinks.len() as f64;
            let period = Duration::from_secs_f64(1.0 / per_member);
            let seconds = 5u64;
            let started = Instant::now();
            let mut tasks = Vec::new();
            for sink in &sinks {
                let sink = sink.clone();
                tasks.push(tokio::spawn(async move {
                    let mut tick = tokio::time::interval(period);
                    let end = tokio::time::Instant::now() + Duration::from_secs(seconds);
                    let mut sent = 0u64;
                    while tokio::time::Instant::now() < end {
                        tick.tick().await;
                        let frame = format!("{{\"type\":\"typing\",\"on\":{}}}", sent.is_multiple_of(2));
                        if sink.lock().await.send(Message::Text(frame.into())).await.is_err() {
                            break;
                        }
                        sent += 1;
                    }
                    sent
                }));
            }
            let mut total = 0;
            for t in tasks {
                total += t.await.unwrap();
            }
            let sending = started.elapsed().as_secs_f64();
            let expected = total * 9;
            let deadline = Instant::now() + Duration::from_secs(5);
            while typing.load(Ordering::Relaxed) < expected && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let got = typing.load(Ordering::Relaxed);
            let drained = started.elapsed().as_secs_f64();
            println!(
                "throughput, relay: target {rate}/s in: sent {:.0}/s in, delivered {got} of {expected} ({:.1} %) = {:.0}/s out, drained {:.1} s after the first frame",
                total as f64 / sending,
                100.0 * got as f64 / expected.max(1) as f64,
                got as f64 / drained,
                drained
            );
            if got * 100 < expected * 99 {
                break;
            }
        }
    }
}
