//! The time sources the drivers read: a small blocking trait and its async twin.

use crate::Instant;
use core::future::Future;

/// A monotonic millisecond clock for the blocking driver.
pub trait Clock {
    /// The current time.
    fn now(&mut self) -> Instant;

    /// Nothing to do before `until` at the latest (no byte to read yet, or a turnaround to
    /// wait out). The default returns at once, so the driver polls; an implementation may
    /// sleep (on Linux, a millisecond or two) or wait for an interrupt, but should return by
    /// `until`. The driver calls [`now`](Self::now) again after it.
    fn idle(&mut self, until: Instant) {
        let _ = until;
    }
}

impl<C: Clock + ?Sized> Clock for &mut C {
    fn now(&mut self) -> Instant {
        (**self).now()
    }
    fn idle(&mut self, until: Instant) {
        (**self).idle(until)
    }
}

/// A monotonic millisecond clock with a timer, for the async driver (an `embassy-time`
/// wrapper is a few lines).
pub trait AsyncClock {
    /// The current time.
    fn now(&mut self) -> Instant;

    /// A future that completes at `at` (at once if `at` has passed). It must be cancel-safe:
    /// the driver drops it when a byte arrives first.
    fn sleep_until(&mut self, at: Instant) -> impl Future<Output = ()>;
}
