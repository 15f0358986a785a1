//! The sans-IO terminal session on a virtual clock, checked against the link-management
//! vectors U01/U02/U03 and the request U07 of `../shared/vectors/plc/frames-1376-1.tsv`.

use qgdw1376_1::session::{
    Answer, Config, Denial, Duration, Event, Handler, Instant, LinkState, Reply, Terminal,
};
use qgdw1376_1::unit::Data;
use qgdw1376_1::{
    Address, Afn, Collector, Da, Direction, Dt, FrameRepr, LinkTest, PW_LEN, Position, Progress,
    Seq, Tp,
};

const TSV: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/vectors/plc/frames-1376-1.tsv"
));

fn vector(id: &str) -> Vec<u8> {
    let line = TSV.lines().find(|l| l.starts_with(id)).unwrap();
    let d: String = line
        .split('\t')
        .nth(1)
        .unwrap()
        .chars()
        .filter(|c| c.is_ascii_hexdigit())
        .collect();
    (0..d.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&d[i..i + 2], 16).unwrap())
        .collect()
}

const KEY: [u8; PW_LEN] = [0x5A; PW_LEN];

/// U01's terminal: area 0200, terminal 1234.
fn u01_address() -> Address {
    Address {
        area: 0x0200,
        terminal: 0x1234,
        master: 0,
        group: false,
    }
}

fn t(ms: u64) -> Instant {
    Instant::from_ticks(ms)
}

/// Records what it was asked; answers 0C F2 with a clock, 05 with Done, anything else with
/// `groups` raw groups of `group_len` bytes each.
#[derive(Default)]
struct Script {
    calls: Vec<(Afn, u8)>,
    groups: usize,
    group_len: usize,
}

impl Handler for Script {
    fn request(&mut self, request: &FrameRepr<'_>, reply: &mut Reply<'_>) -> Answer {
        self.calls.push((request.afn, request.seq.seq));
        match request.afn {
            Afn::Control => Answer::Done,
            Afn::Class1 => {
                let clock = qgdw1376_1::value::DateTime {
                    second: 5,
                    minute: 4,
                    hour: 3,
                    day: 2,
                    month: 1,
                    year: 26,
                    weekday: 0,
                };
                reply
                    .push(
                        Da::P0,
                        Dt::function(2).unwrap(),
                        &[Data::Clock(Some(clock))],
                    )
                    .unwrap();
                Answer::Data
            }
            _ if self.groups > 0 => {
                for i in 0..self.groups {
                    let mut g = vec![0u8, 0, 0x01, 0x10];
                    g.extend((0..self.group_len - 4).map(|j| (i + j) as u8));
                    reply.push_raw(&g).unwrap();
                }
                Answer::Data
            }
            _ => Answer::Deny,
        }
    }
}

fn drain(s: &mut Terminal<qgdw1376_1::session::KeyCheck, 4096>) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while let Some(f) = s.poll_transmit() {
        out.push(f.to_vec());
    }
    out
}

fn events(s: &mut Terminal<qgdw1376_1::session::KeyCheck, 4096>) -> Vec<Event> {
    core::iter::from_fn(|| s.poll_event()).collect()
}

/// A session logged in at t = 0 (login U01 confirmed by U02).
fn online() -> Terminal<qgdw1376_1::session::KeyCheck, 4096> {
    let mut s = Terminal::with_key(Config::new(u01_address()), KEY, t(0));
    s.poll(t(0));
    assert_eq!(events(&mut s), [Event::Connect]);
    s.connected(t(0));
    assert_eq!(drain(&mut s), [vector("U01")]);
    s.receive(t(100), &vector("U02"), &mut Script::default())
        .unwrap();
    assert_eq!(events(&mut s), [Event::LoggedIn]);
    assert_eq!(s.state(), LinkState::Online);
    s
}

