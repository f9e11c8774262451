-- Failed-attempt counters for brute-force protection (login now, PIN entry
-- later). Keys are like "login:email:<sha256>" or "login:ip:<addr>".
CREATE TABLE throttle (
    key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    locked_until BIGINT
);
