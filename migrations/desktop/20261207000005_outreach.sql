-- カバー状況 and 報告状況.

-- What カバー状況 groups by, set on import so the counting runs in SQL over integers (a
-- prefecture holds up to ≈40k rows): the municipality the address begins with (札幌市,
-- 虻田郡倶知安町) as a place, the 機関区分 (its position in the domain's outreach::CLASSES),
-- and whether the row is the one counted for its insurance code (two lists may name one
-- institution; the row that tells its kind counts). Rows imported before are placed when the
-- store opens.
CREATE TABLE places (
    id         INTEGER PRIMARY KEY,
    prefecture TEXT NOT NULL,
    name       TEXT NOT NULL,
    UNIQUE (prefecture, name)
) STRICT;
ALTER TABLE institutions ADD COLUMN place INTEGER REFERENCES places (id);
ALTER TABLE institutions ADD COLUMN class INTEGER;
ALTER TABLE institutions ADD COLUMN counted INTEGER NOT NULL DEFAULT 0;
CREATE INDEX institutions_unplaced ON institutions (id) WHERE place IS NULL;
CREATE INDEX institutions_counted ON institutions (prefecture) WHERE counted = 1;

-- 報告状況: who has reported for a scheme's 定期報告期間, as G-MIS's download says. A later
-- file for the same scheme and period replaces the earlier one's rows.
CREATE TABLE report_imports (
    id          INTEGER PRIMARY KEY,
    prefecture  TEXT NOT NULL,
    file_name   TEXT NOT NULL,
    encoding    TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    rows_read   INTEGER NOT NULL
) STRICT;

CREATE TABLE reports (
    prefecture       TEXT NOT NULL,
    scheme           TEXT NOT NULL CHECK (scheme IN ('medical', 'pharmacy', 'kakaritsuke')),
    -- The period's first day (its 定期報告期間 as the prefecture set it when imported).
    period           TEXT NOT NULL,
    -- The registry's insurance code, or 'name:' and the name for one without (助産所).
    institution      TEXT NOT NULL,
    -- The G-MIS 機関コード, where the file gave one.
    institution_code TEXT,
    reported         INTEGER NOT NULL CHECK (reported IN (0, 1)),
    reported_on      TEXT,
    import_id        INTEGER NOT NULL REFERENCES report_imports (id),
    PRIMARY KEY (prefecture, scheme, period, institution)
) STRICT;

-- The weekly trend: the counts as they stood the last time the desk looked that week.
CREATE TABLE coverage_weeks (
    prefecture  TEXT NOT NULL,
    week        TEXT NOT NULL,
    account     INTEGER NOT NULL,
    applying    INTEGER NOT NULL,
    returned    INTEGER NOT NULL,
    not_applied INTEGER NOT NULL,
    reported    INTEGER NOT NULL,
    PRIMARY KEY (prefecture, week)
) STRICT;

-- An institution's applications by the insurance code its form gave (each counted row asks).
CREATE INDEX applications_by_insurance_code ON applications (json_extract(payload, '$.form.insurance_code'));

-- An institution's standing, kept on its registry rows as accounts and applications change
-- (the coverage reads ≈40k rows whenever its view opens; probing 100k accounts and the
-- applications per row was most of its time). `application_rank` is the standing its
-- applications give, the domain's Standing::of (0 approved, 1 waiting, 2 returned, 3 none);
-- a core test checks this CASE against it for every status. The `+` keeps TEXT affinity off
-- the comparison so the expression index on applications is used.
ALTER TABLE institutions ADD COLUMN has_account INTEGER NOT NULL DEFAULT 0;
ALTER TABLE institutions ADD COLUMN application_rank INTEGER;

CREATE TRIGGER accounts_placed AFTER INSERT ON accounts WHEN NEW.insurance_code IS NOT NULL BEGIN
    UPDATE institutions SET has_account = 1 WHERE insurance_code = NEW.insurance_code;
END;
CREATE TRIGGER accounts_unplaced AFTER DELETE ON accounts WHEN OLD.insurance_code IS NOT NULL BEGIN
    UPDATE institutions SET has_account = EXISTS (
        SELECT 1 FROM accounts a WHERE a.insurance_code = OLD.insurance_code)
    WHERE insurance_code = OLD.insurance_code;
END;
CREATE TRIGGER accounts_moved AFTER UPDATE OF insurance_code ON accounts BEGIN
    UPDATE institutions SET has_account = EXISTS (
        SELECT 1 FROM accounts a WHERE a.insurance_code = institutions.insurance_code)
    WHERE insurance_code IN (OLD.insurance_code, NEW.insurance_code);
END;

CREATE VIEW application_ranks AS
    SELECT json_extract(payload, '$.form.insurance_code') AS insurance_code,
           min(CASE status
                   WHEN 'approved_new_account' THEN 0 WHEN 'approved_existing_account' THEN 0
                   WHEN 'submitted' THEN 1 WHEN 'in_review' THEN 1
                   WHEN 'returned_for_correction' THEN 2
                   ELSE 3 END) AS rank
    FROM applications GROUP BY 1;

CREATE TRIGGER applications_ranked AFTER INSERT ON applications BEGIN
    UPDATE institutions SET application_rank = (
        SELECT rank FROM application_ranks r WHERE r.insurance_code = +institutions.insurance_code)
    WHERE insurance_code = json_extract(NEW.payload, '$.form.insurance_code');
END;
CREATE TRIGGER applications_reranked AFTER UPDATE OF status, payload ON applications BEGIN
    UPDATE institutions SET application_rank = (
        SELECT rank FROM application_ranks r WHERE r.insurance_code = +institutions.insurance_code)
    WHERE insurance_code IN (json_extract(OLD.payload, '$.form.insurance_code'),
                             json_extract(NEW.payload, '$.form.insurance_code'));
END;
CREATE TRIGGER applications_unranked AFTER DELETE ON applications BEGIN
    UPDATE institutions SET application_rank = (
        SELECT rank FROM application_ranks r WHERE r.insurance_code = +institutions.insurance_code)
    WHERE insurance_code = json_extract(OLD.payload, '$.form.insurance_code');
END;

UPDATE institutions SET
    has_account = EXISTS (SELECT 1 FROM accounts a WHERE a.insurance_code = institutions.insurance_code),
    application_rank = (SELECT rank FROM application_ranks r WHERE r.insurance_code = +institutions.insurance_code)
WHERE insurance_code IS NOT NULL;