#[test]
fn login_is_u01_and_u02_confirms_it_then_heartbeats_follow_the_period() {
    let mut s = online();
    // Nothing before the period (15 min) is over.
    s.poll(t(15 * 60_000 - 1));
    assert!(drain(&mut s).is_empty());
    s.poll(t(15 * 60_000 + 100));
    let hb = drain(&mut s);
    assert_eq!(hb.len(), 1);
    let f = FrameRepr::parse_bytes(&hb[0]).unwrap();
    assert_eq!(f.as_link_test(), Some(LinkTest::Heartbeat));
    // U03 is the same heartbeat with PSEQ 1; ours is the next initiating frame, PSEQ 2.
    assert_eq!(f.seq, Seq::single(2, true));
    let u03 = vector("U03");
    assert_eq!(hb[0][..13], u03[..13]);
    assert_eq!(hb[0][14..18], u03[14..18]);
    // Confirmed with the master's AFN 00 F1 of the same sequence number.
    let mut confirm = [0u8; 32];
    let n = FrameRepr::link_confirm(u01_address(), 2)
        .emit(&mut confirm)
        .unwrap();
    s.receive(t(15 * 60_000 + 200), &confirm[..n], &mut Script::default())
        .unwrap();
    // The next heartbeat is one period after the last was sent, none missed.
    assert_eq!(s.poll_timeout(), Some(t(30 * 60_000 + 100)));
    s.poll(t(30 * 60_000 + 100));
    assert_eq!(drain(&mut s).len(), 1);
    assert!(events(&mut s).is_empty());
}

#[test]
fn login_retried_with_the_same_bytes_then_reconnect_with_back_off() {
    let mut s = Terminal::<_, 4096>::with_key(Config::new(u01_address()), KEY, t(0));
    s.poll(t(0));
    s.connected(t(0));
    let first = drain(&mut s);
    s.poll(t(30_000));
    assert_eq!(
        drain(&mut s),
        first,
        "a resend keeps PFC, so the same bytes"
    );
    s.poll(t(60_000));
    assert_eq!(drain(&mut s), first);
    s.poll(t(90_000));
    assert!(drain(&mut s).is_empty());
    assert_eq!(events(&mut s), [Event::Connect, Event::Disconnect]);
    assert_eq!(s.state(), LinkState::Offline);
    // Back-off 5 s, then 10 s after the next failure.
    assert_eq!(s.poll_timeout(), Some(t(95_000)));
    s.poll(t(95_000));
    assert_eq!(events(&mut s), [Event::Connect]);
    s.disconnected(t(95_500));
    assert_eq!(s.poll_timeout(), Some(t(105_500)));
}

#[test]
fn a_denied_login_drops_the_link() {
    let mut s = Terminal::<_, 4096>::with_key(Config::new(u01_address()), KEY, t(0));
    s.poll(t(0));
    s.connected(t(0));
    drain(&mut s);
    let mut deny = vector("U02");
    deny[16] = 0x02; // DT F2: all denied.
    let cs = deny[6..deny.len() - 2]
        .iter()
        .fold(0u8, |a, b| a.wrapping_add(*b));
    let n = deny.len();
    deny[n - 2] = cs;
    s.receive(t(10), &deny, &mut Script::default()).unwrap();
    assert_eq!(
        events(&mut s),
        [Event::Connect, Event::LoginDenied, Event::Disconnect]
    );
    assert_eq!(s.state(), LinkState::Offline);
}

#[test]
fn missed_heartbeat_confirms_lose_the_link() {
    let mut s = online();
    // Logged in at t = 100 ms.
    let period = 15 * 60_000 + 100;
    s.poll(t(period));
    assert_eq!(drain(&mut s).len(), 1);
    s.poll(t(period + 30_000));
    assert_eq!(drain(&mut s).len(), 1, "retried at once");
    s.poll(t(period + 60_000));
    assert_eq!(drain(&mut s).len(), 1);
    s.poll(t(period + 90_000));
    assert!(drain(&mut s).is_empty());
    assert_eq!(
        events(&mut s),
        [
            Event::HeartbeatMissed { missed: 1 },
            Event::HeartbeatMissed { missed: 2 },
            Event::HeartbeatMissed { missed: 3 },
            Event::Disconnect
        ]
    );
    assert_eq!(s.state(), LinkState::Offline);
    assert_eq!(s.poll_timeout(), Some(t(period + 95_000)));
}

