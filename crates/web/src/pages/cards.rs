//! Company card pages: the public directory and card, the visitor's
//! request form, the logo, the Info Counter dock, the back office (team
//! members only), the maintenance link's edit page and the operator's
//! card list.

use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use domain::cards::{
    BackOffice, Card, CardInput, CardRequest, HistoryEntry, NewCardInput, Person, PublicCard, RequestInput,
    RequestKind, TeamMember,
};
use domain::identity::User;
use domain::rooms::{Admission, RoomRecord};
use kernel::{DomainError, UserId};
use serde::Deserialize;

use super::{done, done_with, format_time, render};
use crate::context::{urlencode, Ctx};
use crate::error::PageResult;
use crate::extract::{PageOperator, PagePath, PageQuery, PageUser};
use crate::forms::{CsrfForm, FormState, NoFields, Upload};
use crate::pages::portal::form_again;
use crate::state::AppState;

// ---- directory -------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct DirectoryParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    topic: String,
    #[serde(default)]
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "cards/directory.html")]
struct DirectoryView<'a> {
    ctx: &'a Ctx,
    q: String,
    topic: String,
    /// (topic, count, href that toggles it)
    topics: Vec<(String, i64, String, bool)>,
    cards: Vec<Card>,
    total: i64,
    from: i64,
    to: i64,
    prev: Option<String>,
    next: Option<String>,
    my_cards: Vec<Card>,
}

fn directory_href(q: &str, topic: &str, page: i64) -> String {
    let mut parts = Vec::new();
    if !q.is_empty() {
        parts.push(format!("q={}", urlencode(q)));
    }
    if !topic.is_empty() {
        parts.push(format!("topic={}", urlencode(topic)));
    }
    if page > 1 {
        parts.push(format!("page={page}"));
    }
    if parts.is_empty() {
        "/cards".into()
    } else {
        format!("/cards?{}", parts.join("&"))
    }
}

pub async fn directory(
    State(state): State<AppState>,
    ctx: Ctx,
    PageQuery(p): PageQuery<DirectoryParams>,
) -> PageResult<Response> {
    let page = p.page.unwrap_or(1).max(1);
    let q = p.q.trim().to_string();
    let topic = p.topic.trim().to_lowercase();
    let result = state.cards.directory(&q, Some(&topic), page).await?;
    let size = domain::cards::PAGE_SIZE;
    let topics = state
        .cards
        .topics()
        .await?
        .into_iter()
        .map(|(t, n)| {
            let on = t == topic;
            let href = directory_href(&q, if on { "" } else { &t }, 1);
            (t, n, href, on)
        })
        .collect();
    let from = ((page - 1) * size + 1).min(result.total);
    let to = ((page - 1) * size + result.cards.len() as i64).min(result.total);
    let my_cards = match &ctx.user {
        Some(u) => state.cards.my_cards(u).await?,
        None => Vec::new(),
    };
    Ok(render(&DirectoryView {
        ctx: &ctx,
        prev: (page > 1).then(|| directory_href(&q, &topic, page - 1)),
        next: (to < result.total).then(|| directory_href(&q, &topic, page + 1)),
        q,
        topic,
        topics,
        cards: result.cards,
        total: result.total,
        from,
        to,
        my_cards,
    }))
}

// ---- public card -------------------------------------------------------------

#[derive(Template)]
#[template(path = "cards/card.html")]
struct CardView<'a> {
    ctx: &'a Ctx,
    c: PublicCard,
    member: bool,
    form: FormState,
    /// The request form to show opened: `contact` or `meeting`.
    open_form: String,
}

async fn card_page(state: &AppState, ctx: &Ctx, id: &str, form: FormState, open_form: &str) -> PageResult<Response> {
    let c = state.cards.public(id).await?;
    let member = match &ctx.user {
        Some(u) => state.cards.office(u, id).await.is_ok(),
        None => false,
    };
    Ok(render(&CardView {
        ctx,
        c,
        member,
        form,
        open_form: open_form.to_string(),
    }))
}

