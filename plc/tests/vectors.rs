//! Every line of `shared/vectors/plc/frames-1376-2.tsv` and `streams-1376-2.tsv` decodes as the
//! line says and round-trips through emit.
#![allow(clippy::indexing_slicing)] // tests index golden frames (clippy.toml)

use qgdw1376_2::unit::confirm::{Confirm, DenyReason};
use qgdw1376_2::unit::protocol::Protocol;
use qgdw1376_2::unit::query::Medium;
use qgdw1376_2::unit::read::ReadFlag;
use qgdw1376_2::{
    Address, Afn, CommMode, DataUnit, Direction, Edition, Error, Frame, FrameRepr, Info, RateUnit,
    Scanner,
};

const FRAMES: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/vectors/plc/frames-1376-2.tsv"
));
const STREAMS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/vectors/plc/streams-1376-2.tsv"
));

fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .map(|h| u8::from_str_radix(h, 16).unwrap())
        .collect()
}

struct Line {
    id: String,
    edition: Edition,
    bytes: Vec<u8>,
    meaning: String,
}

fn lines() -> Vec<Line> {
    FRAMES
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            Line {
                id: c[0].to_string(),
                edition: match c[1] {
                    "2009" => Edition::V2009,
                    "2013" => Edition::V2013,
                    e => panic!("edition {e}"),
                },
                bytes: hex(c[2]),
                meaning: c[3].to_string(),
            }
        })
        .collect()
}

fn addr(s: &str) -> Address {
    Address::from_digits(s).unwrap()
}

/// Decodes, checks the line's meaning, re-emits and compares byte for byte.
fn check(line: &Line) {
    let r = FrameRepr::parse_bytes(&line.bytes, line.edition)
        .unwrap_or_else(|e| panic!("{}: {e}", line.id));
    let mut out = vec![0u8; r.buffer_len()];
    assert_eq!(r.emit(&mut out).unwrap(), line.bytes.len(), "{}", line.id);
    assert_eq!(out, line.bytes, "{} round trip", line.id);
    let up = line.meaning.starts_with("up");
    assert_eq!(
        r.control.direction,
        if up { Direction::Up } else { Direction::Down },
        "{}",
        line.id
    );
    match line.id.as_str() {
        "P01" => {
            assert_eq!(r.control.mode, CommMode::CentralisedCarrier);
            let Info::Down(i) = r.info else { panic!() };
            assert_eq!(i.expected_reply_len, 40);
            assert_eq!((r.afn, r.fn_number()), (Afn::RouteControl, Some(2)));
            assert_eq!(r.unit, DataUnit::Empty);
        }
        "P02" => {
            assert_eq!(
                r.unit,
                DataUnit::Confirm(Confirm {
                    status: 0xFFFF,
                    wait_s: 0
                })
            );
        }
        "P03" => assert_eq!(r.unit, DataUnit::SetMasterAddress(addr("000000002600"))),
        "P04" => {
            let Info::Down(i) = r.info else { panic!() };
            assert_eq!(i.expected_reply_len, 80);
            assert_eq!(
                (r.afn, r.fn_number(), &r.unit),
                (Afn::Query, Some(4), &DataUnit::Empty)
            );
        }
        "P05" => assert_eq!(r.unit, DataUnit::MasterAddress(addr("000000002600"))),
        "P06" => {
            let DataUnit::Vendor(v) = r.unit else {
                panic!()
            };
            assert_eq!(&v.vendor, b"ES");
            assert_eq!(&v.chip, b"RT");
            assert_eq!((v.date.year, v.date.month, v.date.day), (11, 12, 8));
            assert_eq!(v.version, 13);
        }
        "P07" => {
            let DataUnit::NodeCount(c) = r.unit else {
                panic!()
            };
            assert_eq!((c.count, c.max), (371, 1500));
        }
        "P08" => {
            let DataUnit::NodeQuery(q) = r.unit else {
                panic!()
            };
            assert_eq!((q.start, q.count), (0, 15));
        }
        "P09" => {
            assert_eq!(r.control.mode, CommMode::Broadband);
            let Info::Down(i) = r.info else { panic!() };
            assert_eq!((i.rate, i.rate_unit), (1200, RateUnit::Bps));
            let a = r.address.as_ref().unwrap();
            assert_eq!(a.source, addr("111111111111"));
            assert_eq!(a.destination, addr("000000000100"));
            assert!(a.relays.is_empty());
            let DataUnit::MonitorRequest(m) = r.unit else {
                panic!()
            };
            assert_eq!(m.protocol, Protocol::Dlt645_2007);
            assert!(!m.delay_sensitive);
            assert!(m.attached.is_empty());
            assert_eq!(m.frame.len(), 17);
            assert_eq!(m.frame[0], 0xFE);
            // The embedded request, decoded with `dlt645`: read DI 0201FF00 at 000000000100.
            let (at, f) = r.unit.dlt645_frames().unwrap().next().unwrap();
            assert_eq!(at, 1, "after one FE wake-up byte");
            let req = dlt645::Repr::parse(&f).unwrap();
            assert_eq!(req.address.to_string(), "000000000100");
            let dlt645::Body::Request(q) = req.body else {
                panic!()
            };
            assert_eq!(q.di(), Some(dlt645::Di(0x0201_FF00)));
        }
        "P11" => {
            assert!(r.control.prm);
            let DataUnit::ReadRequest(q) = r.unit else {
                panic!()
            };
            assert_eq!((q.phase, q.address, q.index), (1, addr("000000000006"), 2));
        }
        "P12" => {
            let DataUnit::ReadAnswer(a) = r.unit else {
                panic!()
            };
            assert_eq!(a.flag, ReadFlag::Send);
            assert!(!a.delay_sensitive);
            assert_eq!(a.frame.len(), 20);
            assert_eq!(&a.frame[..4], &[0xFE; 4]);
            // Decoded with `dlt645`: read DI 02010100 (phase A voltage) at 000000000006.
            let (at, f) = r.unit.dlt645_frames().unwrap().next().unwrap();
            assert_eq!(at, 4, "after four FE wake-up bytes");
            let req = dlt645::Repr::parse(&f).unwrap();
            assert_eq!(req.address.to_string(), "000000000006");
            let dlt645::Body::Request(q) = req.body else {
                panic!()
            };
            assert_eq!(q.di(), Some(dlt645::Di(0x0201_0100)));
            assert!(a.attached.is_empty());
        }
        "P15" => {
            assert!(r.control.prm);
            let DataUnit::RunMode(m) = &r.unit else {
                panic!()
            };
            assert_eq!(m.medium, Medium::Broadband);
            assert!(m.router_led && !m.concentrator_led);
            assert!(m.module_routes && m.archive_download);
            assert_eq!(m.monitor_timeout_s, 20);
            assert_eq!(m.broadcast_timeout_s, 10);
            assert_eq!(m.max_frame_len, 2048);
            assert_eq!(m.master_address, addr("BBBBBBBBBBBB"));
            assert_eq!(m.max_nodes, 2040);
            assert_eq!(m.node_count, 0);
            assert_eq!(m.upgrade_wait, 30);
            assert_eq!(
                (
                    m.protocol_released.year,
                    m.protocol_released.month,
                    m.protocol_released.day
                ),
                (16, 6, 28)
            );
            assert_eq!(m.rates.len(), 1);
        }
        "P16" => {
            assert_eq!(
                r.unit,
                DataUnit::Confirm(Confirm {
                    status: 0,
                    wait_s: 0
                })
            );
        }
        "P18" => {
            let DataUnit::AddNodes(n) = r.unit else {
                panic!()
            };
            let v: Vec<_> = n.iter().collect();
            assert_eq!(v.len(), 2);
            assert_eq!(v[0].address, addr("000000000100"));
            assert_eq!(v[1].address, addr("111111111111"));
            assert!(
                v.iter()
                    .all(|n| n.protocol == Protocol::Dlt645_2007 && n.index.is_none())
            );
        }
        "P21" => {
            let DataUnit::Registration(g) = r.unit else {
                panic!()
            };
            let s = g.start;
            assert_eq!(
                (s.year, s.month, s.day, s.hour, s.minute, s.second),
                (17, 7, 29, 11, 13, 30)
            );
            assert_eq!((g.duration_min, g.retries, g.slots), (16, 6, 6));
        }
        id => panic!("{id}: no expectation written for this vector"),
    }
}

