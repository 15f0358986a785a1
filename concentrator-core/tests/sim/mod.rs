//! Deterministic discrete-event simulation of a concentrator's buses.
//!
//! A virtual clock jumps to the next wake-up (the engine's timeout or the next byte delivery).
//! Simulated DL/T 645 meters answer with frames built by the `dlt645` crate. Faults are
//! injected from a seeded generator, so the same seed gives the same transcript.
#![allow(dead_code)]
// Test helpers index freely (clippy.toml allows it in #[test] functions only).
#![allow(clippy::indexing_slicing)]

use std::collections::BTreeMap;

use concentrator_core::{
    Alarm, ChannelConfig, ChannelId, ChannelKind, Concentrator, ControlAuth, DateTime, Duration,
    Event, Instant, LineSettings, MAX_TRANSMIT, Meter, MeterAddress, OffsetClock, Protocol,
    ReadSet, RecordId, Transmit,
};
use concentrator_core::{EventKind, Task};
use dlt645::{Address, Body, Err2007, ErrorWord, Frame, Function, Payload, Reply, Repr, Request};

/// The meters' minimum turnaround Td (DL/T 645: 20 ms ≤ Td ≤ 500 ms, notes §1.1).
pub(crate) const TD_MIN_MS: u64 = 20;

/// A small, seeded xorshift generator (deterministic, no dependency).
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub(crate) fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    /// True with probability `percent` / 100.
    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// How a simulated meter misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// Answers every request it hears.
    None,
    /// Never answers.
    Silent,
    /// Every reply has a corrupted byte (checksum fails).
    Corrupt,
    /// Answers 2 s late (after the master's timeout).
    Late,
    /// Answers every read with an error reply (ERR bit 1, no requested data).
    ErrorReply,
    /// Answers only every third request.
    EveryThird,
}

/// A simulated DL/T 645-2007 meter.
#[derive(Debug, Clone)]
pub(crate) struct SimMeter {
    pub(crate) address: [u8; 6],
    /// Forward active energy, hundredths of kWh.
    pub(crate) energy: u64,
    /// Meter clock minus wall clock, seconds.
    pub(crate) clock_offset: i64,
    pub(crate) relay_open: bool,
    pub(crate) password: [u8; 3],
    pub(crate) fault: Fault,
    pub(crate) heard: u32,
    /// When `Some(n)`, a read of DI 04000403 (asset code, raw) answers in `n` frames.
    pub(crate) follow_parts: u8,
    /// Broadcast time syncs accepted.
    pub(crate) broadcasts: u32,
    /// The load-curve block being read: start and count.
    curve_asked: (dlt645::MinuteTime, u8),
}

impl SimMeter {
    pub(crate) fn new(number: u64, energy: u64) -> Self {
        let MeterAddress::Dlt645(address) = MeterAddress::dlt645(number).unwrap() else {
            unreachable!()
        };
        SimMeter {
            address,
            energy,
            clock_offset: 0,
            relay_open: false,
            password: [0x56, 0x34, 0x12],
            fault: Fault::None,
            heard: 0,
            follow_parts: 2,
            broadcasts: 0,
            curve_asked: (
                dlt645::MinuteTime {
                    year: 2000,
                    month: 1,
                    day: 1,
                    hour: 0,
                    minute: 0,
                },
                0,
            ),
        }
    }
}

fn bcd(v: u64) -> u8 {
    (((v / 10) % 10) << 4 | (v % 10)) as u8
}

fn bcd_le(mut v: u64, n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(bcd(v % 100));
        v /= 100;
    }
    out
}

/// A simulated M-Bus slave answering with real telegrams (libmbus corpus).
#[derive(Debug, Clone)]
pub(crate) struct SimSlave {
    pub(crate) primary: u8,
    /// User data (after the CI byte 0x72) of each telegram of one readout.
    pub(crate) telegrams: Vec<Vec<u8>>,
    /// The telegram a REQ_UD2 with a fresh FCB gets.
    next: usize,
    /// The FCB a fresh request carries (1 after SND_NKE).
    expected_fcb: bool,
    pub(crate) fault: Fault,
    pub(crate) heard: u32,
    /// Readouts served to the end.
    pub(crate) readouts: u32,
    /// Put in the archive by secondary address (its telegram header) instead of primary.
    pub(crate) by_secondary: bool,
    /// Selected by a CI 0x52 selection (answers requests to address 253).
    selected: bool,
}

impl SimSlave {
    pub(crate) fn new(primary: u8, telegrams: Vec<Vec<u8>>) -> Self {
        SimSlave {
            primary,
            telegrams,
            next: 0,
            expected_fcb: true,
            fault: Fault::None,
            heard: 0,
            readouts: 0,
            by_secondary: false,
            selected: false,
        }
    }

    /// The secondary address in the slave's telegram header.
    pub(crate) fn secondary(&self) -> [u8; 8] {
        self.telegrams[0][..8].try_into().unwrap()
    }
}

/// The Kamstrup Multical 601 telegram of the libmbus corpus
/// (shared/vectors/mbus/libmbus/frames/kamstrup_multical_601.hex), as user data after CI;
/// with `split`, cut after its third record into two telegrams, the first ending with DIF
/// 0x1F ("more records follow").
pub(crate) fn kamstrup_telegrams(split: bool) -> Vec<Vec<u8>> {
    let hex = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/vectors/mbus/libmbus/frames/kamstrup_multical_601.hex"
    ));
    let bytes: Vec<u8> = hex
        .split_whitespace()
        .map(|h| u8::from_str_radix(h, 16).unwrap())
        .collect();
    let frame = wired_mbus::Frame::new_checked(&bytes).unwrap();
    let data = frame.user_data().to_vec();
    if !split {
        return vec![data];
    }
    let Ok(wired_mbus::app::UserData::Variable(v)) = wired_mbus::app::UserData::from_frame(&frame)
    else {
        panic!("not variable data")
    };
    let ends: Vec<usize> = v
        .records()
        .map(|r| {
            let r = r.unwrap();
            r.offset() + r.wire_len()
        })
        .collect();
    let header = &data[..12];
    let cut = ends[2];
    let mut first = data[..cut].to_vec();
    first.push(0x1F);
    let mut second = header.to_vec();
    second.extend_from_slice(&data[cut..]);
    vec![first, second]
}

