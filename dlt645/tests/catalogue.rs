//! The DI catalogue, the command builders and the scanner on hand-made frames whose bytes
//! follow the rules in ../shared/notes/dlt645.md (clause given per test).
#![allow(clippy::indexing_slicing)] // test helpers index their own buffers

use dlt645::*;

/// Emit `repr`, check and parse it back, and run `f` on the parsed reply.
fn via_wire<R>(repr: Repr<'_>, f: impl FnOnce(&Repr<'_>, &[u8]) -> R) -> R {
    let mut buf = [0u8; 300];
    let n = repr.emit(&mut buf).unwrap();
    let frame = Frame::new_checked(&buf[..n]).unwrap();
    let back = Repr::parse(&frame).unwrap();
    f(&back, frame.wire_data())
}

fn read_reply(di: u32, data: &[u8]) -> Vec<String> {
    let repr = Repr::reply(
        Address::from_number(1).unwrap(),
        Reply::Read {
            di: Di(di),
            data: Payload::Plain(data),
        },
    );
    via_wire(repr, |r, _| match r.body {
        Body::Reply(reply) => reply
            .values()
            .unwrap()
            .map(|i| format!("{}={}", i.name, i.value))
            .collect(),
        _ => panic!("not a reply"),
    })
}

#[test]
fn signed_current_power_and_power_factor() {
    // Bit 7 of the top byte is the sign (notes §1.10). -0.500 A = 80 05 00, low byte first.
    assert_eq!(
        read_reply(0x0202_0100, &[0x00, 0x05, 0x80]),
        ["current=-0.500 A"]
    );
    // -1.2345 kW total active power, XX.XXXX.
    assert_eq!(
        read_reply(0x0203_0000, &[0x45, 0x23, 0x81]),
        ["active power=-1.2345 kW"]
    );
    assert_eq!(
        read_reply(0x0206_0000, &[0x87, 0x09]),
        ["power factor=0.987"]
    );
    // Forward energy is unsigned: the same top bit is the digit 8.
    assert_eq!(
        read_reply(0x0001_0000, &[0x00, 0x00, 0x00, 0x80]),
        ["forward active energy=800000.00 kWh"]
    );
    // A nibble above 9 is not BCD: kept as invalid, not a number.
    assert_eq!(
        read_reply(0x0001_0000, &[0x0A, 0x00, 0x00, 0x00]),
        ["forward active energy=invalid 0A000000"]
    );
    assert_eq!(
        read_reply(0x0280_0002, &[0x02, 0x50]),
        ["frequency=50.02 Hz"]
    );
    assert_eq!(
        read_reply(0x0280_0007, &[0x55, 0x80]),
        ["internal temperature=-5.5 °C"]
    );
}

#[test]
fn energy_block_splits_into_total_and_tariffs_and_keeps_a_vendor_byte() {
    // 0001FF00 on a 4-tariff meter: 5 × 4 bytes; Clou meters append one AA (notes §1.9).
    let mut data = Vec::new();
    for v in [
        0x0001_2345u32,
        0x0000_1000,
        0x0000_2000,
        0x0000_3000,
        0x0000_4000,
    ] {
        data.extend_from_slice(&v.to_le_bytes());
    }
    data.push(0xAA);
    let got = read_reply(0x0001_FF00, &data);
    assert_eq!(
        got,
        [
            "forward active energy=123.45 kWh",
            "forward active energy=10.00 kWh",
            "forward active energy=20.00 kWh",
            "forward active energy=30.00 kWh",
            "forward active energy=40.00 kWh",
            "extra=raw AA",
        ]
    );
}

#[test]
fn ascii_fields_are_reversed() {
    // 04000404 "220.0V" arrives as 56 30 2E 30 32 32 (notes §1.10).
    assert_eq!(
        read_reply(0x0400_0404, &[0x56, 0x30, 0x2E, 0x30, 0x32, 0x32]),
        ["rated voltage=220.0V"]
    );
}

