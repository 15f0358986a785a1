//! A simulated carrier module with a PLC network of meters behind it, for tests and demos of
//! the concentrator: the module side of Q/GDW 1376.2 (2013 edition) with relay hops, per-hop
//! latency, loss, both reading modes and the power-up report.
//!
//! Figures (notes §4.4, measured on the SPL HPLC logs): a single-hop AFN 13 F1 read takes
//! 0.68 s median; the power-up report follows a reset after 9.7–11.5 s. Narrowband is several
//! seconds per hop. The simulator is deterministic: the same seed gives the same transcript.

use std::collections::VecDeque;

use qgdw1376_2::session::{Duration, Instant};
use qgdw1376_2::unit::confirm::{Confirm, DenyReason};
use qgdw1376_2::unit::list::Entries;
use qgdw1376_2::unit::protocol::Protocol;
use qgdw1376_2::unit::query::{BroadcastDelay, DelaySupport, Medium, RunMode, VendorInfo};
use qgdw1376_2::unit::read::{MeterData, MonitorReply, ReadFlag, ReadRequest};
use qgdw1376_2::unit::report::{Registered, RouteStatus};
use qgdw1376_2::unit::route::{NodeCount, NodeInfo, NodePage};
use qgdw1376_2::unit::time::Date;
use qgdw1376_2::{
    Address, AddressField, Afn, CommMode, Control, DataUnit, Direction, Dt, Edition, FrameRepr,
    Info, InfoUp, R1, Scanner,
};

/// What a meter behind the module answers to a DL/T 645 request (`None`: silence).
pub type Responder = Box<dyn FnMut(&[u8]) -> Option<Vec<u8>> + Send>;

/// One meter of the simulated network.
pub struct SimMeter {
    /// Its address.
    pub address: Address,
    /// Relay hops from the module (0 = direct).
    pub hops: u8,
    /// Its phase (1–3).
    pub phase: u8,
    /// Its DL/T 645 behaviour.
    pub responder: Responder,
}

/// Network settings.
#[derive(Debug, Clone, Copy)]
pub struct SimConfig {
    /// Medium reported in AFN 03 F10.
    pub medium: Medium,
    /// Round trip per hop (HPLC about 0.7 s per read in total; narrowband several seconds).
    pub per_hop: Duration,
    /// Loss per transmission, in parts per thousand.
    pub loss_permille: u16,
    /// Concentrator-led reading supported (AFN 03 F10 byte 0 D6).
    pub concentrator_led: bool,
    /// Router-led reading supported (D7): the module runs reading rounds (AFN 14 F1).
    pub router_led: bool,
    /// Monitor timeout reported in AFN 03 F10 (the HPLC sample: 20 s).
    pub monitor_timeout_s: u8,
    /// Seed of the deterministic generator.
    pub seed: u64,
}

impl SimConfig {
    /// An HPLC module as in the SPL logs: 0.68 s per single-hop read, both reading modes.
    pub fn hplc() -> Self {
        Self {
            medium: Medium::Broadband,
            per_hop: Duration::millis(680),
            loss_permille: 0,
            concentrator_led: true,
            router_led: true,
            monitor_timeout_s: 20,
            seed: 1,
        }
    }

    /// A narrowband router: seconds per hop, router-led only, 60 s monitor timeout.
    pub fn narrowband() -> Self {
        Self {
            medium: Medium::Narrowband,
            per_hop: Duration::millis(3_000),
            loss_permille: 50,
            concentrator_led: true,
            router_led: true,
            monitor_timeout_s: 60,
            seed: 1,
        }
    }
}

/// The simulated module: feed it the concentrator's bytes, take the frames it sends when due.
pub struct PlcModuleSim {
    cfg: SimConfig,
    meters: Vec<SimMeter>,
    master: Address,
    archive: Vec<(Address, Protocol)>,
    routing: bool,
    round_next: usize,
    awaiting_answer: bool,
    seq: u8,
    rng: u64,
    scanner: Scanner<2048>,
    outbox: VecDeque<(Instant, Vec<u8>)>,
    /// Broadcast frames on their way to the meters, delivered at their time.
    broadcasts: VecDeque<(Instant, Vec<u8>)>,
    /// Busy with a meter transaction until then (one at a time, half duplex).
    busy_until: Instant,
}

