//! Property tests: any bytes parse without panic (records, values, descriptions, XML), and
//! records written by [`RecordRepr::emit`] parse back to the same fields and value.

use proptest::prelude::*;
use wired_mbus::app::libmbus::write_normalized;
use wired_mbus::app::{
    ByteOrder, DataCoding, DateTime, Dib, Function, ParseOptions, PlainTextMode,
    PlainTextPlacement, RecordKind, RecordRepr, Records, TimeType, UserData, Value, Vib,
};

proptest! {
    #[test]
    fn arbitrary_user_data_never_panics(ci in prop_oneof![Just(0x72u8), Just(0x76), Just(0x7A), Just(0x78), Just(0x73), Just(0x70), any::<u8>()],
                                        data in proptest::collection::vec(any::<u8>(), 0..256)) {
        if let Ok(UserData::Variable(v)) = UserData::parse(ci, &data) {
            let _ = v.more_records_follow();
            for r in v.records().flatten() {
                let _ = (r.value(), r.describe(), r.number(), r.bcd_invalid());
                if let Some(vib) = r.vib() {
                    let _ = (vib.plain_text().count(), vib.combinable().count(), vib.is_time_point());
                }
                if let Value::DateTime(t) = r.value() {
                    let _ = t.full_year();
                }
            }
        }
        let mut out = heapless::Vec::<u8, 16384>::new();
        let _ = write_normalized(&mut out, ci, &data);
    }

    /// A record that parses is re-emitted to the same bytes (values whose decoding drops
    /// bits, such as time points or non-decimal BCD, aside).
    #[test]
    fn parsed_records_re_emit_identically(data in proptest::collection::vec(any::<u8>(), 0..128)) {
        for r in Records::new(&data, 0, ParseOptions { plain_text: PlainTextMode::AfterVif, ..Default::default() }).flatten() {
            if r.kind() != RecordKind::Data {
                continue;
            }
            let lossless = match r.value() {
                Value::Integer(_) | Value::Text(_) | Value::Binary(_) | Value::LongBcd { .. } | Value::Real(_) => true,
                Value::None => r.data().is_empty(),
                Value::Bcd { value, invalid_digits } => !invalid_digits && value > 0,
                _ => false,
            };
            if !lossless {
                continue;
            }
            let repr = RecordRepr::from_record(&r).unwrap();
            let mut buf = [0u8; 300];
            let n = repr.emit(&mut buf).unwrap();
            prop_assert_eq!(&buf[..n], &data[r.offset()..r.offset() + r.wire_len()]);
        }
    }

    #[test]
    fn emitted_records_parse_back(
        function in prop_oneof![Just(Function::Instantaneous), Just(Function::Maximum), Just(Function::Minimum), Just(Function::DuringError)],
        storage in 0u64..(1 << 41),
        tariff in 0u32..(1 << 20),
        subunit in 0u16..(1 << 10),
        vif_pick in 0usize..8,
        multiplier in proptest::option::of(0x70u8..0x78),
        kind in 0usize..6,
        int in any::<i64>(),
        text in proptest::collection::vec(0x20u8..0x7F, 0..20),
        msb in any::<bool>(),
        placement_after_vifes in any::<bool>(),
    ) {
        let order = if msb { ByteOrder::MsbFirst } else { ByteOrder::LsbFirst };
        // VIF and its mandatory VIFE (tables FB/FD), then an optional combinable multiplier.
        let (vif, mut vifes): (u8, Vec<u8>) = match vif_pick {
            0 => (0x04, vec![]),      // energy 10 Wh
            1 => (0x13, vec![]),      // volume l
            2 => (0x5A, vec![]),      // flow temperature 0.1 °C
            3 => (0xFD, vec![0x17]),  // error flags
            4 => (0xFD, vec![0x48]),  // voltage
            5 => (0xFB, vec![0x01]),  // MWh
            6 => (0x7C, vec![]),      // plain text
            _ => (0x78, vec![]),      // fabrication number
        };
        let plain = vif == 0x7C;
        let mut vif = vif;
        if let Some(m) = multiplier {
            if plain { vif = 0xFC; }
            if let Some(last) = vifes.last_mut() { *last |= 0x80; } else { vif |= 0x80; }
            vifes.push(m);
        }
        let placement = if placement_after_vifes { PlainTextPlacement::AfterVifes } else { PlainTextPlacement::AfterVif };
        let unit_text: &[u8] = if plain { b"RH%" } else { &[] };
        let vib = Vib::from_parts(vif, &vifes, unit_text, placement).unwrap();
        let (coding, value, lvar) = match kind {
            0 => (DataCoding::Int32, Value::Integer(int as i32 as i64), None),
            1 => (DataCoding::Int64, Value::Integer(int), None),
            2 => (DataCoding::Bcd12, Value::Bcd { value: int.rem_euclid(1_000_000_000_000), invalid_digits: false }, None),
            3 => (DataCoding::Bcd8, Value::Bcd { value: -(int.rem_euclid(10_000_000)), invalid_digits: false }, None),
            4 => (DataCoding::VariableLength, Value::Text(&text), Some(text.len() as u8)),
            _ => (DataCoding::Int24, Value::Integer((int as i32 >> 8) as i64), None),
        };
        let dib = Dib::new(function, coding, storage, tariff, subunit).unwrap();
        let repr = RecordRepr { dib, vib, lvar, value, order };
        let mut buf = [0u8; 128];
        let n = repr.emit(&mut buf).unwrap();
        prop_assert_eq!(n, repr.buffer_len().unwrap());
        let mode = if placement_after_vifes { PlainTextMode::AfterVifes } else { PlainTextMode::AfterVif };
        let parsed: Vec<_> = Records::new(&buf[..n], 0, ParseOptions { plain_text: mode, byte_order: order }).collect();
        prop_assert_eq!(parsed.len(), 1);
        let r = parsed[0].unwrap();
        prop_assert_eq!(r.dib().function(), function);
        prop_assert_eq!(r.dib().storage_number(), storage);
        let has_dife = storage > 1 || tariff > 0 || subunit > 0;
        prop_assert_eq!(r.dib().tariff(), has_dife.then_some(tariff));
        prop_assert_eq!(r.dib().subunit(), has_dife.then_some(subunit));
        prop_assert_eq!(RecordRepr::from_record(&r).unwrap(), repr);
        prop_assert_eq!(r.wire_len(), n);
    }

    #[test]
    fn time_points_round_trip(year in 0u8..100, month in 1u8..13, day in 1u8..32, hour in 0u8..24, minute in 0u8..60, second in 0u8..60, century in 0u8..4, su in any::<bool>(), iv in any::<bool>()) {
        let f = DateTime { kind: TimeType::F, year, century: Some(century), month, day, hour, minute, second: 0, invalid: iv, summer_time: su };
        let mut b = [0u8; 4];
        f.encode(&mut b).unwrap();
        prop_assert_eq!(DateTime::decode(&b), Some(f));
        let g = DateTime { kind: TimeType::G, century: None, hour: 0, minute: 0, invalid: false, summer_time: false, ..f };
        let mut b = [0u8; 2];
        g.encode(&mut b).unwrap();
        prop_assert_eq!(DateTime::decode(&b), Some(g));
        let j = DateTime { kind: TimeType::J, year: 0, century: None, month: 0, day: 0, hour, minute, second, invalid: false, summer_time: false };
        let mut b = [0u8; 3];
        j.encode(&mut b).unwrap();
        prop_assert_eq!(DateTime::decode(&b), Some(j));
    }
}
