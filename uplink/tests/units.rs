//! The data-unit walk and the auxiliary fields on hand-built frames: pn × Fn order, raw rest
//! of unknown units, truncation and bad digits with frame offsets, PW/EC/Tp placement.

use qgdw1376_1::unit::{AckEntry, CurveLabel, Erc, Layout, emit_group, group_len};
use qgdw1376_1::value::{A14, Quantity, Unit};
use qgdw1376_1::{
    Address, Afn, Control, Da, Data, Direction, Dt, Ec, Error, Frame, FrameRepr, Seq, Tp, UNITS_AT,
    UnitError,
};

const ADDR: Address = Address {
    area: 0x3401,
    terminal: 0x0007,
    master: 1,
    group: false,
};

fn emit(r: &FrameRepr<'_>) -> Vec<u8> {
    let mut out = vec![0; r.buffer_len()];
    r.emit(&mut out).unwrap();
    out
}

/// F129 data: time EE, M = 1, total 100.0000 kWh, tariff 1 "no data".
const F129: [u8; 16] = [
    0xEE, 0xEE, 0xEE, 0xEE, 0xEE, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0xEE, 0xEE, 0xEE, 0xEE, 0xEE,
];

#[test]
fn points_outermost_then_raw_rest_of_an_unknown_unit() {
    // DA p1+p2, DT F129 + F130 (F130 is not in the catalogue): (p1,F129), (p1,F130) -> raw.
    let mut body = vec![0x03, 0x01, 0x03, 0x10];
    body.extend_from_slice(&F129);
    body.extend_from_slice(&[0xAA, 0xBB]);
    let r = FrameRepr::response(ADDR, Afn::Class1, Seq::single(0, false), &body);
    let bytes = emit(&r);
    let units: Vec<_> = FrameRepr::parse_bytes(&bytes)
        .unwrap()
        .data_units()
        .map(Result::unwrap)
        .collect();
    assert_eq!(units.len(), 2);
    assert_eq!((units[0].pn, units[0].fn_number), (1, 129));
    assert_eq!(units[0].offset, UNITS_AT + 4);
    let Some(Data::ForwardActive(f)) = units[0].data().unwrap() else {
        panic!()
    };
    assert_eq!(f.time, None);
    let v: Vec<_> = f.values.iter().collect();
    assert_eq!(
        v,
        vec![
            Some(Quantity {
                mantissa: 1_000_000,
                exponent: -4,
                unit: Unit::KiloWattHour
            }),
            None
        ]
    );
    assert_eq!((units[1].pn, units[1].fn_number), (1, 130));
    assert_eq!(units[1].layout, None);
    assert_eq!(
        units[1].data,
        &[0xAA, 0xBB],
        "the rest stays raw, unguessed"
    );
    assert_eq!(units[1].data(), Ok(None));
}

#[test]
fn truncated_and_bad_units_report_frame_offsets() {
    // F129 claiming M = 4 (5 values) but carrying 2.
    let mut body = vec![0x01, 0x01, 0x01, 0x10];
    let mut short = F129;
    short[5] = 4;
    body.extend_from_slice(&short);
    let r = FrameRepr::response(ADDR, Afn::Class1, Seq::single(0, false), &body);
    let bytes = emit(&r);
    let repr = FrameRepr::parse_bytes(&bytes).unwrap();
    let first = repr.data_units().next().unwrap();
    assert_eq!(
        first,
        Err(UnitError::Truncated {
            offset: UNITS_AT + body.len(),
            needed: 15
        })
    );

    // A value with a nibble above 9: the error names the byte in the frame.
    let mut body = vec![0x01, 0x01, 0x01, 0x10];
    let mut bad = F129;
    bad[7] = 0x0A;
    body.extend_from_slice(&bad);
    let r = FrameRepr::response(ADDR, Afn::Class1, Seq::single(0, false), &body);
    let bytes = emit(&r);
    let repr = FrameRepr::parse_bytes(&bytes).unwrap();
    let u = repr.data_units().next().unwrap().unwrap();
    assert_eq!(
        u.data(),
        Err(UnitError::Bcd {
            offset: UNITS_AT + 4 + 7,
            found: 0x0A
        })
    );
    assert_eq!(bytes[UNITS_AT + 4 + 7], 0x0A);

    // A DA/DT cut short.
    let r = FrameRepr::response(ADDR, Afn::Class1, Seq::single(0, false), &[0, 0, 1]);
    let bytes = emit(&r);
    let repr = FrameRepr::parse_bytes(&bytes).unwrap();
    assert_eq!(
        repr.data_units().next(),
        Some(Err(UnitError::Truncated {
            offset: UNITS_AT + 3,
            needed: 1
        }))
    );
}

