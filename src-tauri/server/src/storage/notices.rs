//! 通知の配信: notices waiting for the relay, claimed for one attempt, what became of them
//! (the relay's answers, bounce reports) and the mail received.

use async_trait::async_trait;
use madoguchi_domain::api::Notice;
use madoguchi_domain::{DeliveryEvent, NoticeKind, Prefecture};

use super::error::Result;

/// A notice as the sender hands it to the relay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub id: i64,
    pub application_id: i64,
    pub prefecture: Prefecture,
    pub kind: NoticeKind,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub created_at: String,
    /// Attempts made so far (retries back off by it).
    pub attempts: u32,
}

/// One thing [`Notices::record_mail`] writes.
#[derive(Debug, Clone)]
pub enum MailRecord {
    /// A delivery event of notice `id`; a `Queued` event is a retry at `retry_at`.
    Settle { id: i64, event: DeliveryEvent, retry_at: Option<String> },
    /// A received mail, kept (the oldest beyond `max_rows` go), with the event it reports.
    Keep { mail: InboundMail, event: Option<(i64, DeliveryEvent)>, max_rows: i64 },
}

/// A mail that came to the bounce listener.
#[derive(Debug, Clone)]
pub struct InboundMail {
    pub received_at: String,
    pub envelope_from: String,
    pub envelope_to: String,
    pub verdict: &'static str,
    pub notice_id: Option<i64>,
    pub size: i64,
    /// What is kept of it: its headers and the report's words.
    pub raw: Vec<u8>,
}

#[async_trait]
pub trait Notices: Send + Sync {
    async fn notices(
        &self,
        prefecture: Prefecture,
        since_id: i64,
        limit: i64,
    ) -> Result<Vec<Notice>>;
    /// Notices waiting for the relay whose (next) attempt is due at `now`, oldest first.
    async fn due_notices(&self, now: &str, limit: i64) -> Result<Vec<Outgoing>>;
    /// Every mail of application `id` as composed, whatever became of it, the 疎通確認 one
    /// included (for support staff and tests; desks get theirs through the feed).
    async fn mail_of(&self, application_id: i64) -> Result<Vec<Outgoing>>;
    /// Claims a due notice for one attempt (`sending`) under `message_id`, until
    /// `lease_until`; `false` if another process has it or it is no longer due.
    async fn claim_notice(&self, id: i64, message_id: &str, lease_until: &str) -> Result<bool>;
    /// Records what became of notices (the relay's answers, reports) and the mail received,
    /// all in one transaction: each delivery event with the audit and the feed. An event that
    /// cannot follow its notice's state (a late or repeated report) changes nothing.
    async fn record_mail(&self, batch: &[MailRecord]) -> Result<()>;
    /// Claims whose lease ran out before an answer was recorded (a process stopped mid-send).
    async fn expired_claims(&self, now: &str) -> Result<Vec<i64>>;
    /// The Message-ID a notice was sent under, if it was.
    async fn notice_message_id(&self, id: i64) -> Result<Option<String>>;
    /// Received mail by verdict (`matched`, `unmatched`, `no_recipient`, `not_report`,
    /// `too_large`), every mail ever received, pruned or not.
    async fn inbound_counts(&self) -> Result<Vec<(String, i64)>>;
    /// Removes the token-bearing links from the stored copies of notices the relay took (or
    /// refused for good) before `before`: the desk's copy where there is one, else the body
    /// without its links. How many were changed (at most 500 a call).
    async fn remove_sent_links(&self, before: &str) -> Result<u64>;
    /// Deletes received mail from before `before`; how many went.
    async fn prune_inbound(&self, before: &str) -> Result<u64>;
    /// Received mail kept now (rows).
    async fn inbound_rows(&self) -> Result<i64>;
    /// Notice `id` as stored (any prefecture: the operator's view).
    async fn notice(&self, id: i64) -> Result<Option<Notice>>;
    /// The operator's retry: a notice refused or bounced is queued again, due `now`; false
    /// when it is neither.
    async fn retry_notice(&self, id: i64, now: &str) -> Result<bool>;
}