/// An M-Bus segment at 2400 baud with `n` Kamstrup slaves at primary addresses 1..=n.
pub(crate) fn mbus_bus(n: usize, split: bool, loss: u64) -> Bus {
    Bus {
        slaves: (0..n)
            .map(|i| SimSlave::new(i as u8 + 1, kamstrup_telegrams(split)))
            .collect(),
        ..Bus::empty(ChannelKind::Mbus, LineSettings::MBUS_2400, loss)
    }
}

/// A bus with its meters.
pub(crate) struct Bus {
    pub(crate) kind: ChannelKind,
    pub(crate) line: LineSettings,
    pub(crate) meters: Vec<SimMeter>,
    pub(crate) slaves: Vec<SimSlave>,
    /// Carrier module: the node list it holds (synchronised by the session).
    pub(crate) nodes: Vec<[u8; 6]>,
    /// Carrier module: reads relayed (AFN 13 F1 answered).
    pub(crate) relayed: u32,
    /// Carrier module: walks its nodes and asks what to read (router-led).
    pub(crate) router_led: bool,
    router_at: Option<usize>,
    router_wait: RouterWait,
    module_seq: u8,
    /// Carrier module: router-led walks finished.
    pub(crate) router_rounds: u32,
    /// Percent of exchanges lost (request or reply never arrives).
    pub(crate) loss: u64,
    /// Carrier module: the time a broadcast takes to reach the meters, in seconds; `Some`
    /// makes the module announce delay correction for broadcasts (AFN 03 F10 byte 1 D0) and
    /// answer AFN 03 F9 with it.
    pub(crate) broadcast_delay_s: Option<u16>,
    /// Carrier module: AFN 03 F9 queries answered.
    pub(crate) delay_queries: u32,
}

impl Bus {
    /// A bus of `kind` with no meters or slaves yet, its carrier module (if any) idle.
    fn empty(kind: ChannelKind, line: LineSettings, loss: u64) -> Self {
        Bus {
            kind,
            line,
            meters: Vec::new(),
            slaves: Vec::new(),
            nodes: Vec::new(),
            relayed: 0,
            router_led: false,
            router_at: None,
            router_wait: RouterWait::Idle,
            module_seq: 0,
            router_rounds: 0,
            loss,
            broadcast_delay_s: None,
            delay_queries: 0,
        }
    }
}

/// A byte delivery to the engine.
#[derive(Debug, Clone)]
struct Delivery {
    channel: u8,
    bytes: Vec<u8>,
}

/// Per-transaction record for the efficiency figure.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Exchange {
    pub(crate) channel: u8,
    pub(crate) sent_at: u64,
    pub(crate) req_len: usize,
    pub(crate) reply_len: usize,
    pub(crate) reply_at: Option<u64>,
}

/// A growable store for the simulation (the engine's `Store` trait over a `Vec`), which can
/// be told to refuse appends to test back-pressure.
#[derive(Debug, Default)]
pub(crate) struct VecStore {
    pub(crate) records: Vec<(Event, bool)>,
    pub(crate) refuse: bool,
}

impl concentrator_core::Store for VecStore {
    type Error = ();
    fn append(&mut self, event: &Event) -> Result<RecordId, ()> {
        if self.refuse {
            return Err(());
        }
        self.records.push((*event, false));
        Ok(RecordId(self.records.len() as u64 - 1))
    }
    fn mark_forwarded(&mut self, id: RecordId) -> Result<(), ()> {
        self.records.get_mut(id.0 as usize).ok_or(())?.1 = true;
        Ok(())
    }
    fn next_unforwarded(&self, after: Option<RecordId>) -> Option<(RecordId, Event)> {
        let from = after.map_or(0, |a| a.0 as usize + 1);
        self.records
            .iter()
            .enumerate()
            .skip(from)
            .find(|(_, r)| !r.1)
            .map(|(i, r)| (RecordId(i as u64), r.0))
    }
    fn query(
        &self,
        meter: u16,
        from: DateTime,
        to: DateTime,
        after: Option<RecordId>,
    ) -> Option<(RecordId, Event)> {
        let start = after.map_or(0, |a| a.0 as usize + 1);
        self.records
            .iter()
            .enumerate()
            .skip(start)
            .find(|(_, r)| r.0.meter() == Some(meter) && r.0.at >= from && r.0.at <= to)
            .map(|(i, r)| (RecordId(i as u64), r.0))
    }
}

pub(crate) type Store = VecStore;
pub(crate) type Engine = Concentrator<Store, OffsetClock, 2048>;

/// One input given to the engine: at `.0` ms, bytes `(channel, bytes)` or a timeout call.
pub(crate) type Input = (u64, Option<(u8, Vec<u8>)>);

/// The whole simulated installation.
pub(crate) struct Sim {
    pub(crate) engine: Box<Engine>,
    pub(crate) now: Instant,
    pub(crate) rng: Rng,
    pub(crate) buses: Vec<Bus>,
    pub(crate) epoch: DateTime,
    deliveries: BTreeMap<(u64, u64), Delivery>,
    seq: u64,
    /// FNV-1a over every byte sent and received with its time, and every event.
    pub(crate) transcript: u64,
    pub(crate) events: Vec<(u64, Event)>,
    pub(crate) exchanges: Vec<Exchange>,
    /// Most transactions seen in flight on one channel at once (must stay ≤ 1).
    pub(crate) max_in_flight: usize,
    pub(crate) steps: u64,
    /// Every input given to the engine, in order: `(now, Some((channel, bytes)))` for
    /// received bytes, `(now, None)` for a timeout call (replayed by the bench).
    pub(crate) inputs: Vec<Input>,
}

fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x100_0000_01B3);
    }
    h
}

/// The wall-clock time the simulations start at.
pub(crate) fn epoch() -> DateTime {
    DateTime::new(2026, 3, 10, 10, 0, 0).unwrap()
}

