//! The room engine: rooms in memory on this node, fed by WebSocket
//! connections. It checks join grants, runs each room's rules
//! ([`Room`]), publishes the resulting frames through the [`RoomBus`],
//! writes chat, lock and end behind the live room (batched, in order),
//! lets a dropped connection come back within a grace period, and ends
//! rooms whose lifetime rule ran out.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kernel::{Clock, DomainError, DomainResult, Timestamp};
use tokio::sync::{mpsc, oneshot, OnceCell};

use super::bus::{Conn, ConnId, Frame, RoomBus, CONNECTION_QUEUE};
use super::grant::{Grant, GrantKey, GRANT_TTL_MS};
use super::model::{RoomRecord, RoomStore, RoomWrite};
use super::protocol::{self, ClientMessage, EndReason, ErrorCode, LeaveReason, MemberView, ServerMessage};
use super::room::{Out, Room, HISTORY};
use super::MemberId;
use crate::token::new_token;

/// Engine settings.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// How long a member whose connection dropped keeps their place.
    pub grace: Duration,
    /// How often lifetime rules are checked.
    pub sweep: Duration,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            grace: Duration::from_secs(15),
            sweep: Duration::from_secs(1),
        }
    }
}

enum WriterMsg {
    Write(RoomWrite),
    /// Answered once everything sent before it is stored.
    Flush(oneshot::Sender<()>),
}

/// One live room on this node.
struct Cell {
    record: RoomRecord,
    state: Mutex<CellState>,
}

struct CellState {
    room: Room,
    /// Each member's current connection.
    conns: HashMap<MemberId, ConnId>,
    /// Taken out of the engine's map (empty or ended); a join that still
    /// holds it looks the room up again.
    unloaded: bool,
}

type Slot = Arc<OnceCell<Arc<Cell>>>;

struct Inner {
    store: Arc<dyn RoomStore>,
    bus: Arc<dyn RoomBus>,
    clock: Arc<dyn Clock>,
    config: EngineConfig,
    key: OnceCell<GrantKey>,
    cells: Mutex<HashMap<String, Slot>>,
    writes: mpsc::UnboundedSender<WriterMsg>,
    writer: Mutex<Option<mpsc::UnboundedReceiver<WriterMsg>>>,
    writer_running: std::sync::atomic::AtomicBool,
}

/// A member's connection to a room, as the transport holds it.
pub struct Connection {
    pub room: String,
    pub member: MemberId,
    pub id: ConnId,
    /// Frames to send to this client, in order; closed when the member
    /// left, was removed, the room ended or a newer connection took over.
    pub frames: mpsc::Receiver<Frame>,
    cell: Arc<Cell>,
}

/// How many are in a room and waiting, and whether it is locked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct LiveRoom {
    pub present: usize,
    pub waiting: usize,
    pub locked: bool,
}

/// Shared handle to the engine; cheap to clone.
#[derive(Clone)]
pub struct RoomEngine {
    inner: Arc<Inner>,
}

fn frame(msg: &ServerMessage) -> Frame {
    serde_json::to_string(msg).expect("server messages serialize").into()
}

/// The error frame for a refusal, for the transport to send.
pub fn error_frame(code: ErrorCode) -> Frame {
    frame(&code.frame())
}

impl RoomEngine {
    pub fn new(store: Arc<dyn RoomStore>, bus: Arc<dyn RoomBus>, clock: Arc<dyn Clock>, config: EngineConfig) -> Self {
        let (writes, rx) = mpsc::unbounded_channel();
        RoomEngine {
            inner: Arc::new(Inner {
                store,
                bus,
                clock,
                config,
                key: OnceCell::new(),
                cells: Mutex::new(HashMap::new()),
                writes,
                writer: Mutex::new(Some(rx)),
                writer_running: false.into(),
            }),
        }
    }

    fn now(&self) -> i64 {
        self.inner.clock.now().millis()
    }

    async fn key(&self) -> DomainResult<&GrantKey> {
        self.inner
            .key
            .get_or_try_init(|| async {
                let secret = self
                    .inner
                    .store
                    .server_key("room_grants", &new_token(), self.inner.clock.now())
                    .await?;
                Ok::<_, DomainError>(GrantKey::new(secret.as_bytes()))
            })
            .await
    }

    /// Signs a grant for `member` to enter `room` as `role`; features call
    /// this once they have checked who may enter.
    pub async fn grant(
        &self,
        room: &RoomRecord,
        member: MemberId,
        name: &str,
        role: super::Role,
    ) -> DomainResult<String> {
        let grant = Grant {
            room: room.public_id.clone(),
            member,
            name: name.to_string(),
            role,
            expires: self.now() + GRANT_TTL_MS,
        };
        Ok(self.key().await?.sign(&grant))
    }