/// A request from master 1 to U01's terminal.
fn request(afn: Afn, fn_number: u16, seq: u8, con: bool, pw: Option<[u8; PW_LEN]>) -> Vec<u8> {
    let mut units = vec![0u8, 0];
    let dt = Dt::function(fn_number).unwrap();
    units.extend([dt.dt1, dt.dt2]);
    if afn == Afn::Control && fn_number == 1 {
        units.extend([0x00, 0x00]); // RemoteTrip: limit time, alarm delay.
    }
    let address = Address {
        master: 1,
        ..u01_address()
    };
    let code = if afn == Afn::Class1 { 11 } else { 10 };
    let mut f = FrameRepr::request(address, afn, code, Seq::single(seq, con), &units);
    if let Some(p) = pw {
        f.pw = Some(p);
    }
    let mut out = vec![0u8; f.buffer_len()];
    f.emit(&mut out).unwrap();
    out
}

#[test]
fn a_repeated_request_is_answered_from_the_cache_not_executed_again() {
    let mut s = online();
    let mut h = Script::default();
    let req = request(Afn::Class1, 2, 5, false, None);
    s.receive(t(1000), &req, &mut h).unwrap();
    let reply = drain(&mut s);
    assert_eq!(reply.len(), 1);
    let f = FrameRepr::parse_bytes(&reply[0]).unwrap();
    assert_eq!(
        (f.afn, f.seq.seq, f.control.dir),
        (Afn::Class1, 5, Direction::Up)
    );
    assert_eq!(f.address.master, 1);
    let u = f.data_units().next().unwrap().unwrap();
    assert_eq!(u.fn_number, 2);
    assert!(matches!(u.data(), Ok(Some(Data::Clock(c))) if c.unwrap().minute == 4));
    // The master repeats the frame (same PFC): same reply, the handler ran once.
    s.receive(t(2000), &req, &mut h).unwrap();
    assert_eq!(drain(&mut s), reply);
    assert_eq!(h.calls, [(Afn::Class1, 5)]);
    assert_eq!(
        events(&mut s),
        [Event::Repeated {
            afn: Afn::Class1,
            seq: 5
        }]
    );
    // The next PSEQ is a new request.
    s.receive(t(3000), &request(Afn::Class1, 2, 6, false, None), &mut h)
        .unwrap();
    assert_eq!(h.calls.len(), 2);
    assert_eq!(s.executed(), 2);
}

#[test]
fn trip_with_a_wrong_password_is_denied_and_audited_the_right_one_confirmed() {
    let mut s = online();
    let mut h = Script::default();
    let wrong = request(Afn::Control, 1, 7, true, Some([0x11; PW_LEN]));
    s.receive(t(1000), &wrong, &mut h).unwrap();
    let deny = drain(&mut s);
    let f = FrameRepr::parse_bytes(&deny[0]).unwrap();
    assert_eq!(
        (f.afn, f.control.to_byte(), f.seq.seq),
        (Afn::Confirm, Some(0x89), 7)
    );
    assert_eq!(f.data_units().next().unwrap().unwrap().fn_number, 2);
    assert!(h.calls.is_empty());
    assert_eq!(
        events(&mut s),
        [Event::Denied {
            afn: Afn::Control,
            seq: 7,
            master: 1,
            reason: Denial::WrongPassword
        }]
    );
    let right = request(Afn::Control, 1, 8, true, Some(KEY));
    s.receive(t(2000), &right, &mut h).unwrap();
    let ok = drain(&mut s);
    let f = FrameRepr::parse_bytes(&ok[0]).unwrap();
    assert_eq!(
        (f.afn, f.control.to_byte(), f.seq.seq),
        (Afn::Confirm, Some(0x80), 8)
    );
    assert_eq!(f.data_units().next().unwrap().unwrap().fn_number, 1);
    assert_eq!(h.calls, [(Afn::Control, 8)]);
    // Without CON an executed command is not confirmed.
    s.receive(
        t(3000),
        &request(Afn::Control, 2, 9, false, Some(KEY)),
        &mut h,
    )
    .unwrap();
    assert!(drain(&mut s).is_empty());
    assert_eq!(h.calls.len(), 2);
}

