//! Every line of `../shared/vectors/plc/frames-1376-1.tsv` decodes as its meaning column says
//! and round-trips through emit byte for byte.

use qgdw1376_1::unit::{Erc, EventRecord, MeterProtocol};
use qgdw1376_1::value::MinuteTime;
use qgdw1376_1::{Afn, Data, DataUnit, Direction, Error, FrameRepr, Function, Position, UNITS_AT};

const TSV: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/vectors/plc/frames-1376-1.tsv"
));

fn hex(s: &str) -> Vec<u8> {
    let d: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    (0..d.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&d[i..i + 2], 16).unwrap())
        .collect()
}

fn vectors() -> Vec<(String, Vec<u8>, String)> {
    TSV.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let mut f = l.split('\t');
            let id = f.next().unwrap().to_string();
            let bytes = hex(f.next().unwrap());
            let meaning = f.next().unwrap_or("").to_string();
            (id, bytes, meaning)
        })
        .collect()
}

fn vector(id: &str) -> &'static [u8] {
    let v = vectors().into_iter().find(|v| v.0 == id).unwrap().1;
    Box::leak(v.into_boxed_slice())
}

fn units<'a>(r: &FrameRepr<'a>) -> Vec<DataUnit<'a>> {
    let all: Vec<_> = r.data_units().map(|u| u.unwrap()).collect();
    // The walk's offsets start after C, A, AFN and SEQ.
    assert!(all.iter().all(|u| u.offset >= UNITS_AT));
    all
}

#[test]
fn every_vector_decodes_as_it_says_and_round_trips() {
    let all = vectors();
    assert_eq!(all.len(), 8, "the TSV holds 8 frames");
    let mut ok = 0;
    for (id, bytes, meaning) in &all {
        let parsed = FrameRepr::parse_bytes(bytes);
        if meaning.starts_with("ok=false") {
            assert!(parsed.is_err(), "{id} must be rejected");
            continue;
        }
        let r = parsed.unwrap_or_else(|e| panic!("{id}: {e}"));
        // The direction word opens the meaning column.
        let dir = if meaning.starts_with("up") {
            Direction::Up
        } else {
            Direction::Down
        };
        assert_eq!(r.control.dir, dir, "{id}");
        // The AFN the meaning names.
        let afn = meaning
            .split("AFN ")
            .nth(1)
            .map(|s| u8::from_str_radix(&s[..2], 16).unwrap())
            .unwrap();
        assert_eq!(r.afn.to_byte(), afn, "{id}");
        let mut out = vec![0; r.buffer_len()];
        assert_eq!(r.emit(&mut out), Ok(bytes.len()), "{id}");
        assert_eq!(&out, bytes, "{id}: emit reproduces the wire");
        assert_eq!(FrameRepr::parse_bytes(&out).unwrap(), r, "{id}");
        // Every data unit is known to the catalogue, decodes, and re-emits its own bytes.
        for u in units(&r) {
            let d = u.data().unwrap_or_else(|e| panic!("{id}: {e}")).unwrap();
            let mut buf = vec![0; d.buffer_len()];
            assert_eq!(d.emit(&mut buf), Ok(u.data.len()), "{id}");
            assert_eq!(buf, u.data, "{id}: unit re-emits");
        }
        ok += 1;
    }
    assert_eq!(ok, 7);
}

#[test]
fn u01_login_and_u03_heartbeat() {
    let r = FrameRepr::parse_bytes(vector("U01")).unwrap();
    assert_eq!(r.protocol, 2);
    assert_eq!(r.control.function(), Function::LinkTest);
    assert!(r.control.prm);
    assert_eq!(
        (r.address.area, r.address.terminal, r.address.master),
        (0x0200, 0x1234, 0)
    );
    assert_eq!(r.afn, Afn::LinkTest);
    assert_eq!(r.seq.position(), Position::Single);
    assert!(r.seq.con && !r.seq.tpv);
    assert_eq!(r.seq.seq, 1);
    assert_eq!((r.pw, r.ec, r.tp), (None, None, None));
    let u = units(&r);
    assert_eq!(u.len(), 1);
    assert_eq!((u[0].pn, u[0].fn_number), (0, 1));
    assert_eq!(u[0].data(), Ok(Some(Data::Empty)));

    let h = FrameRepr::parse_bytes(vector("U03")).unwrap();
    assert_eq!(units(&h)[0].fn_number, 3);
}

#[test]
fn u02_master_confirm() {
    let r = FrameRepr::parse_bytes(vector("U02")).unwrap();
    assert_eq!(r.control.to_byte(), Some(0x0B));
    assert_eq!(r.control.function(), Function::LinkStatus);
    assert_eq!(r.afn, Afn::Confirm);
    assert!(!r.seq.con);
    assert_eq!(r.seq.seq, 1);
    // AFN 00 carries no PW even on the way down.
    assert_eq!(r.pw, None);
    assert_eq!(units(&r)[0].fn_number, 1);
}

