//! The session fed the module side of a real HPLC log makes the requests the concentrator side
//! of that log made. Source: `shared/vectors/plc/hplc-logs/CSG_Debug-2017-09-12.log`, the
//! power-up report at 08:46:04.897 and the exchange 14:36:03.571–14:36:13.025 (run-mode report,
//! master-address query, node count, node page, then a router-led read with its meter data).
#![allow(clippy::indexing_slicing)] // tests index golden frames (clippy.toml)

use qgdw1376_2::session::{Config, Event, Instant, MAX_TX_LEN, Session, StartMode};
use qgdw1376_2::unit::protocol::Protocol;
use qgdw1376_2::{Address, DataUnit, Edition, FrameRepr, checksum};

const LOG: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/vectors/plc/hplc-logs/CSG_Debug-2017-09-12.log"
));

/// The frame logged at `time` in direction `dir`.
fn logged(time: &str, dir: &str) -> Vec<u8> {
    let line = LOG
        .lines()
        .find(|l| l.starts_with(time) && l.split('\t').nth(1) == Some(dir))
        .unwrap_or_else(|| panic!("no {dir} line at {time}"));
    line.split('\t')
        .nth(2)
        .unwrap()
        .split_whitespace()
        .map(|h| u8::from_str_radix(h, 16).unwrap())
        .collect()
}

/// The logged reply with its sequence number set to the one the session used.
fn with_seq(mut frame: Vec<u8>, seq: u8) -> Vec<u8> {
    frame[9] = seq;
    let n = frame.len();
    frame[n - 2] = checksum(&frame[3..n - 2]);
    frame
}

/// Every frame the session wants to send now.
fn sent(s: &mut Session<64>) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = [0u8; MAX_TX_LEN];
    while let Some(n) = s.poll_transmit(&mut buf) {
        out.push(buf[..n].to_vec());
    }
    out
}

fn kind(frame: &[u8]) -> (u8, u16) {
    let r = FrameRepr::parse_bytes(frame, Edition::V2013).unwrap();
    (r.afn.to_byte(), r.fn_number().unwrap())
}

/// Equal except R6 (sequence number) and CS, which the session numbers its own way.
fn same_request(ours: &[u8], theirs: &[u8]) {
    assert_eq!(ours.len(), theirs.len());
    for (i, (a, b)) in ours.iter().zip(theirs).enumerate() {
        if i != 9 && i != ours.len() - 2 {
            assert_eq!(a, b, "byte {i}: ours {ours:02X?} log {theirs:02X?}");
        }
    }
}

fn events(s: &mut Session<64>) -> Vec<Event> {
    std::iter::from_fn(|| s.poll_event()).collect()
}