impl Sim {
    /// Whether the statistics of a whole round (over every channel) have been reported.
    pub(crate) fn round_done(&self) -> bool {
        self.events
            .iter()
            .any(|e| matches!(e.1.kind, EventKind::RoundStats { channel: None, .. }))
    }

    /// Starts a round of `task` on every channel and drives until the whole round's statistics
    /// are out, within `limit_ms` of simulated time; hitting the bound (a livelock) fails.
    pub(crate) fn run_round(&mut self, task: Task, limit_ms: u64) {
        self.engine.start_round(task);
        let done = self.run_until(limit_ms, Sim::round_done);
        assert!(done, "drive loop bound hit (livelock)");
    }

    /// The archive numbers of the meters reported offline, in order.
    pub(crate) fn offline_meters(&self) -> Vec<u16> {
        self.events
            .iter()
            .filter_map(|e| match e.1.kind {
                EventKind::Alarm(Alarm::MeterOffline { meter, .. }) => Some(meter),
                _ => None,
            })
            .collect()
    }

    pub(crate) fn new(seed: u64, epoch: DateTime, buses: Vec<Bus>) -> Self {
        let mut engine = Box::new(Engine::new(Store::default(), OffsetClock { epoch }));
        engine.set_schedule(concentrator_core::Schedule::OFF);
        for (i, bus) in buses.iter().enumerate() {
            if bus.kind == ChannelKind::Carrier {
                let mut config = qgdw1376_2::session::Config::new(CARRIER_MASTER);
                config.start = qgdw1376_2::session::StartMode::Query;
                engine
                    .add_carrier(ChannelId(i as u8), bus.line, config)
                    .unwrap();
                engine.set_router_led(bus.router_led);
                continue;
            }
            engine
                .add_channel(
                    ChannelId(i as u8),
                    ChannelConfig {
                        kind: bus.kind,
                        line: bus.line,
                    },
                )
                .unwrap();
        }
        let mut next_no = 1u16;
        for (i, bus) in buses.iter().enumerate() {
            for m in &bus.meters {
                engine
                    .add_meter(Meter {
                        archive_no: next_no,
                        protocol: Protocol::Dlt645_2007,
                        address: MeterAddress::Dlt645(m.address),
                        channel: ChannelId(i as u8),
                        baud: None,
                        control: Some(ControlAuth {
                            level: 0x02,
                            password: [0x56, 0x34, 0x12],
                            operator: [0x78, 0x56, 0x34, 0x12],
                        }),
                        reads: ReadSet::ENERGY_IMPORT
                            | ReadSet::DAILY_FROZEN
                            | ReadSet::MONTHLY
                            | ReadSet::CLOCK_CHECK,
                        allow_clock_set: true,
                    })
                    .unwrap();
                next_no += 1;
            }
            for sl in &bus.slaves {
                engine
                    .add_meter(Meter {
                        archive_no: next_no,
                        protocol: if sl.by_secondary {
                            Protocol::MbusSecondary
                        } else {
                            Protocol::MbusPrimary
                        },
                        address: if sl.by_secondary {
                            MeterAddress::MbusSecondary(sl.secondary())
                        } else {
                            MeterAddress::MbusPrimary(sl.primary)
                        },
                        channel: ChannelId(i as u8),
                        baud: None,
                        control: None,
                        reads: ReadSet::ENERGY_IMPORT | ReadSet::VOLUME,
                        allow_clock_set: false,
                    })
                    .unwrap();
                next_no += 1;
            }
        }
        Sim {
            engine,
            now: Instant::from_ticks(0),
            rng: Rng::new(seed),
            buses,
            epoch,
            deliveries: BTreeMap::new(),
            seq: 0,
            transcript: 0xCBF2_9CE4_8422_2325,
            events: Vec::new(),
            exchanges: Vec::new(),
            max_in_flight: 0,
            steps: 0,
            inputs: Vec::new(),
        }
    }

    /// The archive number of meter `i` of bus `b` (meters are numbered bus by bus from 1).
    pub(crate) fn archive_no(&self, b: usize, i: usize) -> u16 {
        let before: usize = self
            .buses
            .iter()
            .take(b)
            .map(|x| x.meters.len() + x.slaves.len())
            .sum();
        (before + i + 1) as u16
    }

    pub(crate) fn wall(&self) -> DateTime {
        self.epoch
            .add_seconds((self.now.ticks() / 1000) as i64)
            .unwrap()
    }

    /// Drains the engine's outputs after an input.
    fn drain(&mut self) {
        let mut buf = [0u8; MAX_TRANSMIT];
        while let Some(Transmit { channel, len, .. }) =
            self.engine.poll_transmit(self.now, &mut buf)
        {
            let bytes = buf[..len].to_vec();
            self.transcript = fnv(self.transcript, &self.now.ticks().to_le_bytes());
            self.transcript = fnv(self.transcript, &bytes);
            self.on_request(channel.0, &bytes);
        }
        while let Some(ev) = self.engine.poll_event() {
            self.transcript = fnv(self.transcript, format!("{ev:?}").as_bytes());
            self.events.push((self.now.ticks(), ev));
        }
        for (i, _) in self.buses.iter().enumerate() {
            let n = usize::from(self.engine.in_flight(ChannelId(i as u8)).is_some());
            self.max_in_flight = self.max_in_flight.max(n);
        }
    }

    fn deliver_at(&mut self, at: u64, channel: u8, bytes: Vec<u8>) {
        self.seq += 1;
        self.deliveries
            .insert((at, self.seq), Delivery { channel, bytes });
    }

    /// Delivers a reply whose first bit starts at `start` as a UART would: in chunks of 16
    /// bytes, each when its last byte has arrived. Returns when the last byte arrived.
    fn deliver_stream(
        &mut self,
        start: u64,
        line: LineSettings,
        channel: u8,
        bytes: Vec<u8>,
    ) -> u64 {
        let mut end = start;
        for (i, chunk) in bytes.chunks(16).enumerate() {
            end = start + line.wire_time(i * 16 + chunk.len()).ticks();
            self.deliver_at(end, channel, chunk.to_vec());
        }
        end
    }

