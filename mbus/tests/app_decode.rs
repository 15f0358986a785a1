//! Application-layer rules one at a time, on hand-built records (each with the clause or
//! captured frame the rule comes from) and on the libmbus corpus.

use std::fs;
use std::path::Path;

use wired_mbus::Frame;
use wired_mbus::app::{
    Combinable, DataCoding, Function, Header, IdNumber, Manufacturer, Medium, Number, ParseOptions,
    PlainTextMode, PlainTextPlacement, Quantity, Record, RecordError, RecordKind, Records,
    TimeType, Unit, UserData, Value,
};

fn records(bytes: &[u8]) -> Vec<Result<Record<'_>, RecordError>> {
    Records::new(bytes, 0, ParseOptions::default()).collect()
}

fn one(bytes: &[u8]) -> Record<'_> {
    let mut v = records(bytes);
    assert_eq!(v.len(), 1, "{v:?}");
    v.remove(0).unwrap()
}

#[test]
fn long_header_fields() {
    // ELV-Elvaco-CMa10.hex user data: 61 15 01 24 | 96 15 | 16 | 00 | 3F | 00 | 00 00
    let data = [
        0x61, 0x15, 0x01, 0x24, 0x96, 0x15, 0x16, 0x00, 0x3F, 0x00, 0x00, 0x00,
    ];
    let UserData::Variable(v) = UserData::parse(0x72, &data).unwrap() else {
        panic!()
    };
    let Header::Long(h) = v.header else { panic!() };
    assert_eq!(h.id, IdNumber(0x2401_1561));
    assert_eq!(h.id.decimal(), Some(24_011_561));
    assert_eq!(h.manufacturer.to_string(), "ELV");
    assert_eq!(Manufacturer::from_letters(*b"ELV"), Some(h.manufacturer));
    assert_eq!(h.version, 0x16);
    assert_eq!(Medium::from_u8(h.medium), Medium::Other);
    assert_eq!(h.access_number, 0x3F);
    assert_eq!(v.records().count(), 0);
}

#[test]
fn msb_first_header_and_values() {
    // CI 0x76: the same header and a 32-bit value, most significant byte first.
    let data = [
        0x24, 0x01, 0x15, 0x61, 0x15, 0x96, 0x16, 0x07, 0x01, 0x00, 0x00, 0x00, 0x04, 0x13, 0x00,
        0x00, 0x01, 0x02,
    ];
    let UserData::Variable(v) = UserData::parse(0x76, &data).unwrap() else {
        panic!()
    };
    let Header::Long(h) = v.header else { panic!() };
    assert_eq!(h.id, IdNumber(0x2401_1561));
    assert_eq!(h.manufacturer.to_string(), "ELV");
    let r = v.records().next().unwrap().unwrap();
    assert_eq!(
        r.number(),
        Some(Number {
            mantissa: 0x0102,
            exponent: -3
        })
    );
}

#[test]
fn short_and_no_header() {
    let data = [0x2A, 0x00, 0x00, 0x00, 0x04, 0x13, 0x10, 0x00, 0x00, 0x00];
    let UserData::Variable(v) = UserData::parse(0x7A, &data).unwrap() else {
        panic!()
    };
    let Header::Short(h) = v.header else { panic!() };
    assert_eq!(h.access_number, 0x2A);
    assert_eq!(v.records().next().unwrap().unwrap().offset(), 4);
    let UserData::Variable(v) = UserData::parse(0x78, &data[4..]).unwrap() else {
        panic!()
    };
    assert_eq!(v.header, Header::None);
    let r = v.records().next().unwrap().unwrap();
    assert_eq!(
        r.number(),
        Some(Number {
            mantissa: 16,
            exponent: -3
        })
    );
    assert_eq!(r.describe().unwrap().unit, Unit::CubicMetre);
}

#[test]
fn fixed_structure() {
    // manual_frame2.hex: ID 12345678, access 10, BCD counters, units 0x29 (l) and 0x3E.
    let data = [
        0x78, 0x56, 0x34, 0x12, 0x0A, 0x00, 0xE9, 0x7E, 0x01, 0x00, 0x00, 0x00, 0x35, 0x01, 0x00,
        0x00,
    ];
    let UserData::Fixed(f) = UserData::parse(0x73, &data).unwrap() else {
        panic!()
    };
    assert_eq!(f.id.decimal(), Some(12_345_678));
    assert_eq!(f.medium_code(), 7); // water
    assert_eq!(
        f.counter1.number(),
        Some(Number {
            mantissa: 1,
            exponent: -3
        })
    ); // 1 l
    assert_eq!(f.counter2.value, 135);
    assert!(!f.stored() && !f.binary());
}