impl PlcModuleSim {
    /// A module with these meters behind it, powered up at `now`: its AFN 03 F10 report goes
    /// out 10 s later.
    pub fn new(cfg: SimConfig, meters: Vec<SimMeter>, now: Instant) -> Self {
        let mut s = Self {
            cfg,
            meters,
            master: Address([0xBB; 6]),
            archive: Vec::new(),
            routing: false,
            round_next: 0,
            awaiting_answer: false,
            seq: 0,
            rng: cfg.seed | 1,
            scanner: Scanner::new(),
            outbox: VecDeque::new(),
            broadcasts: VecDeque::new(),
            busy_until: now,
        };
        s.power_up(now);
        s
    }

    /// The nodes in the module's archive.
    pub fn archive(&self) -> &[(Address, Protocol)] {
        &self.archive
    }

    fn power_up(&mut self, now: Instant) {
        self.routing = false;
        let unit = DataUnit::RunMode(self.run_mode());
        self.report(now + Duration::secs(10), None, Afn::Query, 10, unit);
    }

    fn next_seq(&mut self) -> u8 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }

    fn random(&mut self) -> u64 {
        // xorshift64: deterministic per seed.
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng
    }

    fn lost(&mut self) -> bool {
        self.random() % 1000 < u64::from(self.cfg.loss_permille)
    }

    fn run_mode(&self) -> RunMode {
        RunMode {
            medium: self.cfg.medium,
            module_routes: true,
            archive_download: true,
            concentrator_led: self.cfg.concentrator_led,
            router_led: self.cfg.router_led,
            delay_support: DelaySupport::BROADCAST,
            failed_node_switch: 0,
            broadcast_confirm_first: false,
            broadcast_channel_mode: 0,
            channel_count: 1,
            power_down_info: 0,
            byte3_reserved: 0,
            reserved: [0; 2],
            monitor_timeout_s: self.cfg.monitor_timeout_s,
            broadcast_timeout_s: 10,
            max_frame_len: 2048,
            max_file_packet: 2048,
            upgrade_wait: 30,
            master_address: self.master,
            max_nodes: 2040,
            node_count: u16::try_from(self.archive.len()).unwrap_or(u16::MAX),
            protocol_released: Date {
                year: 16,
                month: 6,
                day: 28,
            },
            protocol_filed: Date {
                year: 16,
                month: 6,
                day: 27,
            },
            vendor: VendorInfo {
                vendor: *b"SM",
                chip: *b"01",
                date: Date {
                    year: 26,
                    month: 11,
                    day: 23,
                },
                version: 1,
            },
            rates: Default::default(),
        }
    }

    fn frame(
        &self,
        prm: bool,
        seq: u8,
        node: Option<Address>,
        afn: Afn,
        f: u16,
        unit: DataUnit<'_>,
    ) -> Vec<u8> {
        let mode = match self.cfg.medium {
            Medium::Narrowband => CommMode::CentralisedCarrier,
            Medium::Wireless => CommMode::Wireless,
            _ => CommMode::Broadband,
        };
        let repr = FrameRepr {
            edition: Edition::V2013,
            control: Control {
                direction: Direction::Up,
                prm,
                mode,
            },
            info: Info::Up(InfoUp {
                r1: R1 {
                    slave_node: node.is_some(),
                    ..R1::default()
                },
                phase: 1,
                seq,
                ..InfoUp::default()
            }),
            address: node.map(|n| AddressField::new(n, self.master)),
            afn,
            dt: Dt::single(f).unwrap_or(Dt { dt1: 1, dt2: 0 }),
            unit,
        };
        let mut out = vec![0; repr.buffer_len()];
        match repr.emit(&mut out) {
            Ok(n) => out.truncate(n),
            Err(_) => out.clear(),
        }
        out
    }

    fn reply(
        &mut self,
        at: Instant,
        seq: u8,
        node: Option<Address>,
        afn: Afn,
        f: u16,
        unit: DataUnit<'_>,
    ) {
        let frame = self.frame(false, seq, node, afn, f, unit);
        self.outbox.push_back((at, frame));
    }

    /// The module's own frame (PRM set, the next sequence number), queued for `at`.
    fn report(&mut self, at: Instant, node: Option<Address>, afn: Afn, f: u16, unit: DataUnit<'_>) {
        let seq = self.next_seq();
        let frame = self.frame(true, seq, node, afn, f, unit);
        self.outbox.push_back((at, frame));
    }

    fn confirm(&mut self, at: Instant, seq: u8) {
        let unit = DataUnit::Confirm(Confirm {
            status: 0xFFFF_FFFF,
            wait_s: 0,
        });
        self.reply(at, seq, None, Afn::Confirm, 1, unit);
    }

    fn deny(&mut self, at: Instant, seq: u8, reason: DenyReason) {
        self.reply(at, seq, None, Afn::Confirm, 2, DataUnit::Deny(reason));
    }

    /// Carries `request` to a meter and back: its reply, when it arrives, and the time taken.
    fn transact(&mut self, meter: Address, request: &[u8]) -> (Option<Vec<u8>>, Duration) {
        let Some(i) = self.meters.iter().position(|m| m.address == meter) else {
            return (None, self.cfg.per_hop);
        };
        let hops = u64::from(self.meters.get(i).map_or(0, |m| m.hops)) + 1;
        let jitter = self.random() % (self.cfg.per_hop.to_millis() / 4 + 1);
        let took = Duration::millis(self.cfg.per_hop.to_millis() * hops + jitter);
        if self.lost() || self.lost() {
            return (None, took);
        }
        let reply = self.meters.get_mut(i).and_then(|m| (m.responder)(request));
        (reply, took)
    }

    /// Bytes from the concentrator.
    pub fn handle_received(&mut self, bytes: &[u8], now: Instant) {
        let mut rest = bytes;
        while !rest.is_empty() {
            let n = self.scanner.push(rest);
            rest = rest.get(n..).unwrap_or(&[]);
            while let Some(f) = self.scanner.next_frame() {
                let frame = f.as_bytes().to_vec();
                self.handle_frame(&frame, now);
            }
        }
    }

    fn handle_frame(&mut self, bytes: &[u8], now: Instant) {
        let Ok(r) = FrameRepr::parse_bytes(bytes, Edition::V2013) else {
            return;
        };
        if r.control.direction != Direction::Down {
            return;
        }
        let seq = r.info.seq();
        let local = now + Duration::millis(100);
        let f = r.fn_number().unwrap_or(0);
        match (&r.unit, r.afn, f) {
            (DataUnit::Confirm(_), Afn::Confirm, 1) if !r.control.prm => {
                // The concentrator confirmed a report: go on with the round.
                if self.awaiting_answer {
                    self.awaiting_answer = false;
                    self.schedule_round(now);
                }
            }
            (DataUnit::Empty, Afn::Init, 1) => {
                self.confirm(local, seq);
                self.power_up(now);
            }
            (DataUnit::Empty, Afn::Init, 2) => {
                self.archive.clear();
                self.confirm(local, seq);
            }
            (DataUnit::Empty, Afn::Query, 10) => {
                let unit = DataUnit::RunMode(self.run_mode());
                self.reply(local, seq, None, Afn::Query, 10, unit);
            }
            (DataUnit::Empty, Afn::Query, 4) => {
                let a = self.master;
                self.reply(local, seq, None, Afn::Query, 4, DataUnit::MasterAddress(a));
            }
            (DataUnit::SetMasterAddress(a), _, _) => {
                self.master = *a;
                self.confirm(local, seq);
            }
            (DataUnit::Empty, Afn::RouteQuery, 1) => {
                let count = u16::try_from(self.archive.len()).unwrap_or(u16::MAX);
                let unit = DataUnit::NodeCount(NodeCount { count, max: 2040 });
                self.reply(local, seq, None, Afn::RouteQuery, 1, unit);
            }
            (DataUnit::NodeQuery(q), Afn::RouteQuery, 2) => {
                let start = usize::from(q.start.saturating_sub(1));
                let nodes: Vec<NodeInfo> = self
                    .archive
                    .iter()
                    .skip(start)
                    .take(usize::from(q.count.min(32)))
                    .map(|(a, p)| NodeInfo {
                        address: *a,
                        relay_level: self
                            .meters
                            .iter()
                            .find(|m| m.address == *a)
                            .map_or(0, |m| m.hops.min(15)),
                        signal_quality: 12,
                        phase: 1,
                        protocol: *p,
                        reserved: 0,
                    })
                    .collect();
                let mut scratch = [0u8; 8 * 32];
                let total = u16::try_from(self.archive.len()).unwrap_or(u16::MAX);
                if let Ok(nodes) = Entries::encode(nodes, Edition::V2013, &mut scratch) {
                    self.reply(
                        local,
                        seq,
                        None,
                        Afn::RouteQuery,
                        2,
                        DataUnit::NodePage(NodePage { total, nodes }),
                    );
                }
            }
            (DataUnit::AddNodes(list), _, _) => {
                for n in list.iter() {
                    if !self.archive.iter().any(|(a, _)| *a == n.address) {
                        self.archive.push((n.address, n.protocol));
                    }
                }
                self.confirm(local, seq);
            }
            (DataUnit::DeleteNodes(list), _, _) => {
                let gone: Vec<Address> = list.iter().collect();
                self.archive.retain(|(a, _)| !gone.contains(a));
                self.confirm(local, seq);
            }
            (DataUnit::Empty, Afn::RouteControl, 1 | 3) => {
                self.confirm(local, seq);
                if f == 1 {
                    self.round_next = 0;
                }
                self.routing = self.cfg.router_led;
                self.awaiting_answer = false;
                self.schedule_round(local);
            }
            (DataUnit::Empty, Afn::RouteControl, 2) => {
                self.routing = false;
                self.awaiting_answer = false;
                self.confirm(local, seq);
            }
            (DataUnit::MonitorRequest(m), _, _) => {
                let Some(meter) = r.node() else { return };
                if !self.archive.iter().any(|(a, _)| *a == meter) {
                    self.deny(local, seq, DenyReason::NoSuchMeter);
                    return;
                }
                let start = now.max(self.busy_until);
                let (reply, took) = self.transact(meter, m.frame);
                self.busy_until = start + took;
                let frame = reply.unwrap_or_default();
                let unit = DataUnit::MonitorReply(MonitorReply {
                    transit_s: 1,
                    protocol: m.protocol,
                    frame: &frame,
                });
                self.reply(start + took, seq, Some(meter), Afn::RouteForward, 1, unit);
            }
            (DataUnit::ReadAnswer(a), _, _) => {
                self.awaiting_answer = false;
                let Some(meter) = r.node() else {
                    self.schedule_round(now);
                    return;
                };
                if a.flag != ReadFlag::Send {
                    self.schedule_round(now);
                    return;
                }
                let (reply, took) = self.transact(meter, a.frame);
                match reply {
                    Some(frame) => {
                        let index = self
                            .archive
                            .iter()
                            .position(|(x, _)| *x == meter)
                            .map_or(0, |i| i + 1);
                        let unit = DataUnit::MeterData(MeterData {
                            index: u16::try_from(index).unwrap_or(0),
                            protocol: Protocol::Dlt645_2007,
                            transit_s: 1,
                            frame: &frame,
                        });
                        self.report(now + took, Some(meter), Afn::Report, 2, unit);
                        self.awaiting_answer = true;
                    }
                    None => self.schedule_round(now + took),
                }
            }
            (DataUnit::BroadcastDelayQuery(_), _, _) => {
                let unit = DataUnit::BroadcastDelay(BroadcastDelay {
                    delay_s: self.broadcast_delay_s(),
                    frame: None,
                });
                self.reply(local, seq, None, Afn::Query, 9, unit);
            }
            (DataUnit::Broadcast(b), _, _) => {
                // The frame reaches the meters after the delay AFN 03 F9 announces.
                let at = now + Duration::secs(u64::from(self.broadcast_delay_s()));
                self.broadcasts.push_back((at, b.frame.to_vec()));
                let unit = DataUnit::Confirm(Confirm {
                    status: 0xFFFF_FFFF,
                    wait_s: 10,
                });
                self.reply(local, seq, None, Afn::Confirm, 1, unit);
            }
            (DataUnit::Registration(_), _, _) | (DataUnit::Empty, Afn::RouteSet, 6) => {
                self.confirm(local, seq);
                // Every meter of the network not yet in the archive registers; then the end.
                let found: Vec<Address> = self
                    .meters
                    .iter()
                    .map(|m| m.address)
                    .filter(|a| !self.archive.iter().any(|(x, _)| x == a))
                    .collect();
                if r.afn == Afn::RouteSet && f == 5 {
                    for (i, a) in found.iter().enumerate() {
                        // AFN 06 F4: one node, protocol 2, device type 1 (meter), no
                        // attached nodes.
                        let mut rec = a.0.to_vec();
                        let index = u16::try_from(self.archive.len() + i + 1).unwrap_or(0);
                        rec.push(Protocol::Dlt645_2007.to_byte());
                        rec.extend_from_slice(&index.to_le_bytes());
                        rec.extend_from_slice(&[1, 0, 0]);
                        if let Some(list) = Registered::from_bytes(1, &rec) {
                            let at = local + Duration::secs(1 + i as u64);
                            self.report(at, None, Afn::Report, 4, DataUnit::Registered(list));
                        }
                    }
                    self.report(
                        local + Duration::secs(2 + found.len() as u64),
                        None,
                        Afn::Report,
                        3,
                        DataUnit::RouteStatus(RouteStatus::SearchFinished),
                    );
                }
            }
            _ => {
                if r.control.prm {
                    self.deny(local, seq, DenyReason::Unsupported);
                }
            }
        }
    }

    /// Router-led round: ask for the next meter, or report the end of the round.
    fn schedule_round(&mut self, at: Instant) {
        if !self.routing || self.awaiting_answer {
            return;
        }
        let at = at + Duration::millis(200);
        match self.archive.get(self.round_next).copied() {
            Some((address, _)) => {
                self.round_next += 1;
                let phase = self
                    .meters
                    .iter()
                    .find(|m| m.address == address)
                    .map_or(1, |m| m.phase);
                let index = u16::try_from(self.round_next).unwrap_or(u16::MAX);
                let unit = DataUnit::ReadRequest(ReadRequest {
                    phase,
                    address,
                    index,
                });
                self.report(at, None, Afn::RouteRead, 1, unit);
                self.awaiting_answer = true;
            }
            None => {
                self.routing = false;
                self.report(
                    at,
                    None,
                    Afn::Report,
                    3,
                    DataUnit::RouteStatus(RouteStatus::ReadingFinished),
                );
            }
        }
    }

    /// How long a broadcast takes to reach the farthest meter, in whole seconds (at least 1):
    /// the per-hop latency times the hops, what AFN 03 F9 answers.
    fn broadcast_delay_s(&self) -> u16 {
        let hops = self
            .meters
            .iter()
            .map(|m| u64::from(m.hops) + 1)
            .max()
            .unwrap_or(1);
        u16::try_from(self.cfg.per_hop.to_secs() * hops)
            .unwrap_or(u16::MAX)
            .max(1)
    }

    /// The next frame due at `now` for the concentrator (broadcasts due by `now` reach the
    /// meters first).
    pub fn poll_transmit(&mut self, now: Instant) -> Option<Vec<u8>> {
        while let Some(i) = self.broadcasts.iter().position(|(t, _)| *t <= now) {
            if let Some((_, frame)) = self.broadcasts.remove(i) {
                for m in &mut self.meters {
                    let _ = (m.responder)(&frame);
                }
            }
        }
        let i = self
            .outbox
            .iter()
            .enumerate()
            .filter(|(_, (t, _))| *t <= now)
            .min_by_key(|(_, (t, _))| *t)
            .map(|(i, _)| i)?;
        self.outbox.remove(i).map(|(_, f)| f)
    }

    /// When the next frame is due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.outbox
            .iter()
            .chain(self.broadcasts.iter())
            .map(|(t, _)| *t)
            .min()
    }
}