    /// A request went out on `channel`: let the meters hear it.
    fn on_request(&mut self, channel: u8, bytes: &[u8]) {
        let now = self.now.ticks();
        let bus = &self.buses[usize::from(channel)];
        let line = bus.line;
        let req_wire = line.wire_time(bytes.len()).ticks();
        let loss = bus.loss;
        let mut ex = Exchange {
            channel,
            sent_at: now,
            req_len: bytes.len(),
            reply_len: 0,
            reply_at: None,
        };
        let lost = self.rng.chance(loss);
        if bus.kind == ChannelKind::Carrier {
            self.module_answer(channel, bytes, now + req_wire, lost);
            self.exchanges.push(ex);
            return;
        }
        if bus.kind == ChannelKind::Mbus {
            if let Some(r) = self.mbus_answer(channel, bytes, lost) {
                ex.reply_len = r.len();
                ex.reply_at =
                    Some(self.deliver_stream(now + req_wire + TD_MIN_MS, line, channel, r));
            }
            self.exchanges.push(ex);
            return;
        }
        let wall = self.wall();
        let Some(start) = bytes.iter().position(|b| *b == 0x68) else {
            return;
        };
        let Ok(frame) = Frame::new_checked(&bytes[start..]) else {
            self.exchanges.push(ex);
            return;
        };
        let Ok(repr) = Repr::parse(&frame) else {
            self.exchanges.push(ex);
            return;
        };
        let mut reply: Option<(Vec<u8>, u64)> = None;
        let corrupt_pick = self.rng.next();
        for m in &mut self.buses[usize::from(channel)].meters {
            if repr.address == Address::BROADCAST {
                if let Body::Request(Request::BroadcastTime(t)) = repr.body {
                    // State-Grid firmware accepts at most ±5 min by broadcast (notes §1.15).
                    let target =
                        DateTime::new(t.year, t.month, t.day, t.hour, t.minute, t.second).unwrap();
                    let meter_now = wall.seconds_since_2000() + m.clock_offset;
                    let corr = target.seconds_since_2000() - meter_now;
                    if !lost && corr.abs() <= 300 {
                        m.clock_offset += corr;
                        m.broadcasts += 1;
                    }
                }
                continue;
            }
            if repr.address.0 != m.address {
                continue;
            }
            m.heard += 1;
            if lost {
                break;
            }
            let answer = match m.fault {
                Fault::Silent => false,
                Fault::EveryThird => m.heard % 3 == 0,
                _ => true,
            };
            if !answer {
                break;
            }
            let mut out = [0u8; 300];
            let n = meter_answer(m, &repr, wall, &mut out);
            let Some(n) = n else { break };
            let mut r = out[..n].to_vec();
            if m.fault == Fault::Corrupt {
                // A byte of the frame itself (not a wake-up byte): the checksum catches it.
                let i = 2 + (corrupt_pick as usize) % (r.len() - 2);
                r[i] ^= 0x5A;
            }
            let extra = if m.fault == Fault::Late { 2000 } else { 0 };
            reply = Some((r, extra));
            break;
        }
        if let Some((r, extra)) = reply {
            ex.reply_len = r.len();
            ex.reply_at =
                Some(self.deliver_stream(now + req_wire + TD_MIN_MS + extra, line, channel, r));
        }
        self.exchanges.push(ex);
    }