#[test]
fn dib_fields() {
    // DIF C4: extension, storage LSB 1, function 00, 32-bit int; DIFE 9F: ext, tariff 01,
    // storage 1111; DIFE 62: subunit 1, tariff 10, storage 0010 (EN 13757-3 6.3.3).
    let r = one(&[0xC4, 0x9F, 0x62, 0x13, 1, 0, 0, 0]);
    let dib = r.dib();
    assert_eq!(dib.storage_number(), 1 | 0xF << 1 | 0x2 << 5);
    assert_eq!(dib.tariff(), Some(1 | 2 << 2));
    assert_eq!(dib.subunit(), Some(0b10));
    assert_eq!(dib.function(), Function::Instantaneous);
    assert_eq!(dib.coding(), DataCoding::Int32);
    // No DIFE: no tariff or subunit at all (libmbus omits them too).
    let r = one(&[0x14, 0x13, 1, 0, 0, 0]);
    assert_eq!((r.dib().tariff(), r.dib().subunit()), (None, None));
    assert_eq!(r.dib().function(), Function::Maximum);
}

#[test]
fn lenient_bcd_is_flagged_and_later_records_decode() {
    // 0xDD nibbles are manufacturer error markers in the field (notes/mbus.md §0).
    let bytes = [
        0x0C, 0x13, 0xDD, 0xDD, 0x34, 0x12, 0x04, 0x13, 0x01, 0x00, 0x00, 0x00,
    ];
    let v = records(&bytes);
    assert_eq!(v.len(), 2);
    let bad = v[0].as_ref().unwrap();
    assert!(bad.bcd_invalid());
    let good = v[1].as_ref().unwrap();
    assert!(!good.bcd_invalid());
    assert_eq!(
        good.number(),
        Some(Number {
            mantissa: 1,
            exponent: -3
        })
    );
    // Negative BCD: F in the top nibble (type A).
    let r = one(&[0x0A, 0x13, 0x23, 0xF1]);
    assert_eq!(
        r.value(),
        Value::Bcd {
            value: -123,
            invalid_digits: false
        }
    );
    // 12-digit BCD fits exactly.
    let r = one(&[0x0E, 0x03, 0x89, 0x67, 0x45, 0x23, 0x01, 0x99]);
    assert_eq!(r.value().as_i64(), Some(990_123_456_789));
}

#[test]
fn every_integer_width_is_signed() {
    assert_eq!(one(&[0x01, 0x13, 0xFF]).value(), Value::Integer(-1));
    assert_eq!(
        one(&[0x03, 0x13, 0x00, 0x00, 0x80]).value(),
        Value::Integer(-0x80_0000)
    );
    assert_eq!(
        one(&[0x06, 0x13, 1, 2, 3, 4, 5, 6]).value(),
        Value::Integer(0x0605_0403_0201)
    );
    assert_eq!(
        one(&[0x07, 0x13, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]).value(),
        Value::Integer(i64::MAX)
    );
    assert_eq!(
        one(&[0x05, 0x2B, 0x00, 0x00, 0x20, 0x41]).value(),
        Value::Real(10.0)
    );
}

#[test]
fn time_points() {
    // Type G date (VIF 6C): day 31 = 0x1F with year 0, month 12: `1F 0C` is 2000-12-31.
    let Value::DateTime(t) = one(&[0x02, 0x6C, 0x1F, 0x0C]).value() else {
        panic!()
    };
    assert_eq!(
        (t.kind, t.day, t.month, t.full_year()),
        (TimeType::G, 31, 12, Some(2000))
    );
    // Type F (VIF 6D, 4 bytes): 2001-09-20 13:16 (corpus value "2001-09-20T13:16:00Z").
    let Value::DateTime(t) = one(&[0x04, 0x6D, 0x10, 0x0D, 0x34, 0x09]).value() else {
        panic!()
    };
    assert_eq!(
        (t.kind, t.hour, t.minute, t.day, t.month),
        (TimeType::F, 13, 16, 20, 9)
    );
    assert_eq!(t.full_year(), Some(2001));
    assert!(!t.invalid);
    // IV bit set.
    let Value::DateTime(t) = one(&[0x04, 0x6D, 0x80, 0, 0, 0]).value() else {
        panic!()
    };
    assert!(t.invalid);
    // Type J (VIF 6D, 3 bytes): 10:15:30.
    let Value::DateTime(t) = one(&[0x03, 0x6D, 30, 15, 10]).value() else {
        panic!()
    };
    assert_eq!(
        (t.kind, t.hour, t.minute, t.second),
        (TimeType::J, 10, 15, 30)
    );
    assert_eq!(t.full_year(), None);
    // Type I (VIF 6D, 6 bytes): seconds too.
    let Value::DateTime(t) = one(&[0x06, 0x6D, 5, 16, 13, 0x34, 0x19, 0]).value() else {
        panic!()
    };
    assert_eq!(
        (t.kind, t.second, t.minute, t.hour, t.day, t.month),
        (TimeType::I, 5, 16, 13, 20, 9)
    );
    // FD 70: date and time of battery change, also a time point.
    assert!(matches!(
        one(&[0x04, 0xFD, 0x70, 0x10, 0x0D, 0x34, 0x19]).value(),
        Value::DateTime(_)
    ));
}