#[test]
fn every_positive_frame_decodes_as_its_line_says_and_round_trips() {
    let all = lines();
    let pos: Vec<_> = all.iter().filter(|l| l.id.starts_with('P')).collect();
    assert_eq!(pos.len(), 15);
    for l in pos {
        check(l);
    }
}

#[test]
fn negative_frames_give_typed_errors() {
    for l in lines().iter().filter(|l| l.id.starts_with('N')) {
        let e = Frame::new_checked(&l.bytes).unwrap_err();
        match l.id.as_str() {
            "N21" => assert_eq!(
                e,
                Error::Checksum {
                    offset: 13,
                    computed: 0x7D,
                    found: 0x7E
                }
            ),
            "N22" => assert_eq!(
                e,
                Error::End {
                    offset: 14,
                    found: 0x17
                }
            ),
            "N23" => assert_eq!(e, Error::Truncated { needed: 38 }),
            id => panic!("{id}: no expectation"),
        }
    }
}

#[test]
fn the_2009_confirm_is_not_a_2013_confirm() {
    let p02 = lines().into_iter().find(|l| l.id == "P02").unwrap();
    let e = FrameRepr::parse_bytes(&p02.bytes, Edition::V2013).unwrap_err();
    assert!(
        matches!(
            e,
            Error::DataUnit {
                afn: 0,
                fn_number: 1,
                offset: 17,
                kind: qgdw1376_2::UnitError::Short
            }
        ),
        "{e:?}"
    );
    // 2013 deny codes 8..=12 are unknown in 2009.
    assert_eq!(
        DenyReason::from_code(9, Edition::V2009),
        DenyReason::Unknown(9)
    );
    assert_eq!(DenyReason::from_code(9, Edition::V2013), DenyReason::Busy);
}

#[test]
fn streams_give_the_expected_frame_count() {
    for l in STREAMS
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let c: Vec<&str> = l.split('\t').collect();
        let bytes = hex(c[1]);
        let want: usize = c[2].parse().unwrap();
        // Whole buffer at once, and byte by byte.
        for chunk in [bytes.len(), 1, 3] {
            let mut s = Scanner::<512>::new();
            let mut got = Vec::new();
            for part in bytes.chunks(chunk) {
                assert_eq!(s.push(part), part.len());
                while let Some(f) = s.next_frame() {
                    got.push(f.as_bytes().to_vec());
                }
            }
            assert_eq!(got.len(), want, "{} in chunks of {chunk}", c[0]);
            assert_eq!(got[0], hex(&c[1][6..50]));
            assert_eq!(got[1][..4], [0x68, 0x13, 0x00, 0x81]);
            assert_eq!(s.dropped(), 2 + 2);
        }
    }
}
