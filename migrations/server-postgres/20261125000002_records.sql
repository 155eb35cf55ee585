-- Records desks write whole and every desk of the prefecture reads: 対応記録 (calls) and the
-- prefecture's settings (定期報告期間, 都道府県版の案内). The newer `updated_at` wins.
CREATE TABLE records (
    kind        TEXT NOT NULL,
    id          TEXT NOT NULL,
    prefecture  TEXT NOT NULL,
    payload     TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX records_by_prefecture ON records (prefecture, kind);
