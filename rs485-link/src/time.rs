//! The one monotonic time pair of the crate family (see `DESIGN.md`, "Time").

/// A point on the caller's monotonic clock, in milliseconds.
///
/// This is `fugit`'s type, not a newtype: `qgdw1376-2` and `concentrator-core` use the very same
/// type, and so do RTIC monotonics and many HALs.
pub type Instant = fugit::TimerInstantU64<1000>;

/// A span of the caller's monotonic clock, in milliseconds.
pub type Duration = fugit::TimerDurationU64<1000>;
