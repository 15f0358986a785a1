//! Request data units to core commands.

use concentrator_core::{DateTime as CoreTime, Item, SwitchAction};

use super::convert::{clock_of, date_of};
use crate::unit::Data;
use crate::{Afn, FrameRepr, UnitError};

/// How long a remote switch command stays valid at the meter (DL/T 645 0x1C carries a
/// validity deadline; 1376.1 AFN 05 F1 has no such field), seconds.
pub const SWITCH_VALIDITY_S: i64 = 600;

/// Forward active total and tariffs 1–4 (AFN 0C F129 / F33 answer M = 4).
const FORWARD_ACTIVE: [Item; 5] = [
    Item::ActiveEnergyImport { tariff: 0 },
    Item::ActiveEnergyImport { tariff: 1 },
    Item::ActiveEnergyImport { tariff: 2 },
    Item::ActiveEnergyImport { tariff: 3 },
    Item::ActiveEnergyImport { tariff: 4 },
];

/// What AFN 0C F25 needs: total active power, power factor, phase voltages and currents.
const POWER: [Item; 4] = [
    Item::ActivePower,
    Item::PowerFactor,
    Item::Voltage(concentrator_core::Phase::All),
    Item::Current(concentrator_core::Phase::All),
];

/// One core action for one (pn, Fn) of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command<'a> {
    /// 0C F2 on p0: the terminal's own clock; no meter read.
    TerminalClock,
    /// 0C F25/F33/F129: real-time reads (`read_now`) of these items.
    Read {
        /// Archive number (= pn).
        meter: u16,
        /// The items, in order.
        items: &'static [Item],
    },
    /// 0D F161/F177: the frozen value for `label`: from the store when held, otherwise a
    /// read of `item` (`FrozenDay`/`MonthlySettlement` counted back from today).
    Frozen {
        /// Archive number (= pn).
        meter: u16,
        /// The frozen read.
        item: Item,
        /// The day (midnight) or month (its first day) asked for.
        label: CoreTime,
    },
    /// 05 F1/F2: switch with the meter's archived password.
    Switch {
        /// Archive number (= pn).
        meter: u16,
        /// Trip or allow close.
        action: SwitchAction,
        /// Validity deadline at the meter.
        valid_until: CoreTime,
    },
    /// 05 F31: set the concentrator clock (and the meters' by the clock round).
    SetClock(CoreTime),
    /// 04 F10: one archive entry, as a core meter (`None`: a protocol the core does not read;
    /// such an entry removes the point).
    SetArchive {
        /// The entry's serial.
        serial: u16,
        /// The measuring point.
        point: u16,
        /// The meter, if readable.
        meter: Option<concentrator_core::Meter>,
        /// The entry as received (kept to answer 0A F10 with what was downloaded).
        entry: crate::unit::MeterEntry,
    },
    /// 05 F49 / F50: pause or resume scheduled reading on a terminal port.
    Port {
        /// The terminal port.
        port: u8,
        /// F49 (pause) rather than F50 (resume).
        pause: bool,
    },
    /// 04 F1: new uplink communication parameters (heartbeat period, CON classes …).
    SetCommParams(crate::unit::CommParams),
    /// 04 F9: new event record configuration (which ERCs are recorded, which important).
    SetEventConfig(crate::unit::EventConfig),
    /// 0A F1 / F9 on p0: report the current parameters of this Fn.
    QueryParams,
    /// 0A F10: report the archive entry with this serial.
    QueryArchive {
        /// The serial asked for.
        serial: u16,
    },
    /// 0E F1 (important) / F2 (general): stored events pm..pn.
    Events {
        /// F1 rather than F2.
        important: bool,
        /// Start pointer.
        pm: u8,
        /// End pointer.
        pn: u8,
    },
    /// 05 F29 (allow) / F37 (forbid): the terminal's active reporting of events.
    Reporting {
        /// F29 rather than F37.
        allow: bool,
    },
    /// 10 F1: send `frame` on `port` and return the answer.
    Forward {
        /// Terminal port.
        port: u8,
        /// Port control byte (baud, parity).
        control: u8,
        /// Frame timeout, as sent.
        frame_timeout: u8,
        /// The bytes to send.
        frame: &'a [u8],
    },
}

/// A command with the (pn, Fn) it answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Planned<'a> {
    /// The point.
    pub pn: u16,
    /// The Fn.
    pub fn_number: u16,
    /// What to do.
    pub command: Command<'a>,
}

/// Why a request has no core mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MapError {
    /// A data unit does not decode.
    #[error("data unit: {0}")]
    Unit(UnitError),
    /// The (AFN, Fn) is not one the concentrator executes.
    #[error("AFN {afn:#04x} F{fn_number} is not supported")]
    Unsupported {
        /// The AFN code.
        afn: u8,
        /// The Fn.
        fn_number: u16,
    },
    /// A time label outside what the meters keep (daily 1–62 days, monthly 1–12 months
    /// back), or not a calendar date.
    #[error("p{pn} F{fn_number}: time label out of range")]
    Label {
        /// The point.
        pn: u16,
        /// The Fn.
        fn_number: u16,
    },
}