    /// The secret of a room's invitation link (derived, not stored).
    pub async fn invite_code(&self, public_id: &str) -> DomainResult<String> {
        Ok(self.key().await?.derive(&format!("invite:{public_id}")))
    }

    /// Ends a room for everyone (as the host's `end` would), whether or not
    /// it is live on this node.
    pub async fn end_room(&self, room: &RoomRecord) {
        self.end_room_because(room, EndReason::Host).await
    }

    /// Ends a room for everyone, telling them why (`ended` frame).
    pub async fn end_room_because(&self, room: &RoomRecord, reason: EndReason) {
        let now = self.now();
        let live = self
            .inner
            .cells
            .lock()
            .unwrap()
            .get(&room.public_id)
            .and_then(|s| s.get().cloned());
        if let Some(cell) = live {
            let mut state = cell.state.lock().unwrap();
            if !state.unloaded {
                let out = state.room.end(reason);
                self.end(&cell, &mut state, out, now);
                return;
            }
        }
        self.write(RoomWrite::Ended {
            room: room.id,
            at: Timestamp(now),
        });
        self.flush().await;
    }

    fn write(&self, w: RoomWrite) {
        // Without a running writer (CLI commands) nothing is written, and
        // nothing writes: only live rooms produce writes.
        let _ = self.inner.writes.send(WriterMsg::Write(w));
    }

    /// Waits until every write queued so far is stored.
    pub async fn flush(&self) {
        if !self.inner.writer_running.load(std::sync::atomic::Ordering::Acquire) {
            return;
        }
        let (tx, rx) = oneshot::channel();
        if self.inner.writes.send(WriterMsg::Flush(tx)).is_ok() {
            let _ = rx.await;
        }
    }

    /// Loads a room into memory (once, however many join at the same time).
    async fn cell(&self, public_id: &str) -> Result<Arc<Cell>, ErrorCode> {
        let slot = {
            let mut cells = self.inner.cells.lock().unwrap();
            cells.entry(public_id.to_string()).or_default().clone()
        };
        let cell = slot
            .get_or_try_init(|| async {
                self.flush().await;
                let store = &self.inner.store;
                let record = store
                    .room(public_id)
                    .await
                    .ok()
                    .flatten()
                    .filter(|r| r.ended_at.is_none())
                    .ok_or(ErrorCode::RoomEnded)?;
                let history = store.chat_history(record.id, HISTORY).await.map_err(|e| {
                    tracing::error!(error = %e, "loading room chat");
                    ErrorCode::RoomEnded
                })?;
                let room = Room::new(record.rules(), record.created_at.millis())
                    .with_history(history)
                    .with_state(record.locked, record.joined_at.is_some());
                Ok::<_, ErrorCode>(Arc::new(Cell {
                    record,
                    state: Mutex::new(CellState {
                        room,
                        conns: HashMap::new(),
                        unloaded: false,
                    }),
                }))
            })
            .await;
        match cell {
            Ok(cell) => Ok(cell.clone()),
            Err(code) => {
                self.forget(public_id, &slot);
                Err(code)
            }
        }
    }

    /// Removes a room's slot from the map if it is still `slot`.
    fn forget(&self, public_id: &str, slot: &Slot) {
        let mut cells = self.inner.cells.lock().unwrap();
        if cells.get(public_id).is_some_and(|s| Arc::ptr_eq(s, slot)) {
            cells.remove(public_id);
        }
    }

    fn unload(&self, cell: &Arc<Cell>, state: &mut CellState) {
        state.unloaded = true;
        let mut cells = self.inner.cells.lock().unwrap();
        let same = cells
            .get(&cell.record.public_id)
            .and_then(|s| s.get())
            .is_some_and(|c| Arc::ptr_eq(c, cell));
        if same {
            cells.remove(&cell.record.public_id);
        }
    }

    /// Reads a room live on this node (`None` when it is not).
    fn read_live<T>(&self, public_id: &str, read: impl FnOnce(&Room) -> T) -> Option<T> {
        let cell = self
            .inner
            .cells
            .lock()
            .unwrap()
            .get(public_id)
            .and_then(|s| s.get().cloned())?;
        let state = cell.state.lock().unwrap();
        (!state.unloaded).then(|| read(&state.room))
    }

    /// The members present (not waiting) in a room live on this node.
    pub fn present(&self, public_id: &str) -> Vec<MemberId> {
        self.read_live(public_id, Room::present_ids).unwrap_or_default()
    }

    /// A room's live state on this node (nothing live: empty, unlocked).
    pub fn live(&self, public_id: &str) -> LiveRoom {
        self.read_live(public_id, |room| LiveRoom {
            present: room.present_ids().len(),
            waiting: room.waiting(),
            locked: room.is_locked(),
        })
        .unwrap_or_default()
    }