pub async fn card(State(state): State<AppState>, ctx: Ctx, PagePath(id): PagePath<String>) -> PageResult<Response> {
    let mut form = FormState::default();
    if let Some(u) = &ctx.user {
        form.set("name", &u.display_name());
        form.set("email", &u.email);
    }
    card_page(&state, &ctx, &id, form, "").await
}

#[derive(Deserialize)]
pub struct RequestForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    company: String,
    #[serde(default)]
    message: String,
    /// `datetime-local` in German time.
    #[serde(default)]
    preferred_at: String,
}

/// A `datetime-local` value read as German time (the secretary's rule for
/// the spring gap and the autumn overlap).
fn local_time(s: &str) -> Result<Option<i64>, DomainError> {
    if s.trim().is_empty() {
        return Ok(None);
    }
    let naive = chrono::NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%dT%H:%M")
        .map_err(|_| DomainError::validation("preferred_at", "datetime_invalid"))?;
    let at = domain::secretary::schedule::local_to_instant(chrono_tz::Europe::Berlin, naive);
    Ok(Some(at.timestamp_millis()))
}

pub async fn submit_request(
    State(state): State<AppState>,
    ctx: Ctx,
    jar: CookieJar,
    PagePath(id): PagePath<String>,
    form: CsrfForm<RequestForm>,
) -> PageResult<Response> {
    let f = &form.data;
    let kind = RequestKind::parse(&f.kind).unwrap_or(RequestKind::Contact);
    let result = match local_time(&f.preferred_at) {
        Ok(preferred_at) => {
            let input = RequestInput {
                kind,
                name: f.name.clone(),
                email: f.email.clone(),
                company: f.company.clone(),
                message: f.message.clone(),
                preferred_at,
            };
            state.cards.submit_request(&id, &input, &ctx.ip).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => done(jar, &format!("card_request_{}", kind.as_str()), &format!("/cards/{id}")),
        Err(e) => {
            form_again(e, form.raw, ctx.lang, |fs| {
                card_page(&state, &ctx, &id, fs, kind.as_str())
            })
            .await
        }
    }
}

/// The logo (versioned URL, so it may be cached for good).
pub async fn logo(State(state): State<AppState>, PagePath(id): PagePath<String>) -> PageResult<Response> {
    let (bytes, _) = state.cards.logo(&id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        bytes,
    )
        .into_response())
}

// ---- Info Counter dock ---------------------------------------------------------

#[derive(Template)]
#[template(path = "cards/counter.html")]
struct CounterView<'a> {
    ctx: &'a Ctx,
    card: Card,
    room: RoomRecord,
    admission: Option<Admission>,
    back: String,
    /// The page shown beside the call.
    at: String,
    config: String,
}

#[derive(Template)]
#[template(path = "cards/counter_closed.html")]
struct CounterClosed<'a> {
    ctx: &'a Ctx,
    card: Card,
}

#[derive(Deserialize, Default)]
pub struct CounterParams {
    #[serde(default)]
    at: String,
}

/// A path on this site (never `//host` or a scheme).
fn local_path(p: &str, fallback: &str) -> String {
    if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') && !p.contains("/counter") {
        p.to_string()
    } else {
        fallback.to_string()
    }
}

/// The Info Counter: the call lives in this page's dock while the visitor
/// browses the platform in the frame beside it, until they hang up.
pub async fn counter(
    State(state): State<AppState>,
    ctx: Ctx,
    PagePath(id): PagePath<String>,
    PageQuery(p): PageQuery<CounterParams>,
) -> PageResult<Response> {
    // Signed-in people know who they are (their ticket comes with the
    // page); guests type a name first.
    let entry = state.cards.counter_entry(ctx.user.as_ref(), &id).await?;
    let card = entry.card;
    if !entry.open {
        let mut r = render(&CounterClosed { ctx: &ctx, card });
        *r.status_mut() = StatusCode::CONFLICT;
        return Ok(r);
    }
    let back = format!("/cards/{}", card.public_id);
    let config = super::meetings::script_config(&state, ctx.lang, "counter");
    Ok(render(&CounterView {
        ctx: &ctx,
        at: local_path(&p.at, &back),
        card,
        room: entry.room,
        admission: entry.admission,
        back,
        config,
    }))
}

