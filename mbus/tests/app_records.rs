//! Our own decoding (headers, DIB, [`Description`], exact values), not the libmbus XML
//! writer, checked against every libmbus `.norm.xml`: same slave information, and per record
//! the same function, storage number, tariff, subunit, unit, quantity and value.

#![allow(clippy::indexing_slicing)] // helpers index golden frames (clippy.toml allows it in #[test] fns only)

use std::fs;
use std::path::{Path, PathBuf};

use wired_mbus::Frame;
use wired_mbus::app::{
    DataCoding, Function, Header, Quantity, Record, RecordKind, Unit, UserData, Value,
};

mod common;

use common::{VECTORS, hex};

/// The text of `<tag>...</tag>` elements in a block, in order, XML entities decoded.
fn fields(block: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in block.lines() {
        let line = line.trim();
        let Some(rest) = line.strip_prefix('<') else {
            continue;
        };
        let Some((tag, rest)) = rest.split_once('>') else {
            continue;
        };
        let Some(value) = rest.strip_suffix(&format!("</{tag}>")) else {
            continue;
        };
        let value = value
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&amp;", "&");
        out.push((tag.to_owned(), value));
    }
    out
}

fn get<'a>(f: &'a [(String, String)], tag: &str) -> Option<&'a str> {
    f.iter().find(|(t, _)| t == tag).map(|(_, v)| v.as_str())
}

/// libmbus's quantity name and SI unit (with the factor from our unit) for our description.
fn libmbus_names(q: Quantity, u: Unit) -> (&'static str, &'static str, f64) {
    let (unit, factor) = match u {
        Unit::None => ("", 1.0),
        Unit::WattHour => ("Wh", 1.0),
        Unit::Joule => ("J", 1.0),
        Unit::CubicMetre => ("m^3", 1.0),
        Unit::Kilogram => ("kg", 1.0),
        Unit::Second => ("s", 1.0),
        Unit::Minute => ("s", 60.0),
        Unit::Hour => ("s", 3600.0),
        Unit::Day => ("s", 86400.0),
        Unit::Watt => ("W", 1.0),
        Unit::JoulePerHour => ("J/h", 1.0),
        Unit::CubicMetrePerHour => ("m^3/h", 1.0),
        Unit::CubicMetrePerMinute => ("m^3/min", 1.0),
        Unit::CubicMetrePerSecond => ("m^3/s", 1.0),
        Unit::KilogramPerHour => ("kg/h", 1.0),
        Unit::Celsius => ("°C", 1.0),
        Unit::Kelvin => ("K", 1.0),
        Unit::Bar => ("bar", 1.0),
        Unit::Volt => ("V", 1.0),
        Unit::Ampere => ("A", 1.0),
        Unit::HcaUnits => ("Units for H.C.A.", 1.0),
        other => panic!("unit {other:?} not in the corpus"),
    };
    let quantity = match q {
        Quantity::Energy => "Energy",
        Quantity::Volume => "Volume",
        Quantity::Mass => "Mass",
        Quantity::OnTime => "On time",
        Quantity::OperatingTime => "Operating time",
        Quantity::Power => "Power",
        Quantity::VolumeFlow => "Volume flow",
        Quantity::FlowTemperature => "Flow temperature",
        Quantity::ReturnTemperature => "Return temperature",
        Quantity::TemperatureDifference => "Temperature difference",
        Quantity::ExternalTemperature => "External temperature",
        Quantity::Date => return ("Time point (date)", "-", 1.0),
        Quantity::DateTime => return ("Time point (date & time)", "-", 1.0),
        Quantity::HcaUnits => "H.C.A.",
        Quantity::AveragingDuration => "Averaging Duration",
        Quantity::ActualityDuration => "Actuality Duration",
        Quantity::FabricationNumber => "Fabrication No",
        Quantity::EnhancedIdentification => "(Enhanced) Identification",
        Quantity::Medium => "Medium",
        Quantity::ParameterSetId => "Parameter set identification",
        Quantity::ModelVersion => "Model / Version",
        Quantity::FirmwareVersion => "Firmware version",
        Quantity::SoftwareVersion => "Software version",
        Quantity::CustomerLocation => "Customer location",
        Quantity::ErrorFlags => "Error flags",
        Quantity::DigitalInput => "Digital Input",
        Quantity::Dimensionless => "Dimensionless",
        Quantity::Voltage => "Voltage",
        Quantity::Current => "Current",
        Quantity::ResetCounter => "Reset counter",
        Quantity::ManufacturerSpecific => "Manufacturer specific",
        other => panic!("quantity {other:?} not in the corpus"),
    };
    (quantity, unit, factor)
}

