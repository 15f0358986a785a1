//! proptest: `emit` then `parse` is the identity for every request and reply type; `parse`
//! of arbitrary bytes never panics; a parsed frame re-emits to the same bytes.
#![allow(clippy::indexing_slicing)] // test helpers index their own fixed-size seeds

use dlt645::*;
use proptest::prelude::*;

/// Deterministic field source from proptest's random seed bytes.
struct Seed<'s>(&'s [u8], usize);

impl Seed<'_> {
    fn u8(&mut self) -> u8 {
        let b = self.0[self.1 % self.0.len()];
        self.1 += 1;
        b
    }
    fn bcd(&mut self) -> u8 {
        self.u8() % 100
    }
    fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }
    fn di(&mut self) -> Di {
        Di(self.u32())
    }
    fn di97(&mut self) -> Di97 {
        Di97(u16::from_le_bytes([self.u8(), self.u8()]))
    }
    fn password(&mut self) -> Password {
        Password {
            level: self.u8(),
            code: [self.u8(), self.u8(), self.u8()],
        }
    }
    fn plain_password(&mut self) -> Password {
        let mut p = self.password();
        if p.level == ESAM_LEVEL {
            p.level = 0x02;
        }
        p
    }
    fn operator(&mut self) -> Operator {
        Operator([self.u8(), self.u8(), self.u8(), self.u8()])
    }
    fn date_time(&mut self) -> DateTime {
        DateTime {
            year: 2000 + u16::from(self.bcd()),
            month: self.bcd(),
            day: self.bcd(),
            hour: self.bcd(),
            minute: self.bcd(),
            second: self.bcd(),
        }
    }
    fn baud(&mut self) -> Baud {
        Baud::from_word(1 << (1 + self.u8() % 6)).unwrap()
    }
    fn address(&mut self) -> Address {
        let n = u64::from(self.u32()) * 1000 + u64::from(self.u8());
        let mut a = Address::from_number(n % 1_000_000_000_000).unwrap();
        let aa = usize::from(self.u8() % 8);
        if aa < 6 {
            for b in a.0.iter_mut().rev().take(aa) {
                *b = 0xAA;
            }
        }
        a
    }
}

const REQUESTS: u8 = 25;

fn request<'d>(kind: u8, s: &mut Seed<'_>, data: &'d [u8]) -> Request<'d> {
    let short = &data[..data.len().min(38)];
    match kind {
        0 => Request::Security {
            di: s.di(),
            data: Payload::Plain(data),
        },
        1 => Request::BroadcastTime(s.date_time()),
        2 => Request::Read { di: s.di() },
        3 => Request::ReadBlocks {
            di: s.di(),
            count: s.u8(),
        },
        4 => Request::ReadFrom {
            di: s.di(),
            count: s.u8(),
            start: MinuteTime {
                year: 2000 + u16::from(s.bcd()),
                month: s.bcd(),
                day: s.bcd(),
                hour: s.bcd(),
                minute: s.bcd(),
            },
        },
        5 => Request::ReadFollow {
            di: s.di(),
            seq: s.u8(),
        },
        6 => Request::ReadAddress,
        7 => Request::Write {
            di: s.di(),
            password: s.password(),
            operator: s.operator(),
            data: Payload::Plain(short),
        },
        8 => Request::WriteAddress(s.address()),
        9 => Request::Freeze(FreezeTime {
            month: s.bcd(),
            day: s.bcd(),
            hour: s.bcd(),
            minute: s.bcd(),
        }),
        10 => Request::ChangeBaud(s.baud()),
        11 => Request::ChangePassword {
            di: s.di(),
            old: s.password(),
            new: s.password(),
        },
        12 => Request::ClearDemand {
            password: s.password(),
            operator: s.operator(),
        },
        13 => Request::ClearMeter {
            password: s.password(),
            operator: s.operator(),
        },
        14 => Request::ClearEvents {
            password: s.password(),
            operator: s.operator(),
            di: s.di(),
        },
        15 => Request::Switch {
            password: s.plain_password(),
            operator: s.operator(),
            action: SwitchAction::from_code(s.u8()),
            delay: s.u8(),
            valid_until: s.date_time(),
        },
        16 => Request::SwitchEsam {
            password: Password {
                level: ESAM_LEVEL,
                code: [0; 3],
            },
            operator: s.operator(),
            ciphertext: Payload::Plain(&data[..data.len().min(20)]),
        },
        17 => Request::TerminalOutput(OutputMode::from_code(s.u8())),
        18 => Request::Read97 { di: s.di97() },
        19 => Request::ReadFollow97 { di: s.di97() },
        20 => Request::ReRead97 { di: s.di97() },
        21 => Request::Write97 {
            di: s.di97(),
            password: s.password(),
            data: Payload::Plain(short),
        },
        22 => Request::WriteAddress97(s.address()),
        23 => Request::ChangeBaud97(s.baud()),
        24 => Request::ChangePassword97 {
            old: s.password(),
            new: s.password(),
        },
        _ => Request::ClearDemand97 {
            password: s.password(),
        },
    }
}

