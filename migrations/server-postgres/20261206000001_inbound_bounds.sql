-- Received mail is bounded (issue 27): each verdict's count and bytes live in a tally that
-- outlives the rows, pruned by age and count; a row keeps only the mail's headers and the
-- report's words. Rows from before keep their header block only (a returned notice's body
-- carries its links).
CREATE TABLE inbound_tally (
    verdict TEXT PRIMARY KEY,
    mails   BIGINT NOT NULL,
    bytes   BIGINT NOT NULL
);
INSERT INTO inbound_tally (verdict, mails, bytes)
    SELECT verdict, COUNT(*), SUM(size) FROM inbound_mail GROUP BY verdict;
UPDATE inbound_mail SET raw = substring(raw FROM 1 FOR position('\x0d0a0d0a'::bytea IN raw) - 1)
    WHERE position('\x0d0a0d0a'::bytea IN raw) > 0;
UPDATE inbound_mail SET raw = substring(raw FROM 1 FOR 8192) WHERE length(raw) > 8192;
CREATE INDEX inbound_mail_received ON inbound_mail (received_at);
