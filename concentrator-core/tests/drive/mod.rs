//! A bounded drive loop that feeds the engine an arbitrary sequence of inputs (bytes on any
//! channel, time jumps, commands, archive changes) and checks its invariants. Shared by the
//! proptest in `tests/engine_props.rs` and the `core_events` fuzz target (which includes
//! this file by path).
#![allow(dead_code)]

use std::collections::BTreeMap;

use concentrator_core::{
    ChannelConfig, ChannelId, ChannelKind, CommandId, Concentrator, ControlAuth, DateTime,
    EventKind, Instant, Item, LineSettings, MAX_TRANSMIT, MemStore, Meter, MeterAddress,
    OffsetClock, Origin, Phase, Protocol, ReadSet, Store, SwitchAction, Task,
};

type Engine = Concentrator<MemStore<256>, OffsetClock, 8>;

const CHANNELS: u8 = 4;

fn meter(no: u16) -> Option<Meter> {
    let (protocol, address, channel) = match no {
        1..=3 => (
            Protocol::Dlt645_2007,
            MeterAddress::dlt645(u64::from(no)).ok()?,
            0,
        ),
        4 => (Protocol::Dlt645_1997, MeterAddress::dlt645(4).ok()?, 0),
        5 => (Protocol::Dlt645_2007, MeterAddress::dlt645(5).ok()?, 1),
        6 => (Protocol::MbusPrimary, MeterAddress::MbusPrimary(1), 2),
        8 => (Protocol::Dlt645_2007, MeterAddress::dlt645(8).ok()?, 3),
        7 => (
            Protocol::MbusSecondary,
            MeterAddress::MbusSecondary([0x78, 0x56, 0x34, 0x12, 0x2D, 0x2C, 0x08, 0x04]),
            2,
        ),
        _ => return None,
    };
    Some(Meter {
        archive_no: no,
        protocol,
        address,
        channel: ChannelId(channel),
        baud: None,
        control: Some(ControlAuth {
            level: 2,
            password: [0x56, 0x34, 0x12],
            operator: [1, 2, 3, 4],
        }),
        reads: ReadSet::all(),
        allow_clock_set: true,
    })
}

fn item(b: u8) -> Item {
    match b % 13 {
        12 => Item::LoadCurve {
            start: DateTime::new(2026, 5, 31, 0, 0, 0).unwrap(),
            count: b / 13 * 5,
            interval_min: 15,
        },
        0 => Item::ActiveEnergyImport { tariff: b / 12 % 5 },
        1 => Item::ActiveEnergyExport { tariff: 0 },
        2 => Item::Voltage(Phase::All),
        3 => Item::Current(Phase::A),
        4 => Item::ActivePower,
        5 => Item::PowerFactor,
        6 => Item::Clock,
        7 => Item::RelayState,
        8 => Item::FrozenDay { days_ago: b / 12 },
        9 => Item::MonthlySettlement { months_ago: b / 12 },
        10 => Item::Volume,
        _ => Item::RawMbusRecord(b / 12),
    }
}

/// What a drive did, for the caller's statistics.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Report {
    pub(crate) transmits: usize,
    pub(crate) accepted: usize,
    pub(crate) events: usize,
}

struct Driver {
    engine: Box<Engine>,
    now: u64,
    accepted: BTreeMap<CommandId, u32>,
    last_tx: Vec<Vec<u8>>,
    report: Report,
}