    /// The carrier module's answer to a Q/GDW 1376.2 frame from the session, delivered after
    /// `heard` (the end of the request on the UART).
    fn module_answer(&mut self, channel: u8, bytes: &[u8], heard: u64, lost: bool) {
        use qgdw1376_2::unit::confirm::Confirm;
        use qgdw1376_2::unit::protocol::Protocol as P;
        use qgdw1376_2::unit::query::{DelaySupport, Medium, RunMode, VendorInfo};
        use qgdw1376_2::unit::read::MonitorReply;
        use qgdw1376_2::unit::read::{MeterData, ReadFlag};
        use qgdw1376_2::unit::route::NodeCount;
        use qgdw1376_2::unit::time::Date;
        use qgdw1376_2::{Afn, DataUnit, Edition, FrameRepr};
        let Ok(down) = FrameRepr::parse_bytes(bytes, Edition::V2013) else {
            return;
        };
        let seq = down.info.seq();
        let up = |node: Option<qgdw1376_2::Address>, afn: Afn, f: u16, unit: DataUnit<'_>| {
            module_frame(false, seq, node, afn, f, unit)
        };
        let confirm = || {
            up(
                None,
                Afn::Confirm,
                1,
                DataUnit::Confirm(Confirm {
                    status: 1,
                    wait_s: 0,
                }),
            )
        };
        let line = self.buses[usize::from(channel)].line;
        // Local commands: the module answers after 30 ms.
        let mut delay = 30;
        let reply = match (down.afn, down.fn_number(), &down.unit) {
            (Afn::Query, Some(10), _) => up(
                None,
                Afn::Query,
                10,
                DataUnit::RunMode(RunMode {
                    medium: Medium::Broadband,
                    module_routes: true,
                    archive_download: true,
                    concentrator_led: true,
                    router_led: true,
                    delay_support: if self.buses[usize::from(channel)].broadcast_delay_s.is_some() {
                        DelaySupport::BROADCAST
                    } else {
                        DelaySupport::empty()
                    },
                    failed_node_switch: 0,
                    broadcast_confirm_first: false,
                    broadcast_channel_mode: 0,
                    channel_count: 1,
                    power_down_info: 0,
                    byte3_reserved: 0,
                    reserved: [0; 2],
                    monitor_timeout_s: 10,
                    broadcast_timeout_s: 10,
                    max_frame_len: 2048,
                    max_file_packet: 2048,
                    upgrade_wait: 30,
                    master_address: CARRIER_MASTER,
                    max_nodes: 2040,
                    node_count: self.buses[usize::from(channel)].nodes.len() as u16,
                    protocol_released: Date::default(),
                    protocol_filed: Date::default(),
                    vendor: VendorInfo {
                        vendor: *b"SM",
                        chip: *b"01",
                        date: Date {
                            year: 26,
                            month: 1,
                            day: 1,
                        },
                        version: 1,
                    },
                    rates: Default::default(),
                }),
            ),
            (Afn::Query, Some(4), _) => {
                up(None, Afn::Query, 4, DataUnit::MasterAddress(CARRIER_MASTER))
            }
            (Afn::RouteQuery, Some(1), _) => up(
                None,
                Afn::RouteQuery,
                1,
                DataUnit::NodeCount(NodeCount {
                    count: self.buses[usize::from(channel)].nodes.len() as u16,
                    max: 2040,
                }),
            ),
            (Afn::RouteSet, Some(1), DataUnit::AddNodes(e)) => {
                let added: Vec<[u8; 6]> = e.iter().map(|n| n.address.0).collect();
                self.buses[usize::from(channel)].nodes.extend(added);
                confirm()
            }
            (Afn::RouteForward, Some(1), DataUnit::MonitorRequest(m)) => {
                let node = down.node().unwrap();
                let bus = &mut self.buses[usize::from(channel)];
                let index = bus.meters.iter().position(|x| x.address == node.0);
                let mut answer = Vec::new();
                if let (Some(i), false) = (index, lost) {
                    // Relay hops: 0..=3 by meter position; each hop adds 500 ms.
                    delay = 300 + (i as u64 % 4) * 500;
                    let wall = self.epoch.add_seconds((heard / 1000) as i64).unwrap();
                    let meter = &mut bus.meters[i];
                    meter.heard += 1;
                    let answers = match meter.fault {
                        Fault::Silent => false,
                        Fault::EveryThird => meter.heard.is_multiple_of(3),
                        _ => true,
                    };
                    if !answers {
                        // The module reports an empty frame: the meter did not answer.
                    } else if let Ok(f) = Frame::new_checked(m.frame)
                        && let Ok(repr) = Repr::parse(&f)
                    {
                        let mut out = [0u8; 300];
                        if let Some(n) = meter_answer(meter, &repr, wall, &mut out) {
                            answer = out[..n].to_vec();
                        }
                    }
                }
                bus.relayed += 1;
                up(
                    Some(node),
                    Afn::RouteForward,
                    1,
                    DataUnit::MonitorReply(MonitorReply {
                        transit_s: 1,
                        protocol: P::Dlt645_2007,
                        frame: &answer,
                    }),
                )
            }
            // AFN 12 F1: (re)start routing. A router-led module then walks its nodes.
            (Afn::RouteControl, Some(1), _) => {
                let bus = &mut self.buses[usize::from(channel)];
                if bus.router_led && !bus.nodes.is_empty() {
                    bus.router_at = Some(0);
                    bus.router_wait = RouterWait::Answer;
                    let node = qgdw1376_2::Address(bus.nodes[0]);
                    let ask = self.module_ask(channel, node, 0);
                    let line = self.buses[usize::from(channel)].line;
                    self.deliver_stream(heard + 200, line, channel, ask);
                }
                confirm()
            }
            // AFN 14 F1 down: the concentrator's answer to "what shall I read at this meter".
            (Afn::RouteRead, Some(1), DataUnit::ReadAnswer(a)) => {
                let bus = &mut self.buses[usize::from(channel)];
                let Some(i) = bus.router_at else { return };
                let node = bus.nodes[i];
                if a.flag == ReadFlag::Send {
                    let index = bus.meters.iter().position(|x| x.address == node);
                    let mut answer = Vec::new();
                    if let (Some(m), false) = (index, lost) {
                        delay = 300 + (m as u64 % 4) * 500;
                        let wall = self.epoch.add_seconds((heard / 1000) as i64).unwrap();
                        let meter = &mut bus.meters[m];
                        meter.heard += 1;
                        if meter.fault != Fault::Silent
                            && let Ok(f) = Frame::new_checked(a.frame)
                            && let Ok(repr) = Repr::parse(&f)
                        {
                            let mut out = [0u8; 300];
                            if let Some(n) = meter_answer(meter, &repr, wall, &mut out) {
                                answer = out[..n].to_vec();
                            }
                        }
                    }
                    bus.relayed += 1;
                    if answer.is_empty() {
                        // The meter did not answer: the module gives up on it and moves on.
                        return self.module_next_node(channel, heard + delay);
                    }
                    bus.router_wait = RouterWait::DataConfirm;
                    bus.module_seq = bus.module_seq.wrapping_add(1);
                    let data = module_frame(
                        true,
                        bus.module_seq,
                        Some(qgdw1376_2::Address(node)),
                        Afn::Report,
                        2,
                        DataUnit::MeterData(MeterData {
                            index: i as u16 + 1,
                            protocol: P::Dlt645_2007,
                            transit_s: 1,
                            frame: &answer,
                        }),
                    );
                    let line = bus.line;
                    self.deliver_stream(heard + delay, line, channel, data);
                    return;
                }
                return self.module_next_node(channel, heard + 50);
            }
            // AFN 00 F1 down: the concentrator confirms our report.
            (Afn::Confirm, Some(1), _) => {
                let bus = &mut self.buses[usize::from(channel)];
                if bus.router_wait == RouterWait::DataConfirm
                    && let Some(i) = bus.router_at
                {
                    // Ask the same meter again: it may need more items.
                    bus.router_wait = RouterWait::Answer;
                    let node = qgdw1376_2::Address(bus.nodes[i]);
                    let ask = self.module_ask(channel, node, i);
                    let line = self.buses[usize::from(channel)].line;
                    self.deliver_stream(heard + 50, line, channel, ask);
                }
                return;
            }
            // AFN 03 F9: how long the broadcast of this frame takes to reach every node.
            (Afn::Query, Some(9), DataUnit::BroadcastDelayQuery(_)) => {
                let bus = &mut self.buses[usize::from(channel)];
                let Some(delay_s) = bus.broadcast_delay_s else {
                    return;
                };
                bus.delay_queries += 1;
                up(
                    None,
                    Afn::Query,
                    9,
                    DataUnit::BroadcastDelay(qgdw1376_2::unit::query::BroadcastDelay {
                        delay_s,
                        frame: None,
                    }),
                )
            }
            // AFN 05 F3: broadcast the frame to every node; meters take a time within ±5 min,
            // and it reaches them after the module's broadcast delay.
            (Afn::Control, Some(3), DataUnit::Broadcast(pf)) => {
                let arrives_s = (heard / 1000) as i64
                    + i64::from(
                        self.buses[usize::from(channel)]
                            .broadcast_delay_s
                            .unwrap_or(0),
                    );
                let wall = self.epoch.add_seconds(arrives_s).unwrap();
                let start = pf.frame.iter().position(|b| *b == 0x68).unwrap_or(0);
                if let Ok(f) = Frame::new_checked(&pf.frame[start..])
                    && let Ok(Repr {
                        body: Body::Request(Request::BroadcastTime(t)),
                        ..
                    }) = Repr::parse(&f)
                {
                    let target =
                        DateTime::new(t.year, t.month, t.day, t.hour, t.minute, t.second).unwrap();
                    for m in &mut self.buses[usize::from(channel)].meters {
                        let corr = target.seconds_since_2000()
                            - (wall.seconds_since_2000() + m.clock_offset);
                        if corr.abs() <= 300 {
                            m.clock_offset += corr;
                            m.broadcasts += 1;
                        }
                    }
                }
                up(
                    None,
                    Afn::Confirm,
                    1,
                    DataUnit::Confirm(Confirm {
                        status: 1,
                        wait_s: 3,
                    }),
                )
            }
            // Master address set, node deletes, routing start / pause / resume.
            (Afn::Control | Afn::RouteSet | Afn::RouteControl, _, _) => confirm(),
            _ => return,
        };
        let start = heard + delay;
        self.deliver_stream(start, line, channel, reply);
    }

    /// The module asks what to read at node `i` (AFN 14 F1 up).
    fn module_ask(&mut self, channel: u8, node: qgdw1376_2::Address, i: usize) -> Vec<u8> {
        use qgdw1376_2::unit::read::ReadRequest;
        let bus = &mut self.buses[usize::from(channel)];
        bus.module_seq = bus.module_seq.wrapping_add(1);
        module_frame(
            true,
            bus.module_seq,
            Some(node),
            qgdw1376_2::Afn::RouteRead,
            1,
            qgdw1376_2::DataUnit::ReadRequest(ReadRequest {
                phase: 1,
                address: node,
                index: i as u16 + 1,
            }),
        )
    }

    /// The module moves to its next node, or reports its reading round finished.
    fn module_next_node(&mut self, channel: u8, at: u64) {
        use qgdw1376_2::unit::report::RouteStatus;
        let bus = &mut self.buses[usize::from(channel)];
        let Some(i) = bus.router_at else { return };
        let line = bus.line;
        if i + 1 < bus.nodes.len() {
            bus.router_at = Some(i + 1);
            bus.router_wait = RouterWait::Answer;
            let node = qgdw1376_2::Address(bus.nodes[i + 1]);
            let ask = self.module_ask(channel, node, i + 1);
            self.deliver_stream(at, line, channel, ask);
        } else {
            bus.router_at = None;
            bus.router_wait = RouterWait::Idle;
            bus.router_rounds += 1;
            bus.module_seq = bus.module_seq.wrapping_add(1);
            let done = module_frame(
                true,
                bus.module_seq,
                None,
                qgdw1376_2::Afn::Report,
                3,
                qgdw1376_2::DataUnit::RouteStatus(RouteStatus::ReadingFinished),
            );
            self.deliver_stream(at, line, channel, done);
        }
    }

    /// An M-Bus slave's answer to a request (FCB rules of EN 13757-2 §5.7.7).
    fn mbus_answer(&mut self, channel: u8, bytes: &[u8], lost: bool) -> Option<Vec<u8>> {
        use wired_mbus::{Control, Repr as MRepr, Request as MReq};
        let frame = wired_mbus::Frame::new_checked(bytes).ok()?;
        let req = MReq::parse(&frame).ok()?;
        if let MReq::Select { mask, .. } = req {
            // CI 0x52 to 253: the matching slaves are selected, the others deselected.
            let mut any = false;
            for sl in &mut self.buses[usize::from(channel)].slaves {
                let own = wired_mbus::SecondaryAddress::from_bytes(sl.secondary());
                sl.selected = mask.matches(own);
                any |= sl.selected;
            }
            let mut out = [0u8; 1];
            let n = MRepr::Ack.emit(&mut out).ok()?;
            return (any && !lost).then(|| out[..n].to_vec());
        }
        let to = req.address().byte();
        let slave = self.buses[usize::from(channel)]
            .slaves
            .iter_mut()
            .find(|s| {
                if to == 253 {
                    s.selected
                } else {
                    s.primary == to
                }
            })?;
        slave.heard += 1;
        if lost || slave.fault == Fault::Silent {
            return None;
        }
        let mut out = [0u8; 300];
        let n = match req {
            MReq::SndNke { .. } => {
                slave.next = 0;
                slave.expected_fcb = true;
                MRepr::Ack.emit(&mut out).ok()?
            }
            MReq::ReqUd2 { fcb, .. } => {
                let index = if fcb == slave.expected_fcb {
                    slave.expected_fcb = !fcb;
                    slave.next += 1;
                    slave.next - 1
                } else {
                    // A repeated FCB: the master missed our answer; send it again.
                    slave.next.saturating_sub(1)
                };
                let t = slave.telegrams.get(index.min(slave.telegrams.len() - 1))?;
                if index + 1 >= slave.telegrams.len() {
                    slave.readouts += 1;
                }
                MRepr::Long {
                    control: Control::from_byte(0x08),
                    address: wired_mbus::Address::from_byte(slave.primary),
                    ci: 0x72,
                    data: t,
                }
                .emit(&mut out)
                .ok()?
            }
            _ => return None,
        };
        Some(out[..n].to_vec())
    }

    /// Runs until `stop` says so or the engine has nothing left to do; returns false if the
    /// step bound was hit (a livelock).
    pub(crate) fn run_until(&mut self, limit_ms: u64, mut stop: impl FnMut(&Sim) -> bool) -> bool {
        self.engine.handle_timeout(self.now);
        self.inputs.push((self.now.ticks(), None));
        self.drain();
        let bound = 10_000_000u64;
        while self.steps < bound {
            self.steps += 1;
            if stop(self) {
                return true;
            }
            let next_delivery = self.deliveries.keys().next().map(|k| k.0);
            let next_timer = self.engine.poll_timeout().map(|t| t.ticks());
            let next = match (next_delivery, next_timer) {
                (Some(a), Some(b)) => a.min(b),
                (Some(a), None) | (None, Some(a)) => a,
                (None, None) => return true,
            };
            if next > limit_ms {
                self.now = Instant::from_ticks(limit_ms);
                return true;
            }
            // The clock never goes backwards; a due timer at `now` is handled now.
            self.now = Instant::from_ticks(next.max(self.now.ticks()));
            while let Some((&key, _)) = self.deliveries.iter().next() {
                if key.0 > self.now.ticks() {
                    break;
                }
                let d = self.deliveries.remove(&key).unwrap();
                self.transcript = fnv(self.transcript, &self.now.ticks().to_le_bytes());
                self.transcript = fnv(self.transcript, &d.bytes);
                self.engine
                    .handle_received(ChannelId(d.channel), &d.bytes, self.now);
                self.inputs
                    .push((self.now.ticks(), Some((d.channel, d.bytes.clone()))));
                self.drain();
            }
            self.engine.handle_timeout(self.now);
            self.inputs.push((self.now.ticks(), None));
            self.drain();
        }
        false
    }

    /// Runs `ms` milliseconds of virtual time.
    pub(crate) fn run_for(&mut self, ms: u64) -> bool {
        let end = self.now.ticks() + ms;
        self.run_until(end, |_| false)
    }
}