#[test]
fn long_replies_are_split_and_resent_whole_after_a_dropped_connection() {
    let mut config = Config::new(u01_address());
    config.max_units = 100;
    let mut s = Terminal::<_, 4096>::with_key(config, KEY, t(0));
    s.poll(t(0));
    s.connected(t(0));
    drain(&mut s);
    s.receive(t(1), &vector("U02"), &mut Script::default())
        .unwrap();
    let mut h = Script {
        groups: 7,
        group_len: 40,
        ..Script::default()
    };
    let req = request(Afn::Class2, 161, 15, false, None);
    s.receive(t(10), &req, &mut h).unwrap();
    let first = s.poll_transmit().unwrap().to_vec();
    // The connection drops after the first of the four frames (2 + 2 + 2 + 1 groups).
    s.disconnected(t(20));
    assert!(s.poll_transmit().is_none());
    s.poll(t(5020));
    s.connected(t(5020));
    let login = drain(&mut s);
    assert_eq!(login.len(), 1);
    let pseq = FrameRepr::parse_bytes(&login[0]).unwrap().seq.seq;
    let mut confirm = [0u8; 32];
    let n = FrameRepr::link_confirm(u01_address(), pseq)
        .emit(&mut confirm)
        .unwrap();
    s.receive(t(5030), &confirm[..n], &mut h).unwrap();
    s.receive(t(5040), &req, &mut h).unwrap();
    let frames = drain(&mut s);
    assert_eq!(frames.len(), 4);
    assert_eq!(frames[0], first);
    assert_eq!(h.calls.len(), 1, "not executed twice");
    let mut c = Collector::new();
    let mut units = Vec::new();
    for (i, b) in frames.iter().enumerate() {
        let f = FrameRepr::parse_bytes(b).unwrap();
        assert!(f.units.len() <= 100);
        assert_eq!(f.afn, Afn::Class2);
        let want = if i == 3 {
            Progress::Complete
        } else {
            Progress::More
        };
        assert_eq!(c.push(f.seq), Ok(want));
        units.extend_from_slice(f.units);
    }
    // RSEQ counts from the request's PSEQ 15, wrapping.
    let seqs: Vec<u8> = frames
        .iter()
        .map(|b| FrameRepr::parse_bytes(b).unwrap().seq.seq)
        .collect();
    assert_eq!(seqs, [15, 0, 1, 2]);
    assert_eq!(
        FrameRepr::parse_bytes(&frames[0]).unwrap().seq.position(),
        Position::First
    );
    assert_eq!(units.len(), 7 * 40);
}

#[test]
fn u07_request_is_answered_to_its_master_and_others_are_ignored() {
    // U07: master 1 asks terminal 0574/0009 for its archive (AFN 0A F10), SEQ 6E.
    let me = Address {
        area: 0x0574,
        terminal: 9,
        master: 0,
        group: false,
    };
    let mut s = Terminal::<_, 4096>::with_key(Config::new(me), KEY, t(0));
    s.poll(t(0));
    s.connected(t(0));
    drain(&mut s);
    let mut c = [0u8; 32];
    let n = FrameRepr::link_confirm(me, 1).emit(&mut c).unwrap();
    s.receive(t(1), &c[..n], &mut Script::default()).unwrap();
    assert_eq!(s.state(), LinkState::Online);
    let mut h = Script {
        groups: 1,
        group_len: 8,
        ..Script::default()
    };
    s.receive(t(2), &vector("U07"), &mut h).unwrap();
    let reply = drain(&mut s);
    let f = FrameRepr::parse_bytes(&reply[0]).unwrap();
    assert_eq!(f.address.master, 1);
    assert_eq!((f.afn, f.seq.seq), (Afn::QueryParameters, 14));
    // Another terminal's copy of the frame is not ours.
    let mut other = Terminal::<_, 4096>::with_key(Config::new(u01_address()), KEY, t(0));
    other.poll(t(0));
    other.connected(t(0));
    drain(&mut other);
    other.receive(t(2), &vector("U07"), &mut h).unwrap();
    assert!(drain(&mut other).is_empty());
    assert_eq!(h.calls.len(), 1);
}