    /// Rooms live on this node, for monitoring and tests.
    pub fn live_rooms(&self) -> usize {
        self.inner.cells.lock().unwrap().len()
    }

    /// Publishes frames and records what must be stored.
    fn deliver(&self, cell: &Cell, state: &CellState, out: Out) {
        for (to, msg) in out {
            let recipients = state.room.recipients(&to);
            if recipients.is_empty() {
                continue;
            }
            match &msg {
                ServerMessage::Chat(line) => self.write(RoomWrite::Chat {
                    room: cell.record.id,
                    line: line.clone(),
                }),
                ServerMessage::Locked { locked } => self.write(RoomWrite::Locked {
                    room: cell.record.id,
                    locked: *locked,
                }),
                _ => {}
            }
            self.inner.bus.publish(&cell.record.public_id, &recipients, frame(&msg));
        }
    }

    /// Checks the grant and enters the room (or its waiting queue). The
    /// first frames (`welcome` or `waiting`) are already queued on the
    /// returned connection.
    pub async fn connect(&self, public_id: &str, token: &str) -> Result<Connection, ErrorCode> {
        let now = self.now();
        let key = self.key().await.map_err(|_| ErrorCode::Unauthorized)?;
        let grant = key
            .verify(token, now)
            .filter(|g| g.room == public_id)
            .ok_or(ErrorCode::Unauthorized)?;
        for _ in 0..3 {
            let cell = self.cell(public_id).await?;
            let mut state = cell.state.lock().unwrap();
            if state.unloaded {
                continue;
            }
            if let Some(out) = state.room.expire(now) {
                self.end(&cell, &mut state, out, now);
                return Err(ErrorCode::RoomEnded);
            }
            let joined_before = state.room.anyone_joined();
            let out = state.room.join(MemberView {
                id: grant.member.clone(),
                name: grant.name.clone(),
                role: grant.role,
                media: Default::default(),
            })?;
            if !joined_before && state.room.anyone_joined() {
                self.write(RoomWrite::Joined {
                    room: cell.record.id,
                    at: Timestamp(now),
                });
            }
            let (tx, frames) = mpsc::channel(CONNECTION_QUEUE);
            let id = ConnId::next();
            state.conns.insert(grant.member.clone(), id);
            self.inner.bus.attach(public_id, &grant.member, Conn { id, tx });
            self.deliver(&cell, &state, out);
            self.settle(&cell, &mut state, now);
            drop(state);
            return Ok(Connection {
                room: public_id.to_string(),
                member: grant.member,
                id,
                frames,
                cell,
            });
        }
        Err(ErrorCode::RoomEnded)
    }

    /// Handles one text frame from a connection; an error comes back as
    /// the frame to answer with.
    pub fn receive(&self, conn: &Connection, text: &str) -> Result<(), ErrorCode> {
        let msg = protocol::parse(text)?;
        let now = self.now();
        let cell = &conn.cell;
        let mut state = cell.state.lock().unwrap();
        if state.unloaded || state.conns.get(&conn.member) != Some(&conn.id) {
            return Err(ErrorCode::NotInRoom);
        }
        let removed = match &msg {
            ClientMessage::Remove { member } => Some(member.clone()),
            ClientMessage::Leave => Some(conn.member.clone()),
            _ => None,
        };
        let end = matches!(msg, ClientMessage::End);
        let out = state.room.handle(&conn.member, msg, now)?;
        if end {
            self.end(cell, &mut state, out, now);
            return Ok(());
        }
        self.deliver(cell, &state, out);
        if let Some(member) = removed {
            self.drop_member(cell, &mut state, &member);
        }
        if !state.unloaded {
            self.settle(cell, &mut state, now);
        }
        Ok(())
    }

    /// Closes a member's connection after they are out of the room.
    fn drop_member(&self, cell: &Arc<Cell>, state: &mut CellState, member: &MemberId) {
        if let Some(id) = state.conns.remove(member) {
            self.inner.bus.detach(&cell.record.public_id, member, id);
        }
        if state.room.is_empty() {
            if cell.record.permanent {
                // The conference is over when the last one left.
                self.write(RoomWrite::Reset { room: cell.record.id });
            }
            self.unload(cell, state);
        }
    }

    /// Applies the moderator-leave rule after a change; ends the
    /// conference when its countdown ran out.
    fn settle(&self, cell: &Arc<Cell>, state: &mut CellState, now: i64) {
        let out = state.room.host_rule(now);
        if state.room.is_ended() {
            self.end(cell, state, out, now);
        } else {
            self.deliver(cell, state, out);
        }
    }

