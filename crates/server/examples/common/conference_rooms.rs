//! Conference rooms written straight into the database for the
//! benchmarks (conference joins, phone dial-in).

use std::time::Instant;

use domain::conference::{pins, PinPair, RoomNumber};
use rand::rngs::StdRng;
use rand::SeedableRng;

use super::bulk::bulk;

/// Moderator and participant PIN of every seeded room.
pub const PINS: (&str, &str) = ("4711", "9051");

/// Users, rooms, numbers and conference rows; every room has the same PIN
/// hashes (hashing 100,000 pairs would take an hour; lookups do not care).
pub async fn seed(db: &store::Db, count: usize) -> Vec<RoomNumber> {
    let t = Instant::now();
    let mut rng = StdRng::seed_from_u64(8);
    let now = chrono::Utc::now().timestamp_millis().to_string();
    let (m_hash, p_hash) = pins::hash_pair(&PinPair::parse(PINS.0, PINS.1).unwrap());
    let base: i64 = 1_000_000;
    let mut numbers = std::collections::BTreeSet::new();
    while numbers.len() < count {
        numbers.insert(RoomNumber::generate(&mut rng));
    }
    let numbers: Vec<RoomNumber> = numbers.into_iter().collect();
    let (mut users, mut rooms, mut nums, mut confs) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (i, n) in numbers.iter().enumerate() {
        let id = (base + i as i64).to_string();
        let email = format!("c{id}@conference.example");
        users.push(vec![
            id.clone(),
            email.clone(),
            email,
            "Kunde".into(),
            id.clone(),
            now.clone(),
        ]);
        rooms.push(vec![
            id.clone(),
            format!("bench{id}"),
            "conference".into(),
            format!("Konferenzraum {id}"),
            id.clone(),
            "8".into(),
            "1".into(),
            "1".into(),
            "300000".into(),
            now.clone(),
        ]);
        nums.push(vec![n.to_string(), id.clone(), now.clone()]);
        confs.push(vec![
            n.to_string(),
            id.clone(),
            id.clone(),
            m_hash.clone(),
            p_hash.clone(),
            now.clone(),
            now.clone(),
        ]);
    }
    bulk(
        db,
        "INSERT INTO users (id, email, email_normalized, first_name, last_name, created_at)",
        6,
        users,
        &[true, false, false, false, false, true],
    )
    .await;
    bulk(
        db,
        "INSERT INTO rooms (id, public_id, kind, title, owner_id, max_members, wait_for_host, permanent, \
         host_leave_grace_ms, created_at)",
        10,
        rooms,
        &[true, false, false, false, true, true, true, true, true, true],
    )
    .await;
    bulk(
        db,
        "INSERT INTO conference_numbers (number, user_id, assigned_at)",
        3,
        nums,
        &[true; 3],
    )
    .await;
    bulk(
        db,
        "INSERT INTO conference_rooms (number, user_id, room_id, moderator_pin_hash, participant_pin_hash, \
         pins_set_at, created_at)",
        7,
        confs,
        &[true, true, true, false, false, true, true],
    )
    .await;
    println!(
        "seeded {} conference rooms in {:.1} s",
        count,
        t.elapsed().as_secs_f64()
    );
    numbers
}
