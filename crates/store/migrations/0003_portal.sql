-- Customer portal: self-registration requests, single-use tokens, consents.

-- A self-registration from the first form until the user exists
-- (approved) or it is rejected. Holds the e-mail so nobody registers twice.
CREATE TABLE registrations (
    id {{id}},
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    email_normalized TEXT NOT NULL,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    language TEXT NOT NULL DEFAULT 'de',
    status TEXT NOT NULL,
    privacy_version TEXT NOT NULL,
    marketing_version TEXT,
    created_at BIGINT NOT NULL,
    confirmed_at BIGINT,
    decided_at BIGINT,
    decided_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    reject_reason TEXT,
    user_id BIGINT REFERENCES users(id) ON DELETE SET NULL
);
CREATE INDEX registrations_account ON registrations(account_id, status);
CREATE INDEX registrations_email ON registrations(email_normalized, status);

-- Links sent by e-mail. Only the SHA-256 of the token is stored.
CREATE TABLE tokens (
    token_hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    user_id BIGINT REFERENCES users(id) ON DELETE CASCADE,
    registration_id BIGINT REFERENCES registrations(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX tokens_user ON tokens(user_id, kind);
CREATE INDEX tokens_registration ON tokens(registration_id, kind);

-- What a person agreed to, when, and to which text version.
CREATE TABLE consents (
    id {{id}},
    user_id BIGINT REFERENCES users(id) ON DELETE CASCADE,
    registration_id BIGINT REFERENCES registrations(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    version TEXT NOT NULL,
    given_at BIGINT NOT NULL,
    withdrawn_at BIGINT
);
CREATE INDEX consents_user ON consents(user_id, kind);