/// The card's public data as the edit form starts.
fn card_form(card: &Card) -> FormState {
    let mut f = FormState::default();
    f.set("name", &card.name);
    f.set("description", &card.description);
    f.set("phone", &card.phone);
    f.set("website", &card.website);
    f.set("street", &card.street);
    f.set("postal_code", &card.postal_code);
    f.set("city", &card.city);
    f.set("topics", &card.topics.join(", "));
    f
}

// ---- back office ---------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct OfficeParams {
    #[serde(default)]
    tab: String,
    #[serde(default)]
    q: String,
}

pub struct RequestRow {
    pub r: CardRequest,
    pub created: String,
    pub preferred: Option<String>,
    pub done_at: Option<String>,
    pub share_note: String,
}

pub struct HistoryRow {
    pub e: HistoryEntry,
    pub at: String,
}

#[derive(Template)]
#[template(path = "cards/office.html")]
struct OfficeView<'a> {
    ctx: &'a Ctx,
    card: Card,
    tab: String,
    me: UserId,
    open_requests: usize,
    requests: Vec<RequestRow>,
    team: Vec<TeamMember>,
    history: Vec<HistoryRow>,
    form: FormState,
    q: String,
    found: Vec<Person>,
    search_error: Option<String>,
    counter_open: bool,
}

impl OfficeView<'_> {
    fn is_member(&self, id: &UserId) -> bool {
        self.team.iter().any(|t| t.user_id == *id)
    }
    /// The card form posts to the back office, not to a maintenance link.
    fn maintenance_token(&self) -> Option<&str> {
        None
    }
}

