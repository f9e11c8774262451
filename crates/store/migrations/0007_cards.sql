-- Company cards: public company profiles with their team, back office
-- (contact and meeting requests), history and maintenance link; person
-- profiles for networking; one-to-one chat with shares and notifications.

CREATE TABLE cards (
    id {{id}},
    -- random, used in URLs
    public_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    -- lower-case name: the directory's order
    sort_key TEXT {{bytewise}} NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    -- the responsible contact, lower case; the first user signing in with it is linked
    contact_email TEXT NOT NULL,
    phone TEXT NOT NULL DEFAULT '',
    website TEXT NOT NULL DEFAULT '',
    street TEXT NOT NULL DEFAULT '',
    postal_code TEXT NOT NULL DEFAULT '',
    city TEXT NOT NULL DEFAULT '',
    -- as shown, separated by commas
    topics TEXT NOT NULL DEFAULT '',
    logo {{blob}},
    logo_version BIGINT NOT NULL DEFAULT 0,
    -- the Info Counter's room
    counter_room_id BIGINT NOT NULL REFERENCES rooms(id),
    -- SHA-256 of the maintenance link's secret
    maintenance_hash TEXT NOT NULL,
    contact_linked_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX cards_sort ON cards(sort_key, id);
CREATE INDEX cards_contact ON cards(contact_email);
CREATE UNIQUE INDEX cards_maintenance ON cards(maintenance_hash);

-- Search terms of a card: lower-case words of name, topics and city (and
-- their umlaut-free spelling), prefix-searched; 't:<topic>' for the filter.
-- The card's sort key rides along, so a search sorts its matches from the
-- index alone and reads only the cards of the page shown.
CREATE TABLE card_terms (
    term TEXT {{bytewise}} NOT NULL,
    card_id BIGINT NOT NULL REFERENCES cards(id) ON DELETE CASCADE,
    sort_key TEXT {{bytewise}} NOT NULL,
    PRIMARY KEY (term, card_id)
);
CREATE INDEX card_terms_search ON card_terms(term, sort_key, card_id);
CREATE INDEX card_terms_card ON card_terms(card_id, term);

CREATE TABLE card_members (
    card_id BIGINT NOT NULL REFERENCES cards(id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    added_at BIGINT NOT NULL,
    added_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    PRIMARY KEY (card_id, user_id)
);
CREATE INDEX card_members_user ON card_members(user_id);

CREATE TABLE card_history (
    id {{id}},
    card_id BIGINT NOT NULL REFERENCES cards(id) ON DELETE CASCADE,
    at BIGINT NOT NULL,
    -- who did it: a user, or NULL (system, maintenance link)
    actor_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
    event TEXT NOT NULL,
    -- e.g. the person concerned
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX card_history_card ON card_history(card_id, id);

-- Contact requests ("register interest") and meeting requests of visitors.
CREATE TABLE card_requests (
    id {{id}},
    card_id BIGINT NOT NULL REFERENCES cards(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    company TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL DEFAULT '',
    preferred_at BIGINT,
    status TEXT NOT NULL DEFAULT 'open',
    created_at BIGINT NOT NULL,
    done_at BIGINT,
    done_by BIGINT REFERENCES users(id) ON DELETE SET NULL
);
CREATE INDEX card_requests_card ON card_requests(card_id, id);

-- A person's networking settings (no row: the defaults).
CREATE TABLE person_profiles (
    user_id BIGINT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    networking BIGINT NOT NULL DEFAULT 0,
    findable BIGINT NOT NULL DEFAULT 1,
    show_as_contact BIGINT NOT NULL DEFAULT 0,
    standby BIGINT NOT NULL DEFAULT 0,
    position TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL
);

-- Search terms of the people others can find (networking and findable on);
-- nobody else has rows here.
CREATE TABLE person_terms (
    term TEXT {{bytewise}} NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (term, user_id)
);
CREATE INDEX person_terms_user ON person_terms(user_id, term);

-- One-to-one chat. pair_key = '<smaller id>:<larger id>'.
CREATE TABLE chat_messages (
    id {{id}},
    pair_key TEXT NOT NULL,
    sender_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    recipient_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    body TEXT NOT NULL,
    -- a shared person ('person', user id) or card ('card', public id)
    share_kind TEXT,
    share_ref TEXT,
    created_at BIGINT NOT NULL,
    read_at BIGINT
);
CREATE INDEX chat_messages_pair ON chat_messages(pair_key, id);
CREATE INDEX chat_messages_unread ON chat_messages(recipient_id, read_at);

CREATE TABLE notifications (
    id {{id}},
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- 'message', 'share_received', 'share_sent'
    kind TEXT NOT NULL,
    message_id BIGINT NOT NULL REFERENCES chat_messages(id) ON DELETE CASCADE,
    -- the other person of the conversation
    other_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    read_at BIGINT
);
CREATE INDEX notifications_user ON notifications(user_id, read_at, id);