/// What a simulated meter answers to `repr`, emitted into `out` with 2 wake-up bytes (many
/// meters send 0, 2 or 4, notes §1.1).
fn meter_answer(
    m: &mut SimMeter,
    repr: &Repr<'_>,
    wall: DateTime,
    out: &mut [u8],
) -> Option<usize> {
    let addr = Address::from_bytes(m.address);
    let meter_time = wall.add_seconds(m.clock_offset).unwrap();
    let mut data = Vec::new();
    let mut follow = false;
    let r = match repr.body {
        Body::Request(Request::Read { di }) if m.fault == Fault::ErrorReply => {
            let _ = di;
            Repr::error(addr, Function::Read, ErrorWord::V2007(Err2007::NO_DATA))
        }
        Body::Request(Request::Read { di }) => {
            match di.0 {
                0x0001_0000 => data = bcd_le(m.energy, 4),
                0x0201_FF00 => {
                    // Single-phase meter: phases B and C filled with FF (notes §1.10, V14).
                    data = bcd_le(2201, 2);
                    data.extend_from_slice(&[0xFF; 4]);
                }
                0x0400_0101 => {
                    data = vec![
                        meter_time.weekday(),
                        bcd(u64::from(meter_time.day())),
                        bcd(u64::from(meter_time.month())),
                        bcd(u64::from(meter_time.year() % 100)),
                    ]
                }
                0x0400_0102 => {
                    data = vec![
                        bcd(u64::from(meter_time.second())),
                        bcd(u64::from(meter_time.minute())),
                        bcd(u64::from(meter_time.hour())),
                    ]
                }
                0x0400_0503 => data = vec![if m.relay_open { 0x10 } else { 0x00 }, 0x00],
                0x0506_0001 => {
                    // Freeze time: today 00:00.
                    data = vec![
                        0x00,
                        0x00,
                        bcd(u64::from(meter_time.day())),
                        bcd(u64::from(meter_time.month())),
                        bcd(u64::from(meter_time.year() % 100)),
                    ]
                }
                0x0506_0101 => {
                    data = bcd_le(m.energy - 100, 4);
                    for t in 1..=4u64 {
                        data.extend(bcd_le((m.energy - 100) / 4 + t, 4));
                    }
                }
                0x0001_0001 => data = bcd_le(m.energy - 3000, 4),
                0x0400_0403 => {
                    data = b"PART1-".to_vec();
                    follow = m.follow_parts > 1;
                }
                _ => {
                    return Repr::error(addr, Function::Read, ErrorWord::V2007(Err2007::NO_DATA))
                        .emit(out.get_mut(2..)?)
                        .ok()
                        .map(|n| {
                            out[0] = 0xFE;
                            out[1] = 0xFE;
                            n + 2
                        });
                }
            }
            let _ = di;
            Repr::reply(
                addr,
                Reply::Read {
                    di,
                    data: Payload::Plain(&[]),
                },
            )
        }
        Body::Request(Request::ReadFollow { di, seq }) if di.0 == 0x0610_0601 => {
            // The rest of a load-curve block, CURVE_PER_FRAME records per frame.
            let (first, n) = m.curve_asked;
            let from = usize::from(seq) * CURVE_PER_FRAME;
            let to = (from + CURVE_PER_FRAME).min(usize::from(n));
            data = curve_records(m, first, from, to);
            follow = to < usize::from(n);
            Repr::reply(
                addr,
                Reply::ReadFollow {
                    di,
                    data: Payload::Plain(&[]),
                    seq,
                },
            )
        }
        Body::Request(Request::ReadFrom { di, count, start }) if di.0 == 0x0610_0601 => {
            // DI + start time (mm hh DD MM YY) + the first records; more by 0x12 (notes §1.12).
            let n = (count >> 4) * 10 + (count & 0x0F);
            m.curve_asked = (start, n);
            data = vec![
                bcd(u64::from(start.minute)),
                bcd(u64::from(start.hour)),
                bcd(u64::from(start.day)),
                bcd(u64::from(start.month)),
                bcd(u64::from(start.year % 100)),
            ];
            let to = CURVE_PER_FRAME.min(usize::from(n));
            data.extend(curve_records(m, start, 0, to));
            follow = to < usize::from(n);
            Repr::reply(
                addr,
                Reply::Read {
                    di,
                    data: Payload::Plain(&[]),
                },
            )
        }
        Body::Request(Request::ReadFollow { di, seq }) => {
            data = format!("PART{}", seq + 1).into_bytes();
            follow = seq + 1 < m.follow_parts;
            let _ = (di, seq);
            Repr::reply(
                addr,
                Reply::ReadFollow {
                    di,
                    data: Payload::Plain(&[]),
                    seq,
                },
            )
        }
        Body::Request(Request::Write {
            di,
            password,
            data: d,
            ..
        }) => {
            if password.code != m.password {
                Repr::error(
                    addr,
                    Function::Write,
                    ErrorWord::V2007(Err2007::UNAUTHORISED),
                )
            } else {
                let bytes: Vec<u8> = d.iter().collect();
                let dec = |b: u8| (b >> 4) * 10 + (b & 0x0F);
                let (y, mo, dd, hh, mi, ss) = if di.0 == 0x0400_0101 {
                    (
                        dec(bytes[3]),
                        dec(bytes[2]),
                        dec(bytes[1]),
                        meter_time.hour(),
                        meter_time.minute(),
                        meter_time.second(),
                    )
                } else {
                    (
                        (meter_time.year() % 100) as u8,
                        meter_time.month(),
                        meter_time.day(),
                        dec(bytes[2]),
                        dec(bytes[1]),
                        dec(bytes[0]),
                    )
                };
                let set = DateTime::new(2000 + u16::from(y), mo, dd, hh, mi, ss).unwrap();
                m.clock_offset = set.seconds_since_2000() - wall.seconds_since_2000();
                Repr::reply(addr, Reply::Ack(Function::Write))
            }
        }
        Body::Request(Request::Switch {
            password, action, ..
        }) => {
            if password.code != m.password {
                Repr::error(
                    addr,
                    Function::RemoteSwitch,
                    ErrorWord::V2007(Err2007::UNAUTHORISED),
                )
            } else {
                m.relay_open = action == dlt645::SwitchAction::Trip;
                Repr::reply(addr, Reply::Ack(Function::RemoteSwitch))
            }
        }
        _ => return None,
    };
    // Fill in the data (the builders borrow it).
    let mut r = r;
    match &mut r.body {
        Body::Reply(Reply::Read { data: d, .. })
        | Body::Reply(Reply::ReadFollow { data: d, .. }) => {
            *d = Payload::Plain(&data);
        }
        _ => {}
    }
    r.follow = follow;
    out[0] = 0xFE;
    out[1] = 0xFE;
    let n = r.emit(out.get_mut(2..)?).ok()?;
    Some(n + 2)
}