#[test]
fn status_word_3_gives_the_relay_state() {
    let repr = Repr::reply(
        Address::from_number(1).unwrap(),
        Reply::Read {
            di: Di(0x0400_0503),
            data: Payload::Plain(&[0x50, 0x00]),
        },
    );
    via_wire(repr, |r, _| {
        let Body::Reply(reply) = r.body else { panic!() };
        let item = reply.values().unwrap().next().unwrap();
        let Value::Status(s) = item.value else {
            panic!("{item:?}")
        };
        assert_eq!(s.word, 3);
        assert_eq!(s.relay_open(), Some(true));
        assert_eq!(s.relay_trip_commanded(), Some(true));
    });
    // Word 1 says nothing about the relay.
    assert_eq!(
        Status {
            word: 1,
            bits: 0x10
        }
        .relay_open(),
        None
    );
}

#[test]
fn daily_frozen_time_and_energies() {
    // 05060001: time of the last daily freeze, YYMMDDhhmm = 2411220000.
    assert_eq!(
        read_reply(0x0506_0001, &[0x00, 0x00, 0x22, 0x11, 0x24]),
        ["freeze time=2024-11-22 00:00"]
    );
    // 05060102: forward active energy frozen two days ago, total + 1 tariff.
    assert_eq!(
        read_reply(
            0x0506_0102,
            &[0x00, 0x01, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF]
        ),
        [
            "forward active energy=1.00 kWh",
            "forward active energy=absent"
        ]
    );
}

#[test]
fn load_curve_with_follow_up() {
    // 06100101 phase-A voltage curve: start time, then records; gaps are FF (notes §1.12).
    let data = [
        0x15, 0x10, 0x22, 0x11, 0x24, // 2024-11-22 10:15
        0x01, 0x22, // 220.1 V
        0xFF, 0xFF, // absent
        0x99, 0x21, // 219.9 V
    ];
    let first = Repr {
        address: Address::from_number(7).unwrap(),
        follow: true,
        body: Body::Reply(Reply::Read {
            di: Di(0x0610_0101),
            data: Payload::Plain(&data),
        }),
    };
    via_wire(first, |r, wire| {
        assert_eq!(r.control().0, 0xB1);
        assert!(r.follow);
        assert_eq!(wire.len(), 4 + data.len());
        let Body::Reply(reply) = r.body else { panic!() };
        let got: Vec<String> = reply
            .values()
            .unwrap()
            .map(|i| i.value.to_string())
            .collect();
        assert_eq!(got, ["2024-11-22 10:15", "220.1 V", "absent", "219.9 V"]);
    });
    // The follow-up part (0x92, SEQ 1 as last byte) carries records only.
    let next = Repr::reply(
        Address::from_number(7).unwrap(),
        Reply::ReadFollow {
            di: Di(0x0610_0101),
            data: Payload::Plain(&[0x00, 0x23]),
            seq: 1,
        },
    );
    via_wire(next, |r, wire| {
        assert_eq!(r.control().0, 0x92);
        assert_eq!(wire.last(), Some(&(1 + 0x33)));
        let Body::Reply(reply) = r.body else { panic!() };
        assert_eq!(reply.seq(), Some(1));
        let got: Vec<String> = reply
            .values()
            .unwrap()
            .map(|i| i.value.to_string())
            .collect();
        assert_eq!(got, ["230.0 V"]);
    });
}

#[test]
fn unknown_dis_keep_their_bytes() {
    assert_eq!(read_reply(0xE5E5_0001, &[1, 2, 3]), ["raw=raw 010203"]);
}

fn read97(di: u16, data: &[u8]) -> Vec<String> {
    let repr = Repr::reply(
        Address::from_number(1).unwrap(),
        Reply::Read97 {
            di: Di97(di),
            data: Payload::Plain(data),
        },
    );
    via_wire(repr, |r, _| match r.body {
        Body::Reply(reply) => reply
            .values()
            .unwrap()
            .map(|i| format!("{}={}", i.name, i.value))
            .collect(),
        _ => panic!(),
    })
}