/// Maps every data unit of `request` to a command, calling `each` in order; returns how
/// many. `now` is the concentrator's calendar time (frozen labels count back from it).
pub fn plan<'a>(
    request: &FrameRepr<'a>,
    now: CoreTime,
    mut each: impl FnMut(Planned<'a>),
) -> Result<usize, MapError> {
    let afn = request.afn;
    let mut n = 0;
    for unit in request.data_units() {
        let unit = unit.map_err(MapError::Unit)?;
        let (pn, f) = (unit.pn, unit.fn_number);
        let data = unit.data().map_err(MapError::Unit)?;
        let unsupported = MapError::Unsupported {
            afn: afn.to_byte(),
            fn_number: f,
        };
        let label = MapError::Label { pn, fn_number: f };
        let command = match (afn, f, data) {
            (Afn::Class1, 2, _) if pn == 0 => Command::TerminalClock,
            (Afn::Class1, 33 | 129, _) if pn > 0 => Command::Read {
                meter: pn,
                items: &FORWARD_ACTIVE,
            },
            (Afn::Class1, 25, _) if pn > 0 => Command::Read {
                meter: pn,
                items: &POWER,
            },
            (Afn::Class2, 161, Some(Data::DayLabel(d))) => {
                let day = date_of(d).ok_or(label)?;
                let back = now.days_since_2000() - day.days_since_2000();
                let days_ago = u8::try_from(back).ok().filter(|b| (1..=62).contains(b));
                Command::Frozen {
                    meter: pn,
                    item: Item::FrozenDay {
                        days_ago: days_ago.ok_or(label)?,
                    },
                    label: day,
                }
            }
            (Afn::Class2, 177, Some(Data::MonthLabel(m))) => {
                let first = CoreTime::new(2000 + u16::from(m.year), m.month, 1, 0, 0, 0)
                    .map_err(|_| label)?;
                let months = |t: CoreTime| i64::from(t.year()) * 12 + i64::from(t.month());
                let back = months(now) - months(first);
                let months_ago = u8::try_from(back).ok().filter(|b| (1..=12).contains(b));
                Command::Frozen {
                    meter: pn,
                    item: Item::MonthlySettlement {
                        months_ago: months_ago.ok_or(label)?,
                    },
                    label: first,
                }
            }
            (Afn::Control, 1 | 2, _) if pn > 0 => Command::Switch {
                meter: pn,
                action: if f == 1 {
                    SwitchAction::Off
                } else {
                    SwitchAction::On
                },
                valid_until: now.add_seconds(SWITCH_VALIDITY_S).ok_or(label)?,
            },
            (Afn::Control, 29 | 37, _) if pn == 0 => Command::Reporting { allow: f == 29 },
            (Afn::Control, 31, Some(Data::SetTime(t))) => {
                Command::SetClock(clock_of(t).ok_or(label)?)
            }
            (Afn::Control, 49 | 50, Some(Data::Port(port))) => Command::Port {
                port,
                pause: f == 49,
            },
            (Afn::SetParameters, 1, Some(Data::CommParams(p))) if pn == 0 => {
                Command::SetCommParams(p)
            }
            (Afn::SetParameters, 9, Some(Data::EventConfig(c))) if pn == 0 => {
                Command::SetEventConfig(c)
            }
            (Afn::QueryParameters, 1 | 9, _) if pn == 0 => Command::QueryParams,
            (Afn::SetParameters, 10, Some(Data::Archive(list))) => {
                for e in list.iter() {
                    each(Planned {
                        pn,
                        fn_number: f,
                        command: Command::SetArchive {
                            serial: e.serial,
                            point: e.point,
                            meter: super::convert::meter_of_entry(&e),
                            entry: e,
                        },
                    });
                    n += 1;
                }
                continue;
            }
            (Afn::QueryParameters, 10, Some(Data::ArchiveQuery(list))) => {
                for serial in list.iter() {
                    each(Planned {
                        pn,
                        fn_number: f,
                        command: Command::QueryArchive { serial },
                    });
                    n += 1;
                }
                continue;
            }
            (Afn::Class3, 1 | 2, Some(Data::EventQuery { pm, pn: end })) => Command::Events {
                important: f == 1,
                pm,
                pn: end,
            },
            (Afn::Forward, 1, Some(Data::ForwardRequest(r))) => Command::Forward {
                port: r.port,
                control: r.control,
                frame_timeout: r.frame_timeout,
                frame: r.frame,
            },
            _ => return Err(unsupported),
        };
        each(Planned {
            pn,
            fn_number: f,
            command,
        });
        n += 1;
    }
    Ok(n)
}
