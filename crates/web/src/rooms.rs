//! The room socket: `GET /api/v1/rooms/{id}/live`, one per browser tab
//! (docs/realtime-protocol.md). The first frame must be a `join` with a
//! grant; after that frames go to the room engine and the engine's frames
//! come back. Authentication is the grant, not cookies, so pages of other
//! sites (an embedded join widget) may connect too.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use domain::rooms::protocol::{parse_join, ErrorCode, MAX_FRAME_BYTES};
use domain::rooms::{error_frame, Closed, RoomEngine};

use crate::state::AppState;

/// Time a client has to send its `join`.
const JOIN_TIMEOUT: Duration = Duration::from_secs(10);
/// Keep-alive pings (proxies drop silent connections).
const PING_EVERY: Duration = Duration::from_secs(25);
/// Frames up to this size are read and answered with `frame_too_large`
/// when above [`MAX_FRAME_BYTES`]; larger ones end the connection.
const HARD_LIMIT: usize = 4 * MAX_FRAME_BYTES;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/rooms/{id}/live", get(live))
}

async fn live(State(state): State<AppState>, Path(room): Path<String>, ws: WebSocketUpgrade) -> Response {
    let engine = state.rooms.engine().clone();
    // Small buffers: most connections sit idle, and frames are small.
    ws.read_buffer_size(4096)
        .write_buffer_size(0)
        .max_message_size(HARD_LIMIT)
        .max_frame_size(HARD_LIMIT)
        .on_upgrade(move |socket| serve(socket, engine, room))
}

async fn send_error(socket: &mut WebSocket, code: ErrorCode) -> bool {
    socket
        .send(Message::Text(error_frame(code).as_ref().into()))
        .await
        .is_ok()
}

/// Close codes: 4401 no valid join, 4409 refused by the room (locked,
/// full, ended), 1000 the room let the member go (left, removed, ended),
/// 4000 another tab of the same member took over, 1013 too slow (the
/// client reconnects).
async fn close(mut socket: WebSocket, code: u16, reason: &'static str) {
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        })))
        .await;
}

async fn serve(mut socket: WebSocket, engine: RoomEngine, room: String) {
    let first = tokio::time::timeout(JOIN_TIMEOUT, socket.recv()).await;
    let grant = match first {
        Ok(Some(Ok(Message::Text(text)))) => parse_join(&text),
        Ok(Some(Ok(_))) => Err(ErrorCode::Unauthorized),
        _ => return,
    };
    let conn = match grant {
        Ok(grant) => engine.connect(&room, &grant).await,
        Err(code) => Err(code),
    };
    let mut conn = match conn {
        Ok(conn) => conn,
        Err(code) => {
            send_error(&mut socket, code).await;
            let close_code = if code == ErrorCode::Unauthorized { 4401 } else { 4409 };
            close(socket, close_code, "refused").await;
            return;
        }
    };
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    let finished_by_room = loop {
        tokio::select! {
            frame = conn.frames.recv() => match frame {
                Some(frame) => {
                    if socket.send(Message::Text(frame.as_ref().into())).await.is_err() {
                        break false;
                    }
                }
                None => break true,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    if let Err(code) = engine.receive(&conn, &text) {
                        if !send_error(&mut socket, code).await {
                            break false;
                        }
                    }
                }
                Some(Ok(Message::Binary(_))) => {
                    if !send_error(&mut socket, ErrorCode::Malformed).await {
                        break false;
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break false,
                Some(Ok(_)) => {}
            },
            _ = ping.tick() => {
                if socket.send(Message::Ping(Vec::new().into())).await.is_err() {
                    break false;
                }
            }
        }
    };
    if finished_by_room {
        let (code, reason) = match conn.closed() {
            Closed::Finished => (1000, "done"),
            Closed::Replaced => (4000, "replaced"),
            Closed::TooSlow => (1013, "too slow"),
        };
        close(socket, code, reason).await;
    }
    engine.disconnect(conn);
}