#[test]
fn dl645_1997_formats_differ_from_2007() {
    // notes §1.13: 1997 voltage XXX V (2 bytes), current XX.XX A, reactive power XX.XX kvar.
    assert_eq!(read97(0xB611, &[0x20, 0x02]), ["voltage=220 V"]);
    assert_eq!(read97(0xB621, &[0x50, 0x12]), ["current=12.50 A"]);
    assert_eq!(read97(0xB641, &[0x50, 0x01]), ["reactive power=1.50 kvar"]);
    assert_eq!(
        read97(0x9010, &[0x26, 0x80, 0x22, 0x12]),
        ["active energy=122280.26 kWh"]
    );
    assert_eq!(
        read97(0xB61F, &[0x20, 0x02, 0x19, 0x02, 0xFF, 0xFF]),
        ["voltage=220 V", "voltage=219 V", "voltage=absent"]
    );
    assert_eq!(
        read97(0xC032, &[0x63, 0x01, 0x43, 0x03, 0x00, 0x00]),
        ["meter address=000003430163"]
    );
    assert_eq!(
        read97(0xC010, &[0x01, 0x22, 0x11, 0x24]),
        ["date=2024-11-22 weekday 1"]
    );
}

#[test]
fn remote_switch_plaintext_layout() {
    // notes §1.14: PA P0..P2, C0..C3, N1, N2, then ss mm hh DD MM YY.
    let req = Request::Switch {
        password: Password::new(0x02, 123456).unwrap(),
        operator: Operator([0x78, 0x56, 0x34, 0x12]),
        action: SwitchAction::Trip,
        delay: 0,
        valid_until: DateTime {
            year: 2010,
            month: 7,
            day: 22,
            hour: 18,
            minute: 56,
            second: 17,
        },
    };
    via_wire(
        Repr::request(Address::from_number(111111111111).unwrap(), req),
        |r, wire| {
            let plain: Vec<u8> = wire.iter().map(|b| b.wrapping_sub(0x33)).collect();
            assert_eq!(
                plain,
                [
                    0x02, 0x56, 0x34, 0x12, 0x78, 0x56, 0x34, 0x12, 0x1A, 0x00, 0x17, 0x56, 0x18,
                    0x22, 0x07, 0x10
                ]
            );
            assert_eq!(r.body, Body::Request(req));
        },
    );
    // The ESAM form carries its 20 bytes unchanged.
    let blob = [0x5Au8; 20];
    let esam = Request::SwitchEsam {
        password: Password {
            level: ESAM_LEVEL,
            code: [0; 3],
        },
        operator: Operator([0x78, 0x56, 0x34, 0x12]),
        ciphertext: Payload::Plain(&blob),
    };
    via_wire(
        Repr::request(Address::from_number(111111111111).unwrap(), esam),
        |r, wire| {
            assert_eq!(wire.len(), 28);
            let Body::Request(Request::SwitchEsam { ciphertext, .. }) = r.body else {
                panic!()
            };
            assert_eq!(ciphertext, Payload::Plain(&blob));
        },
    );
}

#[test]
fn baud_word_is_one_hot() {
    // notes §1.8: 9600 = 0x20, not the BCD of bps/300.
    via_wire(
        Repr::request(
            Address::from_number(5).unwrap(),
            Request::ChangeBaud(Baud::B9600),
        ),
        |_, wire| assert_eq!(wire, [0x20 + 0x33]),
    );
    // A non-one-hot word is a typed error at the data byte.
    let mut f = [
        0x68,
        5,
        0,
        0,
        0,
        0,
        0,
        0x68,
        0x17,
        0x01,
        0x32 + 0x33,
        0,
        0x16,
    ];
    f[11] = checksum(&f[..11]);
    let frame = Frame::new_checked(&f[..]).unwrap();
    assert_eq!(
        Repr::parse(&frame),
        Err(Error::BadCode {
            offset: 10,
            found: 0x32
        })
    );
}

