-- Received mail is bounded (issue 27): each verdict's count and bytes live in a tally that
-- outlives the rows, pruned by age and count; a row keeps only the mail's headers and the
-- report's words. Rows from before keep their header block only (a returned notice's body
-- carries its links).
CREATE TABLE inbound_tally (
    verdict TEXT PRIMARY KEY,
    mails   INTEGER NOT NULL,
    bytes   INTEGER NOT NULL
);
INSERT INTO inbound_tally (verdict, mails, bytes)
    SELECT verdict, COUNT(*), SUM(size) FROM inbound_mail GROUP BY verdict;
UPDATE inbound_mail SET raw = substr(raw, 1, instr(raw, X'0D0A0D0A') - 1)
    WHERE instr(raw, X'0D0A0D0A') > 0;
UPDATE inbound_mail SET raw = substr(raw, 1, 8192) WHERE length(raw) > 8192;
CREATE INDEX inbound_mail_received ON inbound_mail (received_at);