/// Returns false when libmbus printed the record empty (it could not decode it).
fn check_record(name: &str, r: &Record<'_>, f: &[(String, String)]) -> bool {
    let ctx = format!("{name} record at offset {}", r.offset());
    if f.is_empty() {
        // libmbus fails on VIFs outside its table (sen_pollutherm: VIF 0x7B without the
        // extension bit, a reserved code); we decode the record and say it is reserved.
        let q = r.describe().map(|d| d.quantity);
        assert!(matches!(q, Some(Quantity::Reserved(..))), "{ctx}: {q:?}");
        return false;
    }
    let dib = r.dib();
    let function = match r.kind() {
        RecordKind::ManufacturerData => "Manufacturer specific",
        RecordKind::MoreRecordsFollow => "More records follow",
        _ => match dib.function() {
            Function::Instantaneous => "Instantaneous value",
            Function::Maximum => "Maximum value",
            Function::Minimum => "Minimum value",
            Function::DuringError => "Value during error state",
        },
    };
    assert_eq!(get(f, "Function"), Some(function), "{ctx}");
    assert_eq!(
        get(f, "StorageNumber"),
        Some(dib.storage_number().to_string().as_str()),
        "{ctx}"
    );
    assert_eq!(
        get(f, "Tariff"),
        dib.tariff().map(|t| t.to_string()).as_deref(),
        "{ctx}"
    );
    assert_eq!(
        get(f, "Device"),
        dib.subunit().map(|t| t.to_string()).as_deref(),
        "{ctx}"
    );
    let want_value = get(f, "Value").unwrap();
    let Some(vib) = r.vib() else {
        // DIF 0x0F / 0x1F: the manufacturer bytes, hex.
        let hex: Vec<String> = r.data().iter().map(|b| format!("{b:02X}")).collect();
        assert_eq!(want_value, hex.join(" "), "{ctx}");
        return true;
    };
    let desc = vib.describe();
    let (quantity, unit, factor) = if desc.quantity == Quantity::PlainText {
        (String::new(), "-", 1.0)
    } else {
        let (q, u, f) = libmbus_names(desc.quantity, desc.unit);
        (q.to_owned(), u, f)
    };
    if desc.quantity == Quantity::PlainText {
        let text: String = vib.plain_text().collect();
        assert_eq!(get(f, "Quantity"), Some(text.as_str()), "{ctx}");
    } else {
        assert_eq!(get(f, "Quantity"), Some(quantity.as_str()), "{ctx}");
    }
    assert_eq!(get(f, "Unit"), Some(unit), "{ctx}");
    match r.value() {
        Value::Integer(_) | Value::Bcd { .. } => {
            let n = r.number().unwrap();
            let ours = n.to_f64() * factor;
            let theirs: f64 = want_value.parse().unwrap();
            assert!(
                (ours - theirs).abs() <= 5e-7 + theirs.abs() * 1e-12,
                "{ctx}: {n} ({ours}) vs {theirs}"
            );
        }
        Value::Real(x) => {
            let ours = f64::from(x) * 10f64.powi(i32::from(desc.exponent));
            let theirs: f64 = want_value.parse().unwrap();
            assert!(
                (ours - theirs).abs() <= 5e-7 + theirs.abs() * 1e-9,
                "{ctx}: {ours} vs {theirs}"
            );
        }
        Value::DateTime(t) => {
            if t.invalid {
                assert_eq!(want_value, "1900-01-00T00:00:00Z", "{ctx}");
            } else {
                let date = format!("{:02}-{:02}-{:02}", t.year % 100, t.month, t.day);
                assert_eq!(&want_value[2..10], date, "{ctx}");
                if dib.coding() != DataCoding::Int16 {
                    let time = format!("{:02}:{:02}:{:02}", t.hour, t.minute, t.second);
                    assert_eq!(&want_value[11..19], time, "{ctx}");
                }
            }
        }
        Value::Text(_) => {
            let text: String = r.value().text().unwrap().collect();
            assert_eq!(want_value, text.trim_end_matches('\0'), "{ctx}");
        }
        Value::Binary(b) => {
            let hex: Vec<String> = b.iter().rev().map(|b| format!("{b:02X}")).collect();
            assert_eq!(want_value, hex.join(" "), "{ctx}");
        }
        Value::None => assert_eq!(want_value, "", "{ctx}"),
        other => panic!("{ctx}: value {other:?} not in the corpus"),
    }
    true
}

