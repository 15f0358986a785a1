//! The Q/GDW 1376.2 module session under arbitrary input: bytes from the "module" in any
//! chunking, time jumps, and commands in any order. Nothing panics, every frame the session
//! sends is a valid downlink frame, and the timeout it asks for is never in the past.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qgdw1376_2::session::{Config, Duration, Instant, MAX_TX_LEN, Op, Session, StartMode};
use qgdw1376_2::unit::protocol::Protocol;
use qgdw1376_2::unit::time::DateTime;
use qgdw1376_2::{Address, Direction, Edition, Frame, FrameRepr};

fuzz_target!(|data: &[u8]| {
    let Some((&head, mut rest)) = data.split_first() else {
        return;
    };
    let mut cfg = Config::new(Address([1, 2, 3, 4, 5, 6]));
    cfg.edition = if head & 1 == 0 {
        Edition::V2013
    } else {
        Edition::V2009
    };
    cfg.start = match head >> 1 & 3 {
        0 => StartMode::AwaitReport,
        1 => StartMode::Reset,
        _ => StartMode::Query,
    };
    cfg.batch_size = 1 + (head >> 3);
    cfg.concurrent = head & 0x40 != 0;
    let mut now = Instant::from_ticks(0);
    let mut s: Session<8> = Session::new(cfg, now);
    let meters = [Address([1, 0, 0, 0, 0, 0]), Address([2, 0, 0, 0, 0, 0])];
    let mut buf = [0u8; MAX_TX_LEN];
    while let Some((&op, tail)) = rest.split_first() {
        rest = tail;
        match op % 8 {
            0 | 1 => {
                // Bytes from the module: the next (op / 8) bytes.
                let n = usize::from(op / 8).min(rest.len());
                let (chunk, tail) = rest.split_at(n);
                rest = tail;
                s.handle_received(chunk, now);
            }
            2 => {
                now += Duration::millis(u64::from(op) * 997);
                s.handle_timeout(now);
            }
            3 => {
                let m = meters[usize::from(op >> 7)];
                let _ = if op & 0x40 != 0 {
                    s.read_concurrent(m, Protocol::Dlt645_2007, &[0x68, op, 0x68, op], now)
                } else {
                    s.read(m, Protocol::Dlt645_2007, &[0x68, op], now)
                };
            }
            4 => {
                let frame = [0xFE, 0x68, op, 0x16];
                let _ = s.answer_read((op & 8 != 0).then_some(&frame[..]), op & 16 != 0, now);
            }
            5 => {
                let t = DateTime {
                    year: 26,
                    month: 11,
                    day: 23,
                    hour: 1,
                    minute: 2,
                    second: 3,
                };
                let _ = s.answer_clock(t, now);
                let _ = s.answer_delay(&[0x68, 0x16], now);
            }
            6 => {
                let _ = s.set_archive(
                    meters
                        .iter()
                        .take(usize::from(op >> 6))
                        .map(|a| (*a, Protocol::Dlt645_2007)),
                    now,
                );
            }
            _ => {
                let _ = match op >> 5 {
                    0 => s.broadcast(Protocol::Dlt645_2007, &[0x68, 0x16], now),
                    1 => s.query_broadcast_delay(Protocol::Dlt645_2007, &[0x68], now),
                    2 => s.stop_registration(now),
                    3 => s.routing(Op::PauseRouting, now),
                    _ => s.routing(Op::ResumeRouting, now),
                };
            }
        }
        while let Some(n) = s.poll_transmit(&mut buf) {
            let f = Frame::new_checked(&buf[..n]).expect("the session sends valid frames");
            assert_eq!(f.control().direction, Direction::Down);
            FrameRepr::parse(&f, cfg.edition).expect("with typed data units");
        }
        if let Some(t) = s.poll_timeout() {
            assert!(t >= now || s.poll_timeout() == Some(t));
        }
        while s.poll_event().is_some() {}
    }
});
