//! Company cards: cards with their search terms, team, history, visitor
//! requests and maintenance link (CardStore). People, chat and
//! notifications are in `network.rs`.

use async_trait::async_trait;
use domain::cards::{
    Card, CardEdit, CardRequest, CardStore, DirectoryPage, DirectoryQuery, HistoryEntry, Logo, NetworkSettings,
    NewCard, NewRequest, Person, RequestKind, SearchWord, TeamMember,
};
use domain::outbox::NewMessage;
use kernel::{DomainResult, Timestamp, UserId};
use sqlx::AnyConnection;

use domain::identity::full_name;

use crate::db::Db;
use crate::error::MapDb;
use crate::outbox;

const CARD_SELECT: &str = "SELECT c.id, c.public_id, c.name, c.description, c.contact_email, c.phone, c.website, \
    c.street, c.postal_code, c.city, c.topics, c.logo_version, r.public_id AS counter_room, c.updated_at \
    FROM cards c JOIN rooms r ON r.id = c.counter_room_id";

#[derive(sqlx::FromRow)]
struct CardRow {
    id: i64,
    public_id: String,
    name: String,
    description: String,
    contact_email: String,
    phone: String,
    website: String,
    street: String,
    postal_code: String,
    city: String,
    topics: String,
    logo_version: i64,
    counter_room: String,
    updated_at: i64,
}

impl From<CardRow> for Card {
    fn from(r: CardRow) -> Self {
        Card {
            logo: (r.logo_version > 0).then(|| format!("/cards/{}/logo?v={}", r.public_id, r.logo_version)),
            id: r.id,
            public_id: r.public_id,
            name: r.name,
            description: r.description,
            contact_email: r.contact_email,
            phone: r.phone,
            website: r.website,
            street: r.street,
            postal_code: r.postal_code,
            city: r.city,
            topics: r
                .topics
                .split(',')
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect(),
            counter_room: r.counter_room,
            updated_at: Timestamp(r.updated_at),
        }
    }
}

/// A person with their settings; users without a profile row get the defaults.
pub(crate) const PERSON_SELECT: &str = "SELECT u.id, u.first_name, u.last_name, u.email, \
    COALESCE(p.networking, 0) AS networking, COALESCE(p.findable, 1) AS findable, \
    COALESCE(p.show_as_contact, 0) AS show_as_contact, COALESCE(p.standby, 0) AS standby, \
    COALESCE(p.position, '') AS position FROM users u LEFT JOIN person_profiles p ON p.user_id = u.id";

#[derive(sqlx::FromRow)]
pub(crate) struct PersonRow {
    id: i64,
    first_name: String,
    last_name: String,
    email: String,
    networking: i64,
    findable: i64,
    show_as_contact: i64,
    standby: i64,
    position: String,
}

impl From<PersonRow> for Person {
    fn from(r: PersonRow) -> Self {
        Person {
            user_id: UserId(r.id),
            name: full_name(&r.first_name, &r.last_name, &r.email),
            settings: NetworkSettings {
                networking: r.networking != 0,
                findable: r.findable != 0,
                show_as_contact: r.show_as_contact != 0,
                standby: r.standby != 0,
                position: r.position.clone(),
            },
            position: r.position,
        }
    }
}

#[derive(sqlx::FromRow)]
struct RequestRow {
    id: i64,
    kind: String,
    name: String,
    email: String,
    company: String,
    message: String,
    preferred_at: Option<i64>,
    status: String,
    created_at: i64,
    done_at: Option<i64>,
    done_first: Option<String>,
    done_last: Option<String>,
}

impl From<RequestRow> for CardRequest {
    fn from(r: RequestRow) -> Self {
        CardRequest {
            id: r.id,
            kind: RequestKind::parse(&r.kind).unwrap_or(RequestKind::Contact),
            name: r.name,
            email: r.email,
            company: r.company,
            message: r.message,
            preferred_at: r.preferred_at,
            status: r.status,
            created_at: Timestamp(r.created_at),
            done_at: r.done_at,
            done_by: r
                .done_first
                .map(|f| full_name(&f, r.done_last.as_deref().unwrap_or(""), "")),
        }
    }
}

