//! Rebuilding a partition's state from a store: the newest snapshot that matches its
//! events, then the events after it, each checked before it is folded. The metrics
//! projection is rebuilt beside the state: a snapshot holds both, as of the same event.

use crate::DurableError;
use cs_core::metrics::Metrics;
use cs_core::snapshot::SNAPSHOT_FORMAT;
use cs_core::{Event, Replayer, State};
use cs_store::codec::encode_event;
use cs_store::{EventStore, Range, SnapshotRecord, crc32};
use serde::{Deserialize, Serialize};

/// Events read from the store per page while replaying.
pub(crate) const PAGE_EVENTS: usize = 4096;

/// How a state was rebuilt.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Opened {
    /// The sequence number of the snapshot started from, if one was used.
    pub snapshot_seq: Option<u64>,
    /// Why the newest snapshot was set aside, if it was.
    pub snapshot_refused: Option<String>,
    /// Events replayed after the snapshot (all of them without one).
    pub replayed: u64,
    /// The partition's sequence number after opening.
    pub seq: u64,
}

/// A rebuilt state, and the metrics folded beside it.
pub(crate) struct Restored {
    pub state: State,
    pub metrics: Metrics,
    pub seq: u64,
    /// The last event folded (for the next snapshot's check), if any.
    pub last: Option<Event>,
    pub opened: Opened,
}

/// Rebuilds a partition's state as of its head.
pub(crate) fn restore(store: &dyn EventStore, partition: &str) -> Result<Restored, DurableError> {
    let mut opened = Opened::default();
    let (Snapshot { state, mut metrics }, from) = match store.load_snapshot(partition)? {
        Some(snap) => match usable(store, partition, &snap) {
            Ok(snapshot) => {
                opened.snapshot_seq = Some(snap.seq);
                (snapshot, snap.seq)
            }
            Err(reason) => {
                opened.snapshot_refused = Some(format!("snapshot at event {}: {reason}", snap.seq));
                (Snapshot::default(), 0)
            }
        },
        None => (Snapshot::default(), 0),
    };
    let mut replayer = Replayer::from_state(state);
    let (seq, last) = fold(store, partition, from, &mut replayer, &mut metrics)?;
    opened.replayed = replayer.pushed() as u64;
    opened.seq = seq;
    let last = match last {
        Some(e) => Some(e),
        // Nothing after the snapshot: the next snapshot's check needs the event at its seq.
        None if seq > 0 => store.read(partition, Range::from(seq, 1))?.pop().map(|s| s.event),
        None => None,
    };
    Ok(Restored { state: replayer.finish(), metrics, seq, last, opened })
}

/// Folds every event after `after` into `replayer`, checked, and `metrics` beside it;
/// returns the last sequence number and event folded.
pub(crate) fn fold(
    store: &dyn EventStore,
    partition: &str,
    after: u64,
    replayer: &mut Replayer,
    metrics: &mut Metrics,
) -> Result<(u64, Option<Event>), DurableError> {
    let mut seq = after;
    let mut last = None;
    loop {
        let page = store.read(partition, Range::from(seq + 1, PAGE_EVENTS))?;
        let n = page.len();
        for s in page {
            if s.seq != seq + 1 {
                return Err(gap(store, partition, seq, s.seq));
            }
            replayer.push_projected(&s.event, metrics).map_err(|error| DurableError::BadLog {
                store: store.describe(),
                partition: partition.to_owned(),
                seq: s.seq,
                error,
            })?;
            seq = s.seq;
            last = Some(s.event);
        }
        if n < PAGE_EVENTS {
            return Ok((seq, last));
        }
    }
}

pub(crate) fn gap(store: &dyn EventStore, partition: &str, seq: u64, found: u64) -> DurableError {
    DurableError::Store(cs_store::StoreError::Damaged {
        store: store.describe(),
        reason: format!("partition {partition:?} jumps from event {seq} to event {found}"),
    })
}

/// What a snapshot record's bytes hold: the state and the metrics projection as of the
/// same event (format [`SNAPSHOT_FORMAT`] 3 on; a format-2 record, with the metrics inside
/// the state, is set aside and the partition replayed from its first event, like any
/// record of another format).
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Snapshot {
    state: State,
    metrics: Metrics,
}

/// [`Snapshot`], borrowed for writing.
#[derive(Serialize)]
struct SnapshotRef<'a> {
    state: &'a State,
    metrics: &'a Metrics,
}

/// The state (and metrics) a snapshot holds, if it matches the partition's events; else
/// why not.
fn usable(store: &dyn EventStore, partition: &str, snap: &SnapshotRecord) -> Result<Snapshot, String> {
    if snap.format != SNAPSHOT_FORMAT {
        return Err(format!("format {} is not this build's {SNAPSHOT_FORMAT}", snap.format));
    }
    if crc32(&snap.data) != snap.crc {
        return Err("its bytes do not match their checksum".to_owned());
    }
    let at_seq = store.read(partition, Range::from(snap.seq, 1)).map_err(|e| e.to_string())?;
    match at_seq.first() {
        Some(s) if s.seq == snap.seq => {
            if crc32(encode_event(&s.event).as_bytes()) != snap.event_crc {
                return Err(format!("it was taken over another history (event {} differs)", snap.seq));
            }
        }
        _ => return Err(format!("the partition has no event {}", snap.seq)),
    }
    let snapshot: Snapshot = serde_json::from_slice(&snap.data).map_err(|e| format!("it does not decode: {e}"))?;
    let state = &snapshot.state;
    if state.events_applied() != snap.seq || state.last_event_at() != snap.at {
        return Err(format!(
            "it holds {} events up to {}, not {} up to {}",
            state.events_applied(),
            state.last_event_at(),
            snap.seq,
            snap.at
        ));
    }
    Ok(snapshot)
}

/// Encodes a state and the metrics folded beside it as a snapshot record at `seq`, whose
/// last event is `last`.
pub(crate) fn snapshot_of(state: &State, metrics: &Metrics, seq: u64, last: &Event) -> SnapshotRecord {
    // A state serialises: its tables are plain data with string keys; so do the metrics.
    let data = serde_json::to_vec(&SnapshotRef { state, metrics })
        .unwrap_or_else(|e| panic!("a state does not serialise: {e}"));
    SnapshotRecord {
        seq,
        format: SNAPSHOT_FORMAT,
        at: state.last_event_at(),
        event_crc: crc32(encode_event(last).as_bytes()),
        crc: crc32(&data),
        data,
    }
}
