//! Networking pages: person search and profiles, the chat (conversations,
//! one conversation, notifications), sharing a person or card with a
//! colleague, and the networking switches in the own profile.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use domain::cards::{Card, ChatMessage, Conversation, Notification, Person, ShareInput, ShareKind};
use kernel::UserId;
use serde::Deserialize;

use super::{done, format_time, render};
use crate::context::Ctx;
use crate::error::PageResult;
use crate::extract::{PagePath, PageQuery, PageUser};
use crate::forms::{CsrfForm, FormState};
use crate::pages::portal::form_again;
use crate::state::AppState;

#[derive(Deserialize, Default)]
pub struct SearchParams {
    #[serde(default)]
    q: String,
}

#[derive(Template)]
#[template(path = "network/people.html")]
struct PeopleView<'a> {
    ctx: &'a Ctx,
    q: String,
    networking: bool,
    found: Vec<Person>,
    error: Option<String>,
}

pub async fn people(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    PageQuery(p): PageQuery<SearchParams>,
) -> PageResult<Response> {
    let net = state.cards.network();
    let networking = net.settings(&user).await?.networking;
    let (mut found, mut error) = (Vec::new(), None);
    if networking && !p.q.trim().is_empty() {
        match net.search(&user, &p.q, 30).await {
            Ok(f) => found = f,
            Err(e) if !e.field_errors().is_empty() => error = Some(super::error_text(&ctx, &e)),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(render(&PeopleView {
        ctx: &ctx,
        q: p.q,
        networking,
        found,
        error,
    }))
}

#[derive(Template)]
#[template(path = "network/person.html")]
struct PersonView<'a> {
    ctx: &'a Ctx,
    p: Person,
    me: bool,
    cards: Vec<Card>,
}

pub async fn person(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    PagePath(id): PagePath<i64>,
) -> PageResult<Response> {
    let p = state.cards.network().person(&user, UserId(id)).await?;
    let cards = state.cards.contact_cards(p.user_id).await?;
    Ok(render(&PersonView {
        ctx: &ctx,
        me: p.user_id == user.id,
        p,
        cards,
    }))
}

// ---- chat ---------------------------------------------------------------------------

pub struct ConversationRow {
    pub c: Conversation,
    pub at: String,
}

pub struct NotificationRow {
    pub n: Notification,
    pub at: String,
}

#[derive(Template)]
#[template(path = "network/chats.html")]
struct ChatsView<'a> {
    ctx: &'a Ctx,
    conversations: Vec<ConversationRow>,
    notifications: Vec<NotificationRow>,
}

pub async fn chats(State(state): State<AppState>, ctx: Ctx, PageUser(user): PageUser) -> PageResult<Response> {
    let net = state.cards.network();
    let conversations = net
        .conversations(&user)
        .await?
        .into_iter()
        .map(|c| ConversationRow {
            at: format_time(c.last_at, ctx.lang),
            c,
        })
        .collect();
    let notifications = net
        .notifications(&user)
        .await?
        .into_iter()
        .take(20)
        .map(|n| NotificationRow {
            at: format_time(n.created_at, ctx.lang),
            n,
        })
        .collect();
    Ok(render(&ChatsView {
        ctx: &ctx,
        conversations,
        notifications,
    }))
}

pub struct MessageRow {
    pub m: ChatMessage,
    pub mine: bool,
    pub at: String,
}

#[derive(Template)]
#[template(path = "network/chat.html")]
struct ChatView<'a> {
    ctx: &'a Ctx,
    other: Person,
    messages: Vec<MessageRow>,
    form: FormState,
    last_id: i64,
}

async fn chat_page(
    state: &AppState,
    ctx: &Ctx,
    user: &domain::identity::User,
    other: i64,
    form: FormState,
) -> PageResult<Response> {
    let (other, messages) = state.cards.network().conversation(user, UserId(other), 0).await?;
    let last_id = messages.last().map(|m| m.id).unwrap_or(0);
    let messages = messages
        .into_iter()
        .map(|m| MessageRow {
            mine: m.sender_id == user.id,
            at: format_time(m.created_at, ctx.lang),
            m,
        })
        .collect();
    Ok(render(&ChatView {
        ctx,
        other,
        messages,
        form,
        last_id,
    }))
}