#[test]
fn remote_trip_with_pw_and_time_label() {
    let data = [Data::RemoteTrip(qgdw1376_1::unit::RemoteTrip {
        limit: 2,
        alarm_delay: 5,
    })];
    let mut units = vec![0; group_len(&data)];
    emit_group(
        &mut units,
        Da::point(1).unwrap(),
        Dt::function(1).unwrap(),
        &data,
    )
    .unwrap();
    assert_eq!(units, [0x01, 0x01, 0x01, 0x00, 0x25]);
    let mut r = FrameRepr::request(ADDR, Afn::Control, 10, Seq::single(3, true), &units);
    r.pw = Some([0x11; 16]);
    r.seq.tpv = true;
    r.tp = Some(Tp {
        pfc: 0x33,
        second: 5,
        minute: 4,
        hour: 3,
        day: 2,
        delay: 10,
    });
    let bytes = emit(&r);
    // 8 header + 5 unit + 16 PW + 6 Tp user bytes.
    assert_eq!(bytes.len(), 8 + 5 + 16 + 6 + 8);
    let f = Frame::new_checked(&bytes).unwrap();
    assert_eq!(f.units(), &units[..]);
    assert_eq!(f.pw(), Some(&[0x11; 16][..]));
    assert_eq!(f.tp(), Some(&[0x33, 0x05, 0x04, 0x03, 0x02, 10][..]));
    assert_eq!(FrameRepr::parse(&f).unwrap(), r);
    // Dropping the PW from a downlink AFN 05 frame is refused on emit.
    let mut no_pw = r;
    no_pw.pw = None;
    assert!(no_pw.emit(&mut [0; 64]).is_err());
    // A frame whose length leaves no room for PW fails the check with the data offset.
    let short = FrameRepr {
        afn: Afn::Reset,
        pw: None,
        tp: None,
        seq: Seq::single(0, false),
        ..r
    };
    let mut b = emit(&FrameRepr {
        afn: Afn::LinkTest,
        ..short
    });
    b[12] = 0x01; // AFN 01 announces a PW the frame does not hold
    let cs = b.len() - 2;
    b[cs] = qgdw1376_1::checksum(&b[6..cs]);
    assert_eq!(
        Frame::new_checked(&b),
        Err(Error::Aux {
            offset: UNITS_AT,
            needed: 8 + 16
        })
    );
}

#[test]
fn acd_brings_event_counters() {
    let mut r = FrameRepr::response(ADDR, Afn::Class1, Seq::single(1, false), &[0, 0, 2, 0]);
    r.control.fcb_acd = true;
    r.ec = Some(Ec {
        important: 3,
        general: 9,
    });
    let bytes = emit(&r);
    let f = Frame::new_checked(&bytes).unwrap();
    assert_eq!(f.ec(), Some([3, 9]));
    assert_eq!(f.units(), &[0, 0, 2, 0]);
    assert_eq!(FrameRepr::parse(&f).unwrap(), r);
}

