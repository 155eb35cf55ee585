-- The central server's schema, PostgreSQL edition (see server-sqlite for the same in SQLite).

CREATE TABLE officers (
    id          BIGSERIAL PRIMARY KEY,
    prefecture  TEXT NOT NULL,
    name        TEXT NOT NULL,
    -- SHA-256 of the bearer token, hex. The token itself is shown once and never stored.
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL
);

CREATE TABLE applications (
    id            BIGSERIAL PRIMARY KEY,
    prefecture    TEXT NOT NULL,
    status        TEXT NOT NULL,
    version       BIGINT NOT NULL,
    form          TEXT NOT NULL,
    submitted_by  TEXT NOT NULL,
    received_at   TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    login_id      TEXT,
    return_reason TEXT,
    reject_reason TEXT,
    note          TEXT
);
CREATE INDEX applications_by_prefecture ON applications (prefecture, id);

CREATE TABLE idempotency (
    officer_id  BIGINT NOT NULL REFERENCES officers (id),
    key         TEXT NOT NULL,
    status      BIGINT NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (officer_id, key)
);

CREATE TABLE audit (
    id             BIGSERIAL PRIMARY KEY,
    application_id BIGINT NOT NULL REFERENCES applications (id),
    prefecture     TEXT NOT NULL,
    officer_id     BIGINT REFERENCES officers (id),
    desk           TEXT NOT NULL,
    at             TEXT NOT NULL,
    from_status    TEXT,
    to_status      TEXT NOT NULL,
    reason         TEXT,
    note           TEXT
);
CREATE INDEX audit_by_application ON audit (application_id);

CREATE TABLE accounts (
    id               BIGSERIAL PRIMARY KEY,
    prefecture       TEXT NOT NULL,
    institution_code TEXT NOT NULL,
    insurance_code   TEXT,
    institution_name TEXT NOT NULL,
    login_id         TEXT NOT NULL UNIQUE,
    created_at       TEXT NOT NULL
);
CREATE INDEX accounts_by_insurance_code ON accounts (insurance_code);
CREATE INDEX accounts_by_institution_code ON accounts (prefecture, institution_code);

CREATE TABLE notices (
    id             BIGSERIAL PRIMARY KEY,
    application_id BIGINT NOT NULL REFERENCES applications (id),
    prefecture     TEXT NOT NULL,
    kind           TEXT NOT NULL,
    to_address     TEXT NOT NULL,
    subject        TEXT NOT NULL,
    body           TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    sent_at        TEXT
);

CREATE TABLE institutions (
    id         BIGSERIAL PRIMARY KEY,
    prefecture TEXT NOT NULL,
    source     TEXT NOT NULL,
    source_key TEXT NOT NULL,
    insurance_code TEXT,
    entry      TEXT NOT NULL,
    UNIQUE (source, source_key)
);
CREATE INDEX institutions_by_code ON institutions (insurance_code);

-- The changes feed: every state a desk must learn, in commit order.
CREATE TABLE changes (
    seq        BIGSERIAL PRIMARY KEY,
    prefecture TEXT NOT NULL,
    entity     TEXT NOT NULL,
    payload    TEXT NOT NULL
);
CREATE INDEX changes_by_prefecture ON changes (prefecture, seq);
