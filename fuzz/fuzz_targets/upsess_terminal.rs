//! The uplink terminal session on arbitrary input: bytes in arbitrary chunks through the
//! scanner into a logged-in `session::Terminal` (U01's address), time advancing by the chunk
//! sizes, a handler that answers with groups copied from the request. Never panics; every
//! frame it sends parses, travels up and is for this terminal.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qgdw1376_1::session::{Answer, Config, Handler, Instant, KeyCheck, Reply, Terminal};
use qgdw1376_1::{Address, Direction, FrameRepr, Scanner};

struct Echo;

impl Handler for Echo {
    fn request(&mut self, request: &FrameRepr<'_>, reply: &mut Reply<'_>) -> Answer {
        match request.seq.seq % 4 {
            0 => Answer::Done,
            1 => Answer::Deny,
            2 => Answer::Ignore,
            _ => {
                for chunk in request.units.chunks(37) {
                    if reply.push_raw(chunk).is_err() {
                        break;
                    }
                }
                Answer::Data
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let me = Address {
        area: 0x0200,
        terminal: 0x1234,
        master: 0,
        group: false,
    };
    let mut config = Config::new(me);
    config.max_units = 64;
    let mut t: Box<Terminal<KeyCheck, 2048>> =
        Box::new(Terminal::with_key(config, [0; 16], Instant::from_ticks(0)));
    let mut now = 0u64;
    t.poll(Instant::from_ticks(now));
    while t.poll_event().is_some() {}
    t.connected(Instant::from_ticks(now));
    while t.poll_transmit().is_some() {}
    let mut c = [0u8; 32];
    let n = FrameRepr::link_confirm(me, 1).emit(&mut c).unwrap();
    t.receive(Instant::from_ticks(now), &c[..n], &mut Echo)
        .unwrap();
    let mut scanner: Box<Scanner<4096>> = Box::new(Scanner::new());
    for chunk in meterline_fuzz::chunked(data) {
        now += chunk.len() as u64 * 1000;
        let mut rest = chunk;
        while !rest.is_empty() {
            let took = scanner.push(rest);
            rest = &rest[took..];
            while let Some(f) = scanner.next_frame() {
                let bytes = f.as_bytes().to_vec();
                let _ = t.receive(Instant::from_ticks(now), &bytes, &mut Echo);
            }
            if took == 0 {
                break;
            }
        }
        t.poll(Instant::from_ticks(now));
        while t.poll_event().is_some() {}
        while let Some(out) = t.poll_transmit() {
            let f = FrameRepr::parse_bytes(out).expect("sent frames parse");
            assert_eq!(f.control.dir, Direction::Up);
            assert_eq!((f.address.area, f.address.terminal), (0x0200, 0x1234));
        }
    }
});
