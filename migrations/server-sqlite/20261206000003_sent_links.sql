-- A sent notice's links (疎通確認, 差戻し, password setting) are tokens stored hashed
-- elsewhere: its body keeps them only until a little after it went (issue 27).
ALTER TABLE notices ADD COLUMN links_removed INTEGER NOT NULL DEFAULT 0;
CREATE INDEX notices_with_links ON notices (id) WHERE links_removed = 0;