#[test]
fn broadcasts_run_without_a_reply_and_bad_frames_are_typed_errors() {
    let mut s = online();
    let mut h = Script::default();
    let broadcast = Address {
        area: 0x0200,
        terminal: 0xFFFF,
        master: 1,
        group: true,
    };
    let units = [0u8, 0, 0x40, 0x03, 0, 0, 0, 1, 0x21, 0x26]; // F31 + A.1 time
    let f = FrameRepr::request(broadcast, Afn::Control, 10, Seq::single(3, true), &units);
    let f = FrameRepr { pw: Some(KEY), ..f };
    let mut b = vec![0u8; f.buffer_len()];
    f.emit(&mut b).unwrap();
    s.receive(t(5), &b, &mut h).unwrap();
    assert_eq!(h.calls, [(Afn::Control, 3)]);
    assert!(drain(&mut s).is_empty());
    let mut bad = vector("U02");
    bad[18] ^= 1;
    assert!(s.receive(t(6), &bad, &mut h).is_err());
    assert_eq!(s.state(), LinkState::Online);
    assert_eq!(Duration::minutes(15), s.config().heartbeat);
}

#[test]
fn an_active_event_report_has_the_shape_of_vector_u08() {
    // U08: terminal 9612/3456 reports ERC14 with C = 0xC4, AFN 0E, SEQ 70 (CON, PSEQ 0).
    let u08 = vector("U08");
    let me = Address::from_bytes([0x12, 0x96, 0x56, 0x34, 0x00]);
    let mut s = Terminal::<_, 4096>::with_key(Config::new(me), KEY, t(0));
    let units = FrameRepr::parse_bytes(&u08).unwrap().units.to_vec();
    assert_eq!(
        s.report(t(0), &units, true),
        Err(qgdw1376_1::session::ReportError::Offline)
    );
    s.poll(t(0));
    s.connected(t(0));
    drain(&mut s);
    let mut c = [0u8; 32];
    let n = FrameRepr::link_confirm(me, 1).emit(&mut c).unwrap();
    s.receive(t(1), &c[..n], &mut Script::default()).unwrap();
    let pseq = s.report(t(1), &units, true).unwrap();
    assert_eq!(pseq, 2);
    let sent = drain(&mut s);
    assert_eq!(sent.len(), 1);
    // Byte for byte U08 but for the sequence number (and so the checksum).
    let mut want = u08.clone();
    want[13] = 0x70 | pseq;
    let cs = want[6..want.len() - 2]
        .iter()
        .fold(0u8, |a, b| a.wrapping_add(*b));
    let len = want.len();
    want[len - 2] = cs;
    assert_eq!(sent[0], want);
}

/// AFN 00 from the master with RSEQ `seq`: F1 confirm (C = 0x00: down, PRM = 0, function
/// 0) or F2 deny.
fn master_answer(to: Address, seq: u8, confirm: bool) -> Vec<u8> {
    let units: [u8; 4] = [0, 0, if confirm { 1 } else { 2 }, 0];
    let mut f = FrameRepr::response(to, Afn::Confirm, Seq::single(seq, false), &units);
    f.control.dir = Direction::Down;
    f.control.code = 0;
    let mut out = vec![0u8; f.buffer_len()];
    f.emit(&mut out).unwrap();
    out
}