/// Load-curve records a simulated meter puts in one frame.
pub(crate) const CURVE_PER_FRAME: usize = 8;

/// Curve records `from..to`: forward energy rising 0.25 kWh per interval from the meter's
/// energy minus 10 kWh; record 3 is a gap (FF, notes §1.12: gaps are filled with FF).
fn curve_records(m: &SimMeter, _start: dlt645::MinuteTime, from: usize, to: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for k in from..to {
        if k == 3 {
            out.extend_from_slice(&[0xFF; 4]);
        } else {
            out.extend(bcd_le(m.energy - 1000 + k as u64 * 25, 4));
        }
    }
    out
}

/// A 2400-baud RS-485 bus of `n` meters numbered from `first`.
pub(crate) fn rs485_bus(first: u64, n: usize, loss: u64) -> Bus {
    Bus {
        meters: (0..n)
            .map(|i| SimMeter::new(first + i as u64, 1_000_000 + i as u64 * 37))
            .collect(),
        ..Bus::empty(ChannelKind::Rs485, LineSettings::DLT645_2400, loss)
    }
}

/// Where a router-led module is in its walk over the nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RouterWait {
    /// Not walking.
    Idle,
    /// Asked the concentrator what to read (AFN 14 F1), waiting for the answer.
    Answer,
    /// Reported meter data (AFN 06 F2), waiting for the confirmation.
    DataConfirm,
}

