//! Storage of readings and events, and at-least-once forwarding from it.

use crate::event::Event;
use crate::time::DateTime;

/// Identifies a stored record; ids grow with each append.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecordId(pub u64);

/// Where the engine puts what it reads and reports.
///
/// The engine appends every event (readings included) and counts a reading as done only once
/// `append` returned `Ok`; until then it keeps the event and retries, and starts no new
/// transaction. Forwarding to the uplink walks [`next_unforwarded`](Store::next_unforwarded)
/// and calls [`mark_forwarded`](Store::mark_forwarded) only after the master acknowledged, so a
/// restart re-sends what was not acknowledged (at least once) and loses nothing that was.
pub trait Store {
    /// Why the store refused.
    type Error: core::fmt::Debug;

    /// Appends one event durably.
    fn append(&mut self, event: &Event) -> Result<RecordId, Self::Error>;

    /// Marks a record as forwarded (acknowledged by the master).
    fn mark_forwarded(&mut self, id: RecordId) -> Result<(), Self::Error>;

    /// The first record after `after` (or the oldest when `None`) not yet forwarded.
    fn next_unforwarded(&self, after: Option<RecordId>) -> Option<(RecordId, Event)>;

    /// The first record after `after` about `meter` with a time in `from..=to`.
    fn query(
        &self,
        meter: u16,
        from: DateTime,
        to: DateTime,
        after: Option<RecordId>,
    ) -> Option<(RecordId, Event)>;
}

/// Why a [`MemStore`] refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MemStoreError {
    /// Every slot holds a record not yet forwarded: nothing may be overwritten.
    #[error("store full of records not yet forwarded")]
    Full,
    /// No record has this id.
    #[error("no record {}", .0.0)]
    NotFound(RecordId),
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    id: RecordId,
    forwarded: bool,
    event: Event,
}

/// A RAM ring store of `CAP` records: overwrites the oldest record only when it has been
/// forwarded. For tests, simulations and devices that forward often.
#[derive(Debug, Clone)]
pub struct MemStore<const CAP: usize> {
    ring: heapless::Deque<Slot, CAP>,
    next_id: u64,
}

impl<const CAP: usize> Default for MemStore<CAP> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const CAP: usize> MemStore<CAP> {
    /// An empty store.
    pub const fn new() -> Self {
        MemStore {
            ring: heapless::Deque::new(),
            next_id: 0,
        }
    }

    /// Records held.
    pub fn len(&self) -> usize {
        self.ring.len()
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.ring.is_empty()
    }

    /// All records held, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = (RecordId, &Event, bool)> {
        self.ring.iter().map(|s| (s.id, &s.event, s.forwarded))
    }
}

impl<const CAP: usize> Store for MemStore<CAP> {
    type Error = MemStoreError;

    fn append(&mut self, event: &Event) -> Result<RecordId, MemStoreError> {
        if self.ring.is_full() {
            match self.ring.front() {
                Some(s) if s.forwarded => {
                    self.ring.pop_front();
                }
                _ => return Err(MemStoreError::Full),
            }
        }
        let id = RecordId(self.next_id);
        self.ring
            .push_back(Slot {
                id,
                forwarded: false,
                event: *event,
            })
            .map_err(|_| MemStoreError::Full)?;
        self.next_id += 1;
        Ok(id)
    }

    fn mark_forwarded(&mut self, id: RecordId) -> Result<(), MemStoreError> {
        let slot = self
            .ring
            .iter_mut()
            .find(|s| s.id == id)
            .ok_or(MemStoreError::NotFound(id))?;
        slot.forwarded = true;
        Ok(())
    }

    fn next_unforwarded(&self, after: Option<RecordId>) -> Option<(RecordId, Event)> {
        self.ring
            .iter()
            .find(|s| !s.forwarded && after.is_none_or(|a| s.id > a))
            .map(|s| (s.id, s.event))
    }

    fn query(
        &self,
        meter: u16,
        from: DateTime,
        to: DateTime,
        after: Option<RecordId>,
    ) -> Option<(RecordId, Event)> {
        self.ring
            .iter()
            .find(|s| {
                after.is_none_or(|a| s.id > a)
                    && s.event.meter() == Some(meter)
                    && s.event.at >= from
                    && s.event.at <= to
            })
            .map(|s| (s.id, s.event))
    }
}
