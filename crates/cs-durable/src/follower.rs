//! [`Follower`]: a read-only replica of a partition that another process writes.

use crate::engine::{DurableEngine, DurableOptions};
use crate::restore::{Restored, gap, restore};
use crate::{DurableError, Opened};
use cs_core::{Event, State};
use cs_store::{EventStore, Range, check_partition};
use std::sync::Arc;
use std::time::Duration;

/// A replica of a partition: rebuilt from the store like a writer, then kept up to date
/// by [`Follower::poll`], which waits for the writer's new events and folds them, each
/// checked. It never appends. When the writer goes away, [`Follower::promote`] takes the
/// writer lock and becomes the partition's [`DurableEngine`].
pub struct Follower {
    store: Arc<dyn EventStore>,
    partition: String,
    state: State,
    /// The metrics projection, folded beside the state.
    metrics: cs_core::metrics::Metrics,
    seq: u64,
    last: Option<Event>,
    opened: Opened,
}

impl std::fmt::Debug for Follower {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Follower")
            .field("store", &self.store.describe())
            .field("partition", &self.partition)
            .field("seq", &self.seq)
            .finish_non_exhaustive()
    }
}

/// Why a follower did not become the writer, with the follower back to go on following.
#[derive(Debug)]
pub struct NotPromoted {
    /// The follower, as it was.
    pub follower: Follower,
    /// Why (another writer still holds the partition, or the store failed).
    pub error: DurableError,
}

impl Follower {
    /// Rebuilds the partition's state from the store, without taking the writer lock.
    ///
    /// # Errors
    /// As [`DurableEngine::open_in`], but never for a busy writer.
    pub fn open(store: Arc<dyn EventStore>, partition: &str) -> Result<Follower, DurableError> {
        check_partition(partition)?;
        let Restored { state, metrics, seq, last, opened } = restore(&*store, partition)?;
        Ok(Follower { store, partition: partition.to_owned(), state, metrics, seq, last, opened })
    }

    /// The replica's state.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The replica's metrics, folded beside its state.
    pub fn metrics(&self) -> &cs_core::metrics::Metrics {
        &self.metrics
    }

    /// The sequence number of the last event folded.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The partition.
    pub fn partition(&self) -> &str {
        &self.partition
    }

    /// How the replica was opened.
    pub fn opened(&self) -> &Opened {
        &self.opened
    }

    /// Waits up to `timeout` for events after the replica's and folds every one there is;
    /// returns how many were folded (0 when the wait timed out).
    ///
    /// # Errors
    /// A store failure, or [`DurableError::BadLog`] when an event does not fit (the replica
    /// keeps the state before it).
    pub fn poll(&mut self, timeout: Duration) -> Result<u64, DurableError> {
        let head = self.store.wait(&self.partition, self.seq, timeout)?;
        let mut folded = 0;
        while self.seq < head {
            let page = self.store.read(&self.partition, Range::from(self.seq + 1, crate::restore::PAGE_EVENTS))?;
            if page.is_empty() {
                break;
            }
            for s in page {
                if s.seq != self.seq + 1 {
                    return Err(gap(&*self.store, &self.partition, self.seq, s.seq));
                }
                cs_core::check(&self.state, &s.event).map_err(|why| DurableError::BadLog {
                    store: self.store.describe(),
                    partition: self.partition.clone(),
                    seq: s.seq,
                    error: cs_core::ReplayError {
                        index: 0,
                        at: s.event.at(),
                        event: s.event.name(),
                        reason: why.to_string(),
                    },
                })?;
                cs_core::apply_projected(&mut self.state, &s.event, &mut self.metrics);
                self.seq = s.seq;
                self.last = Some(s.event);
                folded += 1;
            }
        }
        Ok(folded)
    }

    /// Takes the partition's writer lock (waiting up to `options.lock_wait`), folds what
    /// the old writer stored last, and becomes the writer.
    ///
    /// # Errors
    /// The follower back with the error when the lock is still held or the store fails.
    pub fn promote(mut self, options: DurableOptions) -> Result<DurableEngine, Box<NotPromoted>> {
        let lock = match self.store.lock_writer(&self.partition, options.lock_wait) {
            Ok(l) => l,
            Err(e) => return Err(Box::new(NotPromoted { follower: self, error: e.into() })),
        };
        // The old writer can append no more: everything it acknowledged is in the store.
        if let Err(error) = self.poll(Duration::ZERO) {
            return Err(Box::new(NotPromoted { follower: self, error }));
        }
        let opened = Opened { seq: self.seq, ..self.opened.clone() };
        Ok(DurableEngine::from_parts(
            self.store.clone(),
            &self.partition,
            options,
            lock,
            (std::mem::take(&mut self.state), std::mem::take(&mut self.metrics)),
            self.seq,
            self.last.take(),
            opened,
        ))
    }
}
