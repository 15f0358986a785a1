//! Property tests of the link layer: emit then parse is the identity for every frame and
//! request type; arbitrary bytes never panic; the deframer is blind to chunking and noise.

// Test helpers index golden frames directly, like the tests themselves (clippy.toml).
#![allow(clippy::indexing_slicing)]

use proptest::prelude::*;
use wired_mbus::{
    Address, BaudRate, Control, Deframer, Frame, MAX_FRAME_LEN, Repr, Request, ScanResult,
    SecondaryMask, is_start_byte, scan,
};

fn control() -> impl Strategy<Value = Control> {
    any::<u8>().prop_map(Control::from_byte)
}

fn address() -> impl Strategy<Value = Address> {
    any::<u8>().prop_map(Address::from_byte)
}

fn repr_parts() -> impl Strategy<Value = (u8, Control, Address, u8, Vec<u8>)> {
    (
        0u8..4,
        control(),
        address(),
        any::<u8>(),
        prop::collection::vec(any::<u8>(), 0..=252),
    )
}

fn build(parts: &(u8, Control, Address, u8, Vec<u8>)) -> Repr<'_> {
    let (kind, control, address, ci, data) = parts;
    match kind {
        0 => Repr::Ack,
        1 => Repr::Nack,
        2 => Repr::Short {
            control: *control,
            address: *address,
        },
        _ => Repr::Long {
            control: *control,
            address: *address,
            ci: *ci,
            data,
        },
    }
}

fn request_parts() -> impl Strategy<Value = (u8, Address, bool, u8, u64, Vec<u8>)> {
    (
        0u8..8,
        address(),
        any::<bool>(),
        any::<u8>(),
        any::<u64>(),
        prop::collection::vec(any::<u8>(), 0..=252),
    )
}

fn build_request(p: &(u8, Address, bool, u8, u64, Vec<u8>)) -> Option<Request<'_>> {
    let (kind, address, fcb, byte, wide, data) = p;
    let (address, fcb, byte) = (*address, *fcb, *byte);
    Some(match kind {
        0 => Request::SndNke { address },
        1 => Request::ReqUd2 { address, fcb },
        2 => Request::ReqUd1 { address, fcb },
        3 => Request::ApplicationReset {
            address,
            fcb,
            subcode: (wide & 1 == 1).then_some(byte),
        },
        4 => Request::Select {
            fcb,
            mask: SecondaryMask::from_u64(*wide),
        },
        5 => Request::SetPrimaryAddress {
            address,
            fcb,
            new_address: byte,
        },
        6 => Request::SwitchBaudRate {
            address,
            fcb,
            baud: BaudRate::ALL[usize::from(byte % 8)],
        },
        _ => {
            // Generic SND_UD, except the byte patterns that read back as a more specific
            // request (see `Request::parse`).
            let specific = match (byte, data.as_slice()) {
                (0x50, d) => d.len() <= 1,
                (0x52, _) => address == Address::NETWORK,
                (0x51, [0x01, 0x7A, _]) => true,
                (0xB8..=0xBF, []) => true,
                _ => false,
            };
            if specific {
                return None;
            }
            Request::SendData {
                address,
                fcb,
                ci: byte,
                data,
            }
        }
    })
}

