-- Realtime rooms: the shared engine of the info counter, conference rooms
-- and sessions. A room's live state (who is here, who waits) is in
-- memory; what must outlast a restart is here: the room, its rules, lock
-- and end, its chat, and the key that signs join grants.

CREATE TABLE rooms (
    id {{id}},
    -- random, used in URLs and grants
    public_id TEXT NOT NULL UNIQUE,
    -- the feature that owns it: 'meeting' (ad-hoc), later 'counter', 'conference', 'session'
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    owner_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
    max_members BIGINT NOT NULL,
    wait_for_host BIGINT NOT NULL DEFAULT 0,
    end_if_nobody_joins_ms BIGINT,
    locked BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    -- first arrival of someone other than the host (for the lifetime rule)
    joined_at BIGINT,
    ended_at BIGINT
);
CREATE INDEX rooms_owner ON rooms(owner_id, created_at);

CREATE TABLE room_messages (
    room_id BIGINT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
    -- the room's own numbering, as sent to clients
    seq BIGINT NOT NULL,
    member_id TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    body TEXT NOT NULL,
    sent_at BIGINT NOT NULL,
    PRIMARY KEY (room_id, seq)
);

-- Installation-wide secrets, created on first use and shared by all nodes.
CREATE TABLE server_keys (
    name TEXT PRIMARY KEY,
    secret TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