    fn end(&self, cell: &Arc<Cell>, state: &mut CellState, out: Out, now: i64) {
        self.deliver(cell, state, out);
        // A permanent room only ends this conference: it is emptied and
        // starts afresh (unlocked, no chat) with the next arrival.
        self.write(if cell.record.permanent {
            RoomWrite::Reset { room: cell.record.id }
        } else {
            RoomWrite::Ended {
                room: cell.record.id,
                at: Timestamp(now),
            }
        });
        for (member, id) in state.conns.drain() {
            self.inner.bus.detach(&cell.record.public_id, &member, id);
        }
        self.unload(cell, state);
    }

    /// The socket is gone. The member keeps their place for the grace
    /// period; a reconnect with the same grant takes it back, otherwise
    /// they leave (`left` with reason `gone`).
    pub fn disconnect(&self, conn: Connection) {
        {
            let state = conn.cell.state.lock().unwrap();
            if state.unloaded || state.conns.get(&conn.member) != Some(&conn.id) {
                return;
            }
        }
        let engine = self.clone();
        let grace = self.inner.config.grace;
        tokio::spawn(async move {
            tokio::time::sleep(grace).await;
            let cell = conn.cell.clone();
            let mut state = cell.state.lock().unwrap();
            if state.unloaded || state.conns.get(&conn.member) != Some(&conn.id) {
                return;
            }
            let out = state.room.leave(&conn.member, LeaveReason::Gone);
            engine.deliver(&cell, &state, out);
            engine.drop_member(&cell, &mut state, &conn.member);
            if !state.unloaded {
                engine.settle(&cell, &mut state, engine.now());
            }
        });
    }

    /// Ends live rooms whose lifetime rule ran out.
    fn sweep(&self) {
        let now = self.now();
        let cells: Vec<Arc<Cell>> = {
            let cells = self.inner.cells.lock().unwrap();
            cells.values().filter_map(|s| s.get().cloned()).collect()
        };
        for cell in cells {
            if cell.record.end_if_nobody_joins_ms.is_none() && cell.record.host_leave_grace_ms.is_none() {
                continue;
            }
            let mut state = cell.state.lock().unwrap();
            if state.unloaded {
                continue;
            }
            if let Some(out) = state.room.expire(now) {
                self.end(&cell, &mut state, out, now);
            } else if state.room.host_countdown() {
                self.settle(&cell, &mut state, now);
            }
        }
    }

    /// Runs the writer and the lifetime sweep until `stop` resolves, then
    /// stores what is still queued.
    pub async fn run(&self, stop: impl std::future::Future<Output = ()>) {
        let Some(mut rx) = self.inner.writer.lock().unwrap().take() else {
            return;
        };
        self.inner
            .writer_running
            .store(true, std::sync::atomic::Ordering::Release);
        let mut sweep = tokio::time::interval(self.inner.config.sweep);
        tokio::pin!(stop);
        loop {
            tokio::select! {
                msg = rx.recv() => match msg {
                    Some(msg) => self.write_batch(msg, &mut rx).await,
                    None => break,
                },
                _ = sweep.tick() => self.sweep(),
                _ = &mut stop => break,
            }
        }
        while let Ok(msg) = rx.try_recv() {
            self.write_batch(msg, &mut rx).await;
        }
        self.inner
            .writer_running
            .store(false, std::sync::atomic::Ordering::Release);
    }

    /// Stores `first` and whatever else is queued, in one transaction.
    async fn write_batch(&self, first: WriterMsg, rx: &mut mpsc::UnboundedReceiver<WriterMsg>) {
        let mut writes = Vec::new();
        let mut flushed = Vec::new();
        let mut next = Some(first);
        while let Some(msg) = next.take() {
            match msg {
                WriterMsg::Write(w) => writes.push(w),
                WriterMsg::Flush(done) => flushed.push(done),
            }
            if writes.len() < 1000 {
                next = rx.try_recv().ok();
            }
        }
        if !writes.is_empty() {
            let mut attempt = 0;
            while let Err(e) = self.inner.store.apply(&writes).await {
                attempt += 1;
                tracing::error!(error = %e, attempt, "storing room chat/state");
                if attempt == 5 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(200 * attempt)).await;
            }
        }
        for done in flushed {
            let _ = done.send(());
        }
    }
}

/// Why a connection's frame queue closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    /// The member is out: left, removed, or the room ended.
    Finished,
    /// Another connection of the same member took over (a second tab).
    Replaced,
    /// It fell too far behind; the client should reconnect.
    TooSlow,
}

impl Connection {
    /// Why [`Connection::frames`] closed.
    pub fn closed(&self) -> Closed {
        let state = self.cell.state.lock().unwrap();
        if state.unloaded || !state.room.contains(&self.member) {
            Closed::Finished
        } else if state.conns.get(&self.member) == Some(&self.id) {
            Closed::TooSlow
        } else {
            Closed::Replaced
        }
    }
}