#[test]
fn a_report_with_con_is_resent_unchanged_until_confirmed() {
    let u08 = vector("U08");
    let units = FrameRepr::parse_bytes(&u08).unwrap().units.to_vec();
    let mut s = online();
    let timeout = s.config().confirm_timeout.to_millis();
    let pseq = s.report(t(1000), &units, true).unwrap();
    let first = drain(&mut s);
    assert_eq!(first.len(), 1);
    assert!(s.report_waiting());
    // A second report waits for the first one's confirm.
    assert_eq!(
        s.report(t(1001), &units, true),
        Err(qgdw1376_1::session::ReportError::Busy)
    );
    // The session asks to be polled by the confirm timeout, then sends the same bytes again.
    assert_eq!(s.poll_timeout(), Some(t(1000 + timeout)));
    s.poll(t(1000 + timeout - 1));
    assert!(drain(&mut s).is_empty());
    s.poll(t(1000 + timeout));
    assert_eq!(drain(&mut s), first);
    assert_eq!(events(&mut s), [Event::ReportResent { pseq }]);
    // A confirm with another RSEQ is not this report's.
    let other = master_answer(u01_address(), (pseq + 1) & 0x0F, true);
    s.receive(t(1000 + timeout + 1), &other, &mut Script::default())
        .unwrap();
    assert!(s.report_waiting());
    // AFN 00 F1 with RSEQ = PSEQ confirms it: no more resends.
    let ok = master_answer(u01_address(), pseq, true);
    s.receive(t(1000 + timeout + 2), &ok, &mut Script::default())
        .unwrap();
    assert_eq!(events(&mut s), [Event::ReportConfirmed { pseq }]);
    assert!(!s.report_waiting());
    s.poll(t(1000 + 3 * timeout));
    assert!(
        drain(&mut s)
            .iter()
            .all(|f| FrameRepr::parse_bytes(f).unwrap().afn != Afn::Class3)
    );
    // The next report gets a new PSEQ; a denial ends it too.
    let next = s.report(t(1000 + 3 * timeout), &units, true).unwrap();
    assert_ne!(next, pseq);
    drain(&mut s);
    let no = master_answer(u01_address(), next, false);
    s.receive(t(1000 + 3 * timeout + 1), &no, &mut Script::default())
        .unwrap();
    assert!(events(&mut s).contains(&Event::ReportDenied { pseq: next }));
    assert!(!s.report_waiting());
}

#[test]
fn a_report_without_con_is_sent_once_and_a_dropped_link_abandons_one_with_con() {
    let u08 = vector("U08");
    let units = FrameRepr::parse_bytes(&u08).unwrap().units.to_vec();
    let mut s = online();
    let timeout = s.config().confirm_timeout.to_millis();
    let pseq = s.report(t(1000), &units, false).unwrap();
    let sent = drain(&mut s);
    assert!(!FrameRepr::parse_bytes(&sent[0]).unwrap().seq.con);
    assert!(!s.report_waiting());
    s.poll(t(1000 + timeout));
    assert!(
        drain(&mut s)
            .iter()
            .all(|f| FrameRepr::parse_bytes(f).unwrap().afn != Afn::Class3)
    );
    assert!(!events(&mut s).contains(&Event::ReportResent { pseq }));
    let pseq = s.report(t(2000), &units, true).unwrap();
    drain(&mut s);
    s.disconnected(t(2001));
    assert!(events(&mut s).contains(&Event::ReportAbandoned { pseq }));
    assert!(!s.report_waiting());
}

#[test]
fn event_counters_set_acd_and_append_ec_to_replies() {
    let mut s = online();
    let mut h = Script::default();
    s.set_event_counters(Some(qgdw1376_1::Ec {
        important: 3,
        general: 1,
    }));
    s.receive(t(200), &request(Afn::Class1, 2, 2, false, None), &mut h)
        .unwrap();
    let out = drain(&mut s);
    let f = FrameRepr::parse_bytes(&out[0]).unwrap();
    assert!(f.control.fcb_acd);
    assert_eq!(
        f.ec,
        Some(qgdw1376_1::Ec {
            important: 3,
            general: 1
        })
    );
    // The AFN 00 answers carry it too (C = 0x80 | 0x20 for a confirm).
    s.receive(
        t(300),
        &request(Afn::Control, 2, 3, true, Some(KEY)),
        &mut h,
    )
    .unwrap();
    let out = drain(&mut s);
    assert_eq!(out[0][6], 0xA0);
    let f = FrameRepr::parse_bytes(&out[0]).unwrap();
    assert_eq!((f.afn, f.ec.map(|e| e.important)), (Afn::Confirm, Some(3)));
    // Cleared: ACD = 0 and no EC (notes §2.1: follow the ACD bit).
    s.set_event_counters(None);
    s.receive(t(400), &request(Afn::Class1, 2, 4, false, None), &mut h)
        .unwrap();
    let out = drain(&mut s);
    let f = FrameRepr::parse_bytes(&out[0]).unwrap();
    assert!(!f.control.fcb_acd);
    assert_eq!(f.ec, None);
}