async fn office_page(
    state: &AppState,
    ctx: &Ctx,
    user: &User,
    id: &str,
    tab: &str,
    q: &str,
    form: Option<FormState>,
) -> PageResult<Response> {
    let BackOffice {
        card,
        team,
        requests,
        counter_open,
    } = state.cards.back_office(user, id).await?;
    let tab = match tab {
        "team" | "card" | "history" => tab,
        _ => "requests",
    };
    let open_requests = requests.iter().filter(|r| r.status == "open").count();
    let requests = requests
        .into_iter()
        .map(|r| RequestRow {
            created: format_time(r.created_at, ctx.lang),
            preferred: r.preferred_at.map(|t| format_time(kernel::Timestamp(t), ctx.lang)),
            done_at: r.done_at.map(|t| format_time(kernel::Timestamp(t), ctx.lang)),
            share_note: kernel::tr_args(
                ctx.lang,
                &format!("cards.office.share_note_{}", r.kind.as_str()),
                &[("name", &r.name)],
            ),
            r,
        })
        .collect();
    let history = if tab == "history" {
        state
            .cards
            .history(user, id)
            .await?
            .into_iter()
            .map(|e| HistoryRow {
                at: format_time(e.at, ctx.lang),
                e,
            })
            .collect()
    } else {
        Vec::new()
    };
    let form = form.unwrap_or_else(|| card_form(&card));
    let (mut found, mut search_error) = (Vec::new(), None);
    if tab == "team" && !q.trim().is_empty() {
        match state.cards.network().search(user, q, 20).await {
            Ok(people) => found = people,
            Err(e) if !e.field_errors().is_empty() => search_error = Some(super::error_text(ctx, &e)),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(render(&OfficeView {
        ctx,
        me: user.id,
        tab: tab.to_string(),
        card,
        open_requests,
        requests,
        team,
        history,
        form,
        q: q.to_string(),
        found,
        search_error,
        counter_open,
    }))
}

pub async fn office(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    PagePath(id): PagePath<String>,
    PageQuery(p): PageQuery<OfficeParams>,
) -> PageResult<Response> {
    office_page(&state, &ctx, &user, &id, &p.tab, &p.q, None).await
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    done: String,
}

pub async fn set_request(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    jar: CookieJar,
    PagePath((id, request)): PagePath<(String, i64)>,
    form: CsrfForm<StatusForm>,
) -> PageResult<Response> {
    let done_now = form.data.done == "true";
    state.cards.set_request_done(&user, &id, request, done_now).await?;
    let flash = if done_now {
        "card_request_done"
    } else {
        "card_request_reopened"
    };
    done(jar, flash, &format!("/cards/{id}/office"))
}

pub async fn requests_csv(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    PagePath(id): PagePath<String>,
) -> PageResult<Response> {
    let bytes = state.cards.requests_csv(&user, &id, ctx.lang).await?;
    Ok(crate::csv_download(&format!("anfragen-{id}.csv"), bytes).into_response())
}

#[derive(Deserialize)]
pub struct MemberForm {
    user_id: i64,
}

pub async fn add_member(
    State(state): State<AppState>,
    jar: CookieJar,
    PageUser(user): PageUser,
    PagePath(id): PagePath<String>,
    form: CsrfForm<MemberForm>,
) -> PageResult<Response> {
    state.cards.add_member(&user, &id, UserId(form.data.user_id)).await?;
    done(jar, "card_member_added", &format!("/cards/{id}/office?tab=team"))
}

pub async fn remove_member(
    State(state): State<AppState>,
    jar: CookieJar,
    PageUser(user): PageUser,
    PagePath((id, member)): PagePath<(String, i64)>,
    _form: CsrfForm<NoFields>,
) -> PageResult<Response> {
    state.cards.remove_member(&user, &id, UserId(member)).await?;
    let to = if member == user.id.0 {
        "/cards".to_string()
    } else {
        format!("/cards/{id}/office?tab=team")
    };
    done(jar, "card_member_removed", &to)
}

pub async fn standby_off(
    State(state): State<AppState>,
    jar: CookieJar,
    PageUser(user): PageUser,
    PagePath((id, member)): PagePath<(String, i64)>,
    _form: CsrfForm<NoFields>,
) -> PageResult<Response> {
    state.cards.standby_off(&user, &id, UserId(member)).await?;
    done(jar, "card_standby_off", &format!("/cards/{id}/office?tab=team"))
}

#[derive(Deserialize)]
pub struct CardForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    website: String,
    #[serde(default)]
    street: String,
    #[serde(default)]
    postal_code: String,
    #[serde(default)]
    city: String,
    #[serde(default)]
    topics: String,
}

impl CardForm {
    fn input(&self) -> CardInput {
        CardInput {
            name: self.name.clone(),
            description: self.description.clone(),
            phone: self.phone.clone(),
            website: self.website.clone(),
            street: self.street.clone(),
            postal_code: self.postal_code.clone(),
            city: self.city.clone(),
            topics: self.topics.clone(),
        }
    }
}

pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    jar: CookieJar,
    PageUser(user): PageUser,
    PagePath(id): PagePath<String>,
    form: CsrfForm<CardForm>,
) -> PageResult<Response> {
    match state.cards.update(&user, &id, &form.data.input()).await {
        Ok(_) => done(jar, "card_saved", &format!("/cards/{id}/office?tab=card")),
        Err(e) => {
            form_again(e, form.raw, ctx.lang, |fs| {
                office_page(&state, &ctx, &user, &id, "card", "", Some(fs))
            })
            .await
        }
    }
}

pub async fn set_logo(
    State(state): State<AppState>,
    ctx: Ctx,
    jar: CookieJar,
    PageUser(user): PageUser,
    PagePath(id): PagePath<String>,
    multipart: Multipart,
) -> PageResult<Response> {
    let bytes = Upload::read(&ctx, multipart).await?.bytes;
    match state.cards.set_logo(&user, &id, &bytes).await {
        Ok(()) => done(jar, "card_logo_saved", &format!("/cards/{id}/office?tab=card")),
        Err(e) => {
            form_again(e, Default::default(), ctx.lang, |fs| {
                office_page(&state, &ctx, &user, &id, "card", "", Some(fs))
            })
            .await
        }
    }
}

pub async fn rotate_link(
    State(state): State<AppState>,
    jar: CookieJar,
    PageUser(user): PageUser,
    PagePath(id): PagePath<String>,
    _form: CsrfForm<NoFields>,
) -> PageResult<Response> {
    state.cards.rotate_link(&user, &id).await?;
    done(jar, "card_link_rotated", &format!("/cards/{id}/office?tab=card"))
}