#[test]
fn u05_uplink_parameters() {
    let r = FrameRepr::parse_bytes(vector("U05")).unwrap();
    assert_eq!(r.control.function(), Function::Response);
    assert!(r.control.fcv, "C = 0x98 sets the reserved D4");
    assert_eq!(r.ec, None, "ACD = 0: no EC");
    let u = units(&r);
    let Some(Data::CommParams(p)) = u[0].data().unwrap() else {
        panic!("{:?}", u[0])
    };
    assert_eq!((p.rts_delay, p.report_delay), (10, 20));
    // Resend word 0x031E under LM's 12 + 2-bit layout: 798 s, no retries (notes §2.6).
    assert_eq!((p.timeout, p.retries), (798, 0));
    assert_eq!(p.confirm.bits(), 0x07);
    assert_eq!(p.heartbeat, 15);
}

#[test]
fn u07_archive_query() {
    let r = FrameRepr::parse_bytes(vector("U07")).unwrap();
    assert_eq!(r.control.function(), Function::RequestClass2);
    assert_eq!(r.afn, Afn::QueryParameters);
    let u = units(&r);
    assert_eq!(u[0].fn_number, 10);
    let Some(Data::ArchiveQuery(q)) = u[0].data().unwrap() else {
        panic!()
    };
    assert_eq!(q.iter().collect::<Vec<_>>(), vec![22]);
}

#[test]
fn u08_power_off_event() {
    let r = FrameRepr::parse_bytes(vector("U08")).unwrap();
    assert_eq!(r.control.function(), Function::UserData);
    assert_eq!(r.afn, Afn::Class3);
    let u = units(&r);
    let Some(Data::Events(e)) = u[0].data().unwrap() else {
        panic!()
    };
    assert_eq!((e.ec1, e.ec2, e.pm, e.pn), (1, 0, 0, 1));
    let recs: Vec<_> = e.records.iter().collect();
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].erc, 14);
    let Erc::PowerOffOn(p) = recs[0].body else {
        panic!()
    };
    let t = |y, mo, d, h, mi| MinuteTime {
        year: y,
        month: mo,
        day: d,
        hour: h,
        minute: mi,
    };
    assert_eq!(p.off, Some(t(10, 7, 31, 14, 40)));
    assert_eq!(p.on, Some(t(10, 8, 3, 11, 31)));
    // As a store keeps it: {ERC, Le, data} written back byte for byte, and read from the
    // ERC code and the Le bytes alone.
    let bytes = vector("U08");
    let wire = &bytes[22..34];
    let mut out = [0u8; 16];
    assert_eq!(recs[0].emit(&mut out), Ok(12));
    assert_eq!(&out[..12], wire);
    assert_eq!(EventRecord::from_data(14, &wire[2..]), Ok(recs[0]));
    // A short buffer is an error, not a panic.
    assert!(recs[0].emit(&mut out[..5]).is_err());
}

#[test]
fn u10_transparent_forward_reply() {
    let r = FrameRepr::parse_bytes(vector("U10")).unwrap();
    assert_eq!(r.afn, Afn::Forward);
    assert_eq!(r.pw, None, "no PW on the way up");
    let u = units(&r);
    let Some(Data::ForwardReply(f)) = u[0].data().unwrap() else {
        panic!()
    };
    assert_eq!(f.port, 0);
    assert_eq!(f.frame.len(), 29);
    // A DL/T 645-1997 reply (C 0x81) from 000000000001.
    assert_eq!(f.frame[0], 0x68);
    assert_eq!(&f.frame[1..7], &[0x01, 0, 0, 0, 0, 0]);
    assert_eq!(f.frame[8], 0x81);
    assert_eq!(f.frame[28], 0x16);
}

#[test]
fn n31_short_length_is_rejected_where_l_puts_the_end() {
    // L says 12 user bytes, 18 are present: the end byte L implies (offset 19) is 0x09.
    let b = vector("N31");
    assert_eq!(
        FrameRepr::parse_bytes(b),
        Err(Error::End {
            offset: 19,
            found: 0x09
        })
    );
}

#[test]
fn archive_entry_protocol_codes() {
    assert_eq!(MeterProtocol::from_byte(30), MeterProtocol::Dlt645_2007);
    assert_eq!(MeterProtocol::from_byte(31), MeterProtocol::Carrier);
}

#[test]
fn link_frames_are_built_byte_for_byte() {
    use qgdw1376_1::LinkTest;
    let login = FrameRepr::parse_bytes(vector("U01")).unwrap();
    assert_eq!(login.as_link_test(), Some(LinkTest::Login));
    let built = FrameRepr::link_test(login.address, LinkTest::Login, 1);
    let mut out = vec![0; built.buffer_len()];
    built.emit(&mut out).unwrap();
    assert_eq!(out, vector("U01"));
    // U02 is the master's confirm of U01: same address, same sequence number.
    let confirm = FrameRepr::link_confirm(login.address, login.seq.seq);
    let mut out = vec![0; confirm.buffer_len()];
    confirm.emit(&mut out).unwrap();
    assert_eq!(out, vector("U02"));
    let hb = FrameRepr::link_test(login.address, LinkTest::Heartbeat, 1);
    let mut out = vec![0; hb.buffer_len()];
    hb.emit(&mut out).unwrap();
    assert_eq!(out, vector("U03"));
    assert_eq!(
        FrameRepr::parse_bytes(vector("U03"))
            .unwrap()
            .as_link_test(),
        Some(LinkTest::Heartbeat)
    );
    assert_eq!(
        FrameRepr::parse_bytes(vector("U02"))
            .unwrap()
            .as_link_test(),
        None
    );
}
