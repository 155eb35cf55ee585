//! 送信: the outbox and the changed records sent to the server. Each application's actions
//! go in order with their idempotency keys, so a retry after a lost answer never makes a
//! second decision; several applications go side by side.

use std::collections::BTreeMap;
use std::time::Duration;

use futures::StreamExt;

use super::client::{SyncClient, Upload};
use super::error::SyncError;
use crate::outbox::OutboxEntry;
use crate::records::RecordState;
use crate::store::Store;

/// Attempts per action before the desk counts as offline (network errors and 5xx only).
const ATTEMPTS: u32 = 4;
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
/// Applications whose actions are sent side by side (each application's own stay in order).
const IN_FLIGHT: usize = 8;

/// The longest the desk waits on a busy server's Retry-After within one sync.
const LONGEST_WAIT: Duration = Duration::from_secs(30);

/// What a push came to: counts, and the first trouble that left something for later.
#[derive(Debug, Default)]
pub struct Pushed {
    pub sent: usize,
    pub rejected: usize,
    pub trouble: Option<SyncError>,
}

impl Pushed {
    pub(crate) fn add(&mut self, other: Pushed) {
        self.sent += other.sent;
        self.rejected += other.rejected;
        self.trouble = self.trouble.take().or(other.trouble);
    }
}

impl Store {
    /// Sends the outbox: each application's actions in order, up to [`IN_FLIGHT`] applications
    /// side by side. The server away, failing or busy is retried with backoff (a busy one after
    /// its Retry-After); if it stays so, that application's actions wait for the next sync,
    /// same keys and all, and the others go on. Only a refused token stops the whole push.
    pub async fn push(&self, client: &SyncClient) -> Result<Pushed, SyncError> {
        let mut lanes: BTreeMap<i64, Vec<OutboxEntry>> = BTreeMap::new();
        for entry in self.pending_actions().await? {
            lanes.entry(entry.application_id).or_default().push(entry);
        }
        let outcomes: Vec<_> =
            futures::stream::iter(lanes.into_values().map(|lane| self.push_lane(client, lane)))
                .buffer_unordered(IN_FLIGHT)
                .collect()
                .await;
        let mut pushed = Pushed::default();
        for outcome in outcomes {
            pushed.add(outcome?);
        }
        Ok(pushed)
    }

    /// One application's pending actions, in the order they were taken.
    async fn push_lane(
        &self,
        client: &SyncClient,
        lane: Vec<OutboxEntry>,
    ) -> Result<Pushed, SyncError> {
        let mut pushed = Pushed::default();
        for entry in lane {
            if !self.is_pending(entry.id).await? {
                continue; // refused along with an earlier action on the same application
            }
            let mut backoff = FIRST_BACKOFF;
            let mut attempt = 0;
            let outcome = loop {
                attempt += 1;
                match client.send(&entry).await {
                    Err(e) if e.is_transient() && attempt < ATTEMPTS => {
                        let wait = match e {
                            SyncError::Busy(_, Some(after)) => after.min(LONGEST_WAIT),
                            _ => backoff,
                        };
                        log::info!("outbox {}: {e}; retrying in {wait:?}", entry.id);
                        tokio::time::sleep(wait).await;
                        backoff *= 2;
                    }
                    other => break other,
                }
            };
            match outcome {
                Ok(answer) => {
                    if self.settle(&entry, attempt, &answer).await? {
                        pushed.sent += 1
                    } else {
                        pushed.rejected += 1
                    }
                }
                Err(e) => {
                    self.note_unanswered(&entry, attempt, &e.to_string()).await?;
                    if !e.is_transient() {
                        return Err(e);
                    }
                    // This application's later actions wait behind this one.
                    pushed.trouble = Some(e);
                    break;
                }
            }
        }
        Ok(pushed)
    }

    /// Sends the records changed here (calls, prefecture settings), each made on the version
    /// it holds; one that the server had changed elsewhere first is rebuilt on the server's
    /// copy and sent again, or kept aside as 要確認. A record the server cannot take now
    /// stays unsent and the others go on.
    pub(crate) async fn push_records(&self, client: &SyncClient) -> Result<Pushed, SyncError> {
        let mut pushed = Pushed::default();
        for record in self.unsent_records().await? {
            let mut record = record;
            let mut rebased = false;
            loop {
                let payload = record.payload.clone();
                match client.put_record(record.kind, &record.id, payload).await {
                    Ok(Upload::Held(version)) => {
                        pushed.sent += 1;
                        self.settle_record(&record, RecordState::Synced, Some(version)).await?;
                    }
                    Ok(Upload::Refused(refusal)) => {
                        log::error!(
                            "{} {} refused by the server: {}",
                            record.kind.key(),
                            record.id,
                            refusal.code
                        );
                        pushed.rejected += 1;
                        self.settle_record(&record, RecordState::Refused, None).await?;
                    }
                    Ok(Upload::Stale(current)) => match self.rebase(&record, &current).await? {
                        Some(again) if !rebased => {
                            (record, rebased) = (again, true);
                            continue;
                        }
                        _ => pushed.rejected += 1,
                    },
                    Err(e) if e.is_transient() => {
                        log::warn!(
                            "{} {}: {e}; sent again next time",
                            record.kind.key(),
                            record.id
                        );
                        pushed.trouble = pushed.trouble.take().or(Some(e));
                    }
                    Err(e) => return Err(e),
                }
                break;
            }
        }
        Ok(pushed)
    }
}
