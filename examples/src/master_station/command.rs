//! The commands the master station offers, built as request frames.

use std::fmt;
use std::str::FromStr;

use qgdw1376_1::unit::{
    CommParams, Data, EventConfig, ForwardRequest, MeterEntry, RemoteTrip, emit_group,
};
use qgdw1376_1::value::{Date, DateTime, Month};
use qgdw1376_1::{Address, Afn, Da, Dt, PW_LEN};

/// A concentrator's address: area code and terminal address, written `AAAA:TTTT` in hex as
/// the vectors print them (`0200:1234`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TerminalId {
    /// A1.
    pub area: u16,
    /// A2.
    pub terminal: u16,
}

impl TerminalId {
    /// The address field of a request from master `master`.
    pub fn address(self, master: u8) -> Address {
        Address {
            area: self.area,
            terminal: self.terminal,
            master,
            group: false,
        }
    }
}

impl fmt::Display for TerminalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04X}:{:04X}", self.area, self.terminal)
    }
}

impl FromStr for TerminalId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (a, t) = s
            .split_once(':')
            .ok_or_else(|| format!("terminal '{s}': expected AAAA:TTTT (hex)"))?;
        let hex = |x: &str| {
            u16::from_str_radix(x, 16).map_err(|_| format!("terminal '{s}': '{x}' is not hex"))
        };
        Ok(Self {
            area: hex(a)?,
            terminal: hex(t)?,
        })
    }
}

/// One request to a concentrator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// AFN 0C: real-time data `fn_number` of point `pn` (F2 clock on p0, F25, F33, F129).
    ReadNow {
        /// Point.
        pn: u16,
        /// Fn.
        fn_number: u16,
    },
    /// AFN 0D F161: daily frozen forward active readings of `pn` on `date`.
    FrozenDay {
        /// Point.
        pn: u16,
        /// The day.
        date: Date,
    },
    /// AFN 0D F177: monthly frozen readings of `pn` for `month`.
    FrozenMonth {
        /// Point.
        pn: u16,
        /// The month.
        month: Month,
    },
    /// AFN 0E F1 (important) or F2 (general): events `pm..pn`.
    Events {
        /// F1 rather than F2.
        important: bool,
        /// Start pointer.
        pm: u8,
        /// End pointer.
        pn: u8,
    },
    /// AFN 10 F1: send `frame` on `port`, return the meter's answer (2400 baud 8E1, wait
    /// 10 s for the answer).
    Forward {
        /// Terminal port.
        port: u8,
        /// The bytes.
        frame: Vec<u8>,
        /// PW.
        pw: [u8; PW_LEN],
    },
    /// AFN 05 F49 (pause) / F50 (resume): scheduled reading on a terminal port.
    PortControl {
        /// Terminal port.
        port: u8,
        /// Pause rather than resume.
        pause: bool,
        /// PW.
        pw: [u8; PW_LEN],
    },
    /// AFN 05 F1: remote trip of `pn`.
    Trip {
        /// Point.
        pn: u16,
        /// PW.
        pw: [u8; PW_LEN],
    },
    /// AFN 05 F2: allow close of `pn`.
    AllowClose {
        /// Point.
        pn: u16,
        /// PW.
        pw: [u8; PW_LEN],
    },
    /// AFN 05 F29 (allow) / F37 (forbid): the concentrator's active event reporting.
    Reporting {
        /// F29 rather than F37.
        allow: bool,
        /// PW.
        pw: [u8; PW_LEN],
    },
    /// AFN 05 F31: set the concentrator clock.
    SetTime {
        /// The time.
        time: DateTime,
        /// PW.
        pw: [u8; PW_LEN],
    },
    /// AFN 04 F10: download archive entries.
    ArchiveSet {
        /// The entries.
        entries: Vec<MeterEntry>,
        /// PW.
        pw: [u8; PW_LEN],
    },
    /// AFN 0A F10: query archive entries by serial.
    ArchiveQuery {
        /// The serials.
        serials: Vec<u16>,
    },
    /// AFN 04 F1: set the uplink communication parameters (heartbeat, CON classes …).
    CommParamsSet {
        /// The parameters.
        params: CommParams,
        /// PW.
        pw: [u8; PW_LEN],
    },
    /// AFN 04 F9: set the event record configuration (recorded and important ERCs).
    EventConfigSet {
        /// The flags.
        config: EventConfig,
        /// PW.
        pw: [u8; PW_LEN],
    },
    /// AFN 0A F1 (`fn_number` 1: uplink communication parameters) or F9 (event record
    /// configuration), and any other terminal parameter Fn without request data.
    ParamsQuery {
        /// The Fn.
        fn_number: u16,
    },
}

