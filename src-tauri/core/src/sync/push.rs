//! 送信: the outbox and the changed records sent to the server. Actions go in batches, each
//! with its own idempotency key, so a retry after a lost answer never makes a second
//! decision; each application's actions go in order, one per batch round.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use futures::StreamExt;

use super::client::{SyncClient, Upload};
use super::error::SyncError;
use crate::outbox::OutboxEntry;
use crate::records::RecordState;
use crate::store::Store;

/// Attempts per batch before the desk counts as offline (network errors and 5xx only).
const ATTEMPTS: u32 = 4;
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
/// Most actions in one request; fewer when their notes make the body large.
const BATCH: usize = 100;
/// Batches sent side by side.
const IN_FLIGHT: usize = 2;
/// A batch's body stays under this (the server takes 256 KiB).
const BATCH_BYTES: usize = 192 * 1024;

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
    /// Sends the outbox in batches (一括送信): each round, the next action of every
    /// application (each application's own stay in order), [`BATCH`] to a request. The server
    /// away, failing or busy is retried with backoff (a busy one after its Retry-After); if it
    /// stays so, those actions wait for the next sync, same keys and all, and the other
    /// batches go on. A refused action holds back the later ones on its application (the
    /// store marks them refused with it). Only a refused token or an untrusted server stops
    /// the whole push.
    pub async fn push(&self, client: &SyncClient) -> Result<Pushed, SyncError> {
        let mut lanes: BTreeMap<i64, VecDeque<OutboxEntry>> = BTreeMap::new();
        for entry in self.pending_actions().await? {
            lanes.entry(entry.application_id).or_default().push_back(entry);
        }
        let mut pushed = Pushed::default();
        loop {
            let round: Vec<OutboxEntry> =
                lanes.values_mut().filter_map(VecDeque::pop_front).collect();
            if round.is_empty() {
                return Ok(pushed);
            }
            // Two batches in flight: the desk records one's answers while the server
            // decides the next (a round's batches hold different applications).
            let cut = batches(&round);
            let sends: Vec<_> = cut.iter().map(|batch| self.push_batch(client, batch)).collect();
            let outcomes: Vec<_> = futures::stream::iter(sends).buffered(IN_FLIGHT).collect().await;
            for (batch, outcome) in cut.iter().zip(outcomes) {
                match outcome? {
                    Ok(settled) => {
                        for (entry, accepted) in batch.iter().zip(settled) {
                            if accepted {
                                pushed.sent += 1;
                            } else {
                                pushed.rejected += 1;
                                lanes.remove(&entry.application_id);
                            }
                        }
                    }
                    Err(trouble) => {
                        // These applications' later actions wait behind them.
                        for entry in batch {
                            lanes.remove(&entry.application_id);
                        }
                        pushed.trouble = pushed.trouble.take().or(Some(trouble));
                    }
                }
            }
        }
    }

    /// One batch, retried while the trouble may pass: whether each was accepted, or the
    /// trouble that left the batch pending (a lasting one is returned as an error).
    async fn push_batch(
        &self,
        client: &SyncClient,
        batch: &[&OutboxEntry],
    ) -> Result<Result<Vec<bool>, SyncError>, SyncError> {
        let mut backoff = FIRST_BACKOFF;
        let mut attempt = 0;
        loop {
            attempt += 1;
            match client.send(batch).await {
                Ok(answers) => {
                    let answered: Vec<_> = batch.iter().copied().zip(answers).collect();
                    return Ok(Ok(self.settle(&answered, attempt).await?));
                }
                Err(e) if e.is_transient() && attempt < ATTEMPTS => {
                    let wait = match e {
                        SyncError::Busy(_, Some(after)) => after.min(LONGEST_WAIT),
                        _ => backoff,
                    };
                    log::info!("batch of {} actions: {e}; retrying in {wait:?}", batch.len());
                    tokio::time::sleep(wait).await;
                    backoff *= 2;
                }
                Err(e) => {
                    self.note_unanswered(batch, attempt, &e.to_string()).await?;
                    return if e.is_transient() { Ok(Err(e)) } else { Err(e) };
                }
            }
        }
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

/// A round's actions cut into batches of at most [`BATCH`] actions and about [`BATCH_BYTES`].
fn batches(round: &[OutboxEntry]) -> Vec<Vec<&OutboxEntry>> {
    let mut out: Vec<Vec<&OutboxEntry>> = Vec::new();
    let mut bytes = 0;
    for entry in round {
        // The request's envelope per action, and its note (escaped up to twice its size).
        let size = 300 + entry.note.as_deref().map_or(0, |n| 2 * n.len());
        match out.last_mut() {
            Some(last) if last.len() < BATCH && bytes + size <= BATCH_BYTES => last.push(entry),
            _ => {
                out.push(vec![entry]);
                bytes = 0;
            }
        }
        bytes += size;
    }
    out
}
