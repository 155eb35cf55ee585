//! 送信: the outbox and the changed records sent to the server. Each application's actions
//! go in order with their idempotency keys, so a retry after a lost answer never makes a
//! second decision; several applications go side by side.

use std::collections::BTreeMap;
use std::time::Duration;

use futures::StreamExt;

use super::client::SyncClient;
use super::error::SyncError;
use crate::outbox::OutboxEntry;
use crate::records::RecordState;
use crate::store::Store;

/// Attempts per action before the desk counts as offline (network errors and 5xx only).
const ATTEMPTS: u32 = 4;
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
/// Applications whose actions are sent side by side (each application's own stay in order).
const IN_FLIGHT: usize = 8;

impl Store {
    /// Sends the outbox: each application's actions in order, up to [`IN_FLIGHT`] applications
    /// side by side. Network errors and 5xx are retried with backoff; if the server stays away
    /// the rest waits for the next sync, same keys and all. Returns (sent, refused).
    pub async fn push(&self, client: &SyncClient) -> Result<(usize, usize), SyncError> {
        let mut lanes: BTreeMap<i64, Vec<OutboxEntry>> = BTreeMap::new();
        for entry in self.pending_actions().await? {
            lanes.entry(entry.application_id).or_default().push(entry);
        }
        let outcomes: Vec<_> =
            futures::stream::iter(lanes.into_values().map(|lane| self.push_lane(client, lane)))
                .buffer_unordered(IN_FLIGHT)
                .collect()
                .await;
        let (mut sent, mut rejected) = (0, 0);
        for outcome in outcomes {
            let (s, r) = outcome?;
            sent += s;
            rejected += r;
        }
        Ok((sent, rejected))
    }

    /// One application's pending actions, in the order they were taken.
    async fn push_lane(
        &self,
        client: &SyncClient,
        lane: Vec<OutboxEntry>,
    ) -> Result<(usize, usize), SyncError> {
        let (mut sent, mut rejected) = (0, 0);
        for entry in lane {
            if !self.is_pending(entry.id).await? {
                continue; // refused along with an earlier action on the same application
            }
            let mut backoff = FIRST_BACKOFF;
            let mut attempt = 0;
            let outcome = loop {
                attempt += 1;
                match client.send(&entry).await {
                    Err(e @ (SyncError::Offline(_) | SyncError::Server(_)))
                        if attempt < ATTEMPTS =>
                    {
                        log::info!("outbox {}: {e}; retrying in {backoff:?}", entry.id);
                        tokio::time::sleep(backoff).await;
                        backoff *= 2;
                    }
                    other => break other,
                }
            };
            match outcome {
                Ok(answer) => {
                    if self.settle(&entry, attempt, &answer).await? {
                        sent += 1
                    } else {
                        rejected += 1
                    }
                }
                Err(e) => {
                    self.note_unanswered(&entry, attempt, &e.to_string()).await?;
                    return Err(e);
                }
            }
        }
        Ok((sent, rejected))
    }

    /// Sends the records changed here (calls, prefecture settings); each is marked sent only
    /// if it did not change again meanwhile. Returns (sent, refused).
    pub async fn push_records(&self, client: &SyncClient) -> Result<(usize, usize), SyncError> {
        let (mut sent, mut rejected) = (0, 0);
        for record in self.unsent_records().await? {
            let state =
                match client.put_record(record.kind, &record.id, record.payload.clone()).await? {
                    Ok(()) => {
                        sent += 1;
                        RecordState::Synced
                    }
                    Err(refusal) => {
                        log::error!(
                            "{} {} refused by the server: {} {}",
                            record.kind.key(),
                            record.id,
                            refusal.code,
                            refusal.message
                        );
                        rejected += 1;
                        RecordState::Refused
                    }
                };
            self.settle_record(&record, state).await?;
        }
        Ok((sent, rejected))
    }
}
