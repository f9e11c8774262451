//! One storage story every backend must pass: the same calls, the same
//! answers, on SQLite and on PostgreSQL.

use domain::accounts::{AccountInput, AccountStore, NewAccount};
use domain::identity::{AccountRole, NewUser, PlatformRole, SessionStore, UserStore};
use domain::outbox::{Channel, MessageStatus, NewMessage, OutboxStore};
use kernel::{DomainError, EmailAddress, Lang, Timestamp};
use store::Db;
use test_support::{db_test, Backend, TestDb};

async fn open(backend: Backend) -> Option<(TestDb, Db)> {
    let t = TestDb::create(backend).await?;
    let db = Db::open(&t.url).await.expect("open and migrate");
    Some((t, db))
}

fn account(n: &str) -> NewAccount {
    NewAccount::parse(&AccountInput {
        customer_number: n.into(),
        postal_code: "10115".into(),
        name: format!("Firma {n} GmbH"),
        contact_email: Some(format!("kontakt-{n}@example.de")),
        ..Default::default()
    })
    .unwrap()
}

async fn accounts_users_sessions(backend: Backend) {
    let Some((_t, db)) = open(backend).await else {
        return;
    };
    if backend == Backend::Sqlite {
        let (mode,): (String,) = sqlx::query_as("PRAGMA journal_mode")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(mode, "wal");
    }
    // Migrating twice is a no-op.
    assert!(db.migrate().await.unwrap().is_empty());
    let now = Timestamp(1_700_000_000_000);

    let a = AccountStore::create(&db, &account("K-1"), now, vec![]).await.unwrap();
    assert_eq!(a.customer_number, "K-1");
    let err = AccountStore::create(&db, &account("K-1"), now, vec![])
        .await
        .unwrap_err();
    assert!(
        matches!(&err, DomainError::Conflict(e) if e.field == "customer_number"),
        "{err:?}"
    );
    AccountStore::create(&db, &account("K-2"), now, vec![]).await.unwrap();
    let page = AccountStore::list(&db, "k-2", 10, 0).await.unwrap();
    assert_eq!(page.total, 1);
    assert_eq!(page.items[0].customer_number, "K-2");
    // LIKE wildcards in the search are literal.
    assert_eq!(AccountStore::list(&db, "%", 10, 0).await.unwrap().total, 0);

    let user = NewUser {
        email: EmailAddress::parse("Max.Muster@Example.de", "email").unwrap(),
        password_hash: Some("hash".into()),
        first_name: "Max".into(),
        last_name: "Muster".into(),
        language: Lang::En,
        platform_role: Some(PlatformRole::Operator),
        membership: Some((a.id, AccountRole::SuperAdmin)),
    };
    let u = UserStore::create(&db, &user, now).await.unwrap();
    assert_eq!(u.language, Lang::En);
    let mut same = user.clone();
    same.email = EmailAddress::parse("max.muster@EXAMPLE.de", "email").unwrap();
    let err = UserStore::create(&db, &same, now).await.unwrap_err();
    assert!(
        matches!(&err, DomainError::Conflict(e) if e.field == "email"),
        "{err:?}"
    );
    let creds = db.credentials_by_email("max.muster@example.de").await.unwrap().unwrap();
    assert_eq!(creds.password_hash.as_deref(), Some("hash"));
    assert_eq!(db.memberships(u.id).await.unwrap()[0].role, AccountRole::SuperAdmin);
    assert_eq!(db.count_operators().await.unwrap(), 1);

    SessionStore::create(&db, "h1", u.id, now, now.plus_secs(60), "ua", "127.0.0.1")
        .await
        .unwrap();
    assert!(db.find("h1", now).await.unwrap().is_some());
    assert!(db.find("h1", now.plus_secs(61)).await.unwrap().is_none(), "expired");
    db.touch("h1", now.plus_secs(30), now.plus_secs(120)).await.unwrap();
    assert!(db.find("h1", now.plus_secs(90)).await.unwrap().is_some(), "extended");
    SessionStore::delete(&db, "h1").await.unwrap();
    assert!(db.find("h1", now).await.unwrap().is_none());
}

