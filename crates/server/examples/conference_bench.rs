//! Join benchmark for the conference center (issue 8), run by
//! `bench/conference.sh` against a release server in another process:
//! fills the database with 100,000 personal conference rooms (numbers,
//! rooms, PIN hashes), then joins random rooms by number and participant
//! PIN from several concurrent clients. Each join is the HTTP request (PIN
//! check: one argon2id computation) and then the room socket until the
//! `waiting` frame (the queue: no moderator is there). Reports requests per
//! second and p50/p95/p99/max of both parts.
//!
//! Flags: --url URL --db DATABASE_URL [--rooms 100000] [--joins 1000]
//! [--clients 4]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

#[path = "common/bulk.rs"]
mod bulk;
#[path = "common/conference_rooms.rs"]
mod conference_rooms;
#[path = "common/flags.rs"]
mod flags;
use conference_rooms::{seed, PINS};
use flags::Flags;

struct Args {
    url: String,
    db: String,
    rooms: usize,
    joins: usize,
    clients: usize,
}

fn args() -> Args {
    let f = Flags::parse(&["url", "db", "rooms", "joins", "clients"]);
    Args {
        url: f.get("url", "http://127.0.0.1:18097".into()),
        db: f.get("db", String::new()),
        rooms: f.get("rooms", 100_000),
        joins: f.get("joins", 1000),
        clients: f.get("clients", 4),
    }
}

fn report(name: &str, mut ms: Vec<f64>) {
    ms.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| ms[((ms.len() as f64 * q) as usize).min(ms.len() - 1)];
    println!(
        "{name:<28} n={:<5} p50 {:>6.1} ms  p95 {:>6.1} ms  p99 {:>6.1} ms  max {:>6.1} ms",
        ms.len(),
        at(0.5),
        at(0.95),
        at(0.99),
        ms[ms.len() - 1]
    );
}

#[tokio::main]
async fn main() {
    let a = args();
    let db = store::Db::open(&a.db).await.expect("database");
    let numbers = Arc::new(seed(&db, a.rooms).await);
    let http = reqwest::Client::new();
    let ws_base = a.url.replace("http://", "ws://");
    let times = Arc::new(Mutex::new((Vec::new(), Vec::new())));
    let per_client = a.joins / a.clients;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..a.clients {
        let (http, url, ws_base, numbers, times) = (
            http.clone(),
            a.url.clone(),
            ws_base.clone(),
            numbers.clone(),
            times.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(100 + c as u64);
            for i in 0..per_client {
                let number = numbers[rng.gen_range(0..numbers.len())];
                let t = Instant::now();
                let r = http
                    .post(format!("{url}/api/v1/conference/join"))
                    .json(&json!({"number": number.to_string(), "pin": PINS.1, "name": format!("Gast {c}-{i}")}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200, "join {number}");
                let entry: Value = r.json().await.unwrap();
                let http_ms = t.elapsed().as_secs_f64() * 1000.0;
                let socket = format!("{ws_base}{}", entry["socket"].as_str().unwrap());
                let (mut ws, _) = tokio_tungstenite::connect_async(socket).await.unwrap();
                let join = json!({"type": "join", "grant": entry["grant"]}).to_string();
                ws.send(Message::Text(join.into())).await.unwrap();
                loop {
                    let frame = tokio::time::timeout(Duration::from_secs(10), ws.next())
                        .await
                        .expect("a frame")
                        .unwrap()
                        .unwrap();
                    if let Message::Text(t) = frame {
                        let v: Value = serde_json::from_str(&t).unwrap();
                        assert_ne!(v["type"], "error", "{v}");
                        if v["type"] == "waiting" {
                            break;
                        }
                    }
                }
                let total_ms = t.elapsed().as_secs_f64() * 1000.0;
                let leave = json!({"type": "leave"}).to_string();
                let _ = ws.send(Message::Text(leave.into())).await;
                let mut times = times.lock().unwrap();
                times.0.push(http_ms);
                times.1.push(total_ms);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let wall = started.elapsed().as_secs_f64();
    let (http_ms, total_ms) = std::mem::take(&mut *times.lock().unwrap());
    println!(
        "{} joins from {} clients in {:.1} s: {:.1} joins/s",
        total_ms.len(),
        a.clients,
        wall,
        total_ms.len() as f64 / wall
    );
    report("join request (PIN check)", http_ms);
    report("join + queue (waiting)", total_ms);
}