impl Driver {
    fn drain(&mut self) {
        let now = Instant::from_ticks(self.now);
        let mut buf = [0u8; MAX_TRANSMIT];
        let mut sent_now = [false; CHANNELS as usize];
        while let Some(tx) = self.engine.poll_transmit(now, &mut buf) {
            let c = usize::from(tx.channel.0);
            // One transaction per meter bus: never two requests on one at one instant. (The
            // carrier UART, channel 3, also carries the session's confirmations of module
            // reports, so two frames there are fine.)
            assert!(
                c == 3 || !sent_now[c],
                "two requests on channel {c} at {}",
                self.now
            );
            sent_now[c] = true;
            assert!(tx.len > 0 && tx.len <= buf.len());
            self.last_tx[c] = buf[..tx.len].to_vec();
            self.report.transmits += 1;
        }
        while let Some(ev) = self.engine.poll_event() {
            self.report.events += 1;
            if let EventKind::CommandResult { id, .. } | EventKind::ForwardResult { id, .. } =
                ev.kind
            {
                let n = self
                    .accepted
                    .get_mut(&id)
                    .unwrap_or_else(|| panic!("result for unknown command {id:?}"));
                *n += 1;
                assert_eq!(*n, 1, "second result for {id:?}");
            }
            if let EventKind::ForwardResult { id, len, .. } = ev.kind {
                // The reply is there, as long as announced, until the next forward.
                let reply = self.engine.forward_reply(id).expect("forward reply");
                assert_eq!(reply.len(), usize::from(len));
            }
            if let EventKind::Reading(r) = ev.kind {
                // No data is never a number.
                if r.quality != concentrator_core::Quality::Good {
                    assert_eq!(r.value, concentrator_core::Value::Missing);
                }
            }
        }
        // The uplink acknowledges everything, so the store never fills.
        let mut after = None;
        while let Some((id, _)) = self.engine.store().next_unforwarded(after) {
            self.engine.store_mut().mark_forwarded(id).unwrap();
            after = Some(id);
        }
    }
}

