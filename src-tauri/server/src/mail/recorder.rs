//! 記録: the mail parts' writes, committed together. Each bounce session hands its record
//! here and waits for the commit; a sending connection hands each answer over and waits for
//! them all at the end of its share of a round. What arrives while one commit runs goes into
//! the next, so many answers share one disk flush (group commit) instead of one each.
//! Nothing is acknowledged (to a reporting MTA) before it is on disk.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::storage::{MailRecord, Storage, StorageError};

/// At most this many records share one transaction.
const BATCH: usize = 64;

type Ack = oneshot::Sender<Result<(), String>>;

#[derive(Clone)]
pub struct Recorder {
    jobs: mpsc::UnboundedSender<(MailRecord, Ack)>,
}

impl Recorder {
    /// Starts the committing task, which counts what it commits; it ends when every handle
    /// is dropped.
    pub fn start(storage: Arc<dyn Storage>, metrics: Arc<crate::metrics::Metrics>) -> Self {
        let (jobs, mut queue) = mpsc::unbounded_channel::<(MailRecord, Ack)>();
        tokio::spawn(async move {
            while let Some(first) = queue.recv().await {
                let mut batch = vec![first];
                while batch.len() < BATCH {
                    match queue.try_recv() {
                        Ok(next) => batch.push(next),
                        Err(_) => break,
                    }
                }
                let (records, acks): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
                let result = storage.record_mail(&records).await.map_err(|e| e.to_string());
                if result.is_ok() {
                    metrics.recorded(&records);
                }
                for ack in acks {
                    let _ = ack.send(result.clone());
                }
            }
        });
        Self { jobs }
    }

    /// Records `record` and returns once it is committed.
    pub async fn record(&self, record: MailRecord) -> Result<(), StorageError> {
        self.hand(record).committed().await
    }

    /// Hands `record` to the committing task without waiting for the commit.
    pub fn hand(&self, record: MailRecord) -> Pending {
        let (ack, done) = oneshot::channel();
        Pending(self.jobs.send((record, ack)).ok().map(|_| done))
    }
}

/// A record handed over, not yet known to be on disk.
pub struct Pending(Option<oneshot::Receiver<Result<(), String>>>);

impl Pending {
    /// Returns once the record is committed, or why it was not.
    pub async fn committed(self) -> Result<(), StorageError> {
        let stopped = || StorageError::Batch("the recorder stopped".into());
        let done = self.0.ok_or_else(stopped)?;
        done.await.map_err(|_| stopped())?.map_err(StorageError::Batch)
    }
}
