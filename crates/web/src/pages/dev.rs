//! The development mailbox: messages kept locally because no SMTP server
//! or SMS gateway is configured. Only in dev mode.

use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use domain::outbox::OutboxMessage;
use kernel::MessageId;

use super::{render, MessageRow};
use crate::context::Ctx;
use crate::error::{PageError, PageResult, WebError};
use crate::extract::PagePath;
use crate::state::AppState;

fn require_dev(ctx: &Ctx) -> Result<(), PageError> {
    if ctx.dev_mode {
        Ok(())
    } else {
        Err(WebError::NotFound.into())
    }
}

#[derive(Template)]
#[template(path = "dev/mailbox.html")]
struct MailboxPage<'a> {
    ctx: &'a Ctx,
    messages: Vec<MessageRow>,
}

pub async fn mailbox(State(state): State<AppState>, ctx: Ctx) -> PageResult<Response> {
    require_dev(&ctx)?;
    let messages = state
        .outbox
        .list(None, 200)
        .await?
        .iter()
        .map(|m| MessageRow::new(m, ctx.lang, true))
        .collect();
    Ok(render(&MailboxPage { ctx: &ctx, messages }))
}

#[derive(Template)]
#[template(path = "dev/message.html")]
struct MessagePage<'a> {
    ctx: &'a Ctx,
    msg: OutboxMessage,
}

pub async fn message(State(state): State<AppState>, ctx: Ctx, PagePath(id): PagePath<i64>) -> PageResult<Response> {
    require_dev(&ctx)?;
    let msg = state.outbox.get(MessageId(id)).await?;
    Ok(render(&MessagePage { ctx: &ctx, msg }))
}

/// The HTML part alone, framed by the message page. Mail HTML uses inline
/// styles, so this response gets its own policy: styles yes, scripts no.
pub async fn message_html(
    State(state): State<AppState>,
    ctx: Ctx,
    PagePath(id): PagePath<i64>,
) -> PageResult<Response> {
    require_dev(&ctx)?;
    let msg = state.outbox.get(MessageId(id)).await?;
    let mut r = Html(msg.body_html.unwrap_or_default()).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("SAMEORIGIN"));
    Ok(r)
}
