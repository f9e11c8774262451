//! The pub/sub between a room and its members' connections. The room
//! engine publishes each frame once, addressed to member ids; the bus
//! delivers it to the connections of those members wherever they are
//! connected. [`LocalBus`] is the in-process implementation; a multi-node
//! backend implements the same trait (docs/realtime-protocol.md, "Several
//! nodes").

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

use super::MemberId;

/// A serialized server frame, shared by all its recipients.
pub type Frame = Arc<str>;

/// Frames a connection may have queued before it counts as too slow and
/// is dropped (its client reconnects and gets a fresh `welcome`).
pub const CONNECTION_QUEUE: usize = 1024;

/// One WebSocket's identity, distinct across reconnects of one member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConnId(pub u64);

impl ConnId {
    pub fn next() -> ConnId {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        ConnId(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

/// Where frames for one connection go.
#[derive(Debug, Clone)]
pub struct Conn {
    pub id: ConnId,
    pub tx: mpsc::Sender<Frame>,
}

/// Delivery of room frames to member connections.
pub trait RoomBus: Send + Sync {
    /// Delivers `frame` to each named member of `room` that has a connection.
    fn publish(&self, room: &str, to: &[MemberId], frame: Frame);
    /// Makes `conn` the member's connection, replacing (and so closing) an
    /// earlier one.
    fn attach(&self, room: &str, member: &MemberId, conn: Conn);
    /// Forgets the member's connection if it is still `conn`; its queue
    /// closes once drained, which ends the socket.
    fn detach(&self, room: &str, member: &MemberId, conn: ConnId);
}

/// Connections of this process, by room and member.
#[derive(Default)]
pub struct LocalBus {
    rooms: Mutex<HashMap<String, HashMap<MemberId, Conn>>>,
}

impl LocalBus {
    /// Open connections, for monitoring and benchmarks.
    pub fn connections(&self) -> usize {
        self.rooms.lock().unwrap().values().map(HashMap::len).sum()
    }
}

impl RoomBus for LocalBus {
    fn publish(&self, room: &str, to: &[MemberId], frame: Frame) {
        let mut rooms = self.rooms.lock().unwrap();
        let Some(members) = rooms.get_mut(room) else {
            return;
        };
        for id in to {
            let Some(conn) = members.get(id) else { continue };
            if let Err(mpsc::error::TrySendError::Full(_)) = conn.tx.try_send(frame.clone()) {
                // Too slow: drop it rather than buffer without bound.
                tracing::info!(room, member = %id.0, "dropping a connection that does not keep up");
                members.remove(id);
            }
        }
    }

    fn attach(&self, room: &str, member: &MemberId, conn: Conn) {
        let mut rooms = self.rooms.lock().unwrap();
        rooms.entry(room.to_string()).or_default().insert(member.clone(), conn);
    }

    fn detach(&self, room: &str, member: &MemberId, conn: ConnId) {
        let mut rooms = self.rooms.lock().unwrap();
        if let Some(members) = rooms.get_mut(room) {
            if members.get(member).is_some_and(|c| c.id == conn) {
                members.remove(member);
            }
            if members.is_empty() {
                rooms.remove(room);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> (Conn, mpsc::Receiver<Frame>) {
        let (tx, rx) = mpsc::channel(2);
        (Conn { id: ConnId::next(), tx }, rx)
    }

    #[test]
    fn delivers_to_named_members_of_the_room_only() {
        let bus = LocalBus::default();
        let a = MemberId("a".into());
        let b = MemberId("b".into());
        let (ca, mut ra) = conn();
        let (cb, mut rb) = conn();
        let (other, mut ro) = conn();
        bus.attach("r1", &a, ca);
        bus.attach("r1", &b, cb);
        bus.attach("r2", &a, other);
        bus.publish("r1", std::slice::from_ref(&a), "x".into());
        assert_eq!(ra.try_recv().unwrap().as_ref(), "x");
        assert!(rb.try_recv().is_err());
        assert!(ro.try_recv().is_err(), "same member id in another room");
    }

    #[test]
    fn replaced_or_slow_connections_are_closed() {
        let bus = LocalBus::default();
        let a = MemberId("a".into());
        let (first, mut r1) = conn();
        let first_id = first.id;
        bus.attach("r", &a, first);
        let (second, mut r2) = conn();
        bus.attach("r", &a, second);
        assert!(r1.try_recv().is_err());
        assert!(r1.is_closed(), "the replaced connection ends");
        bus.detach("r", &a, first_id);
        assert_eq!(bus.connections(), 1, "detaching an old connection keeps the new one");
        for _ in 0..3 {
            bus.publish("r", std::slice::from_ref(&a), "f".into());
        }
        assert_eq!(bus.connections(), 0, "a full queue drops the connection");
        assert_eq!(r2.try_recv().unwrap().as_ref(), "f");
    }
}
