//! Module session scenarios against a scripted module: start-up with archive changes, reads
//! with pause/resume, denies, timeouts and retries, supervision, broadcast time sync,
//! registration, and the 2009 edition's layouts.
#![allow(clippy::indexing_slicing)] // tests index their own buffers (clippy.toml)

use qgdw1376_2::session::{
    Config, Duration, Event, Failure, Instant, MAX_TX_LEN, Op, Session, StartMode, Step,
};
use qgdw1376_2::unit::confirm::{Confirm, DenyReason};
use qgdw1376_2::unit::list::Entries;
use qgdw1376_2::unit::protocol::Protocol;
use qgdw1376_2::unit::query::{BroadcastDelay, Medium, RunMode, VendorInfo};
use qgdw1376_2::unit::read::MonitorReply;
use qgdw1376_2::unit::report::RouteStatus;
use qgdw1376_2::unit::route::{NodeCount, NodeInfo, NodePage, RegistrationWindow};
use qgdw1376_2::unit::time::{Date, DateTime};
use qgdw1376_2::{
    Address, AddressField, Afn, CommMode, Control, DataUnit, Dt, Edition, FrameRepr, Info, InfoUp,
    R1,
};

const MASTER: Address = Address([0x01, 0x02, 0x03, 0x04, 0x05, 0x06]);

fn a(s: &str) -> Address {
    Address::from_digits(s).unwrap()
}

