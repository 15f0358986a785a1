//! Core events to ERC records (AFN 0E, notes §2.6).

use concentrator_core::{Alarm, Event, EventKind};

use super::convert::minute_time_of;
use crate::unit::{Erc, EventRecord, MeterClock, PointFlag, ReadingFailure};

/// D15 of the point word: the event starts (ERC records, notes §2.6).
const STARTS: u16 = 0x8000;

/// The ERC record a core event raises, if any: a clock drift is ERC12 (meter time out of
/// tolerance), a meter silent through a round is ERC31 (reading failure; the last good
/// reading is not known here and goes as "no data"). Readings, command results and
/// statistics raise none.
pub fn erc(event: &Event) -> Option<EventRecord<'static>> {
    let time = minute_time_of(event.at)?;
    match event.kind {
        EventKind::Alarm(Alarm::ClockDrift { meter, .. }) => Some(EventRecord {
            erc: 12,
            body: Erc::MeterClock(MeterClock {
                time,
                point: PointFlag((meter & 0x0FFF) | STARTS),
            }),
        }),
        EventKind::Alarm(Alarm::MeterOffline { meter, .. }) => Some(EventRecord {
            erc: 31,
            body: Erc::ReadingFailure(ReadingFailure {
                time,
                point: PointFlag((meter & 0x0FFF) | STARTS),
                last_success: None,
                forward_active: None,
                forward_reactive: None,
            }),
        }),
        _ => None,
    }
}
