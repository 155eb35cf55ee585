-- 申請状況の確認: when the applicant last read the public status page, and when they last
-- told the window from it that the mail did not arrive (at most once a day). Both travel to
-- the desks with the application.
ALTER TABLE applications ADD COLUMN status_looked_at TEXT;
ALTER TABLE applications ADD COLUMN mail_missing_at TEXT;
