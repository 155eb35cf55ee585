//! 同期の間隔: when the desk syncs by itself next. Once a minute while the server answers.
//! After a failure that may pass (the server away, restarting, failing, busy) sooner, then
//! less often, each wait drawn at random between zero and a ceiling that doubles per failure
//! (full jitter): a thousand desks that lost the server in the same second come back spread
//! over the ceiling instead of all at once. A busy server's Retry-After is waited out first.
//! A desk never gives up; a failure only the officer or IT can mend (a refused token, an
//! untrusted certificate) is tried again at the usual pace.

use std::time::Duration;

use rand::Rng;

use super::error::SyncError;

/// The schedule of one desk's background sync.
#[derive(Debug, Clone)]
pub struct Pace {
    every: Duration,
    first: Duration,
    ceiling: Duration,
    failures: u32,
}

impl Default for Pace {
    /// Every minute; after a failure within 1 s at first, never more than 30 s apart, so a
    /// desk is back within half a minute of its server.
    fn default() -> Self {
        Self::new(Duration::from_secs(60), Duration::from_secs(1), Duration::from_secs(30))
    }
}

impl Pace {
    pub fn new(every: Duration, first: Duration, ceiling: Duration) -> Self {
        Self { every, first, ceiling, failures: 0 }
    }

    /// How long to wait after a sync that ended with `outcome`.
    pub fn next(&mut self, outcome: Result<(), &SyncError>) -> Duration {
        let error = match outcome {
            Err(e) if e.is_transient() => e,
            _ => {
                self.failures = 0;
                return self.every;
            }
        };
        let doubled = self.first.saturating_mul(1 << self.failures.min(16));
        self.failures = self.failures.saturating_add(1);
        let ceiling = doubled.min(self.ceiling);
        let jitter = Duration::from_millis(
            rand::thread_rng().gen_range(0..=ceiling.as_millis().try_into().unwrap_or(u64::MAX)),
        );
        match error {
            SyncError::Busy(_, Some(after)) => *after + jitter,
            _ => jitter,
        }
    }

    /// Failures in a row so far (0 after a sync that went through).
    pub fn failures(&self) -> u32 {
        self.failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn away() -> SyncError {
        SyncError::Offline("connection refused".into())
    }

    #[test]
    fn a_desk_that_syncs_waits_a_minute() {
        let mut pace = Pace::default();
        assert_eq!(pace.next(Ok(())), Duration::from_secs(60));
        // Failures only the officer can mend do not speed it up.
        assert_eq!(pace.next(Err(&SyncError::Unauthorised)), Duration::from_secs(60));
        assert_eq!(pace.failures(), 0);
    }

    #[test]
    fn retries_are_spread_under_a_doubling_ceiling_and_never_stop() {
        let mut pace = Pace::default();
        let mut waits = Vec::new();
        for _ in 0..40 {
            waits.push(pace.next(Err(&away())));
        }
        let ceilings = [1, 2, 4, 8, 16, 30, 30];
        for (wait, ceiling) in waits.iter().zip(ceilings) {
            assert!(*wait <= Duration::from_secs(ceiling), "{wait:?} over {ceiling} s");
        }
        assert!(waits.iter().all(|w| *w <= Duration::from_secs(30)));
        assert_eq!(pace.failures(), 40);
        // Drawn, not fixed: 40 waits are not all alike.
        let first = waits[10];
        assert!(waits[10..].iter().any(|w| *w != first), "{waits:?}");
        // Back to the minute once a sync goes through.
        assert_eq!(pace.next(Ok(())), Duration::from_secs(60));
        assert_eq!(pace.failures(), 0);
    }

    #[test]
    fn a_busy_servers_retry_after_is_waited_out_first() {
        let mut pace = Pace::default();
        for _ in 0..5 {
            let busy = SyncError::Busy(503, Some(Duration::from_secs(7)));
            let wait = pace.next(Err(&busy));
            assert!(wait >= Duration::from_secs(7), "{wait:?}");
            assert!(wait <= Duration::from_secs(7 + 30), "{wait:?}");
        }
    }
}