#[test]
fn records_match_libmbus_semantics() {
    let dir = Path::new(VECTORS).join("frames");
    let mut paths: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "hex"))
        .collect();
    paths.sort();
    let (mut telegrams, mut records, mut libmbus_failed) = (0, 0, 0);
    for path in &paths {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = hex(path);
        let frame = Frame::new_checked(&bytes).unwrap();
        let xml = String::from_utf8_lossy(&fs::read(path.with_extension("norm.xml")).unwrap())
            .into_owned();
        let (slave, rest) = xml.split_once("</SlaveInformation>").unwrap();
        let slave = fields(slave);
        let blocks: Vec<&str> = rest.split("<DataRecord").skip(1).collect();
        match UserData::from_frame(&frame).unwrap() {
            UserData::Variable(v) => {
                let Header::Long(h) = v.header else {
                    panic!("{name}: no long header")
                };
                assert_eq!(
                    get(&slave, "Id"),
                    Some(format!("{:X}", h.id.0).as_str()),
                    "{name}"
                );
                assert_eq!(
                    get(&slave, "Manufacturer"),
                    Some(h.manufacturer.to_string().as_str()),
                    "{name}"
                );
                assert_eq!(get(&slave, "Version"), Some(h.version.to_string().as_str()));
                assert_eq!(
                    get(&slave, "AccessNumber"),
                    Some(h.access_number.to_string().as_str())
                );
                assert_eq!(
                    get(&slave, "Status"),
                    Some(format!("{:02X}", h.status.bits()).as_str())
                );
                assert_eq!(
                    get(&slave, "Signature"),
                    Some(format!("{:04X}", h.signature).as_str())
                );
                let recs: Vec<Record<'_>> = v.records().map(Result::unwrap).collect();
                assert_eq!(recs.len(), blocks.len(), "{name}: record count");
                for (r, block) in recs.iter().zip(&blocks) {
                    if check_record(&name, r, &fields(block)) {
                        records += 1;
                    } else {
                        libmbus_failed += 1;
                    }
                }
            }
            UserData::Fixed(fd) => {
                assert_eq!(
                    get(&slave, "Id"),
                    Some(format!("{:X}", fd.id.0).as_str()),
                    "{name}"
                );
                assert_eq!(
                    get(&slave, "AccessNumber"),
                    Some(fd.access_number.to_string().as_str())
                );
                for (c, block) in [fd.counter1, fd.counter2].iter().zip(&blocks) {
                    let f = fields(block);
                    assert_eq!(
                        get(&f, "Value"),
                        Some(c.value.to_string().as_str()),
                        "{name}"
                    );
                }
                records += 2;
            }
            UserData::Error(e) => panic!("{name}: {e:?}"),
        }
        telegrams += 1;
    }
    eprintln!(
        "{telegrams} telegrams, {records} records agree with libmbus; \
         {libmbus_failed} records libmbus cannot decode"
    );
    assert_eq!(telegrams, 51);
}
