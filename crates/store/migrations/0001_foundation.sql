-- Foundation: customer accounts, users, memberships, sessions, outbox.
-- Portable DDL: {{id}} and {{blob}} are filled per backend by migrate.rs.
-- Timestamps are BIGINT milliseconds since the epoch (UTC).

CREATE TABLE accounts (
    id {{id}},
    customer_number TEXT NOT NULL,
    postal_code TEXT NOT NULL,
    name TEXT NOT NULL,
    street TEXT NOT NULL DEFAULT '',
    city TEXT NOT NULL DEFAULT '',
    country TEXT NOT NULL DEFAULT 'DE',
    tariff TEXT NOT NULL DEFAULT '',
    contact_email TEXT,
    time_zone TEXT NOT NULL DEFAULT 'Europe/Berlin',
    status TEXT NOT NULL DEFAULT 'active',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT accounts_customer_number_key UNIQUE (customer_number)
);

CREATE TABLE users (
    id {{id}},
    email TEXT NOT NULL,
    email_normalized TEXT NOT NULL,
    password_hash TEXT,
    first_name TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL DEFAULT 'de',
    status TEXT NOT NULL DEFAULT 'active',
    platform_role TEXT,
    created_at BIGINT NOT NULL,
    last_login_at BIGINT,
    failed_logins BIGINT NOT NULL DEFAULT 0,
    locked_until BIGINT,
    CONSTRAINT users_email_key UNIQUE (email_normalized)
);

CREATE TABLE memberships (
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, user_id)
);
CREATE INDEX memberships_user ON memberships(user_id);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    user_agent TEXT NOT NULL DEFAULT '',
    ip TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE outbox (
    id {{id}},
    idempotency_key TEXT NOT NULL,
    channel TEXT NOT NULL,
    account_id BIGINT REFERENCES accounts(id) ON DELETE SET NULL,
    recipient TEXT NOT NULL,
    cc TEXT NOT NULL DEFAULT '',
    subject TEXT NOT NULL DEFAULT '',
    body_text TEXT NOT NULL,
    body_html TEXT,
    attachments TEXT NOT NULL DEFAULT '[]',
    status TEXT NOT NULL DEFAULT 'pending',
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    locked_until BIGINT,
    last_error TEXT,
    delivered_via TEXT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT,
    CONSTRAINT outbox_idempotency_key UNIQUE (idempotency_key)
);
CREATE INDEX outbox_due ON outbox(status, next_attempt_at);
CREATE INDEX outbox_usage ON outbox(account_id, channel, sent_at);