#[test]
fn header_errors() {
    let login = [
        0x68, 0x32, 0x00, 0x32, 0x00, 0x68, 0xC9, 0x00, 0x02, 0x34, 0x12, 0x00, 0x02, 0x71, 0x00,
        0x00, 0x01, 0x00, 0x85, 0x16,
    ];
    assert!(Frame::new_checked(&login).is_ok());
    // Protocol id 1 (Q/GDW 130-2005) uses the same envelope.
    let mut p1 = login;
    p1[1] = 0x31;
    p1[3] = 0x31;
    assert_eq!(Frame::new_checked(&p1).unwrap().protocol(), 1);
    let mut p3 = login;
    p3[1] = 0x33;
    p3[3] = 0x33;
    assert_eq!(Frame::new_checked(&p3), Err(Error::Protocol { id: 3 }));
    let mut mism = login;
    mism[3] = 0x36;
    assert_eq!(
        Frame::new_checked(&mism),
        Err(Error::LengthMismatch {
            first: 0x32,
            second: 0x36
        })
    );
    let mut s2 = login;
    s2[5] = 0x69;
    assert_eq!(
        Frame::new_checked(&s2),
        Err(Error::Start {
            offset: 5,
            found: 0x69
        })
    );
    let mut cs = login;
    cs[18] = 0x00;
    assert_eq!(
        Frame::new_checked(&cs),
        Err(Error::Checksum {
            offset: 18,
            computed: 0x85,
            found: 0
        })
    );
    assert_eq!(
        Frame::new_checked(&login[..12]),
        Err(Error::Truncated { needed: 8 })
    );
    let mut long = login.to_vec();
    long.push(0);
    assert_eq!(
        Frame::new_checked(&long),
        Err(Error::Trailing {
            offset: 20,
            extra: 1
        })
    );
}

#[test]
fn per_unit_confirm_of_a_heartbeat() {
    // Notes §2.6: some masters answer a heartbeat with AFN 00 F3: AFN 02 + {p0, F3, ERR 0}.
    let body = [0x00, 0x00, 0x04, 0x00, 0x02, 0x00, 0x00, 0x04, 0x00, 0x00];
    let r = FrameRepr {
        control: Control::from_byte(0x0B),
        ..FrameRepr::response(ADDR, Afn::Confirm, Seq::single(1, false), &body)
    };
    assert_eq!(r.control.dir, Direction::Down);
    let bytes = emit(&r);
    let repr = FrameRepr::parse_bytes(&bytes).unwrap();
    let u = repr.data_units().next().unwrap().unwrap();
    assert_eq!(u.layout, Some(Layout::Acks));
    let Some(Data::Acks(a)) = u.data().unwrap() else {
        panic!()
    };
    assert_eq!(a.afn, Afn::LinkTest);
    assert_eq!(
        a.entries.iter().collect::<Vec<_>>(),
        vec![AckEntry {
            da: Da::P0,
            dt: Dt::function(3).unwrap(),
            err: 0
        }]
    );
}

#[test]
fn curve_label_of_the_pep_sample() {
    // Notes §2.5: PEP's AFN 0D F81 reply label `00 00 16 08 10 03 18`: 2010-08-16 00:00,
    // 60-minute density, 24 points.
    let label = [0x00, 0x00, 0x16, 0x08, 0x10, 0x03, 0x18];
    let Data::CurveLabel(c) = Data::parse(Layout::CurveLabel, 81, &label).unwrap() else {
        panic!()
    };
    assert_eq!(
        c,
        CurveLabel {
            start: qgdw1376_1::value::MinuteTime {
                year: 10,
                month: 8,
                day: 16,
                hour: 0,
                minute: 0
            },
            density: 3,
            points: 24
        }
    );
    assert_eq!(c.interval_minutes(), Some(60));
    // The reply's length follows from the label: 7 + 24 × 3 bytes (A.9).
    assert_eq!(Layout::Curve.wire_len(&label, 81), 7 + 24 * 3);
    // Notes §2.5: Td_d `25 12 11` = 2011-12-25.
    let Data::DayLabel(d) = Data::parse(Layout::DayLabel, 161, &[0x25, 0x12, 0x11]).unwrap() else {
        panic!()
    };
    assert_eq!((d.year, d.month, d.day), (11, 12, 25));
}