#[test]
fn address_rules() {
    let meter = Address::from_number(123456789012).unwrap();
    assert_eq!(meter.0, [0x12, 0x90, 0x78, 0x56, 0x34, 0x12]);
    assert_eq!(meter.number(), Some(123456789012));
    let partial: Address = "AAAAAAAAA123".parse().unwrap();
    assert_eq!(partial.0, [0x23, 0xA1, 0xAA, 0xAA, 0xAA, 0xAA]);
    assert!(partial.is_partial_wildcard());
    assert_eq!(
        (partial.wildcard_bytes(), partial.wildcard_digits()),
        (4, 9)
    );
    assert!(partial.is_valid());
    assert_eq!(partial.to_string(), "AAAAAAAAA123");
    let bad: Address = "AAAAAAAAA1A3".parse().unwrap();
    assert!(!bad.is_valid(), "wildcard digits only on top");
    assert!(partial.allowed_for(0x14));
    assert!(!Address::WILDCARD.allowed_for(0x14));
    assert!(Address::WILDCARD.allowed_for(0x11));
    assert!(Address::WILDCARD.allowed_for(0x13));
    assert!(!meter.allowed_for(0x13));
    assert!(Address::BROADCAST.allowed_for(0x08));
    assert!(Address::BROADCAST.allowed_for(0x16));
    assert!(!Address::BROADCAST.allowed_for(0x11));
    assert!(!meter.allowed_for(0x08));

    // Building a refused combination fails; so does parsing one.
    let bad = Repr::request(
        Address::WILDCARD,
        Request::ClearMeter {
            password: Password::new(2, 0).unwrap(),
            operator: Operator::default(),
        },
    );
    let mut buf = [0u8; 32];
    assert_eq!(
        bad.emit(&mut buf),
        Err(Error::AddressNotAllowed {
            offset: 1,
            function: 0x1A
        })
    );
    let mut f = vec![
        0xFE, 0xFE, 0x68, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x68, 0x11, 0x04,
    ];
    f.extend([0x33, 0x33, 0x34, 0x33]);
    f.push(checksum(&f[2..]));
    f.push(0x16);
    let frame = Frame::new_checked(&f[..]).unwrap();
    assert_eq!(
        Repr::parse(&frame),
        Err(Error::AddressNotAllowed {
            offset: 3,
            function: 0x11
        })
    );
}

#[test]
fn broadcast_time_and_freeze() {
    let t = DateTime {
        year: 2024,
        month: 11,
        day: 22,
        hour: 10,
        minute: 15,
        second: 30,
    };
    via_wire(
        Repr::request(Address::BROADCAST, Request::BroadcastTime(t)),
        |r, wire| {
            let plain: Vec<u8> = wire.iter().map(|b| b.wrapping_sub(0x33)).collect();
            assert_eq!(plain, [0x30, 0x15, 0x10, 0x22, 0x11, 0x24]);
            assert_eq!(r.edition(), None, "0x08 is the same in both editions");
        },
    );
    via_wire(
        Repr::request(Address::BROADCAST, Request::Freeze(FreezeTime::NOW)),
        |_, wire| assert_eq!(wire, [0x99 + 0x33_u8; 4].map(|b: u8| b)),
    );
}

