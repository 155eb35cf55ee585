-- 要連絡: applications whose 疎通確認 was never confirmed, as the server publishes them when it
-- purges them — only the institution (name, kind, insurance code), never what was typed.
CREATE TABLE lapsed_checks (
    id             INTEGER PRIMARY KEY,
    prefecture     TEXT NOT NULL,
    insurance_code TEXT,
    payload        TEXT NOT NULL
) STRICT;
