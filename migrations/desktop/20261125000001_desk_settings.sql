-- The desk's own settings: one row. Secrets (the server token) never live here: they go to the
-- OS keychain.
CREATE TABLE desk_settings (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    prefecture  TEXT CHECK (prefecture IS NULL OR (length(prefecture) = 2 AND prefecture BETWEEN '01' AND '47')),
    updated_at  TEXT NOT NULL
) STRICT;
