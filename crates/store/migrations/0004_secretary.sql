-- Virtual secretary, customer side: settings, employees, appointments,
-- VIP callers, FAQ, pending CSV uploads and the audit log.

CREATE TABLE secretary_settings (
    account_id BIGINT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    greeting TEXT NOT NULL,
    instructions TEXT NOT NULL DEFAULT '',
    with_transfer BIGINT NOT NULL DEFAULT 0,
    -- JSON array of {"label": "...", "required": bool}
    query_fields TEXT NOT NULL DEFAULT '[]',
    updated_at BIGINT NOT NULL
);

CREATE TABLE employees (
    id {{id}},
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    -- Folded "last first" (see domain::secretary::sort_key), compared bytewise.
    sort_key TEXT {{bytewise}} NOT NULL,
    email TEXT NOT NULL,
    -- CC addresses, one per line
    cc TEXT NOT NULL DEFAULT '',
    position TEXT NOT NULL DEFAULT '',
    responsibility TEXT NOT NULL DEFAULT '',
    sms_enabled BIGINT NOT NULL DEFAULT 0,
    mobile TEXT,
    deputy_id BIGINT REFERENCES employees(id) ON DELETE SET NULL,
    extension TEXT NOT NULL DEFAULT '',
    wants_transfer BIGINT NOT NULL DEFAULT 0,
    vip_transfer BIGINT NOT NULL DEFAULT 0,
    vip_sms BIGINT NOT NULL DEFAULT 0,
    absence_info TEXT NOT NULL DEFAULT '',
    login_user_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT employees_email_unique UNIQUE (account_id, email)
);
CREATE INDEX employees_sort ON employees(account_id, sort_key, id);
CREATE INDEX employees_deputy ON employees(deputy_id);
CREATE INDEX employees_login ON employees(login_user_id);

CREATE TABLE appointments (
    id {{id}},
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    employee_id BIGINT NOT NULL REFERENCES employees(id) ON DELETE CASCADE,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    all_day BIGINT NOT NULL DEFAULT 0,
    text TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX appointments_employee ON appointments(employee_id, ends_at);

CREATE TABLE vips (
    id {{id}},
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    employee_id BIGINT REFERENCES employees(id) ON DELETE CASCADE,
    phone TEXT NOT NULL,
    name TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX vips_phone ON vips(account_id, phone);

CREATE TABLE faqs (
    id {{id}},
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL
);
CREATE INDEX faqs_account ON faqs(account_id, position);

-- A checked CSV file waiting for the admin's confirmation.
CREATE TABLE employee_uploads (
    id {{id}},
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    content TEXT NOT NULL,
    -- The employee list as it was at the preview (count, newest id, newest change).
    stamp TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE audit_log (
    id {{id}},
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    at BIGINT NOT NULL,
    actor_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
    actor_name TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_account ON audit_log(account_id, at);