// ---- maintenance link ------------------------------------------------------------

#[derive(Template)]
#[template(path = "cards/maintain.html")]
struct MaintainView<'a> {
    ctx: &'a Ctx,
    card: Card,
    token: String,
    form: FormState,
}

impl MaintainView<'_> {
    fn maintenance_token(&self) -> Option<&str> {
        Some(&self.token)
    }
}

async fn maintain_page(state: &AppState, ctx: &Ctx, token: &str, form: Option<FormState>) -> PageResult<Response> {
    let card = state.cards.by_link(token).await?;
    let form = form.unwrap_or_else(|| card_form(&card));
    let mut r = render(&MaintainView {
        ctx,
        card,
        token: token.to_string(),
        form,
    });
    // The secret is in the path: never leak it to other sites.
    r.headers_mut()
        .insert(header::REFERRER_POLICY, header::HeaderValue::from_static("no-referrer"));
    Ok(r)
}

pub async fn maintain(
    State(state): State<AppState>,
    ctx: Ctx,
    PagePath(token): PagePath<String>,
) -> PageResult<Response> {
    maintain_page(&state, &ctx, &token, None).await
}

pub async fn maintain_save(
    State(state): State<AppState>,
    ctx: Ctx,
    jar: CookieJar,
    PagePath(token): PagePath<String>,
    form: CsrfForm<CardForm>,
) -> PageResult<Response> {
    match state.cards.update_by_link(&token, &form.data.input()).await {
        Ok(_) => done(jar, "card_saved", &format!("/maintain/{token}")),
        Err(e) => {
            form_again(e, form.raw, ctx.lang, |fs| {
                maintain_page(&state, &ctx, &token, Some(fs))
            })
            .await
        }
    }
}

pub async fn maintain_logo(
    State(state): State<AppState>,
    ctx: Ctx,
    jar: CookieJar,
    PagePath(token): PagePath<String>,
    multipart: Multipart,
) -> PageResult<Response> {
    let bytes = Upload::read(&ctx, multipart).await?.bytes;
    match state.cards.logo_by_link(&token, &bytes).await {
        Ok(()) => done(jar, "card_logo_saved", &format!("/maintain/{token}")),
        Err(e) => {
            form_again(e, Default::default(), ctx.lang, |fs| {
                maintain_page(&state, &ctx, &token, Some(fs))
            })
            .await
        }
    }
}

// ---- operator ----------------------------------------------------------------------

#[derive(Template)]
#[template(path = "cards/operator.html")]
struct OperatorView<'a> {
    ctx: &'a Ctx,
    form: FormState,
    cards: Vec<Card>,
    total: i64,
}

async fn operator_page(state: &AppState, ctx: &Ctx, form: FormState) -> PageResult<Response> {
    let page = state.cards.directory("", None, 1).await?;
    Ok(render(&OperatorView {
        ctx,
        form,
        cards: page.cards,
        total: page.total,
    }))
}

pub async fn operator(State(state): State<AppState>, ctx: Ctx, PageOperator(_): PageOperator) -> PageResult<Response> {
    operator_page(&state, &ctx, FormState::default()).await
}

#[derive(Deserialize)]
pub struct NewCardForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    contact_email: String,
    #[serde(default)]
    topics: String,
    #[serde(default)]
    city: String,
}

pub async fn operator_create(
    State(state): State<AppState>,
    ctx: Ctx,
    jar: CookieJar,
    PageOperator(user): PageOperator,
    form: CsrfForm<NewCardForm>,
) -> PageResult<Response> {
    let f = &form.data;
    let input = NewCardInput {
        card: CardInput {
            name: f.name.clone(),
            topics: f.topics.clone(),
            city: f.city.clone(),
            ..Default::default()
        },
        contact_email: f.contact_email.clone(),
    };
    match state.cards.create(&user, &input).await {
        Ok(card) => done_with(jar, "card_created", &card.name, "/operator/cards"),
        Err(e) => form_again(e, form.raw, ctx.lang, |fs| operator_page(&state, &ctx, fs)).await,
    }
}