fn request_address(r: &Request<'_>, s: &mut Seed<'_>) -> Address {
    match r.function().code() {
        0x08 => Address::BROADCAST,
        0x13 | 0x15 => Address::WILDCARD,
        0x16 | 0x1D if s.u8().is_multiple_of(2) => Address::BROADCAST,
        0x14 | 0x17 | 0x19 | 0x1A | 0x1B | 0x1C => {
            let a = s.address();
            if a.is_wildcard() {
                Address::from_number(1).unwrap()
            } else {
                a
            }
        }
        _ => s.address(),
    }
}

const REPLIES: u8 = 16;

fn reply<'d>(kind: u8, s: &mut Seed<'_>, data: &'d [u8]) -> Repr<'d> {
    let follow = s.u8().is_multiple_of(2);
    let address = s.address();
    let acks = [
        Function::Write,
        Function::WriteAddress,
        Function::Freeze,
        Function::ClearDemand,
        Function::ClearMeter,
        Function::ClearEvents,
        Function::RemoteSwitch,
        Function::Write97,
        Function::WriteAddress97,
        Function::ChangePassword97,
        Function::ClearDemand97,
    ];
    let body = match kind {
        0 => Body::Reply(Reply::Security {
            di: s.di(),
            data: Payload::Plain(data),
        }),
        1 => Body::Reply(Reply::Read {
            di: s.di(),
            data: Payload::Plain(data),
        }),
        2 => Body::Reply(Reply::ReadFollow {
            di: s.di(),
            data: Payload::Plain(&data[..data.len().min(195)]),
            seq: s.u8(),
        }),
        3 => Body::Reply(Reply::Address(s.address())),
        4 => Body::Reply(Reply::Ack(acks[usize::from(s.u8()) % acks.len()])),
        5 => Body::Reply(Reply::Baud(s.baud())),
        6 => Body::Reply(Reply::Password(s.password())),
        7 => Body::Reply(Reply::SwitchStatus(SwitchStatus::from_bits_retain(
            u16::from_le_bytes([s.u8(), s.u8()]),
        ))),
        8 => Body::Reply(Reply::Output(OutputMode::from_code(s.u8()))),
        9 => Body::Reply(Reply::Read97 {
            di: s.di97(),
            data: Payload::Plain(data),
        }),
        10 => Body::Reply(Reply::ReadFollow97 {
            di: s.di97(),
            data: Payload::Plain(data),
        }),
        11 => Body::Reply(Reply::ReRead97 {
            di: s.di97(),
            data: Payload::Plain(data),
        }),
        12 => Body::Reply(Reply::Baud97(s.baud())),
        13 => {
            let fs = [
                Function::Read,
                Function::ReadFollow,
                Function::Write,
                Function::ChangeBaud,
                Function::RemoteSwitch,
                Function::TerminalOutput,
            ];
            Body::Error {
                function: fs[usize::from(s.u8()) % fs.len()],
                word: ErrorWord::V2007(Err2007::from_bits_retain(s.u8())),
            }
        }
        14 => {
            let fs = [Function::Read97, Function::Write97, Function::ReRead97];
            Body::Error {
                function: fs[usize::from(s.u8()) % fs.len()],
                word: ErrorWord::V1997(Err1997::from_bits_retain(s.u8())),
            }
        }
        _ => {
            let bits = u16::from_le_bytes([s.u8(), s.u8()]);
            if s.u8().is_multiple_of(2) {
                Body::Error {
                    function: Function::Security,
                    word: ErrorWord::Security(SecurityError::from_bits_retain(bits)),
                }
            } else {
                Body::Error {
                    function: Function::RemoteSwitch,
                    word: ErrorWord::Switch(SwitchError::from_bits_retain(bits)),
                }
            }
        }
    };
    let follow = follow && matches!(body, Body::Reply(_));
    Repr {
        address,
        follow,
        body,
    }
}

