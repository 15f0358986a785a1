//! Exponential reconnect back-off.

use super::terminal::Duration;

/// Doubles the wait after each failed connection, from `min` up to `max`; a successful
/// login resets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    min: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    /// A back-off starting at `min` and capped at `max` (`max` below `min` is raised to it).
    pub fn new(min: Duration, max: Duration) -> Self {
        let max = if max < min { min } else { max };
        Self {
            min,
            max,
            next: min,
        }
    }

    /// The wait before the next attempt; doubles the one after.
    pub fn next_delay(&mut self) -> Duration {
        let d = self.next;
        let doubled = Duration::millis(self.next.ticks().saturating_mul(2));
        self.next = if doubled > self.max {
            self.max
        } else {
            doubled
        };
        d
    }

    /// Back to `min` (after a successful login).
    pub fn reset(&mut self) {
        self.next = self.min;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap_and_resets() {
        let mut b = Backoff::new(Duration::secs(1), Duration::secs(5));
        let waits: [u64; 5] = core::array::from_fn(|_| b.next_delay().to_millis());
        assert_eq!(waits, [1000, 2000, 4000, 5000, 5000]);
        b.reset();
        assert_eq!(b.next_delay(), Duration::secs(1));
    }
}
