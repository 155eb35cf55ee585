-- The password-setting link exists in one place, for the mailer: desks, the changes feed and
-- stored idempotent answers get desk_body, which says a link was sent (NULL: same as body).
ALTER TABLE notices ADD COLUMN desk_body TEXT;