fn round_trip(repr: &Repr<'_>) {
    let mut buf = [0u8; 300];
    let data_len = repr.buffer_len() - OVERHEAD;
    if let (Body::Reply(r), Err(e)) = (&repr.body, repr.emit(&mut buf)) {
        // Read replies over 200 bytes go into follow-up frames: emit refuses them.
        assert!(
            r.data().is_some() && data_len > MAX_READ_LEN,
            "{repr:?}: {e}"
        );
        assert_eq!(
            e,
            Error::DataTooLong {
                function: r.function().code(),
                len: data_len
            }
        );
        return;
    }
    let n = repr
        .emit(&mut buf)
        .unwrap_or_else(|e| panic!("emit {repr:?}: {e}"));
    assert_eq!(n, repr.buffer_len());
    let frame = Frame::new_checked(&buf[..n]).unwrap();
    let back = Repr::parse_as(&frame, repr.edition()).unwrap();
    assert_eq!(&back, repr);
    // A smaller buffer is refused, not overrun.
    assert_eq!(
        repr.emit(&mut buf[..n - 1]),
        Err(Error::BufferTooSmall { needed: n })
    );
}

proptest! {
    #[test]
    fn every_request_round_trips(kind in 0..=REQUESTS, seed in prop::collection::vec(any::<u8>(), 64), data in prop::collection::vec(any::<u8>(), 0..=60)) {
        let mut s = Seed(&seed, 0);
        let req = request(kind, &mut s, &data);
        let address = request_address(&req, &mut s);
        round_trip(&Repr::request(address, req));
    }

    #[test]
    fn every_reply_round_trips(kind in 0..REPLIES, seed in prop::collection::vec(any::<u8>(), 64), data in prop::collection::vec(any::<u8>(), 0..=251)) {
        let mut s = Seed(&seed, 0);
        round_trip(&reply(kind, &mut s, &data));
    }

    #[test]
    fn unknown_functions_round_trip(code in prop::sample::select(vec![0x00u8, 0x05, 0x06, 0x07, 0x09, 0x0B, 0x0D, 0x0E, 0x1E, 0x1F]), flags in 0u8..8, seed in prop::collection::vec(any::<u8>(), 16), data in prop::collection::vec(any::<u8>(), 0..=255)) {
        let mut s = Seed(&seed, 0);
        let repr = Repr { address: s.address(), follow: flags & 1 != 0, body: Body::Other { control: Control(code | (flags << 5)), data: Payload::Plain(&data) } };
        round_trip(&repr);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        exercise(&bytes);
    }

    /// Valid envelopes with random control and data: whatever parses re-emits byte for byte.
    #[test]
    fn parsed_frames_re_emit_identically(addr in any::<[u8; 6]>(), control in any::<u8>(), data in prop::collection::vec(any::<u8>(), 0..=255)) {
        let mut f = vec![0x68];
        f.extend_from_slice(&addr);
        f.push(0x68);
        f.push(control);
        f.push(data.len() as u8);
        f.extend_from_slice(&data);
        f.push(checksum(&f));
        f.push(0x16);
        exercise(&f);
        let frame = Frame::new_checked(&f[..]).unwrap();
        prop_assert_eq!(Repr::parse(&frame), Repr::parse_frame(&frame));
        if let Ok(repr) = Repr::parse(&frame) {
            let mut out = [0u8; 300];
            let n = repr.emit(&mut out).unwrap_or_else(|e| panic!("{repr:?}: {e}"));
            prop_assert_eq!(&out[..n], &f[..]);
        }
    }

    #[test]
    fn scan_is_total_and_within_bounds(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        match scan(&bytes) {
            Scan::Frame { start, end } => {
                prop_assert!(start < end && end <= bytes.len());
                prop_assert!(Frame::new_checked(&bytes[start..end]).is_ok());
            }
            Scan::Skip(n) => prop_assert!(n >= 1 && n <= bytes.len()),
            Scan::Incomplete { needed } => {
                prop_assert!(needed >= 1);
                prop_assert!(bytes.len() < MAX_SCAN_LEN);
            }
        }
    }

    /// A frame embedded in noise and cut anywhere comes out of the scanner whole, once.
    #[test]
    fn scanner_finds_a_frame_in_noise_under_any_chunking(noise in prop::collection::vec(any::<u8>().prop_filter("not a start byte", |b| *b != 0x68), 0..20), seed in prop::collection::vec(any::<u8>(), 64), data in prop::collection::vec(any::<u8>(), 0..=100), chunk in 1usize..40) {
        let mut s = Seed(&seed, 0);
        let repr = reply(1, &mut s, &data);
        let mut buf = [0u8; 300];
        let n = repr.emit(&mut buf).unwrap();
        let mut stream = noise.clone();
        stream.extend_from_slice(&[0xFE; 4]);
        stream.extend_from_slice(&buf[..n]);
        let mut sc: Scanner = Scanner::new();
        let mut got = Vec::new();
        for c in stream.chunks(chunk) {
            prop_assert_eq!(sc.push(c), c.len());
            while let Some(f) = sc.next_frame() {
                got.push(f.frame_bytes().to_vec());
            }
        }
        prop_assert_eq!(got, vec![buf[..n].to_vec()]);
    }
}