#[test]
fn a_per_unit_confirm_answers_a_report_by_its_err_codes() {
    // Some masters answer with AFN 00 F3 (notes §2.6): AFN 0E + {DA p0, DT F1, ERR}.
    let u08 = vector("U08");
    let units = FrameRepr::parse_bytes(&u08).unwrap().units.to_vec();
    let f3 = |seq: u8, err: u8| {
        let body = [0u8, 0, 0x04, 0x00, 0x0E, 0, 0, 0x01, 0x00, err];
        let mut f =
            FrameRepr::response(u01_address(), Afn::Confirm, Seq::single(seq, false), &body);
        f.control.dir = Direction::Down;
        f.control.code = 0;
        let mut out = vec![0u8; f.buffer_len()];
        f.emit(&mut out).unwrap();
        out
    };
    let mut s = online();
    let pseq = s.report(t(1000), &units, true).unwrap();
    drain(&mut s);
    s.receive(t(1001), &f3(pseq, 0), &mut Script::default())
        .unwrap();
    assert_eq!(events(&mut s), [Event::ReportConfirmed { pseq }]);
    let pseq = s.report(t(1002), &units, true).unwrap();
    drain(&mut s);
    s.receive(t(1003), &f3(pseq, 1), &mut Script::default())
        .unwrap();
    assert_eq!(events(&mut s), [Event::ReportDenied { pseq }]);
}

/// `request` with a time label: sent at dd hh:mm:ss, `delay` minutes allowed (TpV = 1).
fn labelled(afn: Afn, fn_number: u16, seq: u8, pw: Option<[u8; PW_LEN]>, tp: Tp) -> Vec<u8> {
    let plain = request(afn, fn_number, seq, true, pw);
    let f = FrameRepr::parse_bytes(&plain).unwrap();
    let g = FrameRepr {
        seq: Seq { tpv: true, ..f.seq },
        tp: Some(tp),
        ..f
    };
    let mut out = vec![0u8; g.buffer_len()];
    g.emit(&mut out).unwrap();
    out
}

fn wall(day: u8, hour: u8, minute: u8, second: u8) -> qgdw1376_1::value::DateTime {
    qgdw1376_1::value::DateTime {
        year: 26,
        month: 12,
        day,
        hour,
        minute,
        second,
        weekday: 0,
    }
}