#[test]
fn unknown_erc_and_other_le_stay_raw() {
    // EC1 0, EC2 0, pm 5, pn 7: two records, ERC14 with an 11-byte 2013 layout, ERC35.
    let mut body = vec![0, 0, 5, 7, 14, 11];
    body.extend_from_slice(&[
        0x40, 0x14, 0x31, 0x07, 0x10, 0x31, 0x11, 0x03, 0x08, 0x10, 0x01,
    ]);
    body.extend_from_slice(&[35, 2, 0xAB, 0xCD]);
    assert_eq!(Layout::Events.wire_len(&body, 1), body.len());
    let Data::Events(e) = Data::parse(Layout::Events, 1, &body).unwrap() else {
        panic!()
    };
    let recs: Vec<_> = e.records.iter().collect();
    assert_eq!(recs.len(), 2);
    assert!(matches!(recs[0].body, Erc::Raw(b) if b.len() == 11));
    assert_eq!(recs[1].erc, 35);
    assert!(matches!(recs[1].body, Erc::Raw(&[0xAB, 0xCD])));
    // A record running past the data is a truncation at the end.
    assert_eq!(
        Data::parse(Layout::Events, 1, &body[..body.len() - 1]),
        Err(UnitError::Truncated {
            offset: body.len() - 1,
            needed: 1
        })
    );
}

#[test]
fn values_refuse_what_their_format_cannot_hold() {
    let too_big = Quantity {
        mantissa: 10_000_000_000,
        exponent: -4,
        unit: Unit::KiloWattHour,
    };
    let mut out = [0; 5];
    assert!(
        A14.encode(Some(too_big), Unit::KiloWattHour, &mut out)
            .is_err()
    );
    let other_exp = Quantity {
        exponent: -2,
        ..too_big
    };
    assert!(
        A14.encode(Some(other_exp), Unit::KiloWattHour, &mut out)
            .is_err()
    );
}

#[test]
fn archive_reply_split_over_frames_and_collected() {
    use qgdw1376_1::unit::{List, MeterEntry, MeterProtocol};
    use qgdw1376_1::{Collector, Progress, response_seq};
    // 10 archive entries answered 4 per frame (AFN 0A F10): 3 frames to PSEQ 14.
    let entries: Vec<MeterEntry> = (1..=10u16)
        .map(|i| MeterEntry {
            serial: i,
            point: i,
            port: 31,
            baud: 0,
            protocol: MeterProtocol::Dlt645_2007,
            address: [i as u8, 0, 0, 0, 0, 0],
            password: [0; 6],
            tariffs: 4,
            digits: 0b0101,
            collector: [0; 6],
            class: 0x11,
        })
        .collect();
    let chunks: Vec<&[MeterEntry]> = entries.chunks(4).collect();
    let mut frames = Vec::new();
    for (i, chunk) in chunks.iter().enumerate() {
        let data = [Data::Archive(List::Items(chunk))];
        let mut units = vec![0; group_len(&data)];
        emit_group(&mut units, Da::P0, Dt::function(10).unwrap(), &data).unwrap();
        let seq = response_seq(14, i, chunks.len(), false);
        let r = FrameRepr::response(ADDR, Afn::QueryParameters, seq, &units);
        frames.push(emit(&r));
    }
    let mut c = Collector::new();
    let mut got = Vec::new();
    let mut progress = Vec::new();
    for f in &frames {
        let r = FrameRepr::parse_bytes(f).unwrap();
        progress.push(c.push(r.seq).unwrap());
        for u in r.data_units() {
            let Some(Data::Archive(l)) = u.unwrap().data().unwrap() else {
                panic!()
            };
            got.extend(l.iter());
        }
    }
    assert_eq!(
        progress,
        [Progress::More, Progress::More, Progress::Complete]
    );
    assert_eq!(got, entries);
    assert_eq!(got[9].integer_digits(), 5);
    assert_eq!(got[9].decimal_digits(), 2);
}

#[test]
fn a_set_naming_no_pair_leaves_the_rest_raw() {
    // DA FF 00 ("all points" in 2013 terminals) with F129: the walk cannot know the length.
    let body = [0xFF, 0x00, 0x01, 0x10, 0x12, 0x34];
    let units: Vec<_> = qgdw1376_1::Units::new(&body, Afn::Class1, Direction::Up, UNITS_AT)
        .map(Result::unwrap)
        .collect();
    assert_eq!(units.len(), 1);
    assert_eq!(
        (units[0].pn, units[0].fn_number, units[0].layout),
        (0, 129, None)
    );
    assert_eq!(units[0].data, &[0x12, 0x34]);
    assert_eq!(units[0].offset, UNITS_AT + 4);
}