pub async fn chat(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    PagePath(other): PagePath<i64>,
) -> PageResult<Response> {
    chat_page(&state, &ctx, &user, other, FormState::default()).await
}

#[derive(Deserialize)]
pub struct SendForm {
    #[serde(default)]
    text: String,
}

pub async fn send(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    PagePath(other): PagePath<i64>,
    form: CsrfForm<SendForm>,
) -> PageResult<Response> {
    match state.cards.network().send(&user, UserId(other), &form.data.text).await {
        Ok(_) => Ok(Redirect::to(&format!("/chat/{other}#end")).into_response()),
        Err(e) => form_again(e, form.raw, ctx.lang, |fs| chat_page(&state, &ctx, &user, other, fs)).await,
    }
}

// ---- share ---------------------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct ShareParams {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    reference: String,
    #[serde(default)]
    note: String,
}

#[derive(Template)]
#[template(path = "network/share.html")]
struct ShareView<'a> {
    ctx: &'a Ctx,
    kind: String,
    reference: String,
    title: String,
    colleagues: Vec<Person>,
    form: FormState,
}

async fn share_page(
    state: &AppState,
    ctx: &Ctx,
    user: &domain::identity::User,
    kind: &str,
    reference: &str,
    form: FormState,
) -> PageResult<Response> {
    let title = match ShareKind::parse(kind) {
        Some(ShareKind::Card) => state.cards.card(reference).await?.name,
        Some(ShareKind::Person) => {
            let id = reference
                .parse()
                .map_err(|_| kernel::DomainError::not_found("person"))?;
            state.cards.network().person(user, UserId(id)).await?.name
        }
        None => return Err(kernel::DomainError::not_found("share").into()),
    };
    let mut colleagues = state.cards.network().colleagues(user).await?;
    for c in state.cards.network().conversations(user).await? {
        if !colleagues.iter().any(|p| p.user_id == c.other_id) {
            colleagues.push(Person {
                user_id: c.other_id,
                name: c.other_name,
                position: String::new(),
                settings: Default::default(),
            });
        }
    }
    Ok(render(&ShareView {
        ctx,
        kind: kind.to_string(),
        reference: reference.to_string(),
        title,
        colleagues,
        form,
    }))
}

pub async fn share_form(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    PageQuery(p): PageQuery<ShareParams>,
) -> PageResult<Response> {
    let mut form = FormState::default();
    form.set("note", &p.note);
    share_page(&state, &ctx, &user, &p.kind, &p.reference, form).await
}

#[derive(Deserialize)]
pub struct ShareForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    reference: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    note: String,
}

pub async fn share(
    State(state): State<AppState>,
    ctx: Ctx,
    jar: CookieJar,
    PageUser(user): PageUser,
    form: CsrfForm<ShareForm>,
) -> PageResult<Response> {
    let f = &form.data;
    let result = match (ShareKind::parse(&f.kind), f.to.parse::<i64>()) {
        (Some(kind), Ok(to)) => {
            let input = ShareInput {
                to,
                kind,
                reference: f.reference.clone(),
                note: f.note.clone(),
            };
            state.cards.network().share(&user, &input).await.map(|_| to)
        }
        (_, Err(_)) => Err(kernel::DomainError::validation("to", "required")),
        (None, _) => Err(kernel::DomainError::not_found("share")),
    };
    match result {
        Ok(to) => done(jar, "shared", &format!("/chat/{to}")),
        Err(e) => {
            form_again(e, form.raw, ctx.lang, |fs| {
                share_page(&state, &ctx, &user, &f.kind, &f.reference, fs)
            })
            .await
        }
    }
}