proptest! {
    #[test]
    fn repr_emit_parse_identity(parts in repr_parts()) {
        let repr = build(&parts);
        let mut buf = [0u8; MAX_FRAME_LEN];
        let n = repr.emit(&mut buf).unwrap();
        prop_assert_eq!(n, repr.buffer_len());
        let frame = Frame::new_checked(&buf[..n]).unwrap();
        prop_assert_eq!(frame.format(), repr.format());
        prop_assert_eq!(Repr::parse(&frame), repr);
        prop_assert_eq!(scan(&buf[..n]), ScanResult::Frame { len: n });
    }

    #[test]
    fn request_emit_parse_identity(parts in request_parts()) {
        let Some(req) = build_request(&parts) else { return Ok(()) };
        let mut buf = [0u8; MAX_FRAME_LEN];
        let n = req.emit(&mut buf).unwrap();
        prop_assert_eq!(n, req.buffer_len());
        let frame = Frame::new_checked(&buf[..n]).unwrap();
        prop_assert!(frame.control().unwrap().is_request());
        prop_assert_eq!(frame.address(), Some(req.address()));
        prop_assert_eq!(Request::parse(&frame), Ok(req));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        if let Ok(frame) = Frame::new_checked(&bytes) {
            let repr = Repr::parse(&frame);
            let mut buf = [0u8; MAX_FRAME_LEN];
            let n = repr.emit(&mut buf).unwrap();
            prop_assert_eq!(&buf[..n], &bytes[..]);
            let _ = Request::parse(&frame);
        }
        match scan(&bytes) {
            ScanResult::Frame { len } => prop_assert!(len >= 1 && len <= bytes.len()),
            ScanResult::Garbage { skip, .. } => prop_assert!(skip >= 1 && skip <= bytes.len()),
            ScanResult::Incomplete { needed } => {
                prop_assert!(needed >= 1);
                prop_assert!(bytes.len() < MAX_FRAME_LEN);
            }
        }
    }

    #[test]
    fn deframer_ignores_chunking_and_noise(
        frames in prop::collection::vec(repr_parts(), 1..6),
        noise in prop::collection::vec(
            prop::collection::vec(any::<u8>().prop_filter("not a start byte", |b| !is_start_byte(*b)), 0..4),
            6),
        chunk in 1usize..40,
    ) {
        let mut stream = Vec::new();
        let mut expected = Vec::new();
        for (i, parts) in frames.iter().enumerate() {
            stream.extend_from_slice(&noise[i]);
            let mut buf = [0u8; MAX_FRAME_LEN];
            let n = build(parts).emit(&mut buf).unwrap();
            stream.extend_from_slice(&buf[..n]);
            expected.push(buf[..n].to_vec());
        }
        let mut d = Deframer::new();
        let mut got = Vec::new();
        for c in stream.chunks(chunk) {
            let mut rest = c;
            while !rest.is_empty() {
                let n = d.push(rest);
                rest = &rest[n..];
                while let Some(f) = d.next_frame() {
                    got.push(f.as_bytes().to_vec());
                }
            }
        }
        prop_assert_eq!(got, expected);
        prop_assert_eq!(d.pending(), 0);
    }

    #[test]
    fn deframer_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..800), chunk in 1usize..300) {
        let mut d = Deframer::new();
        d.expect_echo(bytes.get(..5).unwrap_or(&[]));
        for c in bytes.chunks(chunk) {
            let mut rest = c;
            while !rest.is_empty() {
                let n = d.push(rest);
                rest = &rest[n..];
                while let Some(f) = d.next_frame() {
                    prop_assert!(Frame::new_checked(f.as_bytes()).is_ok());
                }
            }
        }
        prop_assert!(d.pending() < MAX_FRAME_LEN);
    }
}

#[cfg(feature = "link")]
mod framing {
    use super::*;
    use rs485_link::{Framing, Scan};
    use wired_mbus::MbusFraming;

    proptest! {
        /// The `rs485_link::Framing` contract: total, answers inside the buffer, never
        /// `Incomplete` at `MAX_FRAME_LEN` bytes or more, and a `Frame` is a checked frame.
        #[test]
        fn framing_contract(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
            match MbusFraming.scan(&bytes) {
                Scan::Frame { start, end } => {
                    prop_assert!(start < end && end <= bytes.len());
                    prop_assert!(Frame::new_checked(&bytes[start..end]).is_ok());
                }
                Scan::Skip(n) => prop_assert!(n >= 1 && n <= bytes.len()),
                Scan::Incomplete { needed } => {
                    prop_assert!(needed >= 1);
                    prop_assert!(bytes.len() < MbusFraming::MAX_FRAME_LEN);
                }
            }
        }
    }

    #[test]
    fn framing_finds_the_captured_selection() {
        let sel = [
            0x68, 0x0B, 0x0B, 0x68, 0x73, 0xFD, 0x52, 0x78, 0x56, 0x34, 0x12, 0xFF, 0xFF, 0xFF,
            0xFF, 0xD2, 0x16,
        ];
        assert_eq!(MbusFraming.scan(&sel), Scan::Frame { start: 0, end: 17 });
        assert_eq!(MbusFraming.scan(&sel[..10]), Scan::Incomplete { needed: 7 });
        assert_eq!(MbusFraming.scan(&[0xFE, 0xFE, 0x68]), Scan::Skip(2));
        assert!(MbusFraming.preamble().is_empty());
    }
}
