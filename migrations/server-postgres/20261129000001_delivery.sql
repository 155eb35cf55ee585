-- 配信状況: every notice is delivered through the prefecture's relay and its fate is kept.
-- delivery: the Delivery JSON (state, last reply or report, history) the API serves.
-- delivery_state / next_attempt_at / lease_until: the sender's work queue ('sending' is a
-- claim held while one process hands the notice to the relay).
ALTER TABLE notices ADD COLUMN delivery TEXT NOT NULL DEFAULT '{}';
ALTER TABLE notices ADD COLUMN delivery_state TEXT NOT NULL DEFAULT 'queued';
ALTER TABLE notices ADD COLUMN next_attempt_at TEXT NOT NULL DEFAULT '';
ALTER TABLE notices ADD COLUMN lease_until TEXT;
ALTER TABLE notices ADD COLUMN message_id TEXT;
CREATE INDEX notices_due ON notices (delivery_state, next_attempt_at);

-- Every delivery transition, for the audit.
CREATE TABLE delivery_audit (
    id         BIGSERIAL PRIMARY KEY,
    notice_id  BIGINT NOT NULL REFERENCES notices (id),
    prefecture TEXT NOT NULL,
    at         TEXT NOT NULL,
    state      TEXT NOT NULL,
    event      TEXT NOT NULL
);
CREATE INDEX delivery_audit_notice ON delivery_audit (notice_id);

-- Mail that came back to the bounce listener: matched reports, and what matched nothing or
-- was no report at all (kept aside, counted, never acted on).
CREATE TABLE inbound_mail (
    id            BIGSERIAL PRIMARY KEY,
    received_at   TEXT NOT NULL,
    envelope_from TEXT NOT NULL,
    envelope_to   TEXT NOT NULL,
    verdict       TEXT NOT NULL,
    notice_id     BIGINT REFERENCES notices (id),
    size          BIGINT NOT NULL,
    raw           BYTEA NOT NULL
);
