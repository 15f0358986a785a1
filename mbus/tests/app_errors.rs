//! libmbus's `error-frames/` and `unsupported-frames/`: every one gives a typed error (from
//! the link layer or the application layer), never a panic, and CI 0x70 error telegrams give
//! libmbus's XML byte for byte.

use std::fs;
use std::path::Path;

use wired_mbus::app::libmbus::write_normalized;
use wired_mbus::app::{AppError, ApplicationError, RecordError, UserData};
use wired_mbus::{Frame, FrameError};

mod common;

use common::{VECTORS, hex};

/// What a frame of the corpus gives: the first error met, link or application.
#[derive(Debug, PartialEq)]
enum Outcome {
    Link(FrameError),
    MasterToSlave,
    App(AppError),
    Record(RecordError),
    SlaveError(ApplicationError),
    Decoded(usize),
}

fn outcome(bytes: &[u8]) -> Outcome {
    let frame = match Frame::new_checked(bytes) {
        Ok(f) => f,
        Err(e) => return Outcome::Link(e),
    };
    if frame.control().is_some_and(|c| c.is_request()) {
        return Outcome::MasterToSlave;
    }
    match UserData::from_frame(&frame) {
        Err(e) => Outcome::App(e),
        Ok(UserData::Error(e)) => Outcome::SlaveError(e),
        Ok(UserData::Fixed(_)) => Outcome::Decoded(2),
        Ok(UserData::Variable(v)) => {
            let mut n = 0;
            for r in v.records() {
                match r {
                    Ok(_) => n += 1,
                    Err(e) => return Outcome::Record(e),
                }
            }
            Outcome::Decoded(n)
        }
    }
}

fn run(dir: &str, name: &str) -> Outcome {
    outcome(&hex(&Path::new(VECTORS).join(dir).join(name)))
}

#[test]
fn error_frames_give_typed_errors() {
    use ApplicationError as A;
    use Outcome::*;
    use RecordError as R;
    // Record offsets count from the first user-data byte (after CI): the 12-byte header,
    // records `03 13 ..` at 12 and `DA 02 ..` at 17, the broken record at 22.
    let expected: &[(&str, Outcome)] = &[
        ("application_busy.hex", SlaveError(A::Busy)),
        ("buffer_too_long.hex", SlaveError(A::BufferTooLong)),
        ("error.hex", SlaveError(A::Unspecified)),
        (
            "premature_end_of_data1.hex",
            Record(R::TruncatedData {
                offset: 22,
                needed: 3,
                available: 0,
            }),
        ),
        (
            "premature_end_of_data2.hex",
            Record(R::TruncatedData {
                offset: 22,
                needed: 3,
                available: 2,
            }),
        ),
        (
            "premature_end_of_dif1.hex",
            Record(R::TruncatedDib { offset: 22 }),
        ),
        (
            "premature_end_of_dif2.hex",
            Record(R::TruncatedDib { offset: 22 }),
        ),
        ("premature_end_of_record.hex", SlaveError(A::PrematureEnd)),
        (
            "premature_end_of_var_vif1.hex",
            Record(R::TruncatedPlainText {
                offset: 34,
                len: 0x13,
            }),
        ),
        (
            "premature_end_of_vif1.hex",
            Record(R::TruncatedVib { offset: 22 }),
        ),
        (
            "too_long_var_vif.hex",
            Record(R::TruncatedPlainText {
                offset: 34,
                len: 0xF3,
            }),
        ),
        ("too_many_dife.hex", Record(R::TooManyDifes { offset: 22 })),
        ("too_many_difes.hex", SlaveError(A::TooManyDifes)),
        ("too_many_readouts.hex", SlaveError(A::TooManyReadouts)),
        ("too_many_records.hex", SlaveError(A::TooManyRecords)),
        ("too_many_vife.hex", Record(R::TooManyVifes { offset: 22 })),
        ("too_many_vifes.hex", SlaveError(A::TooManyVifes)),
        (
            "too_short_header.hex",
            App(AppError::HeaderTooShort {
                ci: 0x72,
                needed: 12,
                len: 5,
            }),
        ),
        ("unimplemented_ci.hex", SlaveError(A::UnimplementedCi)),
        ("unspecified_error.hex", SlaveError(A::Unspecified)),
    ];
    assert_eq!(
        fs::read_dir(Path::new(VECTORS).join("error-frames"))
            .unwrap()
            .filter(|e| e
                .as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "hex"))
            .count(),
        expected.len()
    );
    for (name, want) in expected {
        assert_eq!(&run("error-frames", name), want, "{name}");
    }
}

#[test]
fn slave_error_xml_matches_libmbus() {
    let mut checked = 0;
    for entry in fs::read_dir(Path::new(VECTORS).join("error-frames")).unwrap() {
        let path = entry.unwrap().path();
        let xml = path.with_extension("xml");
        if path.extension().is_none_or(|e| e != "hex") || !xml.exists() {
            continue;
        }
        let bytes = hex(&path);
        let frame = Frame::new_checked(&bytes).unwrap();
        if frame.ci() != Some(0x70) {
            continue;
        }
        let mut out = heapless::Vec::<u8, 1024>::new();
        write_normalized(&mut out, 0x70, frame.user_data()).unwrap();
        assert_eq!(out[..], fs::read(&xml).unwrap()[..], "{}", path.display());
        checked += 1;
    }
    assert_eq!(checked, 10);
}

#[test]
fn unsupported_frames_give_typed_errors() {
    use Outcome::*;
    let expected: &[(&str, Outcome)] = &[
        (
            "invalid_length.hex",
            Link(FrameError::BadLength { offset: 1, len: 0 }),
        ),
        // L = 0x12 leaves 15 bytes of fixed data where 16 are needed.
        (
            "invalid_length2.hex",
            App(AppError::FixedLength { len: 15 }),
        ),
        (
            "manual_frame1.hex",
            Link(FrameError::BadStart {
                offset: 0,
                byte: 0xD0,
            }),
        ),
        ("manual_frame4.hex", MasterToSlave),
        ("manual_frame5.hex", MasterToSlave),
        ("manual_frame6.hex", MasterToSlave),
        // The one corpus "unsupported" frame that is a valid meter telegram: header, then
        // DIF 0x1F with manufacturer data.
        ("svm_f22_telegram2.hex", Decoded(1)),
    ];
    for (name, want) in expected {
        assert_eq!(&run("unsupported-frames", name), want, "{name}");
    }
}