const REQUEST_SELECT: &str = "SELECT q.id, q.kind, q.name, q.email, q.company, q.message, q.preferred_at, q.status, \
    q.created_at, q.done_at, u.first_name AS done_first, u.last_name AS done_last \
    FROM card_requests q LEFT JOIN users u ON u.id = q.done_by";

async fn history(
    conn: &mut AnyConnection,
    card: i64,
    actor: Option<UserId>,
    event: &str,
    detail: &str,
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO card_history (card_id, at, actor_id, event, detail) VALUES ($1, $2, $3, $4, $5)")
        .bind(card)
        .bind(now.millis())
        .bind(actor.map(|a| a.0))
        .bind(event)
        .bind(detail)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn replace_terms(
    conn: &mut AnyConnection,
    card: i64,
    sort_key: &str,
    terms: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM card_terms WHERE card_id = $1")
        .bind(card)
        .execute(&mut *conn)
        .await?;
    for t in terms {
        sqlx::query("INSERT INTO card_terms (term, card_id, sort_key) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(t)
            .bind(card)
            .bind(sort_key)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

async fn user_name(conn: &mut AnyConnection, user: UserId) -> Result<String, sqlx::Error> {
    let (f, l, e): (String, String, String) =
        sqlx::query_as("SELECT first_name, last_name, email FROM users WHERE id = $1")
            .bind(user.0)
            .fetch_one(&mut *conn)
            .await?;
    Ok(full_name(&f, &l, &e))
}

/// Binds a card's public data as `$1`…`$9` (name, sort key, description,
/// phone, website, street, postal code, city, topics), for INSERT and UPDATE.
fn bind_data<'q, Q: BindAll<'q>>(q: Q, d: &'q domain::cards::CardData) -> Q {
    q.b(&d.name)
        .b_owned(d.name.to_lowercase())
        .b(&d.description)
        .b(&d.phone)
        .b(&d.website)
        .b(&d.street)
        .b(&d.postal_code)
        .b(&d.city)
        .b_owned(d.topics.join(","))
}

/// `bind` for both `query` and `query_as`, so one helper serves both.
trait BindAll<'q>: Sized {
    fn b(self, v: &'q str) -> Self;
    fn b_owned(self, v: String) -> Self;
}

impl<'q> BindAll<'q> for sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    fn b(self, v: &'q str) -> Self {
        self.bind(v)
    }
    fn b_owned(self, v: String) -> Self {
        self.bind(v)
    }
}

impl<'q, O> BindAll<'q> for sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>> {
    fn b(self, v: &'q str) -> Self {
        self.bind(v)
    }
    fn b_owned(self, v: String) -> Self {
        self.bind(v)
    }
}

/// The card whose unique `column` is `value`.
async fn card_where(db: &Db, column: &str, value: &str) -> DomainResult<Option<Card>> {
    let row: Option<CardRow> = sqlx::query_as(&format!("{CARD_SELECT} WHERE {column} = $1"))
        .bind(value)
        .fetch_optional(db.pool())
        .await
        .db()?;
    Ok(row.map(Into::into))
}

/// Upper bound of a prefix range: every string starting with `prefix`
/// sorts below it bytewise.
pub(crate) fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

#[async_trait]
impl CardStore for Db {
    async fn create_card(&self, card: &NewCard, mails: &[NewMessage], now: Timestamp) -> DomainResult<Card> {
        let d = &card.data;
        let mut tx = self.write_tx().await.db()?;
        let insert = sqlx::query_as(
            "INSERT INTO cards (name, sort_key, description, phone, website, street, postal_code, city, topics, \
             public_id, contact_email, counter_room_id, maintenance_hash, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14) RETURNING id",
        );
        let (id,): (i64,) = bind_data(insert, d)
            .bind(&card.public_id)
            .bind(&card.contact_email)
            .bind(card.counter_room_id)
            .bind(&card.maintenance_hash)
            .bind(now.millis())
            .fetch_one(&mut *tx.tx)
            .await
            .db()?;
        replace_terms(&mut tx.tx, id, &d.name.to_lowercase(), &card.terms)
            .await
            .db()?;
        history(&mut tx.tx, id, card.created_by, "created", &card.contact_email, now)
            .await
            .db()?;
        outbox::insert(&mut tx.tx, mails, now).await.db()?;
        tx.commit().await.db()?;
        self.card(&card.public_id)
            .await?
            .ok_or(kernel::DomainError::not_found("card"))
    }

    async fn card(&self, public_id: &str) -> DomainResult<Option<Card>> {
        card_where(self, "c.public_id", public_id).await
    }

    async fn card_by_maintenance(&self, hash: &str) -> DomainResult<Option<Card>> {
        card_where(self, "c.maintenance_hash", hash).await
    }

    async fn directory(&self, q: &DirectoryQuery) -> DomainResult<DirectoryPage> {
        // The matching ids come first (one index range per word, intersected,
        // materialized), then only those cards are sorted: planning the other
        // way round (walk all cards by name, probe the terms) costs a scan of
        // every card when few match. sqlx's QueryBuilder emits `?` under Any,
        // so the $n are numbered here.
        let mut parts: Vec<String> = Vec::new();
        let mut params: Vec<String> = Vec::new();
        for w in &q.words {
            let n = params.len();
            match w {
                SearchWord::Whole(w) => {
                    parts.push(format!(
                        "SELECT DISTINCT card_id, sort_key FROM card_terms WHERE term = ${}",
                        n + 1
                    ));
                    params.push(w.clone());
                }
                SearchWord::Prefix(w) => {
                    parts.push(format!(
                        "SELECT DISTINCT card_id, sort_key FROM card_terms WHERE term >= ${} AND term < ${}",
                        n + 1,
                        n + 2
                    ));
                    params.push(w.clone());
                    params.push(prefix_end(w));
                }
            }
        }
        if let Some(t) = &q.topic {
            parts.push(format!(
                "SELECT DISTINCT card_id, sort_key FROM card_terms WHERE term = ${}",
                params.len() + 1
            ));
            params.push(t.clone());
        }
        let n = params.len();
        let limits = format!("LIMIT ${} OFFSET ${}", n + 1, n + 2);
        let (page_sql, count_sql) = if parts.is_empty() {
            // No filter: the name index gives the page directly.
            (
                format!("{CARD_SELECT} ORDER BY c.sort_key, c.id {limits}"),
                "SELECT COUNT(*) FROM cards".to_string(),
            )
        } else {
            let m = format!("m AS MATERIALIZED ({})", parts.join(" INTERSECT "));
            let page = format!(
                "page AS (SELECT card_id AS id, COUNT(*) OVER () AS total FROM m ORDER BY sort_key, card_id {limits})"
            );
            (
                format!("WITH {m}, {page} {CARD_SELECT} JOIN page ON page.id = c.id ORDER BY c.sort_key, c.id"),
                format!("WITH {m} SELECT COUNT(*) FROM m"),
            )
        };
        let total_column = if parts.is_empty() { "0" } else { "page.total" };
        let page_sql = page_sql.replacen(
            "SELECT c.id, c.public_id",
            &format!("SELECT {total_column} AS total, c.id, c.public_id"),
            1,
        );
        #[derive(sqlx::FromRow)]
        struct Row {
            total: i64,
            #[sqlx(flatten)]
            card: CardRow,
        }
        let mut query = sqlx::query_as::<_, Row>(&page_sql);
        for p in &params {
            query = query.bind(p);
        }
        let rows = query.bind(q.limit).bind(q.offset).fetch_all(self.pool()).await.db()?;
        let total = match rows.first() {
            // The window count came with the page.
            Some(r) if !parts.is_empty() => r.total,
            _ => {
                let mut count = sqlx::query_as::<_, (i64,)>(&count_sql);
                for p in &params {
                    count = count.bind(p);
                }
                count.fetch_one(self.pool()).await.db()?.0
            }
        };
        Ok(DirectoryPage {
            cards: rows.into_iter().map(|r| r.card.into()).collect(),
            total,
        })
    }

    async fn topics(&self, limit: i64) -> DomainResult<Vec<(String, i64)>> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT term, COUNT(*) AS n FROM card_terms WHERE term >= 't:' AND term < 't;' \
             GROUP BY term ORDER BY n DESC, term LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.pool())
        .await
        .db()?;
        Ok(rows
            .into_iter()
            .map(|(t, n)| (t.trim_start_matches("t:").to_string(), n))
            .collect())
    }

    async fn update_card(&self, card: i64, edit: &CardEdit<'_>, now: Timestamp) -> DomainResult<()> {
        let d = edit.data;
        let mut tx = self.write_tx().await.db()?;
        let update = sqlx::query(
            "UPDATE cards SET name = $1, sort_key = $2, description = $3, phone = $4, website = $5, street = $6, \
             postal_code = $7, city = $8, topics = $9, updated_at = $10 WHERE id = $11",
        );
        bind_data(update, d)
            .bind(now.millis())
            .bind(card)
            .execute(&mut *tx.tx)
            .await
            .db()?;
        replace_terms(&mut tx.tx, card, &d.name.to_lowercase(), edit.terms)
            .await
            .db()?;
        history(&mut tx.tx, card, edit.actor, edit.event, "", now).await.db()?;
        tx.commit().await.db()
    }

    async fn set_logo(&self, card: i64, logo: &Logo, actor: Option<UserId>, now: Timestamp) -> DomainResult<()> {
        let mut tx = self.write_tx().await.db()?;
        sqlx::query("UPDATE cards SET logo = $1, logo_version = logo_version + 1, updated_at = $2 WHERE id = $3")
            .bind(&logo.0)
            .bind(now.millis())
            .bind(card)
            .execute(&mut *tx.tx)
            .await
            .db()?;
        history(&mut tx.tx, card, actor, "logo_changed", "", now).await.db()?;
        tx.commit().await.db()
    }

    async fn logo(&self, public_id: &str) -> DomainResult<Option<(Vec<u8>, i64)>> {
        let row: Option<(Option<Vec<u8>>, i64)> =
            sqlx::query_as("SELECT logo, logo_version FROM cards WHERE public_id = $1")
                .bind(public_id)
                .fetch_optional(self.pool())
                .await
                .db()?;
        Ok(row.and_then(|(l, v)| l.map(|l| (l, v))))
    }

    async fn link_contact(&self, email: &str, user: UserId, now: Timestamp) -> DomainResult<Vec<Card>> {
        let candidates: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, public_id FROM cards WHERE contact_email = $1 AND contact_linked_at IS NULL")
                .bind(email)
                .fetch_all(self.pool())
                .await
                .db()?;
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        let mut linked = Vec::new();
        let mut tx = self.write_tx().await.db()?;
        let name = user_name(&mut tx.tx, user).await.db()?;
        for (id, public_id) in candidates {
            let done =
                sqlx::query("UPDATE cards SET contact_linked_at = $1 WHERE id = $2 AND contact_linked_at IS NULL")
                    .bind(now.millis())
                    .bind(id)
                    .execute(&mut *tx.tx)
                    .await
                    .db()?;
            if done.rows_affected() != 1 {
                continue;
            }
            sqlx::query(
                "INSERT INTO card_members (card_id, user_id, added_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(user.0)
            .bind(now.millis())
            .execute(&mut *tx.tx)
            .await
            .db()?;
            history(&mut tx.tx, id, Some(user), "contact_linked", &name, now)
                .await
                .db()?;
            linked.push(public_id);
        }
        tx.commit().await.db()?;
        let mut out = Vec::new();
        for p in linked {
            out.extend(self.card(&p).await?);
        }
        Ok(out)
    }

    async fn team(&self, card: i64) -> DomainResult<Vec<TeamMember>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            person: PersonRow,
            added_at: i64,
        }
        let select = PERSON_SELECT.replace(" FROM users u", ", m.added_at FROM users u");
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "{select} JOIN card_members m ON m.user_id = u.id AND m.card_id = $1 \
             ORDER BY u.last_name, u.first_name, u.id"
        ))
        .bind(card)
        .fetch_all(self.pool())
        .await
        .db()?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let email = r.person.email.clone();
                let p = Person::from(r.person);
                TeamMember {
                    user_id: p.user_id,
                    name: p.name,
                    email,
                    position: p.position,
                    networking: p.settings.networking,
                    show_as_contact: p.settings.show_as_contact,
                    standby: p.settings.standby,
                    added_at: Timestamp(r.added_at),
                }
            })
            .collect())
    }

    async fn is_member(&self, card: i64, user: UserId) -> DomainResult<bool> {
        let row: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM card_members WHERE card_id = $1 AND user_id = $2")
            .bind(card)
            .bind(user.0)
            .fetch_optional(self.pool())
            .await
            .db()?;
        Ok(row.is_some())
    }

    async fn cards_of(&self, user: UserId) -> DomainResult<Vec<Card>> {
        let rows: Vec<CardRow> = sqlx::query_as(&format!(
            "{CARD_SELECT} JOIN card_members m ON m.card_id = c.id WHERE m.user_id = $1 ORDER BY c.sort_key"
        ))
        .bind(user.0)
        .fetch_all(self.pool())
        .await
        .db()?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn contact_cards(&self, user: UserId) -> DomainResult<Vec<Card>> {
        let rows: Vec<CardRow> = sqlx::query_as(&format!(
            "{CARD_SELECT} JOIN card_members m ON m.card_id = c.id \
             JOIN person_profiles p ON p.user_id = m.user_id AND p.networking = 1 AND p.show_as_contact = 1 \
             WHERE m.user_id = $1 ORDER BY c.sort_key"
        ))
        .bind(user.0)
        .fetch_all(self.pool())
        .await
        .db()?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn add_member(&self, card: i64, user: UserId, by: UserId, now: Timestamp) -> DomainResult<bool> {
        let mut tx = self.write_tx().await.db()?;
        let done = sqlx::query(
            "INSERT INTO card_members (card_id, user_id, added_at, added_by) VALUES ($1, $2, $3, $4) \
             ON CONFLICT DO NOTHING",
        )
        .bind(card)
        .bind(user.0)
        .bind(now.millis())
        .bind(by.0)
        .execute(&mut *tx.tx)
        .await
        .db()?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        let name = user_name(&mut tx.tx, user).await.db()?;
        history(&mut tx.tx, card, Some(by), "member_added", &name, now)
            .await
            .db()?;
        tx.commit().await.db()?;
        Ok(true)
    }

    async fn remove_member(&self, card: i64, user: UserId, by: UserId, now: Timestamp) -> DomainResult<()> {
        let mut tx = self.write_tx().await.db()?;
        let name = user_name(&mut tx.tx, user).await.db()?;
        sqlx::query("DELETE FROM card_members WHERE card_id = $1 AND user_id = $2")
            .bind(card)
            .bind(user.0)
            .execute(&mut *tx.tx)
            .await
            .db()?;
        history(&mut tx.tx, card, Some(by), "member_removed", &name, now)
            .await
            .db()?;
        tx.commit().await.db()
    }

    async fn log(
        &self,
        card: i64,
        actor: Option<UserId>,
        event: &str,
        detail: &str,
        now: Timestamp,
    ) -> DomainResult<()> {
        let mut tx = self.write_tx().await.db()?;
        history(&mut tx.tx, card, actor, event, detail, now).await.db()?;
        tx.commit().await.db()
    }

    async fn history(&self, card: i64, limit: i64) -> DomainResult<Vec<HistoryEntry>> {
        let rows: Vec<(i64, Option<String>, Option<String>, Option<String>, String, String)> = sqlx::query_as(
            "SELECT h.at, u.first_name, u.last_name, u.email, h.event, h.detail FROM card_history h \
             LEFT JOIN users u ON u.id = h.actor_id WHERE h.card_id = $1 ORDER BY h.id DESC LIMIT $2",
        )
        .bind(card)
        .bind(limit)
        .fetch_all(self.pool())
        .await
        .db()?;
        Ok(rows
            .into_iter()
            .map(|(at, f, l, e, event, detail)| HistoryEntry {
                at: Timestamp(at),
                actor: e.map(|e| full_name(f.as_deref().unwrap_or(""), l.as_deref().unwrap_or(""), &e)),
                event,
                detail,
            })
            .collect())
    }

    async fn add_request(
        &self,
        card: i64,
        r: &NewRequest,
        mails: &[NewMessage],
        now: Timestamp,
    ) -> DomainResult<CardRequest> {
        let mut tx = self.write_tx().await.db()?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO card_requests (card_id, kind, name, email, company, message, preferred_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(card)
        .bind(r.kind.as_str())
        .bind(&r.name)
        .bind(&r.email)
        .bind(&r.company)
        .bind(&r.message)
        .bind(r.preferred_at.map(|t| t.millis()))
        .bind(now.millis())
        .fetch_one(&mut *tx.tx)
        .await
        .db()?;
        outbox::insert(&mut tx.tx, mails, now).await.db()?;
        tx.commit().await.db()?;
        self.request(card, id)
            .await?
            .ok_or(kernel::DomainError::not_found("request"))
    }

    async fn requests(&self, card: i64) -> DomainResult<Vec<CardRequest>> {
        let rows: Vec<RequestRow> = sqlx::query_as(&format!(
            "{REQUEST_SELECT} WHERE q.card_id = $1 ORDER BY q.id DESC LIMIT 1000"
        ))
        .bind(card)
        .fetch_all(self.pool())
        .await
        .db()?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn request(&self, card: i64, id: i64) -> DomainResult<Option<CardRequest>> {
        let row: Option<RequestRow> = sqlx::query_as(&format!("{REQUEST_SELECT} WHERE q.card_id = $1 AND q.id = $2"))
            .bind(card)
            .bind(id)
            .fetch_optional(self.pool())
            .await
            .db()?;
        Ok(row.map(Into::into))
    }

    async fn set_request_status(&self, card: i64, id: i64, done: bool, by: UserId, now: Timestamp) -> DomainResult<()> {
        let _w = self.write_guard().await;
        let query = if done {
            sqlx::query(
                "UPDATE card_requests SET status = 'done', done_at = $1, done_by = $2 WHERE card_id = $3 AND id = $4",
            )
            .bind(now.millis())
            .bind(by.0)
        } else {
            sqlx::query(
                "UPDATE card_requests SET status = 'open', done_at = NULL, done_by = NULL WHERE card_id = $1 AND id = $2",
            )
        };
        query.bind(card).bind(id).execute(self.pool()).await.db()?;
        Ok(())
    }

    async fn rotate_maintenance(
        &self,
        card: i64,
        hash: &str,
        by: Option<UserId>,
        mails: &[NewMessage],
        now: Timestamp,
    ) -> DomainResult<()> {
        let mut tx = self.write_tx().await.db()?;
        sqlx::query("UPDATE cards SET maintenance_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(card)
            .execute(&mut *tx.tx)
            .await
            .db()?;
        history(&mut tx.tx, card, by, "link_rotated", "", now).await.db()?;
        outbox::insert(&mut tx.tx, mails, now).await.db()?;
        tx.commit().await.db()
    }
}
