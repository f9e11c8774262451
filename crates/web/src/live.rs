//! Live updates over WebSockets: the agent console's queue and the
//! customer dashboard's newest calls. Events come from the call hub; a
//! socket that falls behind is told to reload (`resync`).

use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use domain::calls::CallEvent;
use kernel::{AccountId, DomainError};
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;

use crate::error::ApiResult;
use crate::extract::{ApiPath, ApiUser};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/agent/live", get(agent))
        .route("/api/v1/accounts/{id}/calls/live", get(account))
}

/// Browsers send cookies with cross-site WebSocket handshakes too; only
/// our own pages may open these sockets.
fn same_site(headers: &HeaderMap) -> ApiResult<()> {
    if crate::context::cross_site(headers) {
        return Err(DomainError::Forbidden.into());
    }
    Ok(())
}

/// Agents: first `{"type":"queue","calls":[…]}`, then every call event.
async fn agent(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> ApiResult<Response> {
    same_site(&headers)?;
    state.calls.queue(&user).await?;
    Ok(ws.on_upgrade(move |socket| async move {
        let snapshot = |state: AppState, user| async move {
            let calls = state.calls.queue(&user).await.unwrap_or_default();
            json!({"type": "queue", "calls": calls}).to_string()
        };
        pump(
            socket,
            state.clone(),
            |_| true,
            move || snapshot(state.clone(), user.clone()),
        )
        .await;
    }))
}

/// Members of the account: `{"type":"done","call":{…}}` for each finished call.
async fn account(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> ApiResult<Response> {
    same_site(&headers)?;
    let account = AccountId(id);
    state.calls.reader(&user, account).await?;
    Ok(ws.on_upgrade(move |socket| async move {
        let wanted = move |e: &CallEvent| matches!(e, CallEvent::Done { .. }) && e.call().account_id == account;
        pump(socket, state, wanted, || async { json!({"type": "hello"}).to_string() }).await;
    }))
}

fn frame(event: &CallEvent) -> String {
    serde_json::to_string(event).unwrap_or_default()
}

/// Sends the first frame, then the wanted events, pings every 25 s, and
/// ends when the client goes away.
async fn pump<F, S, Fut>(mut socket: WebSocket, state: AppState, wanted: F, first: S)
where
    F: Fn(&CallEvent) -> bool,
    S: Fn() -> Fut,
    Fut: std::future::Future<Output = String>,
{
    let mut events = state.hub.subscribe();
    if socket.send(Message::Text(first().await.into())).await.is_err() {
        return;
    }
    let mut ping = tokio::time::interval(Duration::from_secs(25));
    ping.tick().await;
    loop {
        tokio::select! {
            event = events.recv() => {
                let text = match event {
                    Ok(e) if wanted(&e) => frame(&e),
                    Ok(_) => continue,
                    Err(RecvError::Lagged(_)) => first().await,
                    Err(RecvError::Closed) => break,
                };
                if socket.send(Message::Text(text.into())).await.is_err() {
                    break;
                }
            }
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
            _ = ping.tick() => {
                if socket.send(Message::Ping(Vec::new().into())).await.is_err() {
                    break;
                }
            }
        }
    }
}
