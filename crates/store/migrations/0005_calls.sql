-- Virtual secretary, agent side: service numbers, API tokens for
-- telephone systems, calls and their (immutable) notes.

CREATE TABLE service_numbers (
    number TEXT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL
);
CREATE INDEX service_numbers_account ON service_numbers(account_id);

CREATE TABLE api_tokens (
    id {{id}},
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);

CREATE TABLE calls (
    id {{id}},
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    service_number TEXT NOT NULL,
    -- E.164, '' when withheld
    caller_id TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    -- 'api' or 'console'
    source TEXT NOT NULL,
    -- 'queued', 'claimed' or 'done'
    status TEXT NOT NULL,
    agent_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
    agent_name TEXT NOT NULL DEFAULT '',
    claimed_at BIGINT,
    closed_at BIGINT,
    employee_id BIGINT REFERENCES employees(id) ON DELETE SET NULL,
    employee_name TEXT NOT NULL DEFAULT '',
    -- 'connected' or 'message' once done
    outcome TEXT,
    vip BIGINT NOT NULL DEFAULT 0,
    caller_name TEXT NOT NULL DEFAULT '',
    summary TEXT NOT NULL DEFAULT '',
    -- the latest note (a correction replaces it here; notes never change)
    note_id BIGINT
);
-- Serves the statistics (outcome, employee_id: counted from the index
-- alone) and the newest-first call list (received_at, id backwards).
CREATE INDEX calls_account_time ON calls(account_id, status, received_at, id, outcome, employee_id);
CREATE INDEX calls_open ON calls(status, received_at);

CREATE TABLE call_notes (
    id {{id}},
    call_id BIGINT NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    corrects_id BIGINT REFERENCES call_notes(id),
    created_at BIGINT NOT NULL,
    agent_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
    agent_name TEXT NOT NULL,
    employee_id BIGINT REFERENCES employees(id) ON DELETE SET NULL,
    employee_name TEXT NOT NULL,
    outcome TEXT NOT NULL,
    connected_to TEXT NOT NULL DEFAULT '',
    caller_name TEXT NOT NULL,
    company TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    concern TEXT NOT NULL DEFAULT '',
    -- JSON array of {"label": "...", "value": "..."}
    extra TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX call_notes_call ON call_notes(call_id, id);

-- The newest change of an account's secretary data (every change writes
-- its audit record): agents' call screens cache the data per account and
-- compare this to know when to reload it.
CREATE INDEX audit_log_latest ON audit_log(account_id, id);

-- Onboarding: the customer confirmed the pre-filled settings.
ALTER TABLE secretary_settings ADD COLUMN confirmed_at BIGINT;