/// [`Notices`] for both databases (see `sql`).
macro_rules! notices_sql {
    ($storage:ty, $db:ty) => {
        /// Applies a delivery event to notice `id` inside `tx`: its delivery, the audit, the
        /// feed; nothing when the event cannot follow the notice's state.
        async fn settle(
            tx: &mut sqlx::Transaction<'static, $db>,
            id: i64,
            event: &DeliveryEvent,
            retry_at: Option<&str>,
        ) -> Result<()> {
            let sql = format!("SELECT {NOTICE_COLUMNS} FROM notices WHERE id = $1");
            let Some(row) = sqlx::query_as::<_, NoticeRow>(&sql).bind(id).fetch_optional(&mut **tx).await? else {
                return Ok(());
            };
            let mut notice = row.into_notice()?;
            if let Err(e) = notice.delivery.apply(event.clone()) {
                log::info!("notice {id}: {e}; kept as it was");
                return Ok(());
            }
            let state = name_of(&event.state);
            sqlx::query(
                "UPDATE notices SET delivery = $1, delivery_state = $2, next_attempt_at = $3, lease_until = NULL WHERE id = $4",
            )
            .bind(to_json(&notice.delivery))
            .bind(&state)
            .bind(retry_at.unwrap_or(""))
            .bind(id)
            .execute(&mut **tx)
            .await?;
            sqlx::query("INSERT INTO delivery_audit (notice_id, prefecture, at, state, event) VALUES ($1, $2, $3, $4, $5)")
                .bind(id)
                .bind(notice.prefecture.code())
                .bind(&event.at)
                .bind(&state)
                .bind(to_json(event))
                .execute(&mut **tx)
                .await?;
            // The 疎通確認 mail, and any mail of an application not yet confirmed, stay here.
            let confirmed: Option<String> =
                sqlx::query_scalar("SELECT confirmed_at FROM applications WHERE id = $1")
                    .bind(notice.application_id)
                    .fetch_optional(&mut **tx)
                    .await?
                    .flatten();
            if confirmed.is_some() && notice.kind != madoguchi_domain::NoticeKind::AddressCheck {
                change(tx, notice.prefecture, &Entity::Notice(notice)).await?;
            }
            Ok(())
        }

        #[async_trait]
        impl Notices for $storage {
            async fn notice(&self, id: i64) -> Result<Option<Notice>> {
                let sql = format!("SELECT {NOTICE_COLUMNS} FROM notices WHERE id = $1");
                let row: Option<NoticeRow> = sqlx::query_as(&sql).bind(id).fetch_optional(&self.pool).await?;
                row.map(NoticeRow::into_notice).transpose()
            }

            async fn retry_notice(&self, id: i64, now: &str) -> Result<bool> {
                let (_writer, mut tx) = self.write().await?;
                let state: Option<String> = sqlx::query_scalar("SELECT delivery_state FROM notices WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
                if !matches!(state.as_deref(), Some("failed" | "bounced")) {
                    return Ok(false);
                }
                let event = DeliveryEvent {
                    state: madoguchi_domain::DeliveryState::Queued,
                    at: now.to_owned(),
                    diagnostic: Some("運用者の指示で再送します".into()),
                    ..Default::default()
                };
                settle(&mut tx, id, &event, Some(now)).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn notices(&self, prefecture: Prefecture, since_id: i64, limit: i64) -> Result<Vec<Notice>> {
                let sql = format!(
                    "SELECT {NOTICE_COLUMNS} FROM notices WHERE prefecture = $1 AND id > $2 AND kind <> 'address_check'
                     AND application_id IN (SELECT id FROM applications WHERE confirmed_at IS NOT NULL) ORDER BY id LIMIT $3"
                );
                let rows: Vec<NoticeRow> = sqlx::query_as(&sql)
                .bind(prefecture.code())
                .bind(since_id)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(NoticeRow::into_notice).collect()
            }

            async fn due_notices(&self, now: &str, limit: i64) -> Result<Vec<Outgoing>> {
                let sql = format!(
                    "SELECT {NOTICE_COLUMNS} FROM notices WHERE delivery_state = 'queued' AND next_attempt_at <= $1 ORDER BY id LIMIT $2"
                );
                let rows: Vec<NoticeRow> = sqlx::query_as(&sql).bind(now).bind(limit).fetch_all(&self.pool).await?;
                rows.into_iter().map(outgoing).collect()
            }

            async fn mail_of(&self, application_id: i64) -> Result<Vec<Outgoing>> {
                let sql = format!("SELECT {NOTICE_COLUMNS} FROM notices WHERE application_id = $1 ORDER BY id");
                let rows: Vec<NoticeRow> = sqlx::query_as(&sql).bind(application_id).fetch_all(&self.pool).await?;
                rows.into_iter().map(outgoing).collect()
            }

            async fn claim_notice(&self, id: i64, message_id: &str, lease_until: &str) -> Result<bool> {
                let _turn = self.writer.lock().await;
                let claimed = sqlx::query(
                    "UPDATE notices SET delivery_state = 'sending', lease_until = $1, message_id = $2
                     WHERE id = $3 AND delivery_state = 'queued'",
                )
                .bind(lease_until)
                .bind(message_id)
                .bind(id)
                .execute(&self.pool)
                .await?
                .rows_affected();
                Ok(claimed == 1)
            }

            async fn record_mail(&self, batch: &[MailRecord]) -> Result<()> {
                let (_writer, mut tx) = self.write().await?;
                let mut keep_rows: Option<i64> = None;
                for record in batch {
                    match record {
                        MailRecord::Settle { id, event, retry_at } => {
                            settle(&mut tx, *id, event, retry_at.as_deref()).await?;
                        }
                        MailRecord::Keep { mail, event, max_rows } => {
                            if let Some((id, event)) = event {
                                settle(&mut tx, *id, event, None).await?;
                            }
                            sqlx::query(
                                "INSERT INTO inbound_mail (received_at, envelope_from, envelope_to, verdict, notice_id, size, raw)
                                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                            )
                            .bind(&mail.received_at)
                            .bind(&mail.envelope_from)
                            .bind(&mail.envelope_to)
                            .bind(mail.verdict)
                            .bind(mail.notice_id)
                            .bind(mail.size)
                            .bind(&mail.raw)
                            .execute(&mut *tx)
                            .await?;
                            sqlx::query(
                                "INSERT INTO inbound_tally (verdict, mails, bytes) VALUES ($1, 1, $2)
                                 ON CONFLICT (verdict) DO UPDATE SET mails = inbound_tally.mails + 1, bytes = inbound_tally.bytes + excluded.bytes",
                            )
                            .bind(mail.verdict)
                            .bind(mail.size)
                            .execute(&mut *tx)
                            .await?;
                            keep_rows = Some(keep_rows.map_or(*max_rows, |k: i64| k.min(*max_rows)));
                        }
                    }
                }
                // The oldest received mail past the cap goes, once for the whole batch.
                if let Some(cap) = keep_rows {
                    sqlx::query(
                        "DELETE FROM inbound_mail WHERE id <= (SELECT id FROM inbound_mail ORDER BY id DESC LIMIT 1 OFFSET $1)",
                    )
                    .bind(cap)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn expired_claims(&self, now: &str) -> Result<Vec<i64>> {
                Ok(sqlx::query_scalar("SELECT id FROM notices WHERE delivery_state = 'sending' AND lease_until < $1 ORDER BY id")
                    .bind(now)
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn notice_message_id(&self, id: i64) -> Result<Option<String>> {
                Ok(sqlx::query_scalar::<_, Option<String>>("SELECT message_id FROM notices WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .flatten())
            }

            async fn inbound_counts(&self) -> Result<Vec<(String, i64)>> {
                Ok(sqlx::query_as("SELECT verdict, mails FROM inbound_tally ORDER BY verdict")
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn remove_sent_links(&self, before: &str) -> Result<u64> {
                let (_writer, mut tx) = self.write().await?;
                let sent: Vec<(i64, String, Option<String>)> = sqlx::query_as(
                    "SELECT id, body, desk_body FROM notices n WHERE links_removed = 0 AND EXISTS (
                         SELECT 1 FROM delivery_audit a WHERE a.notice_id = n.id AND a.state IN ('sent', 'failed') AND a.at < $1)
                     ORDER BY id LIMIT 500",
                )
                .bind(before)
                .fetch_all(&mut *tx)
                .await?;
                for (id, body, desk_body) in &sent {
                    let kept = desk_body.clone().unwrap_or_else(|| notice::without_links(body));
                    sqlx::query("UPDATE notices SET body = $1, links_removed = 1 WHERE id = $2")
                        .bind(kept)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(sent.len() as u64)
            }

            async fn prune_inbound(&self, before: &str) -> Result<u64> {
                let (_writer, mut tx) = self.write().await?;
                let gone = sqlx::query("DELETE FROM inbound_mail WHERE received_at < $1")
                    .bind(before)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                tx.commit().await?;
                Ok(gone)
            }

            async fn inbound_rows(&self) -> Result<i64> {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM inbound_mail").fetch_one(&self.pool).await?)
            }
        }
    };
}

pub(super) use notices_sql;