#[test]
fn error_words_by_edition() {
    let e97 = ErrorWord::V1997(Err1997::from_bits_retain(0x02));
    assert_eq!(
        e97.meanings().collect::<Vec<_>>(),
        ["data identifier error"]
    );
    let e07 = ErrorWord::V2007(Err2007::NO_DATA | Err2007::UNAUTHORISED);
    assert_eq!(
        e07.meanings().collect::<Vec<_>>(),
        ["no requested data", "wrong password or not authorised"]
    );
    // A 1997 abnormal read reply (0xC1, L=1) reads with the 1997 meanings.
    via_wire(
        Repr::error(Address::from_number(1).unwrap(), Function::Read97, e97),
        |r, _| {
            assert_eq!(r.control().0, 0xC1);
            assert_eq!(r.edition(), Some(Edition::V1997));
            assert!(matches!(
                r.body,
                Body::Error {
                    word: ErrorWord::V1997(_),
                    ..
                }
            ));
        },
    );
    // 0xDC with L = 2 is the 2014 control error word.
    via_wire(
        Repr::error(
            Address::from_number(1).unwrap(),
            Function::RemoteSwitch,
            ErrorWord::Switch(SwitchError::EXPIRED),
        ),
        |r, _| {
            let Body::Error { word, .. } = r.body else {
                panic!()
            };
            assert_eq!(
                word.meanings().collect::<Vec<_>>(),
                ["execution time invalid"]
            );
        },
    );
}

#[test]
fn scanner_is_not_fooled_by_16_and_68_inside_a_frame() {
    // A reply whose data holds 0x68 and 0x16 (plain 0x35 and 0xE3) and whose checksum is
    // found by search for a frame with CS = 0x16.
    let mut found = None;
    for extra in 0u8..=255 {
        let data = [0x35, 0xE3, extra];
        let repr = Repr::reply(
            Address::from_number(16).unwrap(),
            Reply::Read {
                di: Di(0x0400_0403),
                data: Payload::Plain(&data),
            },
        );
        let mut buf = [0u8; 64];
        let n = repr.emit(&mut buf).unwrap();
        if buf[n - 2] == 0x16 {
            found = Some(buf[..n].to_vec());
            break;
        }
    }
    let frame = found.expect("some extra byte gives CS = 0x16");
    assert!(frame[10..frame.len() - 2].contains(&0x68));
    assert!(frame[10..frame.len() - 2].contains(&0x16));
    // Echoed request first, then the reply, with wake-up bytes, cut one byte at a time.
    let request = Repr::request(
        Address::from_number(16).unwrap(),
        Request::Read {
            di: Di(0x0400_0403),
        },
    );
    let mut req = [0u8; 32];
    let rn = request.emit(&mut req).unwrap();
    let mut stream = PREAMBLE.to_vec();
    stream.extend_from_slice(&req[..rn]);
    stream.extend_from_slice(&[0xFE, 0xFE]);
    stream.extend_from_slice(&frame);
    let mut s: Scanner = Scanner::new();
    let mut got = Vec::new();
    for b in &stream {
        s.push(std::slice::from_ref(b));
        while let Some(f) = s.next_frame() {
            got.push(f.frame_bytes().to_vec());
        }
    }
    assert_eq!(got, [req[..rn].to_vec(), frame]);
    assert_eq!(s.dropped(), 0);
}

#[test]
fn the_1997_re_read_and_the_2007_security_share_code_03() {
    let rr = Repr::request(
        Address::from_number(9).unwrap(),
        Request::ReRead97 { di: Di97(0x9010) },
    );
    via_wire(rr, |r, _| assert_eq!(r.function(), Function::ReRead97));
    let sec = Repr::request(
        Address::from_number(9).unwrap(),
        Request::Security {
            di: Di(0x0700_00FF),
            data: Payload::Plain(&[0; 28]),
        },
    );
    via_wire(sec, |r, wire| {
        assert_eq!(r.function(), Function::Security);
        assert_eq!(wire.len(), 0x20);
    });
}

/// A frame with `control` and plain `data`, checksummed, after two wake-up bytes.
fn frame_with(address: [u8; 6], control: u8, data: &[u8]) -> Vec<u8> {
    let mut f = vec![0xFE, 0xFE, 0x68];
    f.extend_from_slice(&address);
    f.push(0x68);
    f.push(control);
    f.push(data.len() as u8);
    f.extend(data.iter().map(|b| b.wrapping_add(0x33)));
    f.push(checksum(&f[2..]));
    f.push(0x16);
    f
}