/// A frame from the carrier module (up): an answer (`prm` false) or its own report.
fn module_frame(
    prm: bool,
    seq: u8,
    node: Option<qgdw1376_2::Address>,
    afn: qgdw1376_2::Afn,
    f: u16,
    unit: qgdw1376_2::DataUnit<'_>,
) -> Vec<u8> {
    use qgdw1376_2::{
        AddressField, CommMode, Control, Direction, Dt, Edition, FrameRepr, Info, InfoUp, R1,
    };
    let repr = FrameRepr {
        edition: Edition::V2013,
        control: Control {
            direction: Direction::Up,
            prm,
            mode: CommMode::Broadband,
        },
        info: Info::Up(InfoUp {
            r1: R1 {
                slave_node: node.is_some(),
                ..R1::default()
            },
            seq,
            ..InfoUp::default()
        }),
        address: node.map(|n| AddressField::new(n, CARRIER_MASTER)),
        afn,
        dt: Dt::single(f).unwrap(),
        unit,
    };
    let mut out = vec![0; repr.buffer_len()];
    repr.emit(&mut out).unwrap();
    out
}

/// The concentrator's address as the carrier module's master node.
pub(crate) const CARRIER_MASTER: qgdw1376_2::Address =
    qgdw1376_2::Address([0x01, 0x00, 0x00, 0x00, 0x00, 0x00]);

/// A carrier channel (module UART at 9600 baud) with `n` DL/T 645 meters numbered from
/// `first`, reached over 0..=3 relay hops.
pub(crate) fn carrier_bus(first: u64, n: usize, loss: u64) -> Bus {
    Bus {
        kind: ChannelKind::Carrier,
        line: LineSettings::CARRIER_9600,
        ..rs485_bus(first, n, loss)
    }
}

/// Milliseconds as a duration.
pub(crate) fn ms(n: u64) -> Duration {
    Duration::millis(n)
}
