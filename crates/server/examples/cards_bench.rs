//! Search benchmark for company cards (issue 7), run by `bench/cards.sh`
//! against a release server in another process: fills the server's
//! database with 50,000 cards and 500,000 people (80 % of them findable),
//! then measures the latency of directory searches and person searches
//! over HTTP, one request at a time, per query kind and overall (p50,
//! p95, p99, max).
//!
//! Search terms are written with the same `search_terms` the server uses,
//! so the data is what the product would have stored.
//!
//! Flags: --url URL --db DATABASE_URL [--cards 50000] [--people 500000]
//! [--rounds 300]

use std::time::Instant;

use domain::cards::{search_terms, topic_term};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

#[path = "common/bulk.rs"]
mod bulk;
#[path = "common/flags.rs"]
mod flags;
use bulk::bulk;
use flags::Flags;

const FIRST: &[&str] = &[
    "Anna",
    "Andreas",
    "Bernd",
    "Birgit",
    "Christian",
    "Claudia",
    "Daniel",
    "Doris",
    "Elke",
    "Erik",
    "Frank",
    "Franziska",
    "Georg",
    "Gabriele",
    "Hans",
    "Heike",
    "Ingo",
    "Iris",
    "Jürgen",
    "Julia",
    "Karl",
    "Katrin",
    "Lars",
    "Lena",
    "Markus",
    "Monika",
    "Norbert",
    "Nina",
    "Oliver",
    "Olga",
    "Peter",
    "Petra",
    "Ralf",
    "Renate",
    "Stefan",
    "Sabine",
    "Thomas",
    "Tanja",
    "Uwe",
    "Ursula",
    "Volker",
    "Vera",
    "Werner",
    "Wiebke",
    "Yusuf",
    "Zeynep",
    "Ömer",
    "Özlem",
    "Matthias",
    "Miriam",
    "Tobias",
    "Theresa",
    "Jan",
    "Jana",
    "Felix",
    "Fatma",
    "Lukas",
    "Laura",
    "Max",
    "Marie",
];
const STEM: &[&str] = &[
    "Ber", "Mül", "Schm", "Wag", "Hof", "Kra", "Lin", "Sto", "Wei", "Bau", "Fis", "Kel", "Ric", "Zim", "Hart", "Lang",
    "Krü", "Brau", "Wolf", "Neu", "Schwa", "Zie", "Hu", "Kai", "Lor", "Mey", "Pohl", "Rot", "Sau", "Vog",
];
const END: &[&str] = &[
    "ger", "ler", "mann", "ner", "berg", "stein", "hof", "bach", "feld", "er", "king", "rich", "au", "el", "inger",
    "meier", "huber", "beck", "kamp", "wald",
];
const WORD: &[&str] = &[
    "Nord",
    "Süd",
    "Alpha",
    "Logistik",
    "Technik",
    "Bau",
    "Holz",
    "Metall",
    "Digital",
    "Hanse",
    "Rhein",
    "Alpen",
    "Solar",
    "Medien",
    "Praxis",
    "Kanzlei",
    "Bäckerei",
    "Druck",
    "Elektro",
    "Garten",
    "Reise",
    "Auto",
    "Möbel",
    "Optik",
    "Pflege",
    "Daten",
    "Energie",
    "Finanz",
    "Textil",
    "Werkzeug",
];
const FORM: &[&str] = &["GmbH", "AG", "KG", "OHG", "e.K.", "GmbH & Co. KG"];
const CITY: &[&str] = &[
    "Berlin",
    "Hamburg",
    "München",
    "Köln",
    "Frankfurt",
    "Stuttgart",
    "Düsseldorf",
    "Leipzig",
    "Dortmund",
    "Essen",
    "Bremen",
    "Dresden",
    "Hannover",
    "Nürnberg",
    "Duisburg",
    "Bochum",
    "Wuppertal",
    "Bielefeld",
    "Bonn",
    "Münster",
];
const TOPIC: &[&str] = &[
    "Logistik",
    "Beratung",
    "Software",
    "Handwerk",
    "Lebensmittel",
    "Catering",
    "Steuern",
    "Recht",
    "Marketing",
    "Design",
    "Bau",
    "Energie",
    "Gesundheit",
    "Pflege",
    "Bildung",
    "Reisen",
    "Finanzen",
    "Versicherung",
    "Immobilien",
    "Mode",
    "Sport",
    "Kultur",
    "Medien",
    "Druck",
    "Elektrotechnik",
    "Maschinenbau",
    "Chemie",
    "Automotive",
    "Textil",
    "Möbel",
    "Garten",
    "Umwelt",
    "Sicherheit",
    "Telekommunikation",
    "Personal",
    "Event",
    "Messebau",
    "Übersetzung",
    "IT-Service",
    "Fotografie",
];