/// A command as the parts of its request frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    /// The AFN.
    pub afn: Afn,
    /// The function code.
    pub code: u8,
    /// The PW field, on the AFNs that carry one.
    pub pw: Option<[u8; PW_LEN]>,
    /// The data units.
    pub units: Vec<u8>,
}

impl Command {
    /// AFN, function code (10 class-1 / user data, 11 class-2 / class-3, notes §2.2), PW and
    /// the data units.
    pub fn build(&self) -> Result<Built, String> {
        let mut buf = vec![0u8; 4096];
        let group = |buf: &mut [u8], pn: u16, f: u16, data: &[Data<'_>]| {
            let da = Da::point(pn).ok_or_else(|| format!("point {pn} is above 2040"))?;
            let dt = Dt::function(f).ok_or_else(|| format!("F{f} is not a valid Fn"))?;
            emit_group(buf, da, dt, data).map_err(|e| format!("encode: {e}"))
        };
        let (afn, code, pw, n) = match self {
            Self::ReadNow { pn, fn_number } => (
                Afn::Class1,
                11,
                None,
                group(&mut buf, *pn, *fn_number, &[Data::Empty])?,
            ),
            Self::FrozenDay { pn, date } => (
                Afn::Class2,
                11,
                None,
                group(&mut buf, *pn, 161, &[Data::DayLabel(*date)])?,
            ),
            Self::FrozenMonth { pn, month } => (
                Afn::Class2,
                11,
                None,
                group(&mut buf, *pn, 177, &[Data::MonthLabel(*month)])?,
            ),
            Self::Events { important, pm, pn } => (
                Afn::Class3,
                11,
                None,
                group(
                    &mut buf,
                    0,
                    if *important { 1 } else { 2 },
                    &[Data::EventQuery { pm: *pm, pn: *pn }],
                )?,
            ),
            Self::Forward { port, frame, pw } => (
                Afn::Forward,
                10,
                Some(*pw),
                group(
                    &mut buf,
                    0,
                    1,
                    &[Data::ForwardRequest(ForwardRequest {
                        port: *port,
                        control: 0x6B,
                        frame_timeout: 0x80 | 10,
                        byte_timeout: 5,
                        frame,
                    })],
                )?,
            ),
            Self::Trip { pn, pw } => (
                Afn::Control,
                10,
                Some(*pw),
                group(
                    &mut buf,
                    *pn,
                    1,
                    &[Data::RemoteTrip(RemoteTrip {
                        limit: 0,
                        alarm_delay: 0,
                    })],
                )?,
            ),
            Self::AllowClose { pn, pw } => (
                Afn::Control,
                10,
                Some(*pw),
                group(&mut buf, *pn, 2, &[Data::Empty])?,
            ),
            Self::Reporting { allow, pw } => (
                Afn::Control,
                10,
                Some(*pw),
                group(&mut buf, 0, if *allow { 29 } else { 37 }, &[Data::Empty])?,
            ),
            Self::PortControl { port, pause, pw } => (
                Afn::Control,
                10,
                Some(*pw),
                group(
                    &mut buf,
                    0,
                    if *pause { 49 } else { 50 },
                    &[Data::Port(*port)],
                )?,
            ),
            Self::SetTime { time, pw } => (
                Afn::Control,
                10,
                Some(*pw),
                group(&mut buf, 0, 31, &[Data::SetTime(*time)])?,
            ),
            Self::ArchiveSet { entries, pw } => (
                Afn::SetParameters,
                10,
                Some(*pw),
                group(
                    &mut buf,
                    0,
                    10,
                    &[Data::Archive(qgdw1376_1::unit::List::Items(entries))],
                )?,
            ),
            Self::ArchiveQuery { serials } => (
                Afn::QueryParameters,
                11,
                None,
                group(
                    &mut buf,
                    0,
                    10,
                    &[Data::ArchiveQuery(qgdw1376_1::unit::List::Items(serials))],
                )?,
            ),
            Self::CommParamsSet { params, pw } => (
                Afn::SetParameters,
                10,
                Some(*pw),
                group(&mut buf, 0, 1, &[Data::CommParams(*params)])?,
            ),
            Self::EventConfigSet { config, pw } => (
                Afn::SetParameters,
                10,
                Some(*pw),
                group(&mut buf, 0, 9, &[Data::EventConfig(*config)])?,
            ),
            Self::ParamsQuery { fn_number } => (
                Afn::QueryParameters,
                11,
                None,
                group(&mut buf, 0, *fn_number, &[Data::Empty])?,
            ),
        };
        buf.truncate(n);
        Ok(Built {
            afn,
            code,
            pw,
            units: buf,
        })
    }
}