#[test]
fn typed_errors_name_the_byte() {
    let meter = [0x01, 0, 0, 0, 0, 0];
    let parse = |f: &[u8]| Repr::parse(&Frame::new_checked(f).unwrap()).map(|_| ());
    // 0x11 with L = 6 is none of the three read forms; L sits at offset 2 + 9.
    assert_eq!(
        parse(&frame_with(meter, 0x11, &[0; 6])),
        Err(Error::BadLength {
            offset: 11,
            function: 0x11,
            len: 6
        })
    );
    // 0x13 must have L = 0 (and the all-AA address).
    assert_eq!(
        parse(&frame_with([0xAA; 6], 0x13, &[0])),
        Err(Error::BadLength {
            offset: 11,
            function: 0x13,
            len: 1
        })
    );
    // A write over 50 data bytes.
    assert_eq!(
        parse(&frame_with(meter, 0x14, &[0; 51])),
        Err(Error::TooLong {
            offset: 11,
            function: 0x14,
            len: 51,
            max: 50
        })
    );
    // A read reply over 200 data bytes.
    assert_eq!(
        parse(&frame_with(meter, 0x91, &[0; 201])),
        Err(Error::TooLong {
            offset: 11,
            function: 0x11,
            len: 201,
            max: 200
        })
    );
    // Broadcast time with a minute of 6A: BCD error at the second data byte (offset 13).
    assert_eq!(
        parse(&frame_with(
            [0x99; 6],
            0x08,
            &[0x00, 0x6A, 0x10, 0x22, 0x11, 0x24]
        )),
        Err(Error::BadBcd {
            offset: 13,
            found: 0x6A
        })
    );
    // An abnormal reply with three bytes is no known error word.
    assert_eq!(
        parse(&frame_with(meter, 0xD1, &[1, 2, 3])),
        Err(Error::BadLength {
            offset: 11,
            function: 0x11,
            len: 3
        })
    );
    // Trailing bytes after the end byte.
    let mut f = frame_with(meter, 0x93, &meter);
    f.push(0x00);
    assert_eq!(
        Frame::new_checked(&f[..]),
        Err(Error::TrailingBytes {
            offset: f.len() - 1,
            count: 1
        })
    );
    // Not a frame at all.
    assert_eq!(
        Frame::new_checked(&[0xFE, 0x00][..]),
        Err(Error::BadStart {
            offset: 1,
            found: 0x00
        })
    );
    // Vendor codes are kept, not rejected.
    let f = frame_with(meter, 0x1F, &[7, 8]);
    let frame = Frame::new_checked(&f[..]).unwrap();
    let repr = Repr::parse(&frame).unwrap();
    assert_eq!(repr.function(), Function::Unknown(0x1F));
    assert!(matches!(repr.body, Body::Other { data, .. } if data == Payload::Plain(&[7, 8])));
}

#[test]
fn decode_field_limits() {
    use dlt645::catalogue::{Format, decode_field};
    let wide = Format::Bcd {
        len: 8,
        exponent: 0,
        signed: false,
        unit: Unit::None,
    };
    // 16 nines is the widest number; a ninth byte makes the field invalid, never a wrap.
    let nines = [0x99u8; 9];
    assert_eq!(
        decode_field(wide, Payload::Plain(&nines[..8]), 0).to_string(),
        "9999999999999999"
    );
    assert!(matches!(
        decode_field(wide, Payload::Plain(&nines), 0),
        Value::Invalid(_)
    ));
    // All FF is absent whether the bytes are plain or still scrambled (FF + 33 = 32).
    assert_eq!(
        decode_field(wide, Payload::Wire(&[0x32; 8]), 0),
        Value::Absent
    );
}