struct Args {
    url: String,
    db: String,
    cards: usize,
    people: usize,
    rounds: usize,
}

fn args() -> Args {
    let f = Flags::parse(&["url", "db", "cards", "people", "rounds"]);
    Args {
        url: f.get("url", "http://127.0.0.1:18098".into()),
        db: f.get("db", String::new()),
        cards: f.get("cards", 50_000),
        people: f.get("people", 500_000),
        rounds: f.get("rounds", 300),
    }
}

async fn seed(a: &Args, db: &store::Db) {
    let mut rng = StdRng::seed_from_u64(7);
    let now = chrono::Utc::now().timestamp_millis();
    let t = Instant::now();
    let (max_user,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(id), 0) FROM users")
        .fetch_one(db.pool())
        .await
        .unwrap();
    let mut users = Vec::with_capacity(a.people);
    let mut profiles = Vec::new();
    let mut terms = Vec::new();
    for i in 0..a.people {
        let id = max_user + 1 + i as i64;
        let first = FIRST[rng.gen_range(0..FIRST.len())];
        let last = format!(
            "{}{}",
            STEM[rng.gen_range(0..STEM.len())],
            END[rng.gen_range(0..END.len())]
        );
        let email = format!("p{id}@people.example");
        users.push(vec![
            id.to_string(),
            email.clone(),
            email,
            first.to_string(),
            last.clone(),
            now.to_string(),
        ]);
        if rng.gen_bool(0.8) {
            profiles.push(vec![id.to_string(), "1".into(), "1".into(), now.to_string()]);
            for term in search_terms(&[first, &last]) {
                terms.push(vec![term, id.to_string()]);
            }
        }
    }
    let person_terms = terms.len();
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
        "INSERT INTO person_profiles (user_id, networking, findable, updated_at)",
        4,
        profiles,
        &[true; 4],
    )
    .await;
    bulk(db, "INSERT INTO person_terms (term, user_id)", 2, terms, &[false, true]).await;
    println!(
        "seeded {} people ({person_terms} search terms) in {:.1} s",
        a.people,
        t.elapsed().as_secs_f64()
    );

    let t = Instant::now();
    let (max_room,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(id), 0) FROM rooms")
        .fetch_one(db.pool())
        .await
        .unwrap();
    let (max_card,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(id), 0) FROM cards")
        .fetch_one(db.pool())
        .await
        .unwrap();
    let (mut rooms, mut cards, mut terms) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..a.cards {
        let room = max_room + 1 + i as i64;
        let id = max_card + 1 + i as i64;
        let name = format!(
            "{} {} {}",
            WORD[rng.gen_range(0..WORD.len())],
            WORD[rng.gen_range(0..WORD.len())],
            FORM[rng.gen_range(0..FORM.len())]
        );
        let city = CITY[rng.gen_range(0..CITY.len())];
        let mut topics: Vec<&str> = (0..rng.gen_range(1..=3))
            .map(|_| TOPIC[rng.gen_range(0..TOPIC.len())])
            .collect();
        topics.dedup();
        rooms.push(vec![
            room.to_string(),
            format!("bench-room-{id}"),
            name.clone(),
            now.to_string(),
            "counter".into(),
            "8".into(),
        ]);
        cards.push(vec![
            id.to_string(),
            format!("bench{id}"),
            name.clone(),
            name.to_lowercase(),
            format!("kontakt{id}@cards.example"),
            city.to_string(),
            topics.join(","),
            room.to_string(),
            format!("hash{id}"),
            now.to_string(),
            now.to_string(),
        ]);
        let joined = topics.join(" ");
        let mut t = search_terms(&[&name, &joined, city]);
        t.extend(topics.iter().map(|x| topic_term(x)));
        for term in t {
            terms.push(vec![term, id.to_string(), name.to_lowercase()]);
        }
    }
    let card_terms = terms.len();
    bulk(
        db,
        "INSERT INTO rooms (id, public_id, title, created_at, kind, max_members)",
        6,
        rooms,
        &[true, false, false, true, false, true],
    )
    .await;
    bulk(
        db,
        "INSERT INTO cards (id, public_id, name, sort_key, contact_email, city, topics, counter_room_id, \
         maintenance_hash, created_at, updated_at)",
        11,
        cards,
        &[true, false, false, false, false, false, false, true, false, true, true],
    )
    .await;
    bulk(
        db,
        "INSERT INTO card_terms (term, card_id, sort_key)",
        3,
        terms,
        &[false, true, false],
    )
    .await;
    println!(
        "seeded {} cards ({card_terms} search terms) in {:.1} s",
        a.cards,
        t.elapsed().as_secs_f64()
    );
    // Identity columns on PostgreSQL continue after the ids written here.
    if db.backend() == store::Backend::Postgres {
        for table in ["users", "rooms", "cards"] {
            sqlx::query(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
            ))
            .execute(db.pool())
            .await
            .unwrap();
        }
        sqlx::query("ANALYZE").execute(db.pool()).await.unwrap();
    } else {
        sqlx::query("ANALYZE").execute(db.pool()).await.unwrap();
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn report(kind: &str, ms: &mut [f64]) {
    ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "{kind:<44} n={:<5} p50 {:>6.2} ms  p95 {:>6.2} ms  p99 {:>6.2} ms  max {:>6.2} ms",
        ms.len(),
        percentile(ms, 0.5),
        percentile(ms, 0.95),
        percentile(ms, 0.99),
        ms[ms.len() - 1]
    );
}