async fn outbox_claims_leases_and_retries(backend: Backend) {
    let Some((_t, db)) = open(backend).await else {
        return;
    };
    let now = Timestamp(1_700_000_000_000);
    let a = AccountStore::create(
        &db,
        &account("K-9"),
        now,
        vec![NewMessage::sms(None, "+4917012345678", "Hallo")],
    )
    .await
    .unwrap();
    let mut m = NewMessage::sms(Some(a.id), "+4917012345678", "Zwei");
    let key = m.idempotency_key.clone();
    db.enqueue(vec![m.clone()], now).await.unwrap();
    // The same idempotency key is written once only.
    m.body_text = "Doppelt".into();
    db.enqueue(vec![m], now).await.unwrap();
    assert_eq!(OutboxStore::list(&db, Some(Channel::Sms), 10).await.unwrap().len(), 2);

    let claimed = db.claim_due(now, now.plus_secs(30), 10).await.unwrap();
    assert_eq!(claimed.len(), 2);
    assert_eq!(
        claimed[0].account_id,
        Some(a.id),
        "message joins the account it was created with"
    );
    assert_eq!(claimed[1].idempotency_key, key);
    assert!(claimed
        .iter()
        .all(|m| m.attempts == 1 && m.status == MessageStatus::Sending));
    // Leased messages are not handed out twice …
    assert!(db
        .claim_due(now.plus_secs(1), now.plus_secs(31), 10)
        .await
        .unwrap()
        .is_empty());
    // … until the lease runs out (the worker died).
    let again = db.claim_due(now.plus_secs(31), now.plus_secs(61), 10).await.unwrap();
    assert_eq!(again.len(), 2);
    assert!(again.iter().all(|m| m.attempts == 2));

    db.mark_sent(again[0].id, "gateway", now.plus_secs(32)).await.unwrap();
    db.mark_retry(again[1].id, "timeout", now.plus_secs(100)).await.unwrap();
    assert!(db
        .claim_due(now.plus_secs(99), now.plus_secs(200), 10)
        .await
        .unwrap()
        .is_empty());
    let retried = db.claim_due(now.plus_secs(100), now.plus_secs(200), 10).await.unwrap();
    assert_eq!(retried.len(), 1);
    db.mark_failed(retried[0].id, "bad number").await.unwrap();
    let failed = OutboxStore::get(&db, retried[0].id).await.unwrap();
    assert_eq!(failed.status, MessageStatus::Failed);
    assert_eq!(failed.last_error.as_deref(), Some("bad number"));

    let times = db.sms_sent_times(a.id, now).await.unwrap();
    assert_eq!(times, vec![now.plus_secs(32)]);
}

db_test!(accounts_users_sessions, outbox_claims_leases_and_retries);

async fn throttle_counts_locks_and_forgets(backend: Backend) {
    use domain::throttle::ThrottleStore;
    let Some((_t, db)) = open(backend).await else { return };
    let now = Timestamp(1_700_000_000_000);
    assert_eq!(db.record_failure("k", now).await.unwrap(), 1);
    assert_eq!(db.record_failure("k", now.plus_secs(10)).await.unwrap(), 2);
    assert_eq!(db.locked_until("k", now).await.unwrap(), None);
    db.lock("k", now.plus_secs(30)).await.unwrap();
    assert_eq!(
        db.locked_until("k", now.plus_secs(29)).await.unwrap(),
        Some(now.plus_secs(30))
    );
    assert_eq!(db.locked_until("k", now.plus_secs(30)).await.unwrap(), None, "expired");
    // After an hour of quiet the count starts again.
    assert_eq!(db.record_failure("k", now.plus_secs(10 + 3601)).await.unwrap(), 1);
    db.reset("k").await.unwrap();
    assert_eq!(db.record_failure("k", now).await.unwrap(), 1);
    assert_eq!(db.record_failure("other", now).await.unwrap(), 1);
}

db_test!(throttle_counts_locks_and_forgets);