/// A module frame (up) answering `seq`, or reporting when `prm`.
fn up(
    ed: Edition,
    prm: bool,
    seq: u8,
    node: Option<Address>,
    afn: Afn,
    f: u16,
    unit: DataUnit,
) -> Vec<u8> {
    let repr = FrameRepr {
        edition: ed,
        control: Control {
            direction: qgdw1376_2::Direction::Up,
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
        address: node.map(|n| AddressField::new(n, MASTER)),
        afn,
        dt: Dt::single(f).unwrap(),
        unit,
    };
    let mut out = vec![0; repr.buffer_len()];
    repr.emit(&mut out).unwrap();
    out
}

fn run_mode(router: bool, concentrator: bool) -> RunMode {
    RunMode {
        medium: Medium::Broadband,
        module_routes: true,
        archive_download: true,
        concentrator_led: concentrator,
        router_led: router,
        delay_support: qgdw1376_2::unit::query::DelaySupport::empty(),
        failed_node_switch: 0,
        broadcast_confirm_first: false,
        broadcast_channel_mode: 0,
        channel_count: 1,
        power_down_info: 0,
        byte3_reserved: 0,
        reserved: [0; 2],
        monitor_timeout_s: 20,
        broadcast_timeout_s: 10,
        max_frame_len: 2048,
        max_file_packet: 2048,
        upgrade_wait: 30,
        master_address: MASTER,
        max_nodes: 2040,
        node_count: 0,
        protocol_released: Date::default(),
        protocol_filed: Date::default(),
        vendor: VendorInfo {
            vendor: *b"ZW",
            chip: *b"10",
            date: Date {
                year: 16,
                month: 10,
                day: 20,
            },
            version: 2010,
        },
        rates: heapless::Vec::new(),
    }
}

struct Rig {
    s: Session<16>,
    master: Address,
    ed: Edition,
    t: Instant,
}

impl Rig {
    fn new(ed: Edition, start: StartMode) -> Self {
        Self::with(ed, start, |_| {})
    }

    fn with(ed: Edition, start: StartMode, f: impl FnOnce(&mut Config)) -> Self {
        let mut cfg = Config::new(MASTER);
        cfg.edition = ed;
        cfg.start = start;
        cfg.batch_size = 2;
        f(&mut cfg);
        let t = Instant::from_ticks(1_000);
        Self {
            s: Session::new(cfg, t),
            master: cfg.master_address,
            ed,
            t,
        }
    }

    /// The frames the session sends now, decoded as (seq, afn, fn, unit bytes).
    fn sent(&mut self) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut buf = [0u8; MAX_TX_LEN];
        while let Some(n) = self.s.poll_transmit(&mut buf) {
            out.push(buf[..n].to_vec());
        }
        out
    }

    /// Exactly one request is sent: its (seq, AFN, Fn) and bytes.
    fn one(&mut self) -> (u8, u8, u16, Vec<u8>) {
        let out = self.sent();
        assert_eq!(out.len(), 1, "{out:02X?}");
        let r = FrameRepr::parse_bytes(&out[0], self.ed).unwrap();
        assert!(r.control.prm && r.control.direction == qgdw1376_2::Direction::Down);
        (
            r.info.seq(),
            r.afn.to_byte(),
            r.fn_number().unwrap(),
            out[0].clone(),
        )
    }

    fn reply(&mut self, seq: u8, node: Option<Address>, afn: Afn, f: u16, unit: DataUnit) {
        let b = up(self.ed, false, seq, node, afn, f, unit);
        self.s.handle_received(&b, self.t);
    }

    fn confirm(&mut self, seq: u8) {
        let unit = DataUnit::Confirm(Confirm {
            status: 1,
            wait_s: 3,
        });
        self.reply(seq, None, Afn::Confirm, 1, unit);
    }

    fn events(&mut self) -> Vec<Event> {
        std::iter::from_fn(|| self.s.poll_event()).collect()
    }

    fn advance(&mut self, d: Duration) {
        self.t += d;
        self.s.handle_timeout(self.t);
    }

    /// Start-up with a module holding `module_nodes`, the archive holding `archive`.
    fn start_up(&mut self, module_nodes: &[Address], archive: &[Address]) -> Vec<Vec<u8>> {
        self.s
            .set_archive(archive.iter().map(|a| (*a, Protocol::Dlt645_2007)), self.t)
            .unwrap();
        let (seq, afn, f, _) = self.one();
        assert_eq!((afn, f), (0x03, 10));
        self.reply(
            seq,
            None,
            Afn::Query,
            10,
            DataUnit::RunMode(run_mode(true, true)),
        );
        let (seq, afn, f, _) = self.one();
        assert_eq!((afn, f), (0x03, 4));
        self.reply(
            seq,
            None,
            Afn::Query,
            4,
            DataUnit::MasterAddress(a("999999999999")),
        );
        let (seq, afn, f, bytes) = self.one();
        assert_eq!((afn, f), (0x05, 1));
        assert_eq!(&bytes[13..19], &self.master.0);
        self.confirm(seq);
        let (seq, afn, f, _) = self.one();
        assert_eq!((afn, f), (0x10, 1));
        let n = module_nodes.len() as u16;
        self.reply(
            seq,
            None,
            Afn::RouteQuery,
            1,
            DataUnit::NodeCount(NodeCount {
                count: n,
                max: 2040,
            }),
        );
        let mut writes = Vec::new();
        let mut paged = 0;
        loop {
            let (seq, afn, f, bytes) = self.one();
            match (afn, f) {
                (0x10, 2) => {
                    let start = u16::from_le_bytes([bytes[13], bytes[14]]);
                    let count = bytes[15];
                    assert_eq!(start, 1 + paged);
                    let page: Vec<NodeInfo> = module_nodes
                        .iter()
                        .skip(paged as usize)
                        .take(count as usize)
                        .map(|a| NodeInfo {
                            address: *a,
                            relay_level: 0,
                            signal_quality: 0,
                            phase: 1,
                            protocol: Protocol::Dlt645_2007,
                            reserved: 0,
                        })
                        .collect();
                    paged += page.len() as u16;
                    let mut scratch = [0u8; 256];
                    let nodes = Entries::encode(page, self.ed, &mut scratch).unwrap();
                    self.reply(
                        seq,
                        None,
                        Afn::RouteQuery,
                        2,
                        DataUnit::NodePage(NodePage { total: n, nodes }),
                    );
                }
                (0x11, 1 | 2) => {
                    writes.push(bytes);
                    self.confirm(seq);
                }
                (0x12, 1 | 3) => {
                    self.confirm(seq);
                    break;
                }
                other => panic!("unexpected request {other:?}"),
            }
        }
        writes
    }
}