#[test]
fn a_request_with_an_expired_time_label_is_dropped_unexecuted_and_audited() {
    let mut s = online();
    let mut h = Script::default();
    // The terminal's calendar: 2026-12-05 03:50:00 at t = 1 s; it runs on with t.
    s.set_wall_clock(t(1000), wall(5, 3, 50, 0));
    let tp = |pfc, minute, second, delay| Tp {
        pfc,
        second,
        minute,
        hour: 3,
        day: 5,
        delay,
    };
    // Sent 03:44:59 with 5 minutes allowed, received 03:50:00: late by a second. A trip with
    // the right PW: nothing runs, nothing answers, the event says why.
    let late = labelled(Afn::Control, 1, 3, Some(KEY), tp(0x13, 44, 59, 5));
    assert_eq!(
        FrameRepr::parse_bytes(&late).unwrap().seq.to_byte(),
        Some(0xF3)
    );
    s.receive(t(1000), &late, &mut h).unwrap();
    assert!(drain(&mut s).is_empty());
    assert!(h.calls.is_empty());
    assert_eq!(s.executed(), 0);
    assert_eq!(
        events(&mut s),
        [Event::Expired {
            afn: Afn::Control,
            seq: 3,
            master: 1,
            age_s: 301,
            delay_min: 5
        }]
    );
    // Sent 03:45:01, 5 minutes allowed, received 299 s later (t = 1 s + 0.5 s, the clock
    // has run on half a second: 03:50:00.5): in time, executed and confirmed (CON) with a
    // reply without Tp (TpV = 0).
    let fresh = labelled(Afn::Control, 1, 4, Some(KEY), tp(0x14, 45, 1, 5));
    s.receive(t(1500), &fresh, &mut h).unwrap();
    let ok = drain(&mut s);
    let f = FrameRepr::parse_bytes(&ok[0]).unwrap();
    assert_eq!(
        (f.afn, f.seq.seq, f.seq.tpv, f.tp),
        (Afn::Confirm, 4, false, None)
    );
    assert_eq!(h.calls, [(Afn::Control, 4)]);
    // The same label 2 s later on the session's clock (03:50:02): expired, not a repeat.
    let again = labelled(Afn::Control, 1, 5, Some(KEY), tp(0x15, 45, 1, 5));
    s.receive(t(3000), &again, &mut h).unwrap();
    assert!(drain(&mut s).is_empty());
    assert!(matches!(
        events(&mut s)[..],
        [Event::Expired {
            seq: 5,
            age_s: 301,
            ..
        }]
    ));
    // Delay 0: no limit, a day-old label still runs.
    let old = labelled(
        Afn::Class1,
        2,
        6,
        None,
        Tp {
            day: 4,
            ..tp(0x16, 0, 0, 0)
        },
    );
    s.receive(t(4000), &old, &mut h).unwrap();
    assert_eq!(drain(&mut s).len(), 1);
    assert_eq!(h.calls.len(), 2);
}

#[test]
fn without_a_wall_clock_time_labels_are_not_checked() {
    let mut s = online();
    let mut h = Script::default();
    let tp = Tp {
        pfc: 1,
        second: 0,
        minute: 0,
        hour: 0,
        day: 1,
        delay: 1,
    };
    s.receive(t(1000), &labelled(Afn::Class1, 2, 1, None, tp), &mut h)
        .unwrap();
    assert_eq!(drain(&mut s).len(), 1);
    assert_eq!(h.calls, [(Afn::Class1, 1)]);
    // An invalid calendar time (31 November) forgets the clock rather than guessing.
    let mut nov31 = wall(31, 0, 0, 0);
    nov31.month = 11;
    s.set_wall_clock(t(1000), nov31);
    s.receive(t(2000), &labelled(Afn::Class1, 2, 2, None, tp), &mut h)
        .unwrap();
    assert_eq!(drain(&mut s).len(), 1);
    assert_eq!(h.calls.len(), 2);
}

#[test]
fn a_new_heartbeat_period_applies_from_now() {
    let mut s = online();
    // Config::new: 15 min. Set 1 min at t = 10 s: the next heartbeat at 70 s, then every
    // minute.
    s.set_heartbeat(t(10_000), Duration::minutes(1));
    assert_eq!(s.poll_timeout(), Some(t(70_000)));
    s.poll(t(69_999));
    assert!(drain(&mut s).is_empty());
    s.poll(t(70_000));
    let hb = drain(&mut s);
    assert_eq!(hb.len(), 1);
    let f = FrameRepr::parse_bytes(&hb[0]).unwrap();
    assert_eq!(f.as_link_test(), Some(LinkTest::Heartbeat));
    let mut confirm = [0u8; 32];
    let n = FrameRepr::link_confirm(u01_address(), f.seq.seq)
        .emit(&mut confirm)
        .unwrap();
    s.receive(t(70_100), &confirm[..n], &mut Script::default())
        .unwrap();
    assert_eq!(s.poll_timeout(), Some(t(130_000)));
}
