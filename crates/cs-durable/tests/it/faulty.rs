//! A real store with faults injected on request.

use cs_core::Timestamp;
use cs_store::{Append, Appended, CommandRecord, EventStore, Range, SnapshotRecord, StoreError, Stored, WriterLock};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

pub struct Faulty {
    inner: Arc<dyn EventStore>,
    fail_append: AtomicBool,
    lose_ack: AtomicBool,
    fail_snapshot: AtomicBool,
    slow_append: AtomicBool,
}

/// A fault to inject once.
#[derive(Clone, Copy, Debug)]
pub enum Fault {
    /// The next append fails before anything is written.
    FailAppend,
    /// The next append lands, but its caller is told it failed (the acknowledgement is
    /// lost, as in a crash between the append and the answer).
    LoseAck,
    /// The next snapshot is not saved.
    FailSnapshot,
    /// The next append is slow to reach the disk (a slow fsync): it waits a few
    /// milliseconds before writing, while the engine's snapshot thread may be at work.
    SlowAppend,
}

impl Faulty {
    pub fn new(inner: Arc<dyn EventStore>) -> Faulty {
        Faulty {
            inner,
            fail_append: AtomicBool::new(false),
            lose_ack: AtomicBool::new(false),
            fail_snapshot: AtomicBool::new(false),
            slow_append: AtomicBool::new(false),
        }
    }

    /// The next append fails before anything is written.
    pub fn fail_next_append(&self) {
        self.inject(Fault::FailAppend);
    }

    /// Injects a fault into the next operation it concerns.
    pub fn inject(&self, f: Fault) {
        let flag = match f {
            Fault::FailAppend => &self.fail_append,
            Fault::LoseAck => &self.lose_ack,
            Fault::FailSnapshot => &self.fail_snapshot,
            Fault::SlowAppend => &self.slow_append,
        };
        flag.store(true, Ordering::SeqCst);
    }
}

impl EventStore for Faulty {
    fn describe(&self) -> String {
        self.inner.describe()
    }
    fn append(&self, batch: Append<'_>) -> Result<Appended, StoreError> {
        if self.fail_append.swap(false, Ordering::SeqCst) {
            return Err(StoreError::Backend { store: self.describe(), message: "injected append failure".into() });
        }
        if self.slow_append.swap(false, Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(3));
        }
        let r = self.inner.append(batch)?;
        if self.lose_ack.swap(false, Ordering::SeqCst) {
            return Err(StoreError::Backend {
                store: self.describe(),
                message: format!("injected lost acknowledgement (events {}..={} landed)", r.first, r.last),
            });
        }
        Ok(r)
    }
    fn head(&self, partition: &str) -> Result<u64, StoreError> {
        self.inner.head(partition)
    }
    fn read(&self, partition: &str, range: Range) -> Result<Vec<Stored>, StoreError> {
        self.inner.read(partition, range)
    }
    fn wait(&self, partition: &str, after: u64, timeout: Duration) -> Result<u64, StoreError> {
        self.inner.wait(partition, after, timeout)
    }
    fn save_snapshot(&self, partition: &str, snapshot: &SnapshotRecord) -> Result<(), StoreError> {
        if self.fail_snapshot.swap(false, Ordering::SeqCst) {
            return Err(StoreError::Backend { store: self.describe(), message: "injected snapshot failure".into() });
        }
        self.inner.save_snapshot(partition, snapshot)
    }
    fn load_snapshot(&self, partition: &str) -> Result<Option<SnapshotRecord>, StoreError> {
        self.inner.load_snapshot(partition)
    }
    fn command(&self, partition: &str, key: &str) -> Result<Option<CommandRecord>, StoreError> {
        self.inner.command(partition, key)
    }
    fn forget_commands(&self, partition: &str, before: Timestamp) -> Result<u64, StoreError> {
        self.inner.forget_commands(partition, before)
    }
    fn lock_writer(&self, partition: &str, wait: Duration) -> Result<WriterLock, StoreError> {
        self.inner.lock_writer(partition, wait)
    }
    fn partitions(&self) -> Result<Vec<String>, StoreError> {
        self.inner.partitions()
    }
}
