#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]

mod archive;
mod channel;
mod engine;
mod event;
mod item;
mod map_dlt645;
mod map_mbus;
mod mapping;
mod schedule;
mod store;
mod time;
mod timer;
mod value;

pub use archive::{Archive, ArchiveError, ControlAuth, Meter, MeterAddress};
pub use channel::{ChannelConfig, ChannelId, ChannelKind, LineSettings};
pub use engine::{ChannelError, CommandError, Concentrator, Counters, MAX_FORWARD, Transmit};
pub use event::{Alarm, CommandId, Event, EventKind, Origin, Outcome, Reading, SwitchAction, Task};
pub use item::{Item, Phase, Protocol, ReadSet};
pub use mapping::MAX_TRANSMIT;
pub use schedule::Schedule;
pub use store::{MemStore, MemStoreError, RecordId, Store};
pub use time::{DateTime, DateTimeError, Duration, Instant, OffsetClock, WallClock};
pub use timer::MAX_CHANNELS;
pub use value::{Decimal, Quality, RelayState, Unit, Value};