async fn measure(client: &reqwest::Client, url: &str, queries: &[(&str, String)], rounds: usize) {
    let mut all = Vec::new();
    for (kind, path) in queries {
        // Warm the path once.
        let r = client.get(format!("{url}{path}")).send().await.unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
        let body: serde_json::Value = r.json().await.unwrap();
        let hits = body["total"]
            .as_i64()
            .unwrap_or_else(|| body.as_array().map(|a| a.len() as i64).unwrap_or(0));
        let mut ms = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            let t = Instant::now();
            let r = client.get(format!("{url}{path}")).send().await.unwrap();
            let _ = r.bytes().await.unwrap();
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        all.extend_from_slice(&ms);
        report(&format!("{kind} ({hits} hits)"), &mut ms);
    }
    report("ALL", &mut all);
}

#[tokio::main]
async fn main() {
    let a = args();
    let db = store::Db::open(&a.db).await.expect("database");
    let services = kontor::Services::new(db.clone(), &a.url, std::sync::Arc::new(kernel::SystemClock));
    seed(&a, &db).await;

    // A searcher with networking on, signed in over HTTP.
    let searcher = services
        .identity
        .create_user(domain::identity::UserInput {
            email: "searcher@bench.example",
            password: Some("Bench-Suche-2026!"),
            first_name: "Bench",
            last_name: "Sucher",
            language: kernel::Lang::De,
            platform_role: None,
            membership: None,
        })
        .await
        .expect("searcher");
    let on = domain::cards::NetworkSettings {
        networking: true,
        ..Default::default()
    };
    services.cards.network().save_settings(&searcher, &on).await.unwrap();
    let client = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let r = client
        .post(format!("{}/api/v1/session", a.url))
        .json(&json!({"email": "searcher@bench.example", "password": "Bench-Suche-2026!"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "login: {}", r.status());

    println!("\n== directory search over {} cards", a.cards);
    let dir: Vec<(&str, String)> = vec![
        ("first page, no filter", "/api/v1/cards".into()),
        ("two-letter prefix 'ma'", "/api/v1/cards?q=ma".into()),
        ("one letter 'a' (whole words only)", "/api/v1/cards?q=a".into()),
        ("prefix 'log'", "/api/v1/cards?q=log".into()),
        ("word 'bäckerei'", "/api/v1/cards?q=b%C3%A4ckerei".into()),
        ("two words 'nord berlin'", "/api/v1/cards?q=nord%20berlin".into()),
        ("topic filter 'logistik'", "/api/v1/cards?topic=logistik".into()),
        (
            "topic + word 'software' + 'köln'",
            "/api/v1/cards?topic=software&q=k%C3%B6ln".into(),
        ),
        ("page 20 of prefix 'ma'", "/api/v1/cards?q=ma&page=20".into()),
        ("no match 'zzz'", "/api/v1/cards?q=zzz".into()),
    ];
    measure(&client, &a.url, &dir, a.rounds).await;

    println!("\n== person search over {} people", a.people);
    let people: Vec<(&str, String)> = vec![
        ("two letters 'an'", "/api/v1/people?q=an".into()),
        ("first name 'jürgen'", "/api/v1/people?q=j%C3%BCrgen".into()),
        ("last name prefix 'müll'", "/api/v1/people?q=m%C3%BCll".into()),
        ("full name 'anna berger'", "/api/v1/people?q=anna%20berger".into()),
        ("folded 'oezlem'", "/api/v1/people?q=oezlem".into()),
        ("no match 'qqq'", "/api/v1/people?q=qqq".into()),
    ];
    measure(&client, &a.url, &people, a.rounds).await;
}