#[test]
fn session_replays_the_concentrator_side_of_an_hplc_log() {
    let mut cfg = Config::new(Address([0xBB; 6]));
    cfg.start = StartMode::AwaitReport;
    cfg.rate = 0;
    let mut t = Instant::from_ticks(0);
    let mut s: Session<64> = Session::new(cfg, t);
    // The log's module holds 000000000006, 000000000100 and 111111111111: give the session
    // the same archive, so synchronisation changes nothing.
    let archive = ["000000000006", "000000000100", "111111111111"]
        .map(|a| (Address::from_digits(a).unwrap(), Protocol::Dlt645_2007));
    s.set_archive(archive, t).unwrap();
    assert!(sent(&mut s).is_empty(), "waits for the power-up report");

    // Power-up report (PRM = 1): confirmed with AFN 00 F1 (NUC), then the master address is
    // read: the log's request at 14:36:03.571.
    t += qgdw1376_2::session::Duration::secs(9);
    s.handle_received(&logged("08:46:04.897", "rx"), t);
    let out = sent(&mut s);
    assert_eq!(out.len(), 2);
    assert_eq!(kind(&out[0]), (0x00, 1));
    assert_eq!(
        out[0][9], 0x01,
        "the confirm echoes the report's sequence number"
    );
    same_request(&out[1], &logged("14:36:03.571", "tx"));
    let seq = out[1][9];

    // The module's master address is ours: no AFN 05 F1; next the node count (14:36:03.680).
    s.handle_received(&with_seq(logged("14:36:03.680", "rx"), seq), t);
    let out = sent(&mut s);
    assert_eq!(out.len(), 1);
    same_request(&out[0], &logged("14:36:03.680", "tx"));

    // Three nodes: one page of three from index 1, exactly the log's AFN 10 F2.
    s.handle_received(&with_seq(logged("14:36:03.790", "rx"), out[0][9]), t);
    let out = sent(&mut s);
    same_request(&out[0], &logged("14:36:03.790", "tx"));

    // The page holds the archive: nothing to delete or add; routing is resumed (the log had
    // restarted it with AFN 12 F1 at 14:35:52.413, the same kind of request).
    s.handle_received(&with_seq(logged("14:36:03.930", "rx"), out[0][9]), t);
    let out = sent(&mut s);
    assert_eq!(kind(&out[0]), (0x12, 3));
    let confirm = with_seq(logged("14:35:52.507", "rx"), out[0][9]);
    s.handle_received(&confirm, t);
    let ev = events(&mut s);
    let Some(Event::Ready(info)) = ev.last() else {
        panic!("{ev:?}")
    };
    assert!(info.router_led);
    assert_eq!(info.monitor_timeout.to_secs(), 40);
    assert!(s.is_ready());

    // Router-led: the module asks what to read at 000000000006 (index 2, phase 1).
    t += qgdw1376_2::session::Duration::secs(9);
    s.handle_received(&logged("14:36:12.291", "rx"), t);
    let ev = events(&mut s);
    assert_eq!(
        ev,
        [Event::RouterAsks {
            meter: Address::from_digits("000000000006").unwrap(),
            index: 2,
            phase: 1
        }]
    );
    // The concentrator's answer in the log, rebuilt from its DL/T 645 frame: same bytes except
    // C (the log's tool sets PRM = 1; the session answers with PRM = 0 as NUC does).
    let theirs = logged("14:36:12.291", "tx");
    let r = FrameRepr::parse_bytes(&theirs, Edition::V2013).unwrap();
    let DataUnit::ReadAnswer(a) = r.unit else {
        panic!()
    };
    s.answer_read(Some(a.frame), false, t).unwrap();
    let out = sent(&mut s);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0][3], 0x03);
    for (i, (x, y)) in out[0].iter().zip(&theirs).enumerate() {
        if i != 3 && i != theirs.len() - 2 {
            assert_eq!(x, y, "byte {i}");
        }
    }

    // The meter data report: an event with the meter's reply, confirmed with AFN 00 F1.
    s.handle_received(&logged("14:36:13.025", "rx"), t);
    let out = sent(&mut s);
    assert_eq!(kind(&out[0]), (0x00, 1));
    let ev = events(&mut s);
    let [
        Event::MeterData {
            index,
            protocol,
            frame,
            ..
        },
    ] = &ev[..]
    else {
        panic!("{ev:?}")
    };
    assert_eq!((*index, *protocol), (1, Protocol::Dlt645_2007));
    assert_eq!(frame.len(), 22);
    assert_eq!(&frame[..5], &[0xFE, 0xFE, 0xFE, 0xFE, 0x68]);
    // Decoded with `dlt645`: the meter's reply to the read of DI 02010100.
    let (_, f) = qgdw1376_2::dlt645_frames(frame).next().unwrap();
    let reply = dlt645::Repr::parse(&f).unwrap();
    assert_eq!(reply.address.to_string(), "000000000006");
    let dlt645::Body::Reply(rep) = reply.body else {
        panic!("{reply:?}")
    };
    assert_eq!(rep.di(), Some(dlt645::Di(0x0201_0100)));
}