#[test]
fn start_up_synchronises_the_archive_in_batches() {
    let mut r = Rig::new(Edition::V2013, StartMode::Query);
    let module = [a("000000000001"), a("000000000002"), a("000000000009")];
    let archive = [
        a("000000000001"),
        a("000000000002"),
        a("000000000003"),
        a("000000000004"),
        a("000000000005"),
    ];
    let writes = r.start_up(&module, &archive);
    // One delete (000000000009), then the three missing in batches of two.
    assert_eq!(writes.len(), 3);
    assert_eq!(&writes[0][10..14], &[0x11, 0x02, 0x00, 1]);
    assert_eq!(&writes[0][14..20], &a("000000000009").0);
    let added: Vec<Address> = writes[1..]
        .iter()
        .flat_map(|w| {
            let r = FrameRepr::parse_bytes(w, Edition::V2013).unwrap();
            let DataUnit::AddNodes(e) = r.unit else {
                panic!()
            };
            e.iter().map(|n| n.address).collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(added, archive[2..]);
    let ev = r.events();
    assert!(
        ev.contains(&Event::ArchiveSynced {
            deleted: 1,
            added: 3
        }),
        "{ev:?}"
    );
    assert!(matches!(ev.last(), Some(Event::Ready(_))));
}

#[test]
fn the_2009_edition_adds_nodes_with_their_index() {
    let mut r = Rig::new(Edition::V2009, StartMode::Query);
    let writes = r.start_up(&[], &[a("000000002601")]);
    assert_eq!(writes.len(), 1);
    // count 1, address, index 1 (LE), protocol 2: the 9-byte 2009 entry.
    assert_eq!(&writes[0][13..23], &[1, 0x01, 0x26, 0, 0, 0, 0, 1, 0, 2]);
}

#[test]
fn concentrator_led_read_pauses_reads_and_resumes() {
    let mut r = Rig::new(Edition::V2013, StartMode::Query);
    r.start_up(&[a("000000000001")], &[a("000000000001")]);
    r.events();
    let req = [
        0xFE, 0x68, 1, 0, 0, 0, 0, 0, 0x68, 0x11, 4, 0x33, 0x33, 0x34, 0x33, 0xB3, 0x16,
    ];
    let id =
        r.s.read(a("000000000001"), Protocol::Dlt645_2007, &req, r.t)
            .unwrap();
    let (seq, afn, f, _) = r.one();
    assert_eq!((afn, f), (0x12, 2), "pause routing first");
    r.confirm(seq);
    let (seq, afn, f, bytes) = r.one();
    assert_eq!((afn, f), (0x13, 1));
    let sent = FrameRepr::parse_bytes(&bytes, Edition::V2013).unwrap();
    assert_eq!(sent.node(), Some(a("000000000001")));
    let DataUnit::MonitorRequest(m) = sent.unit else {
        panic!()
    };
    assert_eq!(m.frame, &req);
    // The timeout is the module's 20 s monitor timeout plus the 2 s margin.
    assert_eq!(r.s.poll_timeout(), Some(r.t + Duration::secs(22)));
    let reply = [
        0x68, 1, 0, 0, 0, 0, 0, 0x68, 0x91, 8, 0x33, 0x33, 0x34, 0x33, 0x45, 0x33, 0x33, 0x33,
        0x00, 0x16,
    ];
    r.reply(
        seq,
        Some(a("000000000001")),
        Afn::RouteForward,
        1,
        DataUnit::MonitorReply(MonitorReply {
            transit_s: 1,
            protocol: Protocol::Dlt645_2007,
            frame: &reply,
        }),
    );
    let ev = r.events();
    let [
        Event::ReadDone {
            id: got,
            meter,
            frame,
            ..
        },
    ] = &ev[..]
    else {
        panic!("{ev:?}")
    };
    assert_eq!((*got, *meter), (id, a("000000000001")));
    assert_eq!(&frame[..], &reply);
    let (seq, afn, f, _) = r.one();
    assert_eq!(
        (afn, f),
        (0x12, 3),
        "resume routing when the queue is empty"
    );
    r.confirm(seq);
    assert!(r.sent().is_empty());
}

#[test]
fn deny_and_silence_fail_reads_with_their_reason() {
    let mut r = Rig::new(Edition::V2013, StartMode::Query);
    r.start_up(&[], &[]);
    r.events();
    let m = a("000000000007");
    let id1 = r.s.read(m, Protocol::Dlt645_2007, &[0x68], r.t).unwrap();
    let id2 = r.s.read(m, Protocol::Dlt645_2007, &[0x68], r.t).unwrap();
    let (seq, _, _, _) = r.one();
    r.confirm(seq); // pause
    let (seq, afn, _, _) = r.one();
    assert_eq!(afn, 0x13);
    r.reply(
        seq,
        None,
        Afn::Confirm,
        2,
        DataUnit::Deny(DenyReason::NoSuchMeter),
    );
    assert_eq!(
        r.events(),
        [Event::ReadFailed {
            id: id1,
            meter: m,
            failure: Failure::Denied(DenyReason::NoSuchMeter)
        }]
    );
    // The second read: no answer, one retry (same bytes), then a timeout.
    let (_, afn, _, first) = r.one();
    assert_eq!(afn, 0x13);
    r.advance(Duration::secs(22));
    let retry = r.sent();
    assert_eq!(retry, [first]);
    r.advance(Duration::secs(22));
    let ev = r.events();
    assert_eq!(
        ev,
        [Event::ReadFailed {
            id: id2,
            meter: m,
            failure: Failure::Timeout
        }]
    );
    // The queue is empty: routing resumes.
    let (seq, afn, f, _) = r.one();
    assert_eq!((afn, f), (0x12, 3));
    r.confirm(seq);
    // An empty reply frame means the meter did not answer.
    let id3 = r.s.read(m, Protocol::Dlt645_2007, &[0x68], r.t).unwrap();
    let (seq, afn, f, _) = r.one();
    assert_eq!((afn, f), (0x12, 2));
    r.confirm(seq);
    let (seq, afn, _, _) = r.one();
    assert_eq!(afn, 0x13);
    r.reply(
        seq,
        None,
        Afn::RouteForward,
        1,
        DataUnit::MonitorReply(MonitorReply {
            transit_s: 0,
            protocol: Protocol::Dlt645_2007,
            frame: &[],
        }),
    );
    assert_eq!(
        r.events(),
        [Event::ReadFailed {
            id: id3,
            meter: m,
            failure: Failure::NoMeterAnswer
        }]
    );
}

#[test]
fn a_silent_module_is_probed_then_reinitialised() {
    let mut r = Rig::new(Edition::V2013, StartMode::Query);
    r.start_up(&[], &[]);
    r.events();
    r.advance(Duration::secs(600));
    let (_, afn, f, _) = r.one();
    assert_eq!((afn, f), (0x10, 4), "probe with the route run status");
    r.advance(Duration::secs(6));
    let (_, afn, f, _) = r.one();
    assert_eq!((afn, f), (0x10, 4), "one retry");
    r.advance(Duration::secs(6));
    assert_eq!(r.events(), [Event::ModuleLost]);
    let (_, afn, f, _) = r.one();
    assert_eq!((afn, f), (0x03, 10), "start-up again");
}

#[test]
fn power_up_report_is_awaited_then_asked_for() {
    let mut r = Rig::new(Edition::V2013, StartMode::AwaitReport);
    assert!(r.sent().is_empty());
    assert_eq!(r.s.poll_timeout(), Some(r.t + Duration::secs(60)));
    r.advance(Duration::secs(60));
    let (_, afn, f, _) = r.one();
    assert_eq!((afn, f), (0x03, 10));
    // A deny during start-up is an error with its reason and a new attempt, not a hang.
    let mut r = Rig::new(Edition::V2013, StartMode::Reset);
    let (seq, afn, f, _) = r.one();
    assert_eq!((afn, f), (0x01, 1));
    r.reply(seq, None, Afn::Confirm, 2, DataUnit::Deny(DenyReason::Busy));
    assert_eq!(
        r.events(),
        [Event::InitFailed {
            step: Step::RunMode,
            failure: Failure::Denied(DenyReason::Busy)
        }]
    );
    r.advance(Duration::secs(6));
    let (_, afn, f, _) = r.one();
    assert_eq!((afn, f), (0x03, 10));
}

#[test]
fn router_led_round_and_reports() {
    let mut r = Rig::new(Edition::V2013, StartMode::Query);
    r.start_up(&[], &[]);
    r.events();
    let m = a("000000000006");
    // Clock request (AFN 14 F2) answered with the concentrator's time.
    let b = up(
        Edition::V2013,
        true,
        7,
        None,
        Afn::RouteRead,
        2,
        DataUnit::Empty,
    );
    r.s.handle_received(&b, r.t);
    assert_eq!(r.events(), [Event::ClockRequested]);
    let now = DateTime {
        year: 26,
        month: 11,
        day: 23,
        hour: 18,
        minute: 0,
        second: 5,
    };
    r.s.answer_clock(now, r.t).unwrap();
    let out = r.sent();
    let ans = FrameRepr::parse_bytes(&out[0], Edition::V2013).unwrap();
    assert_eq!((ans.info.seq(), ans.control.prm), (7, false));
    assert_eq!(ans.unit, DataUnit::Clock(now));
    assert!(r.s.answer_clock(now, r.t).is_err(), "only once per request");
    // Nothing to read at this meter: flag 1 (done), no frame.
    let b = up(
        Edition::V2013,
        true,
        8,
        None,
        Afn::RouteRead,
        1,
        DataUnit::ReadRequest(qgdw1376_2::unit::read::ReadRequest {
            phase: 2,
            address: m,
            index: 5,
        }),
    );
    r.s.handle_received(&b, r.t);
    assert_eq!(
        r.events(),
        [Event::RouterAsks {
            meter: m,
            index: 5,
            phase: 2
        }]
    );
    r.s.answer_read(None, true, r.t).unwrap();
    let out = r.sent();
    let n = out[0].len();
    // AFN 14 F1, flag 1 (done), delay flag 0, no frame, no attached nodes.
    assert_eq!(&out[0][n - 9..n - 2], &[0x14, 0x01, 0x00, 1, 0, 0, 0]);
    // Round finished (AFN 06 F3) and a slave event (AFN 06 F5), each confirmed.
    let b = up(
        Edition::V2013,
        true,
        9,
        None,
        Afn::Report,
        3,
        DataUnit::RouteStatus(RouteStatus::ReadingFinished),
    );
    r.s.handle_received(&b, r.t);
    let ev_frame = [0x68, 6, 0, 0, 0, 0, 0, 0x68, 0x91, 0, 0x00, 0x16];
    let b = up(
        Edition::V2013,
        true,
        10,
        Some(m),
        Afn::Report,
        5,
        DataUnit::SlaveEvent(qgdw1376_2::unit::report::SlaveEvent {
            device_type: 1,
            protocol: Protocol::Dlt645_2007,
            frame: &ev_frame,
        }),
    );
    r.s.handle_received(&b, r.t);
    let confirms: Vec<(u8, u8)> = r.sent().iter().map(|f| (f[9], f[10])).collect();
    assert_eq!(confirms, [(9, 0x00), (10, 0x00)]);
    let ev = r.events();
    assert_eq!(ev[0], Event::RouteStatus(RouteStatus::ReadingFinished));
    assert!(matches!(&ev[1], Event::SlaveEvent { meter: Some(x), .. } if *x == m));
}

#[test]
fn broadcast_time_sync_and_registration() {
    let mut r = Rig::new(Edition::V2013, StartMode::Query);
    r.start_up(&[], &[]);
    r.events();
    let time_frame = [
        0x68, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x68, 0x08, 6, 0x33, 0x33, 0x33, 0x33, 0x33,
        0x33, 0x00, 0x16,
    ];
    r.s.query_broadcast_delay(Protocol::Dlt645_2007, &time_frame, r.t)
        .unwrap();
    let (seq, afn, f, _) = r.one();
    assert_eq!((afn, f), (0x03, 9));
    r.reply(
        seq,
        None,
        Afn::Query,
        9,
        DataUnit::BroadcastDelay(BroadcastDelay {
            delay_s: 4,
            frame: None,
        }),
    );
    assert_eq!(
        r.events(),
        [
            Event::BroadcastDelay { delay_s: 4 },
            Event::Done(Op::BroadcastDelay)
        ]
    );
    r.s.broadcast(Protocol::Dlt645_2007, &time_frame, r.t)
        .unwrap();
    let (seq, afn, f, _) = r.one();
    assert_eq!((afn, f), (0x05, 3));
    // The broadcast timeout is the module's 10 s plus the margin.
    assert_eq!(r.s.poll_timeout(), Some(r.t + Duration::secs(12)));
    r.confirm(seq);
    assert_eq!(r.events(), [Event::Done(Op::Broadcast { wait_s: 3 })]);

    let w = RegistrationWindow {
        start: DateTime {
            year: 17,
            month: 7,
            day: 29,
            hour: 11,
            minute: 13,
            second: 30,
        },
        duration_min: 16,
        retries: 6,
        slots: 6,
    };
    r.s.start_registration(w, r.t).unwrap();
    let (seq, afn, f, bytes) = r.one();
    assert_eq!((afn, f), (0x11, 5));
    // Same data unit as the logged HPLC activation (vector P21).
    assert_eq!(
        &bytes[13..23],
        &[0x30, 0x13, 0x11, 0x29, 0x07, 0x17, 0x10, 0x00, 0x06, 0x06]
    );
    r.confirm(seq);
    assert_eq!(r.events(), [Event::Done(Op::StartRegistration)]);
    let b = up(
        Edition::V2013,
        true,
        3,
        None,
        Afn::Report,
        3,
        DataUnit::RouteStatus(RouteStatus::SearchFinished),
    );
    r.s.handle_received(&b, r.t);
    assert_eq!(
        r.events(),
        [Event::RouteStatus(RouteStatus::SearchFinished)]
    );
}

/// `CSG_Debug-2017-10-08.log` 17:45:29.472: the HPLC test tool's concurrent read of three
/// DL/T 645 requests to meter 001707110290, denied by the module with code 12 (slave node not
/// in the network).
#[test]
fn concurrent_read_matches_the_logged_request_and_surfaces_the_deny() {
    let log = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/vectors/plc/hplc-logs/CSG_Debug-2017-10-08.log"
    ));
    let col = |time: &str| -> Vec<u8> {
        let l = log.lines().find(|l| l.starts_with(time)).unwrap();
        l.split('\t')
            .nth(2)
            .unwrap()
            .split_whitespace()
            .map(|h| u8::from_str_radix(h, 16).unwrap())
            .collect()
    };
    let theirs = col("17:45:29.472");
    let denied = col("17:45:29.661");
    let mut r = Rig::with(Edition::V2013, StartMode::Query, |c| {
        c.master_address = a("111111111111");
        c.rate = 1200;
        c.concurrent = true;
    });
    r.start_up(&[], &[]);
    r.events();
    let logged = FrameRepr::parse_bytes(&theirs, Edition::V2013).unwrap();
    let DataUnit::Concurrent(c) = logged.unit else {
        panic!()
    };
    let meter = logged.node().unwrap();
    assert_eq!(meter, a("001707110290"));
    let id =
        r.s.read_concurrent(meter, Protocol::Dlt645_2007, c.frame, r.t)
            .unwrap();
    let (seq, afn, f, _) = r.one();
    assert_eq!((afn, f), (0x12, 2));
    r.confirm(seq);
    let (seq, afn, f, ours) = r.one();
    assert_eq!((afn, f), (0xF1, 1));
    assert_eq!(ours.len(), theirs.len());
    for (i, (x, y)) in ours.iter().zip(&theirs).enumerate() {
        if i != 9 && i != ours.len() - 2 {
            assert_eq!(x, y, "byte {i}");
        }
    }
    let mut denied = denied;
    denied[9] = seq;
    let n = denied.len();
    denied[n - 2] = qgdw1376_2::checksum(&denied[3..n - 2]);
    r.s.handle_received(&denied, r.t);
    assert_eq!(
        r.events(),
        [Event::ReadFailed {
            id,
            meter,
            failure: Failure::Denied(DenyReason::SlaveNotInNetwork)
        }]
    );
    // Without the capability the command is refused.
    let mut plain = Rig::new(Edition::V2013, StartMode::Query);
    assert_eq!(
        plain
            .s
            .read_concurrent(meter, Protocol::Dlt645_2007, c.frame, plain.t),
        Err(qgdw1376_2::session::CommandError::Unsupported)
    );
}

#[test]
fn a_reply_that_does_not_decode_fails_the_request_at_once() {
    let mut r = Rig::new(Edition::V2013, StartMode::Query);
    let (seq, afn, f, _) = r.one();
    assert_eq!((afn, f), (0x03, 10));
    // AFN 03 F10 up with a 3-byte data unit (it needs 39).
    let b = up(
        Edition::V2013,
        false,
        seq,
        None,
        Afn::Query,
        10,
        DataUnit::Raw(&[1, 2, 3]),
    );
    r.s.handle_received(&b, r.t);
    assert_eq!(
        r.events(),
        [Event::InitFailed {
            step: Step::RunMode,
            failure: Failure::Unexpected
        }]
    );
}
