-- Session planner (issue 9): planned entries with permanent session
-- numbers, spontaneous sessions, invitations, host reminders.

-- The operator books the planner for a customer account; without it the
-- account's users have a 14-day trial from their own creation.
ALTER TABLE accounts ADD COLUMN planner_licensed BIGINT NOT NULL DEFAULT 0;

-- One row per session number in use: a planner entry (kind 'planned',
-- kept until deleted) or a spontaneous session (kind 'spontaneous',
-- until it ends). The UNIQUE number is the reservation; deleting the row
-- releases it.
CREATE TABLE planner_sessions (
    id {{id}},
    number BIGINT NOT NULL,
    owner_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    room_id BIGINT NOT NULL REFERENCES rooms(id),
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    -- Planned entries: start instant (UTC ms), the zone it was entered
    -- in, length in minutes. NULL for spontaneous sessions.
    starts_at BIGINT,
    time_zone TEXT NOT NULL DEFAULT 'Europe/Berlin',
    duration_min BIGINT NOT NULL DEFAULT 60,
    phone_info BIGINT NOT NULL DEFAULT 0,
    -- Minutes before the start the host is reminded (NULL: no reminder).
    reminder_min BIGINT,
    -- When the reminder is due; NULL once sent (or when there is none).
    -- The scheduler reads only this index.
    remind_at BIGINT,
    reminded_at BIGINT,
    -- Spontaneous sessions: the number stops working at this instant
    -- unless a participant joined.
    expires_at BIGINT,
    -- Calendar identity: UID stays, SEQUENCE grows with every change of
    -- time (RFC 5545 3.8.7.4).
    uid TEXT NOT NULL,
    sequence BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT planner_sessions_number_key UNIQUE (number)
);
CREATE INDEX planner_sessions_owner ON planner_sessions(owner_id, starts_at);
CREATE INDEX planner_sessions_remind ON planner_sessions(remind_at);
CREATE INDEX planner_sessions_expires ON planner_sessions(expires_at);

-- Who was invited to an entry: each with a personal join link (its
-- token stored hashed) and the calendar copy they hold, so updates and
-- cancellations reach the same people.
CREATE TABLE planner_invitees (
    session_id BIGINT NOT NULL REFERENCES planner_sessions(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    email_normalized TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    invited_at BIGINT NOT NULL,
    PRIMARY KEY (session_id, email_normalized),
    CONSTRAINT planner_invitees_token UNIQUE (token_hash)
);