#[test]
fn plain_text_vif_in_both_placements() {
    // Field placement (ELV-Elvaco-CMa10.hex): 02 FC | 03 "HR%" | VIFE 74 | 22 15.
    let field = [0x02, 0xFC, 0x03, 0x48, 0x52, 0x25, 0x74, 0x22, 0x15];
    // Standard placement (EN 13757-3 6.4.3): 02 FC | VIFE 74 | 03 "HR%" | 22 15.
    let standard = [0x02, 0xFC, 0x74, 0x03, 0x48, 0x52, 0x25, 0x22, 0x15];
    for (bytes, placement) in [
        (&field, PlainTextPlacement::AfterVif),
        (&standard, PlainTextPlacement::AfterVifes),
    ] {
        let r = one(bytes);
        let vib = r.vib().unwrap();
        assert_eq!(vib.placement(), placement);
        assert_eq!(vib.plain_text().collect::<String>(), "%RH");
        assert_eq!(vib.vifes(), &[0x74]);
        let d = vib.describe();
        assert_eq!((d.quantity, d.exponent), (Quantity::PlainText, -2));
        assert_eq!(r.number().unwrap().to_string(), "54.10");
    }
    // Forced modes.
    let forced = ParseOptions {
        plain_text: PlainTextMode::AfterVifes,
        ..Default::default()
    };
    let r: Vec<_> = Records::new(&standard, 0, forced).collect();
    assert_eq!(
        r[0].as_ref().unwrap().vib().unwrap().placement(),
        PlainTextPlacement::AfterVifes
    );
}

#[test]
fn extension_tables_and_combinable_vifes() {
    // FD 17: error flags (very common: DIF 02 VIF FD VIFE 17).
    let d = one(&[0x02, 0xFD, 0x17, 0x00, 0x00]).describe().unwrap();
    assert_eq!(d.quantity, Quantity::ErrorFlags);
    // FD 48: volts 10^(8-9).
    let d = one(&[0x02, 0xFD, 0x48, 0x10, 0x09]).describe().unwrap();
    assert_eq!(
        (d.quantity, d.unit, d.exponent),
        (Quantity::Voltage, Unit::Volt, -1)
    );
    // FB 01: energy 10^(1-1) MWh = 10^6 Wh.
    let d = one(&[0x04, 0xFB, 0x01, 1, 0, 0, 0]).describe().unwrap();
    assert_eq!(
        (d.quantity, d.unit, d.exponent),
        (Quantity::Energy, Unit::WattHour, 6)
    );
    // Primary VIF 0x93 (volume 10^-3 m³) + combinable 0x3B (accumulation of positive
    // contributions) + 0x75 (multiplier 10^-1).
    let r = one(&[0x04, 0x93, 0xBB, 0x75, 5, 0, 0, 0]);
    let vib = r.vib().unwrap();
    let c: Vec<Combinable> = vib.combinable().collect();
    assert_eq!(
        c,
        [Combinable::AccumulationPositive, Combinable::Multiplier(-1)]
    );
    assert_eq!(
        r.number(),
        Some(Number {
            mantissa: 5,
            exponent: -4
        })
    );
    // Manufacturer-specific VIF: its VIFEs are not combinable codes.
    let r = one(&[0x01, 0xFF, 0x75, 0x07]);
    assert_eq!(
        r.describe().unwrap().quantity,
        Quantity::ManufacturerSpecific
    );
    assert_eq!(r.vib().unwrap().combinable().count(), 0);
}

#[test]
fn lvar_codings() {
    // Text, sent last character first (EN 13757-3 table 5).
    let r = one(&[0x0D, 0x78, 0x03, b'C', b'B', b'A']);
    assert_eq!(r.value().text().unwrap().collect::<String>(), "ABC");
    // Positive and negative BCD, 2 digits per byte.
    assert_eq!(
        one(&[0x0D, 0x13, 0xC2, 0x34, 0x12]).value().as_i64(),
        Some(1234)
    );
    assert_eq!(
        one(&[0x0D, 0x13, 0xD2, 0x34, 0x12]).value().as_i64(),
        Some(-1234)
    );
    // Binary: E0 + n bytes; F0..F4: 4 * (LVAR - 0xEC) bytes.
    assert_eq!(
        one(&[0x0D, 0x13, 0xE2, 1, 2]).value(),
        Value::Binary(&[1, 2])
    );
    let mut long = vec![0x0D, 0x13, 0xF0];
    long.extend([7u8; 16]);
    assert_eq!(one(&long).value(), Value::Binary(&[7; 16]));
    // Reserved LVAR: typed error, and the iterator stops.
    assert_eq!(
        records(&[0x0D, 0x13, 0xF7, 1, 2]),
        [Err(RecordError::ReservedLvar {
            offset: 0,
            lvar: 0xF7
        })]
    );
}

