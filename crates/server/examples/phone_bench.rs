//! Phone dial-in benchmark (issue 10), run by `bench/phone.sh` against a
//! release server in another process: seeds conference rooms, calls in
//! `--members` callers (rooms of `--room-size`: one moderator, the rest
//! participants, room number and PIN by RFC 4733), then for `--seconds`
//! every caller sends 20 ms of audio every 20 ms. Each room has one
//! speaker at a time who sends silence except for one loud frame every
//! 500 ms; every other member of the room measures when that frame
//! reaches them in their mix: the latency added by the server (playout
//! buffer and mixer tick). Reports the server's CPU (from /proc), the
//! latency percentiles, packets heard versus expected, and late packets
//! (a gap of more than 40 ms between two mixed frames).
//!
//! Flags: --sip 127.0.0.1:5070 --db DATABASE_URL --pid SERVER_PID
//! [--members 200] [--room-size 10] [--seconds 30]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use test_support::phone::{Caller, Heard};

#[path = "common/bulk.rs"]
mod bulk;
#[path = "common/conference_rooms.rs"]
mod conference_rooms;
#[path = "common/flags.rs"]
mod flags;
use conference_rooms::{seed, PINS};
use flags::Flags;

/// Loud enough to stand out of the fade-in (RMS of the mixed frame).
const MARK_RMS: f32 = 1500.0;

fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("server process");
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap().split_whitespace().collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let f = Flags::parse(&["sip", "db", "pid", "members", "room-size", "seconds"]);
    let sip: SocketAddr = f.get("sip", "127.0.0.1:5070".parse().unwrap());
    let db_url: String = f.get("db", String::new());
    let pid: u32 = f.get("pid", 0);
    let members: usize = f.get("members", 200);
    let size: usize = f.get("room-size", 10);
    let seconds: u64 = f.get("seconds", 30);
    let rooms = members.div_ceil(size);

    let db = store::Db::open(&db_url).await.expect("database");
    let numbers = seed(&db, rooms).await;

    // Call in: everyone at once, keys after the welcome.
    let t = Instant::now();
    let mut joins = Vec::new();
    for i in 0..members {
        let number = numbers[i / size].to_string();
        let pin = if i % size == 0 { PINS.0 } else { PINS.1 };
        joins.push(tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(10 * i as u64)).await;
            let mut c = Caller::call_keeping(sip, "493055570100", &format!("+49301{i:06}"), false).await;
            c.keys(&format!("{number}# {pin}#")).await;
            c
        }));
    }
    let mut callers = Vec::new();
    for j in joins {
        callers.push(j.await.unwrap());
    }
    println!(
        "{members} callers in {rooms} rooms keyed in after {:.1} s",
        t.elapsed().as_secs_f64()
    );
    // Let the "you are in the conference" prompt end.
    tokio::time::sleep(Duration::from_secs(8)).await;

    // Talk: per room one task paces its members' frames.
    let heard: Vec<Heard> = callers.iter().map(|c| c.heard.clone()).collect();
    let start_heard = Instant::now();
    let cpu_before = cpu_ticks(pid);
    let wall = Instant::now();
    let mut rooms_talk = Vec::new();
    let mut iter = callers.into_iter();
    for room in 0..rooms {
        let group: Vec<Caller> = iter.by_ref().take(size).collect();
        rooms_talk.push(tokio::spawn(talk(room, group, seconds)));
    }
    let mut marks: Vec<(usize, Instant)> = Vec::new();
    let mut callers = Vec::new();
    for (room, task) in rooms_talk.into_iter().enumerate() {
        let (group, room_marks) = task.await.unwrap();
        marks.extend(room_marks.into_iter().map(|(speaker, at)| (room * size + speaker, at)));
        callers.extend(group);
    }
    let cpu = (cpu_ticks(pid) - cpu_before) as f64 / 100.0 / wall.elapsed().as_secs_f64() * 100.0;
    tokio::time::sleep(Duration::from_millis(200)).await;

    // Latency: for each mark, when each other member of the room heard it.
    let mut latencies = Vec::new();
    let mut missed = 0;
    for &(speaker, at) in &marks {
        let room = speaker / size;
        let listeners = heard.iter().enumerate().skip(room * size).take(size);
        for (member, h) in listeners {
            if member == speaker {
                continue;
            }
            let frames = h.lock().unwrap();
            match frames.iter().find(|fr| fr.at >= at && fr.rms > MARK_RMS) {
                Some(fr) if fr.at.duration_since(at) < Duration::from_millis(400) => {
                    latencies.push(fr.at.duration_since(at).as_secs_f64() * 1000.0)
                }
                _ => missed += 1,
            }
        }
    }
    latencies.sort_by(f64::total_cmp);
    // Pacing: gaps between frames heard in the talk phase.
    let (mut frames_heard, mut late) = (0usize, 0usize);
    for h in &heard {
        let frames = h.lock().unwrap();
        let window: Vec<Instant> = frames.iter().filter(|f| f.at >= start_heard).map(|f| f.at).collect();
        frames_heard += window.len();
        late += window
            .windows(2)
            .filter(|w| w[1].duration_since(w[0]) > Duration::from_millis(40))
            .count();
    }
    let expected = members as u64 * seconds * 50;
    println!(
        "members {members}, rooms of {size}, {seconds} s: server CPU {cpu:.1} % of one core; \
         frames heard {frames_heard} of ~{expected}; late (gap > 40 ms) {late}"
    );
    println!(
        "added latency over {} marks: p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms; not heard {missed}",
        latencies.len(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.95),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or(f64::NAN)
    );
    for c in callers {
        c.bye().await;
    }
}

/// One room's audio for `seconds`: every member sends a frame each
/// 20 ms; the speaker (taking turns) marks one frame every 500 ms.
async fn talk(room: usize, mut group: Vec<Caller>, seconds: u64) -> (Vec<Caller>, Vec<(usize, Instant)>) {
    let silence = [0i16; 160];
    let loud: Vec<i16> = (0..160)
        .map(|n| (12000.0 * (2.0 * std::f32::consts::PI * 700.0 * n as f32 / 8000.0).sin()) as i16)
        .collect();
    let mut marks = Vec::new();
    let start = tokio::time::Instant::now() + Duration::from_millis((room as u64 * 7) % 20);
    let ticks = seconds * 50;
    for tick in 0..ticks {
        tokio::time::sleep_until(start + Duration::from_millis(20 * tick)).await;
        let mark = tick % 25 == 12;
        let speaker = (tick / 25) as usize % group.len();
        for (i, c) in group.iter_mut().enumerate() {
            if mark && i == speaker {
                marks.push((i, Instant::now()));
                c.send_frame(&loud).await;
            } else {
                c.send_frame(&silence).await;
            }
        }
    }
    (group, marks)
}