/// Drives the engine with `data` and checks the invariants; panics on a violation.
pub(crate) fn drive(data: &[u8]) -> Report {
    let epoch = DateTime::new(2026, 5, 31, 23, 50, 0).unwrap();
    let mut engine = Box::new(Engine::new(MemStore::new(), OffsetClock { epoch }));
    let lines = [
        LineSettings::DLT645_2400,
        LineSettings {
            tries: 2,
            ..LineSettings::DLT645_1200
        },
        LineSettings::MBUS_2400,
    ];
    for (i, line) in lines.iter().enumerate() {
        let kind = if i == 2 {
            ChannelKind::Mbus
        } else {
            ChannelKind::Rs485
        };
        engine
            .add_channel(ChannelId(i as u8), ChannelConfig { kind, line: *line })
            .unwrap();
    }
    // A carrier module nobody answers for: start-up fails, its work ends as failed.
    let mut config = qgdw1376_2::session::Config::new(qgdw1376_2::Address([1, 0, 0, 0, 0, 0]));
    config.start = qgdw1376_2::session::StartMode::Query;
    engine
        .add_carrier(ChannelId(3), LineSettings::CARRIER_9600, config)
        .unwrap();
    for no in 1..=8 {
        engine.add_meter(meter(no).unwrap()).unwrap();
    }
    let mut d = Driver {
        engine,
        now: 0,
        accepted: BTreeMap::new(),
        last_tx: vec![Vec::new(); usize::from(CHANNELS)],
        report: Report::default(),
    };
    d.engine.handle_timeout(Instant::from_ticks(0));
    d.drain();
    let mut it = data.iter().copied();
    let mut next = move || it.next();
    while let Some(op) = next() {
        let arg = next().unwrap_or(0);
        let now = Instant::from_ticks(d.now);
        match op % 11 {
            0 => {
                let len = usize::from(next().unwrap_or(0) % 64);
                let bytes: Vec<u8> = (0..len).filter_map(|_| next()).collect();
                d.engine
                    .handle_received(ChannelId(arg % (CHANNELS + 1)), &bytes, now);
            }
            1 => {
                d.now += u64::from(arg) * u64::from(next().unwrap_or(1));
                d.engine.handle_timeout(Instant::from_ticks(d.now));
            }
            2 => {
                if let Ok(id) = d.engine.read_now(
                    u16::from(arg % 9),
                    item(next().unwrap_or(0)),
                    Origin::Master,
                ) {
                    assert!(d.accepted.insert(id, 0).is_none());
                }
            }
            3 => {
                let action = if arg & 1 == 0 {
                    SwitchAction::Off
                } else {
                    SwitchAction::On
                };
                let until = DateTime::new(2026, 6, 1, 12, 0, 0).unwrap();
                if let Ok(id) =
                    d.engine
                        .switch(u16::from(arg / 2 % 9), action, until, Origin::Local)
                {
                    assert!(d.accepted.insert(id, 0).is_none());
                }
            }
            4 => {
                if arg & 0x80 != 0 {
                    d.engine.set_router_led(arg & 0x40 != 0);
                }
                d.engine.start_round(match arg % 4 {
                    0 => Task::LoadCurve,
                    1 => Task::DailyFrozen,
                    2 => Task::Monthly,
                    _ => Task::ClockSync,
                })
            }
            5 => {
                let no = u16::from(arg % 9);
                if d.engine.remove_meter(no).is_err()
                    && let Some(m) = meter(no)
                {
                    d.engine.add_meter(m).unwrap();
                }
            }
            6 => {
                if let Some(t) = d.engine.poll_timeout() {
                    d.now = d.now.max(t.ticks());
                    d.engine.handle_timeout(Instant::from_ticks(d.now));
                }
            }
            7 => {
                // Our own request echoed back (IR heads, some RS-485 adapters).
                let c = usize::from(arg % CHANNELS);
                let echo = d.last_tx[c].clone();
                d.engine.handle_received(ChannelId(c as u8), &echo, now);
            }
            9 => {
                // A transparent forward: arbitrary bytes, or a request the engine sent.
                let c = arg % (CHANNELS + 1);
                let len = usize::from(next().unwrap_or(0));
                // (On the carrier channel, 3, a DL/T 645 request from channel 0: the module
                // is asked to read at its address.)
                let from = if c == 3 { 0 } else { c % CHANNELS };
                let frame: Vec<u8> = if len % 2 == 0 {
                    d.last_tx[usize::from(from)].clone()
                } else {
                    (0..len).filter_map(|_| next()).collect()
                };
                let timeout = concentrator_core::Duration::millis(u64::from(arg) * 10);
                if let Ok(id) =
                    d.engine
                        .forward(ChannelId(c), &frame, None, timeout, Origin::Master)
                {
                    assert!(d.accepted.insert(id, 0).is_none());
                }
            }
            10 => {
                let _ = d
                    .engine
                    .set_paused(ChannelId(arg % (CHANNELS + 1)), arg & 0x10 != 0);
            }
            _ => {
                let mut m = meter(u16::from(arg % 8) + 1).unwrap();
                m.reads = ReadSet::from_bits_truncate(u16::from(next().unwrap_or(0)) << 3);
                let _ = d.engine.change_meter(m);
            }
        }
        d.drain();
    }
    // Bounded drive to quiescence: with no more input every transaction times out, every
    // round ends, every command gets its result. More steps than this is a livelock.
    // Resumed, every held round runs to its end.
    for c in 0..CHANNELS {
        d.engine.set_paused(ChannelId(c), false).unwrap();
    }
    d.drain();
    let mut steps = 0;
    while (0..CHANNELS).any(|c| d.engine.is_busy(ChannelId(c))) {
        steps += 1;
        assert!(steps < 100_000, "livelock: engine never goes idle");
        let t = d
            .engine
            .poll_timeout()
            .expect("busy engine without a timer");
        d.now = d.now.max(t.ticks());
        d.engine.handle_timeout(Instant::from_ticks(d.now));
        d.drain();
    }
    for (id, n) in &d.accepted {
        assert_eq!(*n, 1, "command {id:?} got {n} results");
    }
    d.report.accepted = d.accepted.len();
    d.report
}
