-- Conference center (issue 8): one permanent personal room per customer,
-- reached by room number and PIN.

-- Rooms that outlive a conference (personal conference rooms): ending a
-- conference sends everyone out and resets lock and chat instead of
-- closing the room for good.
ALTER TABLE rooms ADD COLUMN permanent BIGINT NOT NULL DEFAULT 0;
-- After the last host left: NULL = the conference goes on; otherwise it
-- ends this many ms later unless a host comes back.
ALTER TABLE rooms ADD COLUMN host_leave_grace_ms BIGINT;

-- Every number ever handed out. The row outlives its user (user_id set
-- NULL on delete: a tombstone), so the primary key alone guarantees a
-- number is never given to anyone else.
CREATE TABLE conference_numbers (
    number BIGINT PRIMARY KEY,
    user_id BIGINT UNIQUE REFERENCES users(id) ON DELETE SET NULL,
    assigned_at BIGINT NOT NULL
);

CREATE TABLE conference_rooms (
    number BIGINT PRIMARY KEY REFERENCES conference_numbers(number),
    user_id BIGINT NOT NULL UNIQUE REFERENCES users(id) ON DELETE CASCADE,
    room_id BIGINT NOT NULL UNIQUE REFERENCES rooms(id),
    -- argon2id PHC strings sharing one salt (one hash computation checks
    -- an entered PIN against both). Until the owner sets the PINs the
    -- moderator hash is the access PIN from the welcome e-mail and there
    -- is no participant PIN.
    moderator_pin_hash TEXT NOT NULL,
    participant_pin_hash TEXT,
    pins_set_at BIGINT,
    created_at BIGINT NOT NULL
);

-- Info counters are permanent rooms too: one visitor's chat is not shown
-- to the next.
UPDATE rooms SET permanent = 1 WHERE kind = 'counter';
