-- 機関台帳: the institutions the desk can look up, from the lists it imported.

CREATE TABLE registry_imports (
    id           INTEGER PRIMARY KEY,
    source       TEXT NOT NULL CHECK (source IN ('code_list', 'navii')),
    file_name    TEXT NOT NULL,
    encoding     TEXT NOT NULL,
    imported_at  TEXT NOT NULL,
    rows_read    INTEGER NOT NULL DEFAULT 0,
    rows_skipped INTEGER NOT NULL DEFAULT 0,
    opened       INTEGER NOT NULL DEFAULT 0,
    closed       INTEGER NOT NULL DEFAULT 0,
    renamed      INTEGER NOT NULL DEFAULT 0,
    moved        INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE institutions (
    id                INTEGER PRIMARY KEY,
    source            TEXT NOT NULL CHECK (source IN ('code_list', 'navii')),
    -- Unique within the source: the 10-digit insurance code, or the ナビイ facility ID.
    source_key        TEXT NOT NULL,
    insurance_code    TEXT CHECK (insurance_code IS NULL OR length(insurance_code) = 10),
    kind              TEXT,
    name              TEXT NOT NULL,
    kana              TEXT,
    prefecture        TEXT NOT NULL CHECK (length(prefecture) = 2 AND prefecture BETWEEN '01' AND '47'),
    municipality_code TEXT,
    postal_code       TEXT CHECK (postal_code IS NULL OR length(postal_code) = 7),
    address           TEXT NOT NULL,
    phone             TEXT,
    -- The last import that listed it, and the one that no longer did (廃止・休止 or moved away).
    import_id         INTEGER NOT NULL REFERENCES registry_imports (id),
    closed_import_id  INTEGER REFERENCES registry_imports (id),
    UNIQUE (source, source_key)
) STRICT;

CREATE INDEX institutions_by_code ON institutions (insurance_code);