/// Run every decoding path over `bytes`; nothing may panic.
fn exercise(bytes: &[u8]) {
    use core::fmt::Write;
    let mut sink = String::new();
    if let Ok(frame) = Frame::new_checked(bytes) {
        for hint in [None, Some(Edition::V2007), Some(Edition::V1997)] {
            if let Ok(repr) = Repr::parse_as(&frame, hint) {
                let _ = write!(sink, "{repr:?} {:?} {:?}", repr.edition(), repr.function());
                if let Body::Reply(r) = repr.body {
                    for item in r.values().into_iter().flatten() {
                        let _ = write!(sink, "{} {}", item.name, item.value);
                    }
                }
                if let Body::Error { word, .. } = repr.body {
                    for m in word.meanings() {
                        sink.push_str(m);
                    }
                }
            }
        }
    }
    for (_, f) in frames(bytes) {
        let _ = Repr::parse(&f);
    }
    // Every DI format over these bytes.
    if bytes.len() >= 4 {
        let di = Di(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]));
        for item in catalogue::decode(di, Payload::Wire(&bytes[4..]), false) {
            let _ = write!(sink, "{}", item.value);
        }
        let di97 = Di97(u16::from_le_bytes([bytes[0], bytes[1]]));
        for item in catalogue::decode97(di97, Payload::Plain(&bytes[2..])) {
            let _ = write!(sink, "{}", item.value);
        }
    }
}

/// Found by fuzzing (dlt645_frame): an abnormal reply with D5 set must keep D5 on re-emit.
#[test]
fn abnormal_reply_with_follow_bit_re_emits_identically() {
    let f = [
        0x68, 0x12, 0x00, 0xFF, 0xFF, 0x0E, 0x20, 0x68, 0xF8, 0x01, 0x12, 0x19, 0x16,
    ];
    let frame = Frame::new_checked(&f[..]).unwrap();
    let repr = Repr::parse(&frame).unwrap();
    assert!(repr.follow);
    assert!(matches!(
        repr.body,
        Body::Error {
            function: Function::ChangePassword,
            ..
        }
    ));
    let mut out = [0u8; 16];
    let n = repr.emit(&mut out).unwrap();
    assert_eq!(&out[..n], &f[..]);
}
