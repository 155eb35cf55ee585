-- 報告依頼・督促・申請のお願い: the reminders a desk asked to mail, by its batch and the 要連絡
-- entry each was for, so a batch sent again (an answer lost) queues nothing twice. The mail
-- itself is a notice (kind 'reminder') to the address of one of the institution's
-- applications, tracked and bounced as every notice.
CREATE TABLE reminder_sends (
    prefecture TEXT NOT NULL,
    batch_id   TEXT NOT NULL,
    entry_id   TEXT NOT NULL,
    notice_id  BIGINT NOT NULL,
    PRIMARY KEY (prefecture, batch_id, entry_id)
);