#[test]
fn special_functions() {
    // 2F fillers are skipped; 0F ends with manufacturer data; 1F says more follow.
    let r = records(&[0x2F, 0x2F, 0x01, 0x13, 0x05, 0x1F, 0xAA, 0xBB]);
    assert_eq!(r.len(), 2);
    assert_eq!(r[0].as_ref().unwrap().offset(), 2);
    let more = r[1].as_ref().unwrap();
    assert_eq!(more.kind(), RecordKind::MoreRecordsFollow);
    assert_eq!(more.value(), Value::Manufacturer(&[0xAA, 0xBB]));
    let data = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0F, 0x01];
    let UserData::Variable(v) = UserData::parse(0x72, &data).unwrap() else {
        panic!()
    };
    assert!(!v.more_records_follow());
    let mut data = data;
    data[12] = 0x1F;
    let UserData::Variable(v) = UserData::parse(0x72, &data).unwrap() else {
        panic!()
    };
    assert!(v.more_records_follow());
    // Selection for readout (DIF 08): no data.
    let r = one(&[0x08, 0x13]);
    assert_eq!(
        (r.dib().coding(), r.value()),
        (DataCoding::SelectionForReadout, Value::None)
    );
}

#[test]
fn exact_number_display() {
    let show = |m, e| {
        Number {
            mantissa: m,
            exponent: e,
        }
        .to_string()
    };
    assert_eq!(show(12345, -2), "123.45");
    assert_eq!(show(-1, -3), "-0.001");
    assert_eq!(show(12, 3), "12000");
    assert_eq!(show(0, -2), "0.00");
    assert_eq!(show(i64::MIN, -1), "-922337203685477580.8");
}

#[test]
fn corpus_bcd_errors_do_not_drop_records() {
    let dir = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/vectors/mbus/libmbus/frames"
    ));
    let mut flagged = 0;
    for e in fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        if path.extension().is_none_or(|x| x != "hex") {
            continue;
        }
        let text = fs::read_to_string(&path).unwrap();
        let bytes: Vec<u8> = text
            .split_whitespace()
            .map(|h| u8::from_str_radix(h, 16).unwrap())
            .collect();
        let frame = Frame::new_checked(&bytes).unwrap();
        if let UserData::Variable(v) = UserData::from_frame(&frame).unwrap() {
            let recs: Vec<_> = v.records().collect();
            assert!(recs.iter().all(Result::is_ok), "{}", path.display());
            flagged += recs
                .iter()
                .filter(|r| r.as_ref().unwrap().bcd_invalid())
                .count();
        }
    }
    // The corpus has meters that send non-decimal BCD (m-bus-parser rejects these telegrams).
    assert!(flagged > 0);
    eprintln!("{flagged} corpus records with non-decimal BCD decoded leniently");
}

#[test]
fn xml_through_a_fmt_sink_and_for_headers_libmbus_lacks() {
    use wired_mbus::app::libmbus::{FmtSink, write_normalized};
    // CI 0x7A (libmbus has no short header): access number, status and signature only.
    let data = [0x2A, 0x00, 0x00, 0x00, 0x0D, 0xFD, 0x11, 0x02, 0xE9, b'A'];
    let mut text = FmtSink(String::new());
    write_normalized(&mut text, 0x7A, &data).unwrap();
    let xml = text.0;
    assert!(xml.contains("<SlaveInformation>\n        <AccessNumber>42</AccessNumber>"));
    // LVAR text, sent last character first, with a Latin-1 byte: "Aé" in reading order.
    assert!(
        xml.contains("<Quantity>Customer</Quantity>\n        <Value>Aé</Value>"),
        "{xml}"
    );
    // A byte sink keeps the telegram's byte raw, as libmbus does.
    let mut bytes = heapless::Vec::<u8, 1024>::new();
    write_normalized(&mut bytes, 0x7A, &data).unwrap();
    assert!(bytes.windows(3).any(|w| w == b"A\xE9<"));
    // A sink that is too small reports it instead of truncating silently.
    let mut small = heapless::Vec::<u8, 16>::new();
    assert_eq!(
        write_normalized(&mut small, 0x7A, &data),
        Err(wired_mbus::app::libmbus::XmlError::Fmt)
    );
}
